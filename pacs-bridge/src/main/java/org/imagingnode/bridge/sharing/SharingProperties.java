package org.imagingnode.bridge.sharing;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Sharing with the network (prefix {@code node.sharing}).
 *
 * @param retrieveUrl the public DICOMweb base URL of this node, written into manifests
 *                    (env NODE_SHARING_RETRIEVE_URL), e.g. {@code https://imaging.example.org/dicomweb}
 * @param manifest    when manifests are built
 */
@ConfigurationProperties("node.sharing")
public record SharingProperties(String retrieveUrl, Manifest manifest) {
    public SharingProperties {
        retrieveUrl = retrieveUrl == null ? "http://localhost:8080/dicomweb" : retrieveUrl.replaceAll("/+$", "");
        manifest = manifest == null ? new Manifest(null, null, null) : manifest;
    }

    /**
     * @param enabled      build manifests at all (default true)
     * @param quietPeriod  a study is complete when no instance arrived for this long (default 5 min)
     * @param pollInterval how often complete studies are looked for (default 30 s)
     */
    public record Manifest(Boolean enabled, Duration quietPeriod, Duration pollInterval) {
        public Manifest {
            enabled = enabled == null || enabled;
            quietPeriod = quietPeriod == null ? Duration.ofMinutes(5) : quietPeriod;
            pollInterval = pollInterval == null ? Duration.ofSeconds(30) : pollInterval;
        }
    }
}
