-- Wake-ups across daemons (DESIGN.md, "Persistence"): a transaction that queues hook
-- deliveries or adds timeline events notifies, at commit, every daemon that LISTENs, so
-- their dispatchers and Watch streams run at once rather than at the next poll. Polling
-- stays as the fallback for a daemon whose listening connection is down, and for retries
-- that fall due later. One notification per statement, and PostgreSQL folds the same
-- notification sent twice in one transaction into one.
CREATE FUNCTION incidentd_wake() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(TG_ARGV[0], '');
    RETURN NULL;
END
$$;

CREATE TRIGGER hook_deliveries_wake AFTER INSERT ON hook_deliveries
    FOR EACH STATEMENT EXECUTE FUNCTION incidentd_wake('incidentd_deliveries');

CREATE TRIGGER events_wake AFTER INSERT ON events
    FOR EACH STATEMENT EXECUTE FUNCTION incidentd_wake('incidentd_events');
