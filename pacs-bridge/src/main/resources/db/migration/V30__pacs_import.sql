-- "Import into my PACS": a professional's request to send a study by C-STORE to an AE of their organisation.
-- One row per request, its progress updated as the instances are sent, readable from any node sharing the
-- database (the node that took the request does the sending).
CREATE TABLE pacs_import (
    id             uuid        PRIMARY KEY,
    requested_by   text        NOT NULL,
    requested_role text        NOT NULL,
    study_uid      text        NOT NULL,
    destination_ae text        NOT NULL,
    state          text        NOT NULL CHECK (state IN ('queued', 'sending', 'completed', 'failed')),
    total          integer     NOT NULL DEFAULT 0,
    completed      integer     NOT NULL DEFAULT 0,
    warning        integer     NOT NULL DEFAULT 0,
    failed         integer     NOT NULL DEFAULT 0,
    error          text,
    created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX pacs_import_requester_idx ON pacs_import (requested_by, created_at DESC);
