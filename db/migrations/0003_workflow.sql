-- Playbook-driven workflow: every playbook version ever used, each incident's facts,
-- decisions, tasks, and the notification ledger.

-- Every playbook version that was ever used, by the SHA-256 of its source: an incident keeps
-- the exact version it started with across reloads, restarts and upgrades.
CREATE TABLE playbooks (
    digest     text        PRIMARY KEY,
    name       text        NOT NULL,
    version    text        NOT NULL,
    title      text        NOT NULL,
    source     text        NOT NULL,
    first_used timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE incidents
    ADD COLUMN facts           jsonb            NOT NULL DEFAULT '{}',
    ADD COLUMN instants        jsonb            NOT NULL DEFAULT '{}',
    ADD COLUMN gate_approved   boolean          NOT NULL DEFAULT false,
    ADD COLUMN paused_since    timestamptz,
    ADD COLUMN paused_seconds  double precision NOT NULL DEFAULT 0,
    ADD COLUMN resolution      text,
    ADD COLUMN lessons_learned text,
    ADD CONSTRAINT incidents_playbook FOREIGN KEY (playbook_digest) REFERENCES playbooks (digest);

CREATE TABLE tasks (
    incident_id  bigint      NOT NULL REFERENCES incidents (id),
    key          text        NOT NULL,
    phase        text        NOT NULL CHECK (phase IN ('report', 'investigate', 'notify')),
    status       text        NOT NULL CHECK (status IN ('open', 'done', 'skipped', 'not_applicable')),
    due_at       timestamptz,
    completed_by text,
    completed_at timestamptz,
    reason       text,
    PRIMARY KEY (incident_id, key)
);

-- The scheduler's and the status screen's question: which open tasks fall due when.
CREATE INDEX tasks_open_due ON tasks (due_at) WHERE status = 'open';

-- Decisions (notifiable, high risk, material…) with who took them, when and why:
-- GDPR Art. 33(5) and HIPAA require every assessment to be documented.
CREATE TABLE decisions (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id bigint      NOT NULL REFERENCES incidents (id),
    name        text        NOT NULL,
    value       boolean     NOT NULL,
    reason      text        NOT NULL,
    decided_by  text        NOT NULL,
    decided_at  timestamptz NOT NULL,
    task        text        NOT NULL
);

CREATE INDEX decisions_incident ON decisions (incident_id, id);

-- The notification ledger: every notification made.
CREATE TABLE notifications (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id    bigint      NOT NULL REFERENCES incidents (id),
    task           text        NOT NULL,
    kind           text        NOT NULL,
    recipient      text        NOT NULL,
    channel        text        NOT NULL,
    sent_at        timestamptz NOT NULL,
    sent_by        text        NOT NULL,
    reference      text,
    content_digest text,
    late_reason    text
);

CREATE INDEX notifications_incident ON notifications (incident_id, id);
