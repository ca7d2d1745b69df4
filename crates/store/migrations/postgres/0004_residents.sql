-- Residents sign in with a phone number and a one-time code; they may follow others' reports.
CREATE TABLE otp_codes (
    phone TEXT PRIMARY KEY,
    code_hash TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    sent_at BIGINT NOT NULL,
    hour_start BIGINT NOT NULL,
    sent_in_hour BIGINT NOT NULL
);
CREATE TABLE followers (
    case_id BIGINT NOT NULL REFERENCES cases(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (case_id, user_id)
);
CREATE INDEX followers_user ON followers(user_id);
