-- A responder holds at most one current assignment: two dispatchers (or two nodes) can never
-- send one person to two cases at once. The writer checks first and answers a conflict; this
-- index is the backstop.
CREATE UNIQUE INDEX assignments_one_current ON assignments(responder_id) WHERE status IN ('active', 'arrived');
