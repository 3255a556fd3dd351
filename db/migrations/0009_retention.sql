-- Retention: closed incidents past their retention period lose their personal data but keep
-- their skeleton (dates, phases, counts, decisions without reasons), so statistics still work.
-- A legal hold keeps an incident whole.
ALTER TABLE incidents
    ADD COLUMN legal_hold        boolean     NOT NULL DEFAULT false,
    ADD COLUMN legal_hold_reason text,
    ADD COLUMN purged_at         timestamptz;

CREATE INDEX incidents_purgeable ON incidents (closed_at) WHERE closed_at IS NOT NULL AND purged_at IS NULL AND NOT legal_hold;

-- Maintenance that must run once a day across every daemon: the row is the claim.
CREATE TABLE maintenance_runs (
    task       text        NOT NULL,
    day        date        NOT NULL,
    daemon     text        NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (task, day)
);
