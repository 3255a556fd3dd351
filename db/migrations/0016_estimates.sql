-- The counts whose value is an estimate (`--set peopleAffected=~1200`): an estimate meets a
-- "likely" threshold like a figure, and the case file says it is one until a figure
-- replaces it. See docs/playbooks.md.
ALTER TABLE incidents ADD COLUMN estimated text[] NOT NULL DEFAULT '{}';
