-- Least privilege (docs/security.md): requests are served by a runtime role that may append
-- to the audit trail but not change it, disable its triggers or own its tables. The functions
-- that keep the chain run with their owner's rights (SECURITY DEFINER, with a fixed
-- search_path), so the runtime role needs no write access to the chain's own tables; the
-- grants themselves are made by the migrator after every migration (IncidentStore's
-- RuntimeGrants), because the role's name is the operator's choice.

ALTER FUNCTION audit_log_queue_seal() SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION audit_seal(integer, boolean) SECURITY DEFINER SET search_path = public, pg_temp;

-- The chain head, signed with the daemon's Ed25519 key, which the database never sees.
-- A consistent rewrite of the chain by someone with full database access but without that
-- key no longer matches these signatures; audit verify checks them outside PostgreSQL.
CREATE TABLE audit_checkpoints (
    chain_position bigint      PRIMARY KEY,
    hash           bytea       NOT NULL,
    signed_at      timestamptz NOT NULL,
    key_id         text        NOT NULL,
    signature      bytea       NOT NULL
);

CREATE TRIGGER audit_checkpoints_append_only
    BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();

CREATE TRIGGER audit_checkpoints_no_truncate
    BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
