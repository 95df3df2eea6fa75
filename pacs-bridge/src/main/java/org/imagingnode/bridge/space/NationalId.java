package org.imagingnode.bridge.space;

import java.util.Objects;

/**
 * A person's national health identifier and the OID of its assigning authority (e.g. a French INS-NIR
 * with {@code 1.2.250.1.213.1.4.8}). Written in the HL7 CX form {@code id^^^&issuer&ISO} where one
 * string is needed (audit actor, patient claim).
 */
public record NationalId(String id, String issuer) {
    public NationalId {
        id = Objects.requireNonNull(id, "id").strip();
        issuer = Objects.requireNonNull(issuer, "issuer").strip();
        if (id.isEmpty() || issuer.isEmpty()) {
            throw new IllegalArgumentException("a national identifier needs a value and an issuer");
        }
        if (id.length() > 64 || issuer.length() > 64 || !printable(id) || !printable(issuer)
                || id.contains("^") || issuer.contains("&") || issuer.contains("^")) {
            throw new IllegalArgumentException("malformed national identifier");
        }
    }

    /** {@code id^^^&issuer&ISO}. */
    public String cx() {
        return id + "^^^&" + issuer + "&ISO";
    }

    /** Parses {@link #cx()}; null when the text is not of that form. */
    public static NationalId parseCx(String cx) {
        if (cx == null) {
            return null;
        }
        int sep = cx.indexOf("^^^&");
        if (sep <= 0 || !cx.endsWith("&ISO")) {
            return null;
        }
        String issuer = cx.substring(sep + 4, cx.length() - 4);
        try {
            return new NationalId(cx.substring(0, sep), issuer);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static boolean printable(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x21 || c > 0x7E || c == '\\') {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return cx();
    }
}
