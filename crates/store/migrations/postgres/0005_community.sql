-- 临灵通 community: news (大美临江) and service guides (工具箱) published by staff, neighbour
-- mutual-help posts (邻里互助) with abuse reports, public activities with sign-up and check-in.
CREATE TABLE articles (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    documents TEXT NOT NULL,
    office_hours TEXT NOT NULL,
    phone TEXT NOT NULL,
    author BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE posts (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    topic TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    author BIGINT NOT NULL,
    status TEXT NOT NULL,
    reports BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE post_reports (
    post_id BIGINT NOT NULL REFERENCES posts(id),
    user_id BIGINT NOT NULL,
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (post_id, user_id)
);
CREATE TABLE activities (
    id BIGSERIAL PRIMARY KEY,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    place TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    capacity BIGINT NOT NULL,
    checkin_code TEXT NOT NULL,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE signups (
    activity_id BIGINT NOT NULL REFERENCES activities(id),
    user_id BIGINT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    checked_in_at BIGINT,
    PRIMARY KEY (activity_id, user_id)
);
