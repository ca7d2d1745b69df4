-- Security: which categories Open311 lists without a key (and how precisely it places
-- them), what each partner key may see, and a row the health check writes to prove that
-- the writer can commit.
ALTER TABLE categories ADD COLUMN public TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN scope TEXT NOT NULL DEFAULT 'public';
CREATE TABLE writer_probe (id BIGINT PRIMARY KEY, at BIGINT NOT NULL);
-- Residents' usernames were "p" and their phone number, shown as the actor of their steps;
-- they become opaque. Residents sign in by number, looked up in the phone column.
UPDATE users SET username = 'r' || id WHERE role = 'resident' AND username LIKE 'p%';
CREATE UNIQUE INDEX users_resident_phone ON users (phone) WHERE role = 'resident';
