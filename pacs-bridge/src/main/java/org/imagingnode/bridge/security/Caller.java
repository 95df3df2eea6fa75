package org.imagingnode.bridge.security;

/**
 * Who makes a request.
 *
 * @param id            a stable identifier for the audit trail (user, professional number, "anonymous")
 * @param role          e.g. "anonymous", "professional", "patient", "system"
 * @param authorization the raw credentials the request carried (e.g. "Bearer ..."), for policies that
 *                      validate tokens; never logged nor audited
 * @param address       the remote network address
 */
public record Caller(String id, String role, String authorization, String address) {

    public static Caller anonymous(String authorization, String address) {
        return new Caller("anonymous", "anonymous", authorization, address);
    }

    @Override
    public String toString() {
        return "Caller[" + id + ", " + role + ", " + address + "]"; // no credentials in logs
    }
}
