-- Food businesses (domain::food): one JSON document each (inspections and hazards included),
-- the columns lists, the public side and statistics select on beside it; duties (the next
-- inspection, each hazard) in `obligations`.
CREATE TABLE businesses (
    id BIGINT PRIMARY KEY,
    version INTEGER NOT NULL,
    status TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    risk TEXT NOT NULL,
    grid TEXT NOT NULL,
    lat REAL,
    lng REAL,
    licence_no TEXT NOT NULL,
    next_due BIGINT NOT NULL,
    last_inspected_at BIGINT,
    face TEXT,
    open_hazards INTEGER NOT NULL,
    updated_at BIGINT NOT NULL,
    body TEXT NOT NULL
);
CREATE UNIQUE INDEX businesses_licence ON businesses (licence_no);
CREATE INDEX businesses_due ON businesses (next_due);
CREATE INDEX businesses_grid ON businesses (grid);
-- Random draws (双随机): the seed and what it drew, published; the audit log holds the same.
CREATE TABLE food_draws (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at BIGINT NOT NULL,
    seed TEXT NOT NULL,
    n INTEGER NOT NULL,
    pairs TEXT NOT NULL,
    drawn_by BIGINT NOT NULL
);
