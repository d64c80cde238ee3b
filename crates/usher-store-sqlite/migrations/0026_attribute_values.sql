-- Attribute scopes (usher_core::scope) select the users whose custom
-- attribute has one value, ignoring case. The index of which users hold
-- which attribute now keeps the value too, case-folded as usher_fold does,
-- so that a scope's pages and exact total are ranges of one index rather
-- than a read of every user's JSON.
ALTER TABLE user_attribute_index ADD COLUMN value_fold TEXT;
UPDATE user_attribute_index SET value_fold = (
    SELECT usher_fold(j.value) FROM users u, json_each(u.attributes) j
    WHERE u.key = user_attribute_index.user_key
      AND lower(j.key) = user_attribute_index.name_key
);
CREATE INDEX user_attribute_values ON user_attribute_index (tenant_key, name_key, value_fold, user_key);
