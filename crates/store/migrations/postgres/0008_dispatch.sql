-- Dispatch: the skills a category needs of each force, categories sent without a dispatcher,
-- and when a responder must answer an assignment (and did).
ALTER TABLE categories ADD COLUMN skills TEXT NOT NULL DEFAULT '';
ALTER TABLE categories ADD COLUMN auto_dispatch BIGINT NOT NULL DEFAULT 0;
ALTER TABLE assignments ADD COLUMN answer_by BIGINT;
ALTER TABLE assignments ADD COLUMN answered_at BIGINT;
