-- Audit events kept in the node's local spool during a database outage carry an id of their own, written with
-- them: a replay cut short by a crash writes the same events again, and the database keeps each one once.
-- Events written directly have none (the partial unique index leaves them out).
ALTER TABLE audit_event ADD COLUMN IF NOT EXISTS spool_id uuid;
CREATE UNIQUE INDEX IF NOT EXISTS audit_event_spool_id_idx ON audit_event (spool_id) WHERE spool_id IS NOT NULL;
