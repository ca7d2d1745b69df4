-- Deadline runner, escalation, notifications outbox, change log for live streams.
ALTER TABLE cases ADD COLUMN next_alert_at BIGINT;
CREATE INDEX cases_next_alert ON cases(next_alert_at) WHERE next_alert_at IS NOT NULL;
ALTER TABLE case_events ADD COLUMN promise TEXT;
ALTER TABLE case_events ADD COLUMN due_at BIGINT;
ALTER TABLE case_events ADD COLUMN level BIGINT;
CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    created_at BIGINT NOT NULL,
    dedupe_key TEXT NOT NULL UNIQUE,
    channel TEXT NOT NULL,
    recipient_user BIGINT,
    recipient_phone TEXT,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    case_id BIGINT,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    lease_until BIGINT,
    sent_at BIGINT,
    last_error TEXT
);
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
CREATE TABLE change_log (
    seq BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    entity_id BIGINT NOT NULL,
    grid TEXT,
    reported_by BIGINT,
    payload TEXT NOT NULL
);
