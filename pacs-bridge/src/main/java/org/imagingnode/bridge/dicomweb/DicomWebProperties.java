package org.imagingnode.bridge.dicomweb;

import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * DICOMweb settings (prefix {@code node.dicomweb}).
 *
 * @param basePath          where the DICOMweb resources live (default {@code /dicomweb})
 * @param wadoUriPath       the WADO-URI endpoint (default {@code /wado})
 * @param publicBaseUrl     the base URL clients reach the node at, for RetrieveURL and BulkDataURI
 *                          (default: derived from each request, e.g. {@code http://host:8080/dicomweb})
 * @param qidoMaxResults    most matches one QIDO-RS response carries (more: Warning header, use offset)
 * @param metadataCacheMb   memory for the encoded metadata of recently read instances
 * @param corsAllowedOrigins origins browsers may call from (e.g. {@code https://viewer.example.org});
 *                          empty: no CORS headers (same-origin only); {@code *}: any origin
 * @param corsMaxAgeSeconds how long browsers may cache a preflight answer
 */
@ConfigurationProperties("node.dicomweb")
public record DicomWebProperties(String basePath, String wadoUriPath, String publicBaseUrl, Integer qidoMaxResults,
        Integer metadataCacheMb, List<String> corsAllowedOrigins, Long corsMaxAgeSeconds) {
    public DicomWebProperties {
        basePath = normalisePath(basePath, "/dicomweb");
        wadoUriPath = normalisePath(wadoUriPath, "/wado");
        publicBaseUrl = publicBaseUrl == null || publicBaseUrl.isBlank() ? null : stripSlash(publicBaseUrl.strip());
        qidoMaxResults = qidoMaxResults == null || qidoMaxResults <= 0 ? 1000 : qidoMaxResults;
        metadataCacheMb = metadataCacheMb == null || metadataCacheMb < 0 ? 64 : metadataCacheMb;
        corsAllowedOrigins = corsAllowedOrigins == null ? List.of()
                : corsAllowedOrigins.stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
        corsMaxAgeSeconds = corsMaxAgeSeconds == null ? 1800L : corsMaxAgeSeconds;
    }

    private static String normalisePath(String p, String dflt) {
        if (p == null || p.isBlank()) {
            return dflt;
        }
        String s = p.strip();
        if (!s.startsWith("/")) {
            s = "/" + s;
        }
        return stripSlash(s);
    }

    private static String stripSlash(String s) {
        while (s.length() > 1 && s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        return s;
    }
}
