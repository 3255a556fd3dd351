-- Dedup keys are scoped per reporter: a report folds only into an open incident that the
-- same reporter filed with the same key (and may still read), so knowing or guessing another
-- reporter's key reveals nothing of their incident. See docs/security.md.
DROP INDEX incidents_open_dedup;
CREATE UNIQUE INDEX incidents_open_dedup ON incidents (reporter_uid, dedup_key)
    WHERE dedup_key IS NOT NULL AND phase <> 'closed';
