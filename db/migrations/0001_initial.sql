-- incidentd schema, version 1: incidents, their timeline, the audit log.
-- Applied by incidentd at start-up inside one transaction under an advisory lock;
-- schema_migrations is created by the runner itself.

CREATE SEQUENCE incident_number;

CREATE TABLE incidents (
    id                bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reference         text        NOT NULL UNIQUE,
    title             text        NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description       text        NOT NULL,
    phase             text        NOT NULL DEFAULT 'report'
                                  CHECK (phase IN ('report', 'investigate', 'notify', 'closed')),
    severity          text        NOT NULL DEFAULT 'untriaged'
                                  CHECK (severity IN ('untriaged', 'low', 'medium', 'high', 'critical')),
    category          text,
    data_categories   text[]      NOT NULL DEFAULT '{}',
    people_affected   bigint      CHECK (people_affected >= 0),
    records_affected  bigint      CHECK (records_affected >= 0),
    jurisdictions     text[]      NOT NULL DEFAULT '{}',
    reporter_uid      bigint      NOT NULL,
    reporter_name     text        NOT NULL,
    assignee          text,
    restricted        boolean     NOT NULL DEFAULT false,
    -- The playbook the incident started with (filled in once playbooks drive the workflow).
    playbook_name     text,
    playbook_version  text,
    playbook_digest   text,
    reported_at       timestamptz NOT NULL DEFAULT now(),
    aware_at          timestamptz NOT NULL,
    discovered_at     timestamptz,
    phase_entered_at  timestamptz NOT NULL DEFAULT now(),
    closed_at         timestamptz,
    idempotency_key   text,
    version           integer     NOT NULL DEFAULT 1,
    -- One key per reporter: the same key never files a second incident, and nobody can
    -- fetch another reporter's incident by guessing their key.
    UNIQUE (reporter_uid, idempotency_key)
);

CREATE INDEX incidents_reported_at ON incidents (reported_at DESC, id DESC);
CREATE INDEX incidents_open ON incidents (phase, severity) WHERE phase <> 'closed';
CREATE INDEX incidents_reporter ON incidents (reporter_uid, reported_at DESC);

-- The incident's timeline: what happened, when, by whom.
CREATE TABLE events (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id  bigint      NOT NULL REFERENCES incidents (id),
    at           timestamptz NOT NULL DEFAULT now(),
    kind         text        NOT NULL,
    actor_uid    bigint,
    actor_name   text,
    data         jsonb       NOT NULL DEFAULT '{}'
);

CREATE INDEX events_incident ON events (incident_id, id);

-- Every call, including reads and denials. Append-only: the hash columns are filled in
-- when records are sealed into the chain; UPDATE and DELETE are refused below.
CREATE TABLE audit_log (
    seq          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    uid          bigint      NOT NULL,
    user_name    text        NOT NULL,
    pid          integer     NOT NULL,
    action       text        NOT NULL,
    incident_ref text,
    outcome      text        NOT NULL,
    detail       text        NOT NULL DEFAULT ''
);

CREATE INDEX audit_log_incident ON audit_log (incident_ref, seq) WHERE incident_ref IS NOT NULL;

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();

CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
