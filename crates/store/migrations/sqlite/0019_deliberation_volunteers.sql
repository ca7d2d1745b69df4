-- Grid deliberation days (临距离) and volunteer teams.
-- Topics and resolutions are matters (one JSON document each, history included, with the
-- columns lists select on beside it; duties in `obligations`). Meetings and volunteer
-- shifts are activities (sign-up, capacity, waiting list, QR check-in) of their own kind.
CREATE TABLE topics (
    id BIGINT PRIMARY KEY,
    version INTEGER NOT NULL,
    status TEXT NOT NULL,
    community TEXT NOT NULL,
    grid TEXT NOT NULL,
    source TEXT NOT NULL,
    raised_by BIGINT NOT NULL,
    case_id BIGINT,
    petition_id BIGINT,
    meeting_id BIGINT,
    raised_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX topics_community ON topics (community, status, id);
CREATE INDEX topics_meeting ON topics (meeting_id);
CREATE TABLE resolutions (
    id BIGINT PRIMARY KEY,
    version INTEGER NOT NULL,
    status TEXT NOT NULL,
    phase TEXT NOT NULL,
    community TEXT NOT NULL,
    grid TEXT NOT NULL,
    topic_id BIGINT,
    parent_id BIGINT,
    owner BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    solved_at BIGINT,
    updated_at BIGINT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX resolutions_community ON resolutions (community, phase, id);
CREATE INDEX resolutions_parent ON resolutions (parent_id);
-- A case that carries out a step of a resolution: closing it completes the step.
CREATE TABLE resolution_case_links (
    case_id BIGINT PRIMARY KEY,
    resolution_id BIGINT NOT NULL,
    step INTEGER NOT NULL
);
-- Each community's fixed day of the month.
CREATE TABLE deliberation_days (
    community TEXT PRIMARY KEY,
    day_of_month INTEGER NOT NULL,
    minute_of_day INTEGER NOT NULL,
    place TEXT NOT NULL,
    capacity BIGINT NOT NULL
);
CREATE TABLE meetings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    community TEXT NOT NULL,
    activity_id BIGINT NOT NULL,
    starts_at BIGINT NOT NULL,
    place TEXT NOT NULL,
    minutes_status TEXT NOT NULL,
    minutes TEXT NOT NULL,
    organisations TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX meetings_community_day ON meetings (community, starts_at);
CREATE INDEX meetings_starts ON meetings (starts_at);
ALTER TABLE activities ADD COLUMN kind TEXT NOT NULL DEFAULT 'public';
ALTER TABLE activities ADD COLUMN community TEXT;
ALTER TABLE activities ADD COLUMN team_id BIGINT;
ALTER TABLE activities ADD COLUMN ends_at BIGINT;
ALTER TABLE activities ADD COLUMN lat REAL;
ALTER TABLE activities ADD COLUMN lng REAL;
ALTER TABLE activities ADD COLUMN radius_m BIGINT;
CREATE INDEX activities_team ON activities (team_id, starts_at);
CREATE INDEX activities_starts ON activities (starts_at);
ALTER TABLE signups ADD COLUMN checked_out_at BIGINT;
-- Minutes served, from check-in and check-out (capped at the shift's length).
ALTER TABLE signups ADD COLUMN minutes BIGINT;
CREATE INDEX signups_user ON signups (user_id);
CREATE TABLE volunteer_teams (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    community TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    leader_user BIGINT,
    created_at BIGINT NOT NULL
);
CREATE TABLE volunteer_members (
    team_id BIGINT NOT NULL REFERENCES volunteer_teams(id),
    user_id BIGINT NOT NULL,
    skills TEXT NOT NULL,
    joined_at BIGINT NOT NULL,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX volunteer_members_user ON volunteer_members (user_id);
-- Minutes a team leader added by hand (recorded as such, capped at the shift's length).
CREATE TABLE service_credits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    activity_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    minutes BIGINT NOT NULL,
    reason TEXT NOT NULL,
    added_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX service_credits_user ON service_credits (user_id);
-- Anti-fraud home visits (反诈入户).
CREATE TABLE volunteer_visits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL,
    team_id BIGINT,
    community TEXT NOT NULL,
    visited_at BIGINT NOT NULL,
    households BIGINT NOT NULL,
    leaflets BIGINT NOT NULL,
    note TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX volunteer_visits_user ON volunteer_visits (user_id, visited_at);
