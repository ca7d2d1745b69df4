-- Cases reported per local (UTC+8) day by category, channel and priority: what counts over
-- long periods read instead of scanning every case. A case's category, channel, priority
-- and report time never change, so a row only ever grows, in the transaction that stores the
-- case. Derived: a backup leaves it out and a restore rebuilds it.
CREATE TABLE case_daily (
    day BIGINT NOT NULL,
    category TEXT NOT NULL,
    source TEXT NOT NULL,
    priority TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (day, category, source, priority)
);
INSERT INTO case_daily (day, category, source, priority, n)
SELECT (created_at + 28800000) / 86400000, category, source, priority, COUNT(*)
FROM cases GROUP BY (created_at + 28800000) / 86400000, category, source, priority;
-- The ids of a period's cases, read from the index alone: statistics narrow their join with
-- the obligations to that id range (ids follow the report time, near enough).
CREATE INDEX cases_created_id ON cases(created_at, id);
