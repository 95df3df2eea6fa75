package org.imagingnode.bridge.space;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.imagingnode.bridge.dicom.DicomDataset;
import org.imagingnode.bridge.dicom.Tag;

/**
 * Finds the national identities a data set names for its patient: the PatientID itself, and each item of
 * OtherPatientIDsSequence, whose issuer (IssuerOfPatientID, or the UniversalEntityID of
 * IssuerOfPatientIDQualifiersSequence) is one of the configured national issuers.
 */
public final class NationalIdExtractor {
    static final int ISSUER_QUALIFIERS_SEQUENCE = 0x00100024;
    static final int UNIVERSAL_ENTITY_ID = 0x00400032;

    private final Set<String> nationalIssuers;

    public NationalIdExtractor(List<String> nationalIssuers) {
        this.nationalIssuers = Set.copyOf(nationalIssuers);
    }

    /** Distinct national identities named, in data set order (usually none or one). */
    public List<NationalId> extract(DicomDataset ds) {
        Set<NationalId> found = new LinkedHashSet<>();
        add(ds, found);
        for (DicomDataset item : ds.items(Tag.OtherPatientIDsSequence)) {
            add(item, found);
        }
        return new ArrayList<>(found);
    }

    private void add(DicomDataset ds, Set<NationalId> found) {
        String id = ds.getString(Tag.PatientID);
        if (id == null) {
            return;
        }
        List<String> issuers = new ArrayList<>();
        String issuer = ds.getString(Tag.IssuerOfPatientID);
        if (issuer != null) {
            issuers.add(issuer);
        }
        for (DicomDataset q : ds.items(ISSUER_QUALIFIERS_SEQUENCE)) {
            String uid = q.getString(UNIVERSAL_ENTITY_ID);
            if (uid != null) {
                issuers.add(uid);
            }
        }
        for (String i : issuers) {
            if (nationalIssuers.contains(i)) {
                try {
                    found.add(new NationalId(id, i));
                } catch (IllegalArgumentException e) {
                    // a malformed value is not an identity; the study stays unlinked
                }
                return;
            }
        }
    }
}
