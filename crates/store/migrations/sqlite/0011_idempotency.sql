-- Idempotency keys of case creations: a client's retry with the same key within 24 hours
-- gets the case it made, never a second one.
CREATE TABLE idempotency_keys (
    key TEXT PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    created_at INTEGER NOT NULL
);
