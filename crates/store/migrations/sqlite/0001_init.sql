-- civicgrid schema, SQLite. Times are Unix milliseconds (UTC); never edit an applied migration.
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    display_name TEXT NOT NULL,
    grid TEXT,
    station TEXT,
    phone TEXT,
    created_at INTEGER NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE TABLE stations (
    code TEXT PRIMARY KEY,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    kind TEXT NOT NULL,
    lat REAL NOT NULL,
    lng REAL NOT NULL,
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
    working_hours INTEGER NOT NULL,
    tags TEXT NOT NULL,
    deadlines TEXT NOT NULL
);
CREATE TABLE responders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    force TEXT NOT NULL,
    station TEXT NOT NULL REFERENCES stations(code),
    grid TEXT,
    travel_mode TEXT NOT NULL,
    skills TEXT NOT NULL,
    shift TEXT NOT NULL,
    status TEXT NOT NULL,
    lat REAL,
    lng REAL,
    position_at INTEGER,
    user_id INTEGER REFERENCES users(id)
);
CREATE TABLE reporters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT,
    phone TEXT,
    created_at INTEGER NOT NULL
);
CREATE TABLE cases (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    version INTEGER NOT NULL,
    category TEXT NOT NULL,
    priority TEXT NOT NULL,
    source TEXT NOT NULL,
    grid TEXT NOT NULL,
    lat REAL NOT NULL,
    lng REAL NOT NULL,
    description TEXT NOT NULL,
    address TEXT,
    reporter_id INTEGER REFERENCES reporters(id),
    reported_by INTEGER,
    status TEXT NOT NULL,
    suspended_from TEXT,
    suspended_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    deadline_accept INTEGER NOT NULL,
    deadline_dispatch INTEGER NOT NULL,
    deadline_on_site INTEGER NOT NULL,
    deadline_first_feedback INTEGER NOT NULL,
    deadline_close INTEGER NOT NULL,
    accepted_at INTEGER,
    dispatched_at INTEGER,
    contacted_at INTEGER,
    on_site_at INTEGER,
    first_feedback_at INTEGER,
    closed_at INTEGER,
    satisfaction TEXT,
    reopened_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX cases_created ON cases(created_at);
CREATE INDEX cases_status ON cases(status, id);
CREATE INDEX cases_grid ON cases(grid, id);
CREATE TABLE case_events (
    case_id INTEGER NOT NULL REFERENCES cases(id),
    seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    actor_id INTEGER NOT NULL,
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
    case_id INTEGER NOT NULL REFERENCES cases(id),
    idx INTEGER NOT NULL,
    responder_id INTEGER NOT NULL,
    status TEXT NOT NULL,
    assigned_at INTEGER NOT NULL,
    arrived_at INTEGER,
    ended_at INTEGER,
    PRIMARY KEY (case_id, idx)
);
CREATE INDEX assignments_responder ON assignments(responder_id, status);
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY,
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
-- The audit log is append-only: the database refuses changes and deletions. (Someone with
-- file access can still drop the trigger; the hash chain is what detects that.)
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
