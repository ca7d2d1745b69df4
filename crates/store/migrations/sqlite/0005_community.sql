-- 临灵通 community: news (大美临江) and service guides (工具箱) published by staff, neighbour
-- mutual-help posts (邻里互助) with abuse reports, public activities with sign-up and check-in.
CREATE TABLE articles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    documents TEXT NOT NULL,
    office_hours TEXT NOT NULL,
    phone TEXT NOT NULL,
    author INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE posts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    topic TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    author INTEGER NOT NULL,
    status TEXT NOT NULL,
    reports INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE post_reports (
    post_id INTEGER NOT NULL REFERENCES posts(id),
    user_id INTEGER NOT NULL,
    reason TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (post_id, user_id)
);
CREATE TABLE activities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    place TEXT NOT NULL,
    starts_at INTEGER NOT NULL,
    capacity INTEGER NOT NULL,
    checkin_code TEXT NOT NULL,
    created_by INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE signups (
    activity_id INTEGER NOT NULL REFERENCES activities(id),
    user_id INTEGER NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    checked_in_at INTEGER,
    PRIMARY KEY (activity_id, user_id)
);
