package org.imagingnode.bridge.dimse;

/** DIMSE status codes used by the node (PS3.4 Annexes B and C, PS3.7 Annex C). */
final class Status {
    static final int SUCCESS = 0x0000;
    static final int PENDING = 0xFF00;
    static final int CANCEL = 0xFE00;
    static final int REFUSED_NOT_AUTHORIZED = 0x0124;
    static final int SOP_CLASS_NOT_SUPPORTED = 0x0122;
    static final int OUT_OF_RESOURCES = 0xA700;
    static final int OUT_OF_RESOURCES_MATCHES = 0xA701;
    static final int OUT_OF_RESOURCES_SUBOPERATIONS = 0xA702;
    /** C-STORE refused: the instance was rejected (IHE IOCM rejection note) and stays rejected. */
    static final int REFUSED_PREVIOUSLY_REJECTED = 0xA771;
    static final int MOVE_DESTINATION_UNKNOWN = 0xA801;
    static final int DATA_SET_DOES_NOT_MATCH_SOP_CLASS = 0xA900;
    static final int CANNOT_UNDERSTAND = 0xC000;
    static final int UNABLE_TO_PROCESS = 0xC001;
    static final int SUBOPERATIONS_WITH_FAILURES = 0xB000;

    private Status() {
    }
}
