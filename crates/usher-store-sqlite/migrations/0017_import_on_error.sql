-- What a bad row does to the rest of an import: skip_row (the default for
-- new imports), fail_batch (what every import before this did) or
-- fail_file.
ALTER TABLE imports ADD COLUMN on_error TEXT NOT NULL DEFAULT 'fail_batch';
