-- civicgrid schema, PostgreSQL. Times are Unix milliseconds (UTC); never edit an applied migration.
CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    display_name TEXT NOT NULL,
    grid TEXT,
    station TEXT,
    phone TEXT,
    created_at BIGINT NOT NULL,
    disabled BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE TABLE api_keys (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE TABLE stations (
    code TEXT PRIMARY KEY,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    kind TEXT NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    lng DOUBLE PRECISION NOT NULL,
    address TEXT NOT NULL
);
CREATE TABLE grids (
    code TEXT PRIMARY KEY,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    community TEXT NOT NULL,
    station TEXT NOT NULL REFERENCES stations(code),
    area TEXT NOT NULL,
    ring TEXT NOT NULL
);
CREATE TABLE categories (
    code TEXT PRIMARY KEY,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    kind TEXT NOT NULL,
    forces TEXT NOT NULL,
    default_priority TEXT NOT NULL,
    working_hours BIGINT NOT NULL,
    tags TEXT NOT NULL,
    deadlines TEXT NOT NULL
);
CREATE TABLE responders (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    force TEXT NOT NULL,
    station TEXT NOT NULL REFERENCES stations(code),
    grid TEXT,
    travel_mode TEXT NOT NULL,
    skills TEXT NOT NULL,
    shift TEXT NOT NULL,
    status TEXT NOT NULL,
    lat DOUBLE PRECISION,
    lng DOUBLE PRECISION,
    position_at BIGINT,
    user_id BIGINT REFERENCES users(id)
);
CREATE TABLE reporters (
    id BIGSERIAL PRIMARY KEY,
    name TEXT,
    phone TEXT,
    created_at BIGINT NOT NULL
);
CREATE TABLE cases (
    id BIGSERIAL PRIMARY KEY,
    version BIGINT NOT NULL,
    category TEXT NOT NULL,
    priority TEXT NOT NULL,
    source TEXT NOT NULL,
    grid TEXT NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    lng DOUBLE PRECISION NOT NULL,
    description TEXT NOT NULL,
    address TEXT,
    reporter_id BIGINT REFERENCES reporters(id),
    reported_by BIGINT,
    status TEXT NOT NULL,
    suspended_from TEXT,
    suspended_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deadline_accept BIGINT NOT NULL,
    deadline_dispatch BIGINT NOT NULL,
    deadline_on_site BIGINT NOT NULL,
    deadline_first_feedback BIGINT NOT NULL,
    deadline_close BIGINT NOT NULL,
    accepted_at BIGINT,
    dispatched_at BIGINT,
    contacted_at BIGINT,
    on_site_at BIGINT,
    first_feedback_at BIGINT,
    closed_at BIGINT,
    satisfaction TEXT,
    reopened_count BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX cases_created ON cases(created_at);
CREATE INDEX cases_status ON cases(status, id);
CREATE INDEX cases_grid ON cases(grid, id);
CREATE TABLE case_events (
    case_id BIGINT NOT NULL REFERENCES cases(id),
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor_id BIGINT NOT NULL,
    actor_name TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    action TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    note TEXT,
    responders TEXT NOT NULL,
    PRIMARY KEY (case_id, seq)
);
CREATE TABLE assignments (
    case_id BIGINT NOT NULL REFERENCES cases(id),
    idx BIGINT NOT NULL,
    responder_id BIGINT NOT NULL,
    status TEXT NOT NULL,
    assigned_at BIGINT NOT NULL,
    arrived_at BIGINT,
    ended_at BIGINT,
    PRIMARY KEY (case_id, idx)
);
CREATE INDEX assignments_responder ON assignments(responder_id, status);
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
-- The audit log is append-only: the database refuses changes and deletions. (Someone with
-- file access can still drop the trigger; the hash chain is what detects that.)
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
