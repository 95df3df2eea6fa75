package org.imagingnode.bridge.viewer;

import java.net.URI;

import jakarta.servlet.http.HttpServletRequest;

import org.imagingnode.bridge.dicomweb.DicomWebProperties;

/** Absolute URLs of the node's services as a viewer must reach them. */
final class NodeUrls {
    private NodeUrls() {
    }

    /** Scheme, host, port and context path the client reached the node at. */
    static String origin(HttpServletRequest rq) {
        StringBuilder sb = new StringBuilder(64).append(rq.getScheme()).append("://");
        String host = rq.getServerName();
        sb.append(host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host);
        int port = rq.getServerPort();
        boolean defaultPort = ("http".equals(rq.getScheme()) && port == 80)
                || ("https".equals(rq.getScheme()) && port == 443);
        if (!defaultPort) {
            sb.append(':').append(port);
        }
        return sb.append(rq.getContextPath()).toString();
    }

    /** The DICOMweb root: {@code node.dicomweb.public-base-url} when set, else derived from the request. */
    static String dicomWebBase(HttpServletRequest rq, DicomWebProperties props) {
        return props.publicBaseUrl() != null ? props.publicBaseUrl() : origin(rq) + props.basePath();
    }

    /** The WADO-URI endpoint, beside the DICOMweb root. */
    static String wadoUri(HttpServletRequest rq, DicomWebProperties props) {
        String pub = props.publicBaseUrl();
        if (pub != null && pub.endsWith(props.basePath())) {
            return pub.substring(0, pub.length() - props.basePath().length()) + props.wadoUriPath();
        }
        if (pub != null) {
            URI u = URI.create(pub);
            return u.getScheme() + "://" + u.getRawAuthority() + props.wadoUriPath();
        }
        return origin(rq) + props.wadoUriPath();
    }
}
