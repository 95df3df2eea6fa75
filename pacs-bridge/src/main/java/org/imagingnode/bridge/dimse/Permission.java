package org.imagingnode.bridge.dimse;

/** What a calling AE may do over DIMSE. */
public enum Permission {
    /** send objects (C-STORE) */
    STORE,
    /** search (C-FIND) */
    QUERY,
    /** retrieve (C-GET, C-MOVE) */
    RETRIEVE
}
