-- MySQL/MariaDB form of the SQLite migration of the same number
-- (derived by tools/derive_migrations.py).
-- Stacks and components become writable.
--
-- A stack's description may be cleared: the reference stores the null an
-- update sends, and answers it. (Rebuilt as a new column: SQLite cannot
-- drop a NOT NULL constraint in place.)
ALTER TABLE stacks ADD COLUMN description_text LONGTEXT;
UPDATE stacks SET description_text = description;
ALTER TABLE stacks DROP COLUMN description;
ALTER TABLE stacks RENAME COLUMN description_text TO description;

-- A stack shows its components as the reference does: first each type's
-- default (the first component the request listed under that type, which
-- the reference orders by that type's name), then the others in the order
-- they were listed.
ALTER TABLE stack_components ADD COLUMN default_for_type VARCHAR(64);
ALTER TABLE stack_components ADD COLUMN list_index INTEGER NOT NULL DEFAULT 0;
UPDATE stack_components SET default_for_type = (SELECT c.type FROM components c WHERE c.id = stack_components.component_id);
