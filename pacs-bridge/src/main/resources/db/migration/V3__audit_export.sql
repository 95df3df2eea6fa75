-- Where the export of the audit trail to an external audit repository (syslog, IHE ATNA) has got to:
-- the id of the last audit_event sent. One row per exporter; the exporting node holds its row locked
-- while it sends, so several nodes sharing this database export each event once (at least once after a
-- failure: a batch whose sending failed is sent again).
CREATE TABLE audit_export_position (
    exporter    text        PRIMARY KEY,
    last_id     bigint      NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
