-- The status screen's counts of open incidents by phase and severity, kept as they change so
-- Status costs the same at a million incidents as at ten, instead of counting every open one.
--
-- Each change appends a delta row (+1, -1): concurrent reports never wait on a shared counter
-- row. The scheduler folds the deltas into one row per (phase, severity, restricted) now and
-- then (IncidentStore.foldOpenCounts); the true count is always the sum.
CREATE TABLE open_incident_counts (
    phase      text    NOT NULL,
    severity   text    NOT NULL,
    restricted boolean NOT NULL,
    n          bigint  NOT NULL
);

CREATE FUNCTION open_incident_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.phase = NEW.phase AND OLD.severity = NEW.severity
        AND OLD.restricted = NEW.restricted THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.phase <> 'closed' THEN
        INSERT INTO open_incident_counts VALUES (OLD.phase, OLD.severity, OLD.restricted, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.phase <> 'closed' THEN
        INSERT INTO open_incident_counts VALUES (NEW.phase, NEW.severity, NEW.restricted, 1);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER open_incident_counts_track
    AFTER INSERT OR UPDATE OF phase, severity, restricted OR DELETE ON incidents
    FOR EACH ROW EXECUTE FUNCTION open_incident_counts_track();

-- Bulk loads that bypass row triggers (TRUNCATE) start the counts again.
CREATE FUNCTION open_incident_counts_reset() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM open_incident_counts;
    RETURN NULL;
END $$;

CREATE TRIGGER open_incident_counts_reset AFTER TRUNCATE ON incidents
    FOR EACH STATEMENT EXECUTE FUNCTION open_incident_counts_reset();

INSERT INTO open_incident_counts
SELECT phase, severity, restricted, count(*) FROM incidents WHERE phase <> 'closed' GROUP BY 1, 2, 3;
