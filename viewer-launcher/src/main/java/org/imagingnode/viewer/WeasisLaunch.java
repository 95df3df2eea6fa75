package org.imagingnode.viewer;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Objects;

/**
 * A {@code weasis://} URI that makes a locally installed Weasis (3.6 and later) open a patient, a study or
 * a series straight from the node's DICOMweb service, with Weasis's {@code $dicom:rs} command:
 *
 * <pre>$dicom:rs --url "https://node.example/dicomweb" -r "studyUID=1.2.3" -H "Authorization: Bearer &lt;viewer token&gt;"</pre>
 *
 * The request ({@code -r}) follows weasis-pacs-connector's parameters: {@code patientID} (with its issuer
 * as {@code ID^^^ISSUER}), {@code studyUID}, {@code seriesUID}. The only credential in the URI is the
 * short-lived {@link ViewerToken}, sent by Weasis as an HTTP header on every QIDO-RS and WADO-RS request
 * (never in a URL). The whole command is percent-encoded after {@code weasis://}.
 *
 * @param command   the Weasis command line, before encoding
 * @param uri       {@code weasis://} followed by the encoded command
 * @param expiresAt when the token inside stops working (the URI is useless afterwards)
 */
public record WeasisLaunch(String command, URI uri, Instant expiresAt) {
    public static final String SCHEME = "weasis";

    public WeasisLaunch {
        Objects.requireNonNull(command);
        Objects.requireNonNull(uri);
        Objects.requireNonNull(expiresAt);
    }

    /**
     * Opens the token's scope from DICOMweb.
     *
     * @param dicomWebBaseUrl the DICOMweb root as Weasis must reach it (e.g. {@code https://node.example/dicomweb}):
     *                        absolute http(s), without user info, query or fragment
     */
    public static WeasisLaunch dicomWeb(String dicomWebBaseUrl, ViewerToken token) {
        Objects.requireNonNull(token, "token");
        String base = checkedHttpUrl(dicomWebBaseUrl);
        String command = "$dicom:rs --url " + quoted(base) + " -r " + quoted(request(token.scope())) + " -H "
                + quoted("Authorization: " + token.bearer());
        return new WeasisLaunch(command, toUri(command), token.expiresAt());
    }

    /**
     * Opens a weasis-pacs-connector XML manifest (the form older Weasis versions understand) with
     * {@code $dicom:get -w}. The manifest URL must itself be short-lived (it is fetched without headers).
     */
    public static WeasisLaunch manifest(String manifestUrl, Instant expiresAt) {
        String url = checkedHttpUrl(manifestUrl, true);
        String command = "$dicom:get -w " + quoted(url);
        return new WeasisLaunch(command, toUri(command), expiresAt);
    }

    /** The {@code -r} value: weasis-pacs-connector query parameters for the scope. */
    static String request(ViewerScope scope) {
        return switch (scope.level()) {
            case PATIENT -> "patientID=" + safe(scope.issuerOfPatientId() == null ? scope.patientId()
                    : scope.patientId() + "^^^" + scope.issuerOfPatientId());
            case STUDY -> "studyUID=" + scope.studyInstanceUid();
            // seriesUID alone: with studyUID too, Weasis would load the whole study as well
            case SERIES -> "seriesUID=" + scope.seriesInstanceUid();
        };
    }

    /** Percent-encodes the command the way browsers' encodeURIComponent does (spaces as %20). */
    static URI toUri(String command) {
        String encoded = URLEncoder.encode(command, StandardCharsets.UTF_8).replace("+", "%20");
        try {
            return new URI(SCHEME + "://" + encoded);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String quoted(String s) {
        if (s.indexOf('"') >= 0 || s.indexOf('\\') >= 0) {
            throw new IllegalArgumentException("value cannot be quoted for Weasis: " + s);
        }
        return '"' + s + '"';
    }

    /** Values inside {@code -r} are split on '&' and '=' by Weasis and must not contain quotes or controls. */
    private static String safe(String v) {
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '&' || c == '=' || c == '"' || c == '\\' || Character.isISOControl(c)) {
                throw new IllegalArgumentException("identifier cannot be passed to Weasis: " + v);
            }
        }
        return v;
    }

    private static String checkedHttpUrl(String url) {
        return checkedHttpUrl(url, false);
    }

    private static String checkedHttpUrl(String url, boolean queryAllowed) {
        if (url == null) {
            throw new IllegalArgumentException("URL is required");
        }
        URI u;
        try {
            u = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a URL: " + url, e);
        }
        if (!u.isAbsolute() || !("http".equalsIgnoreCase(u.getScheme()) || "https".equalsIgnoreCase(u.getScheme()))
                || u.getHost() == null) {
            throw new IllegalArgumentException("an absolute http(s) URL is required: " + url);
        }
        if (u.getRawUserInfo() != null) {
            throw new IllegalArgumentException("no credentials in URLs: " + u.getHost());
        }
        if (u.getRawFragment() != null || (!queryAllowed && u.getRawQuery() != null)) {
            throw new IllegalArgumentException("unexpected query or fragment in " + url);
        }
        String s = u.toString();
        while (!queryAllowed && s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        return s;
    }
}
