package org.imagingnode.bridge.dimse;

import java.util.Set;

/** The SOP classes (abstract syntaxes) the node's DIMSE services recognise. */
final class SopClasses {
    static final String VERIFICATION = "1.2.840.10008.1.1";
    static final String PATIENT_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.1.1";
    static final String PATIENT_ROOT_MOVE = "1.2.840.10008.5.1.4.1.2.1.2";
    static final String PATIENT_ROOT_GET = "1.2.840.10008.5.1.4.1.2.1.3";
    static final String STUDY_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.2.1";
    static final String STUDY_ROOT_MOVE = "1.2.840.10008.5.1.4.1.2.2.2";
    static final String STUDY_ROOT_GET = "1.2.840.10008.5.1.4.1.2.2.3";

    static final Set<String> FIND = Set.of(PATIENT_ROOT_FIND, STUDY_ROOT_FIND);
    static final Set<String> MOVE = Set.of(PATIENT_ROOT_MOVE, STUDY_ROOT_MOVE);
    static final Set<String> GET = Set.of(PATIENT_ROOT_GET, STUDY_ROOT_GET);

    /** Storage SOP classes live under this root (PS3.4 Annex B / PS3.6 Table A-1). */
    private static final String STORAGE_ROOT = "1.2.840.10008.5.1.4.1.1.";
    /** Other standard storage classes outside that root (RT and Key Object-like families). */
    private static final String[] OTHER_STORAGE_ROOTS = {"1.2.840.10008.5.1.4.34.", "1.2.840.10008.5.1.4.38.",
        "1.2.840.10008.5.1.4.43.", "1.2.840.10008.5.1.4.44.", "1.2.840.10008.5.1.4.45."};

    private SopClasses() {
    }

    static boolean isStorage(String uid) {
        if (uid == null) {
            return false;
        }
        if (uid.startsWith(STORAGE_ROOT)) {
            return true;
        }
        for (String root : OTHER_STORAGE_ROOTS) {
            if (uid.startsWith(root)) {
                return true;
            }
        }
        return false;
    }

    static boolean isPatientRoot(String uid) {
        return PATIENT_ROOT_FIND.equals(uid) || PATIENT_ROOT_MOVE.equals(uid) || PATIENT_ROOT_GET.equals(uid);
    }
}
