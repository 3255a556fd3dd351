-- Automated reporters do not flood the team: while an incident with a dedup key is open,
-- further reports with that key fold into it (a counter, the latest report's time, and an
-- event with its facts) instead of filing new incidents.
ALTER TABLE incidents
    ADD COLUMN dedup_key        text,
    ADD COLUMN report_count     integer NOT NULL DEFAULT 1 CHECK (report_count >= 1),
    ADD COLUMN last_reported_at timestamptz;

-- At most one open incident per key; closed ones keep their key for the record.
CREATE UNIQUE INDEX incidents_open_dedup ON incidents (dedup_key) WHERE dedup_key IS NOT NULL AND phase <> 'closed';

-- Folded reports' idempotency keys, so a retried folded report is not counted twice.
CREATE TABLE folded_reports (
    reporter_uid    bigint      NOT NULL,
    idempotency_key text        NOT NULL,
    incident_id     bigint      NOT NULL REFERENCES incidents (id),
    folded_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reporter_uid, idempotency_key)
);
