-- Mediations (调解): the third kind of matter. One JSON document each
-- (domain::mediation::Mediation, history included), the columns lists and statistics
-- select on beside it; duties in `obligations`.
CREATE TABLE mediations (
    id BIGINT PRIMARY KEY,
    version INTEGER NOT NULL,
    status TEXT NOT NULL,
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    grid TEXT NOT NULL,
    place TEXT,
    case_id BIGINT,
    registered_at BIGINT NOT NULL,
    concluded_at BIGINT,
    updated_at BIGINT NOT NULL,
    agreed_fen BIGINT NOT NULL,
    on_the_spot_fen BIGINT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX mediations_registered ON mediations (registered_at);
CREATE INDEX mediations_status ON mediations (status, id);
CREATE INDEX mediations_case ON mediations (case_id);
