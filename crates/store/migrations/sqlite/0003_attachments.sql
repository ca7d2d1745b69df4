-- Photos and files attached to cases (feedback, closing, reports), kept in the database so
-- one backup holds everything.
CREATE TABLE attachments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    content_type TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    data BLOB NOT NULL,
    uploaded_by INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX attachments_case ON attachments(case_id);
