-- The role a bulk process of the assign_role or remove_role action gives
-- or takes (one of the tenant's own); NULL for every other action.
ALTER TABLE bulk_processes ADD COLUMN role TEXT;
