package org.imagingnode.bridge.ingest;

import java.util.Optional;

import org.imagingnode.bridge.dicom.Uids;

/**
 * How instances are named in the blob store: {@code dicom/<study>/<series>/<sop>.<sha-prefix>}. The
 * checksum prefix makes a replaced instance a new blob, so the old one stays valid until the index
 * points elsewhere; the SOP Instance UID lets reconciliation find the index row of any blob.
 */
public final class InstanceBlobKeys {
    static final String PREFIX = "dicom/";

    private InstanceBlobKeys() {
    }

    public static String of(String studyUid, String seriesUid, String sopInstanceUid, String sha256) {
        return PREFIX + studyUid + "/" + seriesUid + "/" + sopInstanceUid + "." + sha256.substring(0, 16);
    }

    /** The SOP Instance UID an instance blob key names; empty for keys not made by {@link #of}. */
    public static Optional<String> sopInstanceUidOf(String key) {
        if (!key.startsWith(PREFIX)) {
            return Optional.empty();
        }
        String name = key.substring(key.lastIndexOf('/') + 1);
        int dot = name.lastIndexOf('.');
        if (dot <= 0 || key.chars().filter(c -> c == '/').count() != 3) {
            return Optional.empty();
        }
        String uid = name.substring(0, dot);
        return Uids.isValid(uid) ? Optional.of(uid) : Optional.empty();
    }
}
