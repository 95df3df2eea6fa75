-- IHE Imaging Object Change Management (IOCM): instances rejected by a Key Object Selection "rejection
-- note" (titled 113001 Rejected for Quality Reasons, 113037 Rejected for Patient Safety Reasons, 113038
-- Incorrect Modality Worklist Entry or 113039 Data Retention Policy Expired).
--
-- A rejected instance's row is MOVED out of `instance` into `rejected_instance` (its bytes stay in the blob
-- store): every query path of the node reads `instance`, so none can forget to hide it and none pays for a
-- filter. A series left without instances is removed (its attributes are kept with each rejected row), so
-- counts, ModalitiesInStudy and series lists stay true. A SOP Instance UID stays rejected for good: ingest
-- refuses it (index_store_instance), whether it had arrived before its rejection or not.

-- Each rejection note received (the note itself is stored and indexed like any instance).
CREATE TABLE rejection_note (
    pk                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sop_instance_uid   text        NOT NULL UNIQUE,
    study_instance_uid text        NOT NULL,
    code_value         text        NOT NULL,
    coding_scheme      text        NOT NULL,
    code_meaning       text        NOT NULL,
    actor              text        NOT NULL,
    channel            text        NOT NULL,
    source_address     text,
    received_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rejection_note_study_idx ON rejection_note (study_instance_uid);

CREATE TABLE rejected_instance (
    sop_instance_uid    text        PRIMARY KEY,
    note_fk             bigint      NOT NULL REFERENCES rejection_note (pk),
    study_instance_uid  text        NOT NULL,
    series_instance_uid text        NOT NULL,
    sop_class_uid       text,
    rejected_at         timestamptz NOT NULL DEFAULT now(),
    -- the instance and series rows as they were indexed, and where the bytes are; NULL when the instance
    -- was rejected before it arrived (it is then refused when it does)
    blob_key            text,
    indexed             jsonb
);
CREATE INDEX rejected_instance_study_idx ON rejected_instance (study_instance_uid);
CREATE INDEX rejected_instance_note_idx ON rejected_instance (note_fk);

-- Ingest's entry point: index_upsert_instance, unless the SOP Instance UID was rejected (then nothing is
-- written and rejected_note names the rejection note). The advisory lock on the UID serialises this with
-- index_reject_instances, so an instance being stored while it is rejected cannot reappear.
CREATE FUNCTION index_store_instance(
    p_patient_id text, p_issuer text, p_patient_name text, p_patient_name_norm text, p_birth_date date,
    p_sex text,
    p_study_uid text, p_study_date date, p_study_time text, p_accession_number text, p_study_id text,
    p_study_description text, p_referring_name text, p_referring_name_norm text,
    p_series_uid text, p_modality text, p_series_number integer, p_series_description text,
    p_body_part text,
    p_sop_instance_uid text, p_sop_class_uid text, p_instance_number integer, p_number_of_frames integer,
    p_rows integer, p_columns integer, p_transfer_syntax_uid text, p_specific_character_set text,
    p_blob_key text, p_blob_size bigint, p_sha256 text, p_dataset_offset bigint, p_source_ae text)
    RETURNS TABLE (previous_blob_key text, study_patient_conflict boolean, series_study_conflict boolean,
                   rejected_note text, rejected_reason text, rejected_at timestamptz, rejected_blob_key text)
    LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(p_sop_instance_uid, 0));
    SELECT n.sop_instance_uid, n.code_value || ' ' || n.code_meaning, r.rejected_at, r.blob_key
      INTO rejected_note, rejected_reason, rejected_at, rejected_blob_key
      FROM rejected_instance r JOIN rejection_note n ON n.pk = r.note_fk
     WHERE r.sop_instance_uid = p_sop_instance_uid;
    IF FOUND THEN
        RETURN NEXT;
        RETURN;
    END IF;
    SELECT u.previous_blob_key, u.study_patient_conflict, u.series_study_conflict
      INTO previous_blob_key, study_patient_conflict, series_study_conflict
      FROM index_upsert_instance(p_patient_id, p_issuer, p_patient_name, p_patient_name_norm, p_birth_date, p_sex,
               p_study_uid, p_study_date, p_study_time, p_accession_number, p_study_id, p_study_description,
               p_referring_name, p_referring_name_norm, p_series_uid, p_modality, p_series_number,
               p_series_description, p_body_part, p_sop_instance_uid, p_sop_class_uid, p_instance_number,
               p_number_of_frames, p_rows, p_columns, p_transfer_syntax_uid, p_specific_character_set, p_blob_key,
               p_blob_size, p_sha256, p_dataset_offset, p_source_ae) u;
    RETURN NEXT;
END
$$;

-- Applies a rejection note (already stored and indexed as an instance) in one transaction: records it once,
-- then for each referenced instance (locks taken in UID order, so concurrent notes cannot deadlock):
--   'rejected'      its row moved to rejected_instance,
--   'not-received'  not here yet: recorded, so that it is refused when it comes,
--   'already'       rejected before (the first rejection stands),
--   'other-study'   indexed in another study than the note's: left alone,
--   'not-rejectable' a rejection note, or an object the node derived itself (source starting with
--                   p_own_source_prefix, e.g. the study's manifest, which is rebuilt instead).
-- Series left empty are removed. Idempotent: the same note applied twice changes nothing the second time.
CREATE FUNCTION index_reject_instances(
    p_note_uid text, p_study_uid text, p_code_value text, p_coding_scheme text, p_code_meaning text,
    p_actor text, p_channel text, p_source_address text,
    p_series_uids text[], p_sop_class_uids text[], p_sop_instance_uids text[], p_own_source_prefix text)
    RETURNS TABLE (sop_instance_uid text, outcome text)
    LANGUAGE plpgsql
AS $$
DECLARE
    v_note     bigint;
    v_ref      record;
    v_instance record;
BEGIN
    INSERT INTO rejection_note (sop_instance_uid, study_instance_uid, code_value, coding_scheme, code_meaning,
                                actor, channel, source_address)
    VALUES (p_note_uid, p_study_uid, p_code_value, p_coding_scheme, p_code_meaning, p_actor, p_channel,
            p_source_address)
    ON CONFLICT ON CONSTRAINT rejection_note_sop_instance_uid_key DO NOTHING;
    SELECT n.pk INTO v_note FROM rejection_note n WHERE n.sop_instance_uid = p_note_uid;

    FOR v_ref IN
        SELECT DISTINCT ON (x.sop) x.sop, x.series, x.sop_class
          FROM unnest(p_sop_instance_uids, p_series_uids, p_sop_class_uids) AS x (sop, series, sop_class)
         ORDER BY x.sop
    LOOP
        sop_instance_uid := v_ref.sop;
        PERFORM pg_advisory_xact_lock(hashtextextended(v_ref.sop, 0));
        IF EXISTS (SELECT 1 FROM rejected_instance r WHERE r.sop_instance_uid = v_ref.sop) THEN
            outcome := 'already';
            RETURN NEXT;
            CONTINUE;
        END IF;
        SELECT i.pk, i.blob_key, i.source_ae, st.study_instance_uid, se.series_instance_uid, i.sop_class_uid,
               to_jsonb(i) - 'pk' - 'series_fk'
                   || jsonb_build_object('series', to_jsonb(se) - 'pk' - 'study_fk') AS indexed
          INTO v_instance
          FROM instance i JOIN series se ON se.pk = i.series_fk JOIN study st ON st.pk = se.study_fk
         WHERE i.sop_instance_uid = v_ref.sop
           FOR UPDATE OF i;
        IF NOT FOUND THEN
            INSERT INTO rejected_instance (sop_instance_uid, note_fk, study_instance_uid, series_instance_uid,
                                           sop_class_uid)
            VALUES (v_ref.sop, v_note, p_study_uid, v_ref.series, v_ref.sop_class);
            outcome := 'not-received';
        ELSIF v_instance.study_instance_uid <> p_study_uid THEN
            outcome := 'other-study';
        ELSIF starts_with(coalesce(v_instance.source_ae, ''), p_own_source_prefix)
              OR EXISTS (SELECT 1 FROM rejection_note n WHERE n.sop_instance_uid = v_ref.sop) THEN
            outcome := 'not-rejectable';
        ELSE
            INSERT INTO rejected_instance (sop_instance_uid, note_fk, study_instance_uid, series_instance_uid,
                                           sop_class_uid, blob_key, indexed)
            VALUES (v_ref.sop, v_note, p_study_uid, v_instance.series_instance_uid, v_instance.sop_class_uid,
                    v_instance.blob_key, v_instance.indexed);
            DELETE FROM instance i WHERE i.pk = v_instance.pk;
            outcome := 'rejected';
        END IF;
        RETURN NEXT;
    END LOOP;

    DELETE FROM series se
     USING study st
     WHERE st.pk = se.study_fk AND st.study_instance_uid = p_study_uid
       AND NOT EXISTS (SELECT 1 FROM instance i WHERE i.series_fk = se.pk);
END
$$;

-- Removes one instance's row (a derived object the node built itself, such as a withdrawn study's
-- manifest), and its series when that is left empty; returns the blob key it had, for the caller to delete.
CREATE FUNCTION index_remove_instance(p_sop_instance_uid text)
    RETURNS text
    LANGUAGE plpgsql
AS $$
DECLARE
    v_series   bigint;
    v_blob_key text;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(p_sop_instance_uid, 0));
    DELETE FROM instance i WHERE i.sop_instance_uid = p_sop_instance_uid
    RETURNING i.series_fk, i.blob_key INTO v_series, v_blob_key;
    IF FOUND THEN
        DELETE FROM series se WHERE se.pk = v_series
           AND NOT EXISTS (SELECT 1 FROM instance i WHERE i.series_fk = v_series);
    END IF;
    RETURN v_blob_key;
END
$$;
