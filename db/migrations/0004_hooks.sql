-- Notification hooks: a transactional outbox and the scheduler's memory.

-- One row per (event, hook): inserted in the same transaction as the change that caused the
-- event, so a crash can delay a notification but never lose it. Dispatchers claim due rows
-- with FOR UPDATE SKIP LOCKED under a lease that expires if their daemon dies.
CREATE TABLE hook_deliveries (
    id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    incident_id     bigint      REFERENCES incidents (id),
    hook            text        NOT NULL,
    event           text        NOT NULL,
    payload         jsonb       NOT NULL,
    state           text        NOT NULL DEFAULT 'pending'
                                CHECK (state IN ('pending', 'running', 'delivered', 'dead')),
    attempts        integer     NOT NULL DEFAULT 0,
    max_attempts    integer     NOT NULL,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    lease_until     timestamptz,
    leased_by       text,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz
);

CREATE INDEX hook_deliveries_due ON hook_deliveries (next_attempt_at) WHERE state IN ('pending', 'running');
CREATE INDEX hook_deliveries_state ON hook_deliveries (state, created_at);

-- Every attempt, with what the hook printed (up to a limit).
CREATE TABLE hook_attempts (
    delivery_id uuid        NOT NULL REFERENCES hook_deliveries (id),
    attempt     integer     NOT NULL,
    daemon      text        NOT NULL,
    started_at  timestamptz NOT NULL,
    finished_at timestamptz NOT NULL,
    outcome     text        NOT NULL,
    output      text        NOT NULL DEFAULT '',
    PRIMARY KEY (delivery_id, attempt)
);

-- Due-soon and overdue alerts fire exactly once per task, threshold and deadline, whatever
-- the number of daemons and restarts: the primary key is the memory.
CREATE TABLE task_alerts (
    incident_id bigint      NOT NULL REFERENCES incidents (id),
    task        text        NOT NULL,
    threshold   text        NOT NULL CHECK (threshold IN ('due_soon', 'overdue')),
    due_at      timestamptz NOT NULL,
    fired_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (incident_id, task, threshold, due_at)
);
