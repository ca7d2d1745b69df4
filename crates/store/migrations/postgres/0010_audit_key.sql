-- The audit chain is keyed (HMAC) from this record on. Records before it were written
-- before keying and keep their plain SHA-256 links; a new database is keyed from record 1.
ALTER TABLE audit_head ADD COLUMN keyed_from BIGINT NOT NULL DEFAULT 1;
UPDATE audit_head SET keyed_from = seq + 1;
