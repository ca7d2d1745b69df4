-- Petitions (信访): the second kind of matter. The petition itself is one JSON document
-- (domain::petition::Petition, its history included); the columns beside it are what lists,
-- repeat detection and statistics select on. Its duties are rows of `obligations`.
CREATE TABLE petitions (
    id BIGINT PRIMARY KEY,
    version INTEGER NOT NULL,
    status TEXT NOT NULL,
    class TEXT NOT NULL,
    channel TEXT NOT NULL,
    topic TEXT NOT NULL,
    grid TEXT NOT NULL,
    lat DOUBLE PRECISION,
    lng DOUBLE PRECISION,
    registered_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    closed_at BIGINT,
    officer BIGINT,
    leader BIGINT,
    reported_by BIGINT,
    reviews INTEGER NOT NULL,
    -- Personal data, for repeat detection only: ",13800138000,13900139000,".
    petitioner_phones TEXT NOT NULL,
    -- SHA-256 of the query code texted to the petitioner with the reply (to follow and
    -- rate it without an account).
    query_code_hash TEXT,
    body TEXT NOT NULL
);
CREATE UNIQUE INDEX petitions_query_code ON petitions (query_code_hash);
CREATE INDEX petitions_registered ON petitions (registered_at);
CREATE INDEX petitions_status ON petitions (status, id);
CREATE INDEX petitions_topic ON petitions (topic, registered_at);
-- A commitment carried out as an ordinary case: when the case closes, the commitment is kept.
CREATE TABLE petition_case_links (
    case_id BIGINT PRIMARY KEY,
    petition_id BIGINT NOT NULL,
    commitment INTEGER NOT NULL
);
-- Files of a matter (petition, mediation): a scanned letter, photos of a visit or a
-- session, a signature drawn on the tablet. Personal data: shown to those handling the
-- matter, each view audited.
CREATE TABLE matter_files (
    id BIGSERIAL PRIMARY KEY,
    matter_kind TEXT NOT NULL,
    matter_id BIGINT NOT NULL,
    purpose TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    data BYTEA NOT NULL,
    uploaded_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX matter_files_matter ON matter_files (matter_kind, matter_id);
