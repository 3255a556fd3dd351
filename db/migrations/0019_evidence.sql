-- Evidence files (docs/evidence.md). `evidence` holds each file's manifest, `evidence_chunks`
-- its content in chunks of at most 256 KiB, each sealed with AES-256-GCM under its evidence
-- and position. An upload in progress is a row whose stored_at is NULL: invisible to every
-- read, and deleted with its chunks once nothing arrived for the upload timeout. The name and
-- description are sealed like every free text; the hash, size and dates stay when retention
-- purges the content.
CREATE TABLE evidence (
    id          bigserial PRIMARY KEY,
    uid         uuid NOT NULL UNIQUE,
    incident_id bigint NOT NULL REFERENCES incidents (id),
    -- E1, E2, … within the incident, given when the upload is committed.
    number      integer,
    name        text NOT NULL,
    description text,
    kind        text NOT NULL CHECK (kind IN ('email', 'log', 'screenshot', 'document', 'other')),
    media_type  text NOT NULL DEFAULT 'application/octet-stream',
    -- The size the upload announced (NULL: not known, as for standard input); once stored,
    -- the size of the content.
    size        bigint CHECK (size >= 0),
    received    bigint NOT NULL DEFAULT 0,
    chunk_count integer NOT NULL DEFAULT 0,
    sha256      text,
    added_uid   bigint NOT NULL,
    added_by    text NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    touched_at  timestamptz NOT NULL DEFAULT now(),
    stored_at   timestamptz,
    purged_at   timestamptz,
    UNIQUE (incident_id, number),
    CHECK ((stored_at IS NULL) = (number IS NULL)),
    CHECK (stored_at IS NULL OR (sha256 IS NOT NULL AND size IS NOT NULL))
);
CREATE INDEX evidence_by_incident ON evidence (incident_id) WHERE stored_at IS NOT NULL;
CREATE INDEX evidence_uploads ON evidence (touched_at) WHERE stored_at IS NULL;

CREATE TABLE evidence_chunks (
    evidence_id bigint NOT NULL REFERENCES evidence (id) ON DELETE CASCADE,
    position    integer NOT NULL CHECK (position >= 0),
    -- The key the chunk is sealed under; NULL when encryption at rest is off (benchmarks).
    key_id      text,
    data        bytea NOT NULL,
    PRIMARY KEY (evidence_id, position)
);
-- Sealed bytes do not compress: store them without trying.
ALTER TABLE evidence_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
