-- Rows of an import that name a stored user and would not change it are
-- counted apart, and nothing is written for them.
ALTER TABLE imports ADD COLUMN unchanged bigint NOT NULL DEFAULT 0;
