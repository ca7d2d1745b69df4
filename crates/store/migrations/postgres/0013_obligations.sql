-- Obligations: every duty with a due time, of any kind of matter (domain::obligation). A
-- case's five promises and each responder's answer move here from the deadline columns of
-- `cases`; one index on the earliest alert serves the deadline runner for every kind.
CREATE TABLE obligations (
    matter_kind TEXT NOT NULL,
    matter_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    owner TEXT NOT NULL,
    counting TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    kept_at BIGINT,
    state TEXT NOT NULL,
    ladder TEXT NOT NULL,
    level INTEGER NOT NULL,
    next_alert_at BIGINT,
    PRIMARY KEY (matter_kind, matter_id, name)
);
CREATE INDEX obligations_next_alert ON obligations (next_alert_at) WHERE next_alert_at IS NOT NULL;
-- Existing cases: their promises as they stand. Owners, counting and levels are restated by
-- the next write of each case; the alert instant goes on the close promise, which every open
-- case owes, and the server re-indexes open cases at start.
INSERT INTO obligations (matter_kind, matter_id, name, owner, counting, starts_at, due_at, kept_at, state, ladder, level, next_alert_at)
SELECT 'case', id, p.name, 'role:dispatcher', 'minutes', created_at,
    CASE p.name WHEN 'accept' THEN deadline_accept WHEN 'dispatch' THEN deadline_dispatch
        WHEN 'on_site' THEN deadline_on_site WHEN 'first_feedback' THEN deadline_first_feedback ELSE deadline_close END,
    CASE p.name WHEN 'accept' THEN accepted_at
        WHEN 'dispatch' THEN CASE WHEN dispatched_at IS NOT NULL AND contacted_at IS NOT NULL THEN GREATEST(dispatched_at, contacted_at) END
        WHEN 'on_site' THEN on_site_at WHEN 'first_feedback' THEN first_feedback_at ELSE closed_at END,
    'open', 'station_officer,dispatcher,leader', 0,
    CASE p.name WHEN 'close' THEN next_alert_at END
FROM cases CROSS JOIN (SELECT 'accept' AS name UNION ALL SELECT 'dispatch' UNION ALL SELECT 'on_site'
    UNION ALL SELECT 'first_feedback' UNION ALL SELECT 'close') p;
UPDATE obligations SET state = CASE
    WHEN kept_at IS NOT NULL THEN 'kept'
    WHEN (SELECT status FROM cases WHERE cases.id = obligations.matter_id) = 'suspended' THEN 'paused'
    WHEN (SELECT status FROM cases WHERE cases.id = obligations.matter_id) IN ('new', 'accepted', 'dispatched', 'on_site', 'in_progress') THEN 'open'
    ELSE 'dropped' END;
INSERT INTO obligations (matter_kind, matter_id, name, owner, counting, starts_at, due_at, kept_at, state, ladder, level, next_alert_at)
SELECT 'case', case_id, 'answer:' || CAST(idx AS TEXT), 'responder:' || CAST(responder_id AS TEXT), 'minutes', assigned_at, answer_by, answered_at,
    CASE WHEN answered_at IS NOT NULL THEN 'kept' WHEN status = 'active' THEN 'open' ELSE 'dropped' END,
    '', 0, NULL
FROM assignments WHERE answer_by IS NOT NULL;
DROP INDEX cases_next_alert;
ALTER TABLE cases DROP COLUMN next_alert_at;
ALTER TABLE cases DROP COLUMN deadline_accept;
ALTER TABLE cases DROP COLUMN deadline_dispatch;
ALTER TABLE cases DROP COLUMN deadline_on_site;
ALTER TABLE cases DROP COLUMN deadline_first_feedback;
ALTER TABLE cases DROP COLUMN deadline_close;
