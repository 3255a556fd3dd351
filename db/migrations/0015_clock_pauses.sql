-- Clock pauses name the regime they move and the basis its law allows (HIPAA 164.412, SEC
-- Item 1.05(c), state laws); GDPR, NIS2, PIPL and China's measures allow none and keep
-- running. A pause with an end ends by itself there (the scheduler records it). One row per
-- regime paused; the reason is sealed like every other reason. See docs/playbooks.md.
CREATE TABLE clock_pauses (
    incident_id bigint NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    number integer NOT NULL,
    -- NULL: every clock (a pause made before pauses named their regimes).
    regime text,
    basis text NOT NULL,
    reason text NOT NULL,
    paused_by text NOT NULL,
    since timestamptz NOT NULL,
    until timestamptz,
    ended_at timestamptz,
    ended_by text,
    PRIMARY KEY (incident_id, number),
    CHECK (until IS NULL OR until > since),
    CHECK (ended_at IS NULL OR ended_at >= since)
);
CREATE INDEX clock_pauses_to_end ON clock_pauses (until) WHERE ended_at IS NULL AND until IS NOT NULL;

-- A running pause of the old kind becomes a pause of every clock, with no end.
INSERT INTO clock_pauses (incident_id, number, regime, basis, reason, paused_by, since)
SELECT id, 1, NULL, 'unspecified', '', 'incidentd', paused_since FROM incidents WHERE paused_since IS NOT NULL;
ALTER TABLE incidents DROP COLUMN paused_since;

-- While its regime is paused, a task is neither due soon nor overdue; the far future (Date.distantFuture) for a pause
-- without an end.
ALTER TABLE tasks ADD COLUMN paused_until timestamptz;
UPDATE tasks t SET paused_until = '4001-01-01 00:00:00+00'
FROM clock_pauses p WHERE p.incident_id = t.incident_id AND p.ended_at IS NULL
  AND t.status IN ('open', 'possibly_owed');
