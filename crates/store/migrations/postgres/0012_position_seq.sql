-- Position pings leave the change log (and the audit chain's lock): each ping stamps the
-- responder row with the next position number, which the stream hub follows.
ALTER TABLE responders ADD COLUMN position_seq BIGINT NOT NULL DEFAULT 0;
CREATE INDEX responders_position_seq ON responders (position_seq);
CREATE SEQUENCE position_seq;
