-- Attribute scopes (usher_core::scope) select the users whose custom
-- attribute holds one value, ignoring case. Testing the users' JSON
-- attributes reads every user of the tenant, so a scoped total or page
-- cost grew with the tenant rather than the scope. The index of who holds
-- which attribute now also keeps the value, folded with lower() (as the
-- scope's value is folded when compared), so that a scope is one range of
-- an index, as a group scope is one range of group_members. Every write
-- that changes a value keeps value_fold current.
ALTER TABLE user_attribute_index ADD COLUMN value_fold text COLLATE "C";

-- The JSON key whose lower-case form is the row's name: definitions are
-- unique ignoring case, and a user holds each under its defined name.
UPDATE user_attribute_index a
SET value_fold = lower(j.value)
FROM users u, jsonb_each_text(u.attributes) AS j (key, value)
WHERE u.key = a.user_key AND lower(j.key) = a.name_key;

CREATE INDEX user_attribute_values
    ON user_attribute_index (tenant_key, name_key, value_fold, user_key);
