package org.imagingnode.bridge.security;

/** What a request does with patient data; also the audit action name. */
public enum Action {
    /** searches the index (QIDO-RS) */
    QUERY("query"),
    /** reads stored objects, metadata, frames or renderings (WADO-RS, WADO-URI) */
    RETRIEVE("retrieve"),
    /** stores objects (STOW-RS) */
    STORE("store");

    private final String auditName;

    Action(String auditName) {
        this.auditName = auditName;
    }

    public String auditName() {
        return auditName;
    }
}
