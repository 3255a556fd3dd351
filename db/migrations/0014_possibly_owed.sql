-- A legal obligation whose condition waits on a fact not yet known (notifiable, a count) is
-- possibly owed: its clock runs and it is shown with the facts that would settle it. See
-- docs/playbooks.md.
ALTER TABLE tasks DROP CONSTRAINT tasks_status_check;
ALTER TABLE tasks ADD CONSTRAINT tasks_status_check
    CHECK (status IN ('open', 'done', 'skipped', 'not_applicable', 'possibly_owed'));
ALTER TABLE tasks ADD COLUMN undecided text[] NOT NULL DEFAULT '{}';

DROP INDEX tasks_open_due;
CREATE INDEX tasks_open_due ON tasks (due_at) WHERE status IN ('open', 'possibly_owed');
