-- Pictures for news articles (大美临江), uploaded by staff.
CREATE TABLE images (
    id BIGSERIAL PRIMARY KEY,
    content_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    data BYTEA NOT NULL,
    uploaded_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
ALTER TABLE articles ADD COLUMN image_id BIGINT REFERENCES images(id);
