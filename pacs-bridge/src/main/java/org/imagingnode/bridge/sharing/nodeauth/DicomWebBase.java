package org.imagingnode.bridge.sharing.nodeauth;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Optional;

/**
 * A node's DICOMweb base URL: absolute http(s), with a host, without user info, query or fragment. Two bases are
 * the same when their scheme, host, port (the scheme's default made explicit) and path (without trailing slashes)
 * are: {@code HTTPS://A.example:443/dicomweb/} is {@code https://a.example/dicomweb}.
 *
 * @param url the URL as written, without trailing slashes (requests are sent there)
 * @param key the normalised form compared
 */
public record DicomWebBase(String url, String key) {

    /** The base a text names; empty when it is not one (relative, another scheme, user info, query, fragment). */
    public static Optional<DicomWebBase> parse(String text) {
        if (text == null || text.isBlank() || text.length() > 2048) {
            return Optional.empty();
        }
        URI u;
        try {
            u = new URI(text.strip());
        } catch (URISyntaxException e) {
            return Optional.empty();
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || u.getHost() == null || u.getRawUserInfo() != null
                || u.getRawQuery() != null || u.getRawFragment() != null) {
            return Optional.empty();
        }
        int port = u.getPort() >= 0 ? u.getPort() : scheme.equals("https") ? 443 : 80;
        String path = u.getRawPath() == null ? "" : u.getRawPath().replaceAll("/+$", "");
        return Optional.of(new DicomWebBase(text.strip().replaceAll("/+$", ""),
                scheme + "://" + u.getHost().toLowerCase(Locale.ROOT) + ":" + port + path));
    }

    /** Whether a URL names this base (after normalisation). */
    public boolean isNamedBy(String otherUrl) {
        return parse(otherUrl).map(o -> o.key.equals(key)).orElse(false);
    }
}
