package org.imagingnode.bridge.dicomweb;

import jakarta.servlet.http.HttpServletRequest;

/** Absolute URLs of DICOMweb resources, for RetrieveURL and BulkDataURI. */
final class Urls {
    private Urls() {
    }

    /** The DICOMweb base URL as the client reached it (or as configured), without a trailing slash. */
    static String base(HttpServletRequest request, DicomWebProperties props) {
        if (props.publicBaseUrl() != null) {
            return props.publicBaseUrl();
        }
        StringBuilder sb = new StringBuilder(64).append(request.getScheme()).append("://");
        String host = request.getServerName();
        sb.append(host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host);
        int port = request.getServerPort();
        boolean defaultPort = ("http".equals(request.getScheme()) && port == 80)
                || ("https".equals(request.getScheme()) && port == 443);
        if (!defaultPort) {
            sb.append(':').append(port);
        }
        sb.append(request.getContextPath()).append(props.basePath());
        return sb.toString();
    }

    /** The request's path below the DICOMweb base, with its query: what a source node is asked for a remote study. */
    static String belowBase(HttpServletRequest request, DicomWebProperties props) {
        String uri = request.getRequestURI().substring(request.getContextPath().length() + props.basePath().length());
        String query = request.getQueryString();
        return query == null ? uri : uri + "?" + query;
    }

    static String study(String base, String study) {
        return base + "/studies/" + study;
    }

    static String series(String base, String study, String series) {
        return study(base, study) + "/series/" + series;
    }

    static String instance(String base, String study, String series, String sop) {
        return series(base, study, series) + "/instances/" + sop;
    }
}
