-- Which studies the manifest builder looks at: those with an instance its last manifest did not see
-- (awaits_derived, V63), found through a partial index, instead of a pass over every instance of the archive at
-- each poll (about 1 s per poll at a million instances, growing with the archive).
CREATE INDEX instance_awaits_derived_idx ON instance (series_fk) WHERE awaits_derived;

-- An instance sent again with other content (another series, other attributes: the upsert then sets its
-- received_at) awaits the next manifest again.
CREATE FUNCTION instance_changed_awaits_derived() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.awaits_derived := true;
    RETURN NEW;
END
$$;
CREATE TRIGGER instance_changed_awaits_derived BEFORE UPDATE OF received_at ON instance
    FOR EACH ROW WHEN (OLD.received_at IS DISTINCT FROM NEW.received_at)
    EXECUTE FUNCTION instance_changed_awaits_derived();

-- Rows from before V63 keep awaits_derived false; the studies among them that changed after their last manifest
-- (instances received or rejected since, or no manifest at all) get one row marked, so that the builder finds them.
-- 'imaging-node:manifest' is ManifestService.SOURCE, the source AE of the node's own manifests.
UPDATE instance SET awaits_derived = true
 WHERE pk IN (
    SELECT max(i.pk)
      FROM study st
      JOIN series se ON se.study_fk = st.pk
      JOIN instance i ON i.series_fk = se.pk
      LEFT JOIN rejection_note n ON n.sop_instance_uid = i.sop_instance_uid
      LEFT JOIN (SELECT r.study_instance_uid, max(r.rejected_at) AS at FROM rejected_instance r
                  GROUP BY r.study_instance_uid) rj ON rj.study_instance_uid = st.study_instance_uid
     GROUP BY st.pk, rj.at
    HAVING greatest(max(i.received_at) FILTER (WHERE i.source_ae IS DISTINCT FROM 'imaging-node:manifest'
                                                AND n.pk IS NULL), rj.at)
               > coalesce(max(i.received_at) FILTER (WHERE i.source_ae = 'imaging-node:manifest'), '-infinity')
       AND bool_or((i.source_ae IS DISTINCT FROM 'imaging-node:manifest' AND n.pk IS NULL)
                   OR i.source_ae = 'imaging-node:manifest')
       AND NOT bool_or(i.awaits_derived));
