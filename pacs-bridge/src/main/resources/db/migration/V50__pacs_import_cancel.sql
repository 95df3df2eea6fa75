-- "Import into my PACS" can be cancelled by its requester: the request is recorded on the row (any node sharing
-- the database may receive it), the node sending the job sees it after its current instance and stops there.
ALTER TABLE pacs_import ADD COLUMN cancel_requested_at timestamptz;
ALTER TABLE pacs_import DROP CONSTRAINT pacs_import_state_check;
ALTER TABLE pacs_import ADD CONSTRAINT pacs_import_state_check
    CHECK (state IN ('queued', 'sending', 'completed', 'failed', 'cancelled'));
