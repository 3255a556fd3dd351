-- The audit log becomes a tamper-evident hash chain, kept by the database itself.
--
-- Writers never touch a shared row: each audit record only queues its sequence number in
-- audit_pending (a trigger does it). A sealer — one at a time across all daemons, by advisory
-- lock — periodically takes the committed pending records and links them into the chain in
-- audit_seal: each seal's hash is SHA-256 over the previous seal's hash and a canonical
-- encoding of the record. Chain order is sealing order; every committed record is sealed
-- exactly once, however late its transaction committed.
--
-- audit_log and audit_seal are append-only: UPDATE, DELETE and TRUNCATE are refused.

CREATE TABLE audit_pending (
    seq bigint PRIMARY KEY
);

CREATE FUNCTION audit_log_queue_seal() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_pending (seq) VALUES (NEW.seq);
    RETURN NULL;
END
$$;

CREATE TRIGGER audit_log_queue_seal
    AFTER INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_queue_seal();

CREATE TABLE audit_seal (
    chain_position bigint PRIMARY KEY,
    seq       bigint      NOT NULL UNIQUE,
    hash      bytea       NOT NULL,
    sealed_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TRIGGER audit_seal_append_only
    BEFORE UPDATE OR DELETE ON audit_seal
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();

CREATE TRIGGER audit_seal_no_truncate
    BEFORE TRUNCATE ON audit_seal
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

-- The canonical encoding of one record: a JSON array of every field, instants in UTC with
-- microseconds. json_build_array quotes strings, so no two records encode alike.
CREATE FUNCTION audit_canonical(r audit_log) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
    SELECT convert_to(json_build_array(
        r.seq, to_char(r.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), r.uid, r.user_name, r.pid,
        r.action, r.incident_ref, r.outcome, r.detail)::text, 'UTF8')
$$;

-- The genesis hash: what the first seal links to.
CREATE FUNCTION audit_genesis() RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
    SELECT sha256(convert_to('incidentd audit chain', 'UTF8'))
$$;

-- Seals up to `batch` committed records; returns how many. When another session is sealing
-- it returns 0 at once, or with `wait` waits for it to finish and then seals what is left.
CREATE FUNCTION audit_seal(batch integer DEFAULT 10000, wait boolean DEFAULT false) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    last_position bigint;
    last_hash bytea;
    entry audit_log;
    sealed integer := 0;
BEGIN
    IF wait THEN
        PERFORM pg_advisory_xact_lock(7305950013150002);
    ELSIF NOT pg_try_advisory_xact_lock(7305950013150002) THEN
        RETURN 0;
    END IF;
    SELECT chain_position, hash INTO last_position, last_hash FROM audit_seal ORDER BY chain_position DESC LIMIT 1;
    IF last_position IS NULL THEN
        last_position := 0;
        last_hash := audit_genesis();
    END IF;
    FOR entry IN
        WITH taken AS (
            DELETE FROM audit_pending
            WHERE seq IN (SELECT seq FROM audit_pending ORDER BY seq LIMIT batch)
            RETURNING seq
        )
        SELECT a.* FROM audit_log a JOIN taken USING (seq) ORDER BY a.seq
    LOOP
        last_position := last_position + 1;
        last_hash := sha256(last_hash || audit_canonical(entry));
        INSERT INTO audit_seal (chain_position, seq, hash) VALUES (last_position, entry.seq, last_hash);
        sealed := sealed + 1;
    END LOOP;
    RETURN sealed;
END
$$;

-- Walks the whole chain. Returns one row: how many seals verified, and for the first break
-- its chain position, the record's seq and why. Also reports committed records that are
-- neither sealed nor waiting to be (a record inserted with the queueing trigger disabled).
CREATE FUNCTION audit_verify(
    OUT verified bigint, OUT broken_position bigint, OUT broken_seq bigint, OUT reason text
) LANGUAGE plpgsql AS $$
DECLARE
    expected_position bigint := 0;
    running bytea := audit_genesis();
    seal audit_seal;
    entry audit_log;
BEGIN
    verified := 0;
    FOR seal IN SELECT * FROM audit_seal ORDER BY chain_position LOOP
        expected_position := expected_position + 1;
        IF seal.chain_position <> expected_position THEN
            broken_position := expected_position;
            broken_seq := seal.seq;
            reason := format('seal %s is missing: the chain jumps from %s to %s',
                             expected_position, expected_position - 1, seal.chain_position);
            RETURN;
        END IF;
        SELECT * INTO entry FROM audit_log WHERE seq = seal.seq;
        IF NOT FOUND THEN
            broken_position := seal.chain_position;
            broken_seq := seal.seq;
            reason := format('record %s was sealed but is gone', seal.seq);
            RETURN;
        END IF;
        running := sha256(running || audit_canonical(entry));
        IF running <> seal.hash THEN
            broken_position := seal.chain_position;
            broken_seq := seal.seq;
            reason := format('record %s does not match its seal: it was changed after sealing, '
                             'or an earlier record was', seal.seq);
            RETURN;
        END IF;
        verified := verified + 1;
    END LOOP;
    SELECT a.seq INTO broken_seq FROM audit_log a
    WHERE NOT EXISTS (SELECT 1 FROM audit_seal s WHERE s.seq = a.seq)
      AND NOT EXISTS (SELECT 1 FROM audit_pending p WHERE p.seq = a.seq)
    ORDER BY a.seq LIMIT 1;
    IF FOUND THEN
        reason := format('record %s is neither sealed nor waiting to be', broken_seq);
    END IF;
END
$$;

CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_user ON audit_log (user_name, seq);

-- Records written before the chain existed are sealed first, in their order.
INSERT INTO audit_pending (seq) SELECT seq FROM audit_log;
