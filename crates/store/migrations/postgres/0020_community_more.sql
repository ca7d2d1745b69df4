-- 邻里互助 posts say where and when help is needed, and neighbours answer them; articles can
-- be taken down (unpublished) and put back.
ALTER TABLE posts ADD COLUMN place TEXT NOT NULL DEFAULT '';
ALTER TABLE posts ADD COLUMN needed_at BIGINT;
CREATE TABLE post_responses (
    post_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    note TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (post_id, user_id)
);
ALTER TABLE articles ADD COLUMN published BIGINT NOT NULL DEFAULT 1;
