-- The patient-space index (when this node plays index for the network, which by default it does for
-- itself): one entry per study per source node, "which studies exist for this patient, and where".
-- Written only by the source nodes (PUT/DELETE /index/v1/studies/{node}/{study}); an entry with an older
-- updated_at never overwrites a newer one.
CREATE TABLE index_entry (
    source_node                text        NOT NULL,
    study_instance_uid         text        NOT NULL,
    national_id                text        NOT NULL CHECK (national_id <> ''),
    issuer                     text        NOT NULL CHECK (issuer <> ''),
    manifest_sop_instance_uid  text        NOT NULL,
    retrieve_url               text        NOT NULL,
    retrieve_ae_title          text,
    study_date                 date,
    modalities                 text[]      NOT NULL DEFAULT '{}',
    study_description          text,
    number_of_instances        integer     NOT NULL CHECK (number_of_instances >= 0),
    updated_at                 timestamptz NOT NULL,
    received_at                timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source_node, study_instance_uid)
);
CREATE INDEX index_entry_patient_idx ON index_entry (national_id, issuer, study_date DESC);

-- The source side: what this node still has to tell its index. One row per study (the latest wish
-- wins: a PUT replaces an older PUT or DELETE and the other way round); delivered in the background
-- with exponential back-off, so nothing is lost when the index is down or the node restarts. A row is
-- removed only once the index has acknowledged that version of it.
CREATE TABLE index_outbox (
    study_instance_uid text        PRIMARY KEY,
    operation          text        NOT NULL CHECK (operation IN ('PUT', 'DELETE')),
    entry              text,
    version            bigint      NOT NULL DEFAULT 1,
    attempts           integer     NOT NULL DEFAULT 0,
    next_attempt_at    timestamptz NOT NULL DEFAULT now(),
    last_error         text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    CHECK ((operation = 'PUT') = (entry IS NOT NULL))
);
CREATE INDEX index_outbox_due_idx ON index_outbox (next_attempt_at);
