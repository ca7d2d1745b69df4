-- Pictures for news articles (大美临江), uploaded by staff.
CREATE TABLE images (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    content_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    data BLOB NOT NULL,
    uploaded_by INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
ALTER TABLE articles ADD COLUMN image_id INTEGER REFERENCES images(id);
