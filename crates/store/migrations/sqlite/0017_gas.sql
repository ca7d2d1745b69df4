-- Smart gas (domain::gas): registered detectors with what they last said, their alarms (one
-- JSON document each, with the columns lists and the one-alarm-per-device-and-kind rule
-- select on), and messages from devices nobody registered. Alarms' duties in `obligations`.
CREATE TABLE gas_devices (
    device_id TEXT PRIMARY KEY,
    vendor TEXT NOT NULL,
    model TEXT NOT NULL,
    kind TEXT NOT NULL,
    address TEXT NOT NULL,
    lat REAL,
    lng REAL,
    grid TEXT,
    owner_name TEXT NOT NULL,
    owner_phone TEXT NOT NULL,
    installed_on TEXT NOT NULL,
    end_of_life_on TEXT NOT NULL,
    eol_raised INTEGER NOT NULL,
    valve INTEGER NOT NULL,
    heartbeat_seconds INTEGER NOT NULL,
    registered_at BIGINT NOT NULL,
    last_seen_at BIGINT,
    -- When it is offline unless it reports before; NULL once its offline alarm is raised,
    -- and before it ever reported.
    silent_after BIGINT,
    last_lel REAL,
    last_level INTEGER,
    battery INTEGER,
    rssi INTEGER,
    messages BIGINT NOT NULL,
    bad_payloads BIGINT NOT NULL,
    last_bad_at BIGINT,
    last_bad_reason TEXT,
    last_bad_payload TEXT
);
CREATE INDEX gas_devices_silent ON gas_devices (silent_after);
CREATE INDEX gas_devices_eol ON gas_devices (eol_raised, end_of_life_on);
CREATE INDEX gas_devices_phone ON gas_devices (owner_phone);
CREATE TABLE gas_alarms (
    id BIGINT PRIMARY KEY,
    version INTEGER NOT NULL,
    device_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    state TEXT NOT NULL,
    -- open while not cleared, or cleared and never acknowledged
    status TEXT NOT NULL,
    level INTEGER NOT NULL,
    started_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    case_id BIGINT,
    body TEXT NOT NULL
);
-- One alarm per device and kind while it lasts, whatever races or redeliveries happen.
CREATE UNIQUE INDEX gas_alarms_current ON gas_alarms (device_id, kind) WHERE state <> 'cleared';
CREATE INDEX gas_alarms_device ON gas_alarms (device_id, started_at);
CREATE INDEX gas_alarms_status ON gas_alarms (status, started_at);
CREATE INDEX gas_alarms_case ON gas_alarms (case_id);
CREATE TABLE gas_unknown (
    vendor TEXT NOT NULL,
    device_id TEXT NOT NULL,
    messages BIGINT NOT NULL,
    last_at BIGINT NOT NULL,
    last_reason TEXT NOT NULL,
    last_payload TEXT NOT NULL,
    PRIMARY KEY (vendor, device_id)
);
