-- Indexes for `incidentctl list` filters on a large history: each filter with the default
-- newest-first order, jurisdictions by containment, and titles by substring (trigrams; pg_trgm
-- is a trusted extension, so the database's owner may create it).
CREATE INDEX incidents_assignee ON incidents (assignee, reported_at DESC) WHERE assignee IS NOT NULL;
CREATE INDEX incidents_playbook ON incidents (playbook_name, reported_at DESC);
CREATE INDEX incidents_jurisdictions ON incidents USING gin (jurisdictions);
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX incidents_title_trgm ON incidents USING gin (title gin_trgm_ops);
