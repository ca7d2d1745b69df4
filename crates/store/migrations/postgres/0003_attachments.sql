-- Photos and files attached to cases (feedback, closing, reports), kept in the database so
-- one backup holds everything.
CREATE TABLE attachments (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    data BYTEA NOT NULL,
    uploaded_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX attachments_case ON attachments(case_id);
