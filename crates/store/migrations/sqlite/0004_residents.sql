-- Residents sign in with a phone number and a one-time code; they may follow others' reports.
CREATE TABLE otp_codes (
    phone TEXT PRIMARY KEY,
    code_hash TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    sent_at INTEGER NOT NULL,
    hour_start INTEGER NOT NULL,
    sent_in_hour INTEGER NOT NULL
);
CREATE TABLE followers (
    case_id INTEGER NOT NULL REFERENCES cases(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (case_id, user_id)
);
CREATE INDEX followers_user ON followers(user_id);
