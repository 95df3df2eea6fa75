package org.imagingnode.bridge.security;

/**
 * Who makes a request.
 *
 * @param id            a stable identifier for the audit trail (user, professional number, calling AE title,
 *                      "anonymous")
 * @param role          e.g. "anonymous", "professional", "patient", {@value #DIMSE_AE}
 * @param authorization the raw credentials the request carried (e.g. "Bearer ..."), for policies that
 *                      validate tokens; never logged nor audited
 * @param address       the remote network address
 * @param tlsSubject    the subject of the client certificate the caller authenticated with over TLS, or null
 */
public record Caller(String id, String role, String authorization, String address, String tlsSubject) {
    /** The role of a DICOM (DIMSE) peer, identified by its calling AE title. */
    public static final String DIMSE_AE = "dimse-ae";

    public Caller(String id, String role, String authorization, String address) {
        this(id, role, authorization, address, null);
    }

    public static Caller anonymous(String authorization, String address) {
        return new Caller("anonymous", "anonymous", authorization, address);
    }

    /** A DIMSE peer: its calling AE title, its address and, over DICOM TLS, its certificate's subject. */
    public static Caller dimse(String callingAeTitle, String address, String tlsSubject) {
        return new Caller(callingAeTitle, DIMSE_AE, null, address, tlsSubject);
    }

    public boolean isDimse() {
        return DIMSE_AE.equals(role);
    }

    @Override
    public String toString() {
        return "Caller[" + id + ", " + role + ", " + address + "]"; // no credentials in logs
    }
}
