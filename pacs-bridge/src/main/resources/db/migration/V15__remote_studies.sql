-- Studies held by other nodes that this node found in the patient-space index (the consumer side of
-- sharing): where to retrieve each one, so that a viewer or a PACS asking this node for it by its
-- StudyInstanceUID alone is served through this node. Refreshed by every index lookup that returns the
-- study; access is still decided by the source node on every request (this table grants nothing).
CREATE TABLE remote_study (
    study_uid        text        PRIMARY KEY,
    source_node      text        NOT NULL,
    retrieve_url     text        NOT NULL,
    retrieve_ae      text,
    national_id      text        NOT NULL,
    national_issuer  text        NOT NULL,
    manifest_uid     text,
    index_updated_at timestamptz,
    seen_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX remote_study_patient_idx ON remote_study (national_id, national_issuer);
