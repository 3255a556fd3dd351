-- Hooks a receiver asked to stop calling (a webhook answered 410 Gone). Every daemon stops
-- claiming their deliveries, which wait as pending until an admin enables the hook again.
CREATE TABLE disabled_hooks (
    hook        text        PRIMARY KEY,
    reason      text        NOT NULL,
    disabled_at timestamptz NOT NULL DEFAULT now()
);
