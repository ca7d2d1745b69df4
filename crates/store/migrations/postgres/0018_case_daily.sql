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
-- A case's five promises start when it is reported (`starts_at` is the report time), so the
-- promises of a period's cases are a range of this index, read without visiting the table.
CREATE INDEX obligations_started ON obligations(matter_kind, name, starts_at, matter_id, kept_at, due_at, state);
