-- The patient space: national identities, the local PatientIDs linked to them, and the patient's
-- decisions (hidden studies, blocked professionals, share links, guardians and trusted persons) and
-- emergency ("break the glass") grants.
--
-- Conventions (as in V1): local patients are named by (patient_id, issuer) text, '' for an absent
-- issuer, exactly as in patient.patient_id / patient.issuer. Links are keyed by that text, not by
-- patient.pk, so that a link may be made before the first study of that local patient arrives.

-- One row per person: a national health identifier and the OID of its assigning authority
-- (e.g. French INS-NIR, 1.2.250.1.213.1.4.8).
CREATE TABLE national_identity (
    pk          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    national_id text        NOT NULL CHECK (national_id <> ''),
    issuer      text        NOT NULL CHECK (issuer <> ''),
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT national_identity_uk UNIQUE (national_id, issuer)
);

-- A local PatientID (+ IssuerOfPatientID) belongs to at most one person. A data set claiming
-- another person for an already linked local patient does not move the link: it is recorded in
-- identity_conflict for reconciliation.
CREATE TABLE patient_link (
    local_patient_id text        NOT NULL,
    local_issuer     text        NOT NULL,
    identity_fk      bigint      NOT NULL REFERENCES national_identity (pk),
    origin           text        NOT NULL CHECK (origin IN ('dataset', 'api')),
    linked_by        text,
    linked_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (local_patient_id, local_issuer)
);
CREATE INDEX patient_link_identity_idx ON patient_link (identity_fk);

CREATE TABLE identity_conflict (
    pk               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    local_patient_id text        NOT NULL,
    local_issuer     text        NOT NULL,
    claimed_fk       bigint      NOT NULL REFERENCES national_identity (pk),
    study_uid        text,
    source           text,
    seen_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX identity_conflict_local_idx ON identity_conflict (local_patient_id, local_issuer);

-- Studies the patient hid from professionals (the patient still sees them).
CREATE TABLE hidden_study (
    identity_fk bigint      NOT NULL REFERENCES national_identity (pk),
    study_uid   text        NOT NULL,
    hidden_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (identity_fk, study_uid)
);

-- Professionals (by their professional identifier, e.g. RPPS) the patient refused.
CREATE TABLE blocked_professional (
    identity_fk     bigint      NOT NULL REFERENCES national_identity (pk),
    professional_id text        NOT NULL,
    blocked_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (identity_fk, professional_id)
);

-- Time-limited, revocable links to one study. Only the SHA-256 of the secret is kept.
CREATE TABLE share_link (
    id           text        PRIMARY KEY,
    token_sha256 text        NOT NULL UNIQUE,
    identity_fk  bigint      NOT NULL REFERENCES national_identity (pk),
    study_uid    text        NOT NULL,
    created_by   text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    CHECK (expires_at > created_at)
);
CREATE INDEX share_link_identity_idx ON share_link (identity_fk);

-- Who may act for a person: a guardian for an attached minor (effective once confirmed by the
-- site), a trusted person designated by the patient (may see the patient's studies).
CREATE TABLE delegation (
    identity_fk  bigint      NOT NULL REFERENCES national_identity (pk),
    delegate_fk  bigint      NOT NULL REFERENCES national_identity (pk),
    kind         text        NOT NULL CHECK (kind IN ('guardian', 'trusted')),
    created_by   text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    confirmed_by text,
    confirmed_at timestamptz,
    PRIMARY KEY (identity_fk, delegate_fk, kind),
    CHECK (identity_fk <> delegate_fk)
);
CREATE INDEX delegation_delegate_idx ON delegation (delegate_fk);

-- Emergency access: a professional, a patient, a reason, a limited time. Never updated nor deleted
-- (the patient's history shows each one).
CREATE TABLE break_glass (
    pk              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    identity_fk     bigint      NOT NULL REFERENCES national_identity (pk),
    professional_id text        NOT NULL,
    reason          text        NOT NULL CHECK (btrim(reason) <> ''),
    granted_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    source_address  text,
    CHECK (expires_at > granted_at)
);
CREATE INDEX break_glass_lookup_idx ON break_glass (identity_fk, professional_id, expires_at);

CREATE FUNCTION break_glass_refuse_change() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    RAISE EXCEPTION 'break_glass is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER break_glass_no_update_delete
    BEFORE UPDATE OR DELETE ON break_glass
    FOR EACH ROW EXECUTE FUNCTION break_glass_refuse_change();
CREATE TRIGGER break_glass_no_truncate
    BEFORE TRUNCATE ON break_glass
    FOR EACH STATEMENT EXECUTE FUNCTION break_glass_refuse_change();
