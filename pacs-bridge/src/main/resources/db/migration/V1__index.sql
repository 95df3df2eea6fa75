-- The index of stored instances (patient / study / series / instance) and the append-only audit trail.
--
-- Conventions
--   * surrogate keys (pk) are bigint identities; DICOM unique keys carry UNIQUE constraints.
--   * absent DICOM values are NULL, except patient.patient_id and patient.issuer, which are '' when
--     absent so that (patient_id, issuer) can be a plain UNIQUE key.
--   * dates are DATE; times stay DICOM TM text (HHMMSS.FFFFFF), compared as text.
--   * person names are kept exactly as received (the full DICOM PN string, all component groups),
--     with a *_norm copy (upper-case, trailing empty components removed; computed by the application)
--     that case-insensitive matching uses.
--   * columns matched with LIKE use text_pattern_ops indexes, so prefix patterns use the index
--     whatever the database collation; those indexes also serve equality.

CREATE TABLE patient (
    pk                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    patient_id        text        NOT NULL,
    issuer            text        NOT NULL DEFAULT '',
    patient_name      text,
    patient_name_norm text,
    birth_date        date,
    sex               text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT patient_id_issuer_uk UNIQUE (patient_id, issuer)
);
-- PatientID alone (without issuer), equality and prefix wildcards
CREATE INDEX patient_id_pattern_idx ON patient (patient_id text_pattern_ops);
CREATE INDEX patient_name_norm_idx ON patient (patient_name_norm text_pattern_ops);

CREATE TABLE study (
    pk                            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    patient_fk                    bigint      NOT NULL REFERENCES patient (pk),
    study_instance_uid            text        NOT NULL,
    study_date                    date,
    study_time                    text,
    accession_number              text,
    study_id                      text,
    study_description             text,
    referring_physician_name      text,
    referring_physician_name_norm text,
    created_at                    timestamptz NOT NULL DEFAULT now(),
    updated_at                    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT study_instance_uid_uk UNIQUE (study_instance_uid)
);
CREATE INDEX study_patient_fk_idx ON study (patient_fk);
CREATE INDEX study_date_idx ON study (study_date);
CREATE INDEX study_accession_number_idx ON study (accession_number text_pattern_ops);
CREATE INDEX study_referring_physician_norm_idx ON study (referring_physician_name_norm text_pattern_ops);

CREATE TABLE series (
    pk                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    study_fk            bigint      NOT NULL REFERENCES study (pk),
    series_instance_uid text        NOT NULL,
    modality            text,
    series_number       integer,
    series_description  text,
    body_part_examined  text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT series_instance_uid_uk UNIQUE (series_instance_uid)
);
-- (study_fk, modality) serves the FK, ModalitiesInStudy matching (EXISTS) and listing
CREATE INDEX series_study_fk_modality_idx ON series (study_fk, modality);
CREATE INDEX series_modality_idx ON series (modality);

CREATE TABLE instance (
    pk                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    series_fk              bigint      NOT NULL REFERENCES series (pk),
    sop_instance_uid       text        NOT NULL,
    sop_class_uid          text,
    instance_number        integer,
    number_of_frames       integer,
    pixel_rows             integer,
    pixel_columns          integer,
    transfer_syntax_uid    text        NOT NULL,
    specific_character_set text,
    blob_key               text        NOT NULL,
    blob_size              bigint      NOT NULL CHECK (blob_size >= 0),
    sha256                 text,
    dataset_offset         bigint      NOT NULL DEFAULT 0 CHECK (dataset_offset >= 0),
    source_ae              text,
    received_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT sop_instance_uid_uk UNIQUE (sop_instance_uid)
);
-- (series_fk, sop_class_uid) serves the FK, SOPClassesInStudy matching and listing
CREATE INDEX instance_series_fk_sop_class_idx ON instance (series_fk, sop_class_uid);

-- Leading-wildcard name searches ("*MULLER*") use a trigram index when pg_trgm is available
-- (it is in the embedded server and in standard PostgreSQL packages); without it they still work,
-- by scanning.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
        BEGIN
            CREATE EXTENSION IF NOT EXISTS pg_trgm;
            EXECUTE 'CREATE INDEX patient_name_norm_trgm_idx ON patient USING gin (patient_name_norm gin_trgm_ops)';
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'pg_trgm not installed (insufficient privilege): no trigram index on patient names';
        END;
    END IF;
END
$$;

-- Inserts or updates the four rows of one instance; one call is one round trip and, in autocommit,
-- one transaction. Safe under concurrent calls for the same patient/study/series (READ COMMITTED):
-- a lost insert race (ON CONFLICT DO NOTHING) is followed by a re-read with a fresh snapshot. Rows
-- are only touched in patient -> study -> series -> instance order, so concurrent calls cannot
-- deadlock. Higher-level rows are updated only when a received value differs from the stored one
-- (absent values never erase stored ones), so the steady state of ingesting a study is one read
-- per level and one insert.
--
-- An existing study stays with its patient and an existing series with its study: a conflicting
-- instance is indexed under the existing rows and the conflict is reported in the result.
CREATE FUNCTION index_upsert_instance(
    p_patient_id text, p_issuer text, p_patient_name text, p_patient_name_norm text, p_birth_date date,
    p_sex text,
    p_study_uid text, p_study_date date, p_study_time text, p_accession_number text, p_study_id text,
    p_study_description text, p_referring_name text, p_referring_name_norm text,
    p_series_uid text, p_modality text, p_series_number integer, p_series_description text,
    p_body_part text,
    p_sop_instance_uid text, p_sop_class_uid text, p_instance_number integer, p_number_of_frames integer,
    p_rows integer, p_columns integer, p_transfer_syntax_uid text, p_specific_character_set text,
    p_blob_key text, p_blob_size bigint, p_sha256 text, p_dataset_offset bigint, p_source_ae text)
    RETURNS TABLE (previous_blob_key text, study_patient_conflict boolean, series_study_conflict boolean)
    LANGUAGE plpgsql
AS $$
DECLARE
    v_patient      bigint;
    v_study        bigint;
    v_series       bigint;
    v_instance     bigint;
    v_owner        bigint;
    v_changed      boolean;
    v_old_blob_key text;
BEGIN
    previous_blob_key := NULL;
    study_patient_conflict := false;
    series_study_conflict := false;

    LOOP
        SELECT p.pk,
               (COALESCE(p_patient_name, p.patient_name), COALESCE(p_birth_date, p.birth_date),
                COALESCE(p_sex, p.sex))
                   IS DISTINCT FROM (p.patient_name, p.birth_date, p.sex)
          INTO v_patient, v_changed
          FROM patient p
         WHERE p.patient_id = p_patient_id AND p.issuer = p_issuer;
        IF FOUND THEN
            IF v_changed THEN
                UPDATE patient
                   SET patient_name = COALESCE(p_patient_name, patient_name),
                       patient_name_norm = CASE WHEN p_patient_name IS NULL THEN patient_name_norm
                                                ELSE p_patient_name_norm END,
                       birth_date = COALESCE(p_birth_date, birth_date),
                       sex = COALESCE(p_sex, sex),
                       updated_at = now()
                 WHERE pk = v_patient;
            END IF;
            EXIT;
        END IF;
        INSERT INTO patient (patient_id, issuer, patient_name, patient_name_norm, birth_date, sex)
        VALUES (p_patient_id, p_issuer, p_patient_name, p_patient_name_norm, p_birth_date, p_sex)
        ON CONFLICT (patient_id, issuer) DO NOTHING
        RETURNING pk INTO v_patient;
        EXIT WHEN FOUND;
    END LOOP;

    LOOP
        SELECT s.pk, s.patient_fk,
               (COALESCE(p_study_date, s.study_date), COALESCE(p_study_time, s.study_time),
                COALESCE(p_accession_number, s.accession_number), COALESCE(p_study_id, s.study_id),
                COALESCE(p_study_description, s.study_description),
                COALESCE(p_referring_name, s.referring_physician_name))
                   IS DISTINCT FROM (s.study_date, s.study_time, s.accession_number, s.study_id,
                                     s.study_description, s.referring_physician_name)
          INTO v_study, v_owner, v_changed
          FROM study s
         WHERE s.study_instance_uid = p_study_uid;
        IF FOUND THEN
            study_patient_conflict := v_owner <> v_patient;
            IF v_changed THEN
                UPDATE study
                   SET study_date = COALESCE(p_study_date, study_date),
                       study_time = COALESCE(p_study_time, study_time),
                       accession_number = COALESCE(p_accession_number, accession_number),
                       study_id = COALESCE(p_study_id, study_id),
                       study_description = COALESCE(p_study_description, study_description),
                       referring_physician_name = COALESCE(p_referring_name, referring_physician_name),
                       referring_physician_name_norm = CASE WHEN p_referring_name IS NULL
                                                            THEN referring_physician_name_norm
                                                            ELSE p_referring_name_norm END,
                       updated_at = now()
                 WHERE pk = v_study;
            END IF;
            EXIT;
        END IF;
        INSERT INTO study (patient_fk, study_instance_uid, study_date, study_time, accession_number, study_id,
                           study_description, referring_physician_name, referring_physician_name_norm)
        VALUES (v_patient, p_study_uid, p_study_date, p_study_time, p_accession_number, p_study_id,
                p_study_description, p_referring_name, p_referring_name_norm)
        ON CONFLICT (study_instance_uid) DO NOTHING
        RETURNING pk INTO v_study;
        EXIT WHEN FOUND;
    END LOOP;

    LOOP
        SELECT r.pk, r.study_fk,
               (COALESCE(p_modality, r.modality), COALESCE(p_series_number, r.series_number),
                COALESCE(p_series_description, r.series_description),
                COALESCE(p_body_part, r.body_part_examined))
                   IS DISTINCT FROM (r.modality, r.series_number, r.series_description, r.body_part_examined)
          INTO v_series, v_owner, v_changed
          FROM series r
         WHERE r.series_instance_uid = p_series_uid;
        IF FOUND THEN
            series_study_conflict := v_owner <> v_study;
            IF v_changed THEN
                UPDATE series
                   SET modality = COALESCE(p_modality, modality),
                       series_number = COALESCE(p_series_number, series_number),
                       series_description = COALESCE(p_series_description, series_description),
                       body_part_examined = COALESCE(p_body_part, body_part_examined),
                       updated_at = now()
                 WHERE pk = v_series;
            END IF;
            EXIT;
        END IF;
        INSERT INTO series (study_fk, series_instance_uid, modality, series_number, series_description,
                            body_part_examined)
        VALUES (v_study, p_series_uid, p_modality, p_series_number, p_series_description, p_body_part)
        ON CONFLICT (series_instance_uid) DO NOTHING
        RETURNING pk INTO v_series;
        EXIT WHEN FOUND;
    END LOOP;

    LOOP
        -- FOR UPDATE: concurrent replacements of one instance are serialised, and each reports the
        -- blob key it replaced, so every superseded blob is reported exactly once.
        SELECT i.pk, i.blob_key,
               (v_series, p_sop_class_uid, p_instance_number, p_number_of_frames, p_rows, p_columns,
                p_transfer_syntax_uid, p_specific_character_set, p_blob_key, p_blob_size, p_sha256,
                p_dataset_offset, p_source_ae)
                   IS DISTINCT FROM (i.series_fk, i.sop_class_uid, i.instance_number, i.number_of_frames,
                                     i.pixel_rows, i.pixel_columns, i.transfer_syntax_uid,
                                     i.specific_character_set, i.blob_key, i.blob_size, i.sha256,
                                     i.dataset_offset, i.source_ae)
          INTO v_instance, v_old_blob_key, v_changed
          FROM instance i
         WHERE i.sop_instance_uid = p_sop_instance_uid
           FOR UPDATE;
        IF FOUND THEN
            IF v_changed THEN
                UPDATE instance
                   SET series_fk = v_series,
                       sop_class_uid = p_sop_class_uid,
                       instance_number = p_instance_number,
                       number_of_frames = p_number_of_frames,
                       pixel_rows = p_rows,
                       pixel_columns = p_columns,
                       transfer_syntax_uid = p_transfer_syntax_uid,
                       specific_character_set = p_specific_character_set,
                       blob_key = p_blob_key,
                       blob_size = p_blob_size,
                       sha256 = p_sha256,
                       dataset_offset = p_dataset_offset,
                       source_ae = p_source_ae,
                       received_at = now()
                 WHERE pk = v_instance;
            END IF;
            IF v_old_blob_key IS DISTINCT FROM p_blob_key THEN
                previous_blob_key := v_old_blob_key;
            END IF;
            EXIT;
        END IF;
        INSERT INTO instance (series_fk, sop_instance_uid, sop_class_uid, instance_number, number_of_frames,
                              pixel_rows, pixel_columns, transfer_syntax_uid, specific_character_set, blob_key,
                              blob_size, sha256, dataset_offset, source_ae)
        VALUES (v_series, p_sop_instance_uid, p_sop_class_uid, p_instance_number, p_number_of_frames, p_rows,
                p_columns, p_transfer_syntax_uid, p_specific_character_set, p_blob_key, p_blob_size, p_sha256,
                p_dataset_offset, p_source_ae)
        ON CONFLICT (sop_instance_uid) DO NOTHING
        RETURNING pk INTO v_instance;
        EXIT WHEN FOUND;
    END LOOP;

    RETURN NEXT;
END
$$;

-- The audit trail: append-only. Rows are never updated or deleted; the triggers below make the
-- database refuse it, whoever asks (short of a superuser disabling the triggers, which is itself
-- visible in the server log).
CREATE TABLE audit_event (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_time     timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor          text        NOT NULL,
    actor_role     text,
    action         text        NOT NULL,
    channel        text,
    patient_id     text,
    study_uid      text,
    outcome        text        NOT NULL,
    detail         text,
    source_address text,
    recorded_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX audit_event_study_idx ON audit_event (study_uid, event_time DESC) WHERE study_uid IS NOT NULL;
CREATE INDEX audit_event_patient_idx ON audit_event (patient_id, event_time DESC) WHERE patient_id IS NOT NULL;
CREATE INDEX audit_event_time_idx ON audit_event (event_time);

CREATE FUNCTION audit_event_refuse_change() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_event_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change();

CREATE TRIGGER audit_event_no_truncate
    BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_change();
