-- The status screen's counts of open incidents by phase and severity, kept as they change so
-- Status costs the same at a million incidents as at ten, instead of counting every open one.
--
-- Each change appends delta rows (+n, -n): concurrent reports never wait on a shared counter
-- row. The scheduler folds the deltas into one row per (phase, severity, restricted) now and
-- then (IncidentStore.foldOpenCounts); the true count is always the sum.
CREATE TABLE open_incident_counts (
    phase      text    NOT NULL,
    severity   text    NOT NULL,
    restricted boolean NOT NULL,
    n          bigint  NOT NULL
);

-- Statement-level triggers with transition tables: a statement adds at most one delta row per
-- (phase, severity, restricted) it changed, however many incidents it touched, so a bulk load
-- of a million incidents adds a handful of rows, not two hundred thousand.
CREATE FUNCTION open_incident_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO open_incident_counts
        SELECT phase, severity, restricted, count(*) FROM new_rows WHERE phase <> 'closed' GROUP BY 1, 2, 3;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO open_incident_counts
        SELECT phase, severity, restricted, -count(*) FROM old_rows WHERE phase <> 'closed' GROUP BY 1, 2, 3;
    ELSE
        -- An unchanged row adds one and takes one away: only real moves remain.
        INSERT INTO open_incident_counts
        SELECT phase, severity, restricted, sum(n) FROM (
            SELECT phase, severity, restricted, -1 AS n FROM old_rows WHERE phase <> 'closed'
            UNION ALL
            SELECT phase, severity, restricted, 1 FROM new_rows WHERE phase <> 'closed'
        ) moves
        GROUP BY 1, 2, 3 HAVING sum(n) <> 0;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER open_incident_counts_inserted AFTER INSERT ON incidents
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION open_incident_counts_track();
CREATE TRIGGER open_incident_counts_updated AFTER UPDATE ON incidents
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION open_incident_counts_track();
CREATE TRIGGER open_incident_counts_deleted AFTER DELETE ON incidents
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION open_incident_counts_track();

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
