-- Deadline runner, escalation, notifications outbox, change log for live streams.
ALTER TABLE cases ADD COLUMN next_alert_at INTEGER;
CREATE INDEX cases_next_alert ON cases(next_alert_at) WHERE next_alert_at IS NOT NULL;
ALTER TABLE case_events ADD COLUMN promise TEXT;
ALTER TABLE case_events ADD COLUMN due_at INTEGER;
ALTER TABLE case_events ADD COLUMN level INTEGER;
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at INTEGER NOT NULL,
    dedupe_key TEXT NOT NULL UNIQUE,
    channel TEXT NOT NULL,
    recipient_user INTEGER,
    recipient_phone TEXT,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    case_id INTEGER,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    lease_until INTEGER,
    sent_at INTEGER,
    last_error TEXT
);
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
CREATE TABLE change_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    entity_id INTEGER NOT NULL,
    grid TEXT,
    reported_by INTEGER,
    payload TEXT NOT NULL
);
