-- What each incident holds, in bytes of what callers sent to it (notes, captures, reasons,
-- updates), so that one user cannot fill the database through one incident: a change that
-- would take it past `maximumIncidentBytes` is refused with TooMuchData. See docs/security.md.
ALTER TABLE incidents ADD COLUMN stored_bytes bigint NOT NULL DEFAULT 0;

UPDATE incidents i SET stored_bytes = octet_length(i.description) + octet_length(i.facts::text)
    + coalesce((SELECT sum(octet_length(e.data::text)) FROM events e WHERE e.incident_id = i.id), 0);

-- A storm of repeated events on one incident reaches each hook once a window: the outbox looks
-- up the incident's waiting delivery for the hook and event.
CREATE INDEX hook_deliveries_incident ON hook_deliveries (incident_id, hook, event, created_at);
