-- Encryption at rest. Sensitive text is sealed by incidentd (AES-256-GCM) before it reaches
-- the database; each value is bound to its incident's uid and its field, so a ciphertext
-- copied to another row or field fails to open.
ALTER TABLE incidents ADD COLUMN uid uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE;

-- The keys values have been sealed with, by id, each with a check value that only that key
-- opens: a daemon started with a wrong or missing key file refuses to start, by name, instead
-- of failing on every read. The keys themselves never enter the database.
CREATE TABLE encryption_keys (
    id          text        PRIMARY KEY,
    check_value text        NOT NULL,
    added_at    timestamptz NOT NULL DEFAULT now()
);
