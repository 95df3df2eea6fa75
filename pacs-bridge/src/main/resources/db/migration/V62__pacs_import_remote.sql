-- "Import into my PACS" of a study held by another node: the job first fetches its instances from that node
-- (state 'fetching', counted in 'fetched'), then sends them. The patient is kept on the row so that every audit
-- event about the job (a cancel request too) names them without reading the study again.
ALTER TABLE pacs_import ADD COLUMN source_node text;
ALTER TABLE pacs_import ADD COLUMN fetched integer NOT NULL DEFAULT 0;
ALTER TABLE pacs_import ADD COLUMN patient_id text;
ALTER TABLE pacs_import DROP CONSTRAINT pacs_import_state_check;
ALTER TABLE pacs_import ADD CONSTRAINT pacs_import_state_check
    CHECK (state IN ('queued', 'fetching', 'sending', 'completed', 'failed', 'cancelled'));
