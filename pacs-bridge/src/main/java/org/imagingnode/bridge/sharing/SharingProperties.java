package org.imagingnode.bridge.sharing;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Sharing with the network (prefix {@code node.sharing}).
 *
 * @param retrieveUrl the public DICOMweb base URL of this node, written into manifests
 *                    (env NODE_SHARING_RETRIEVE_URL), e.g. {@code https://imaging.example.org/dicomweb}
 * @param manifest    when manifests are built
 * @param indexUrl    base URL of the node playing patient-space index (e.g. {@code https://index.example.org});
 *                    unset: this node is its own index and publishes into its own database
 * @param indexNodeId the node id of that index (the audience of the node tokens sent to it); required with
 *                    {@code index-url}
 * @param publication how publications to the index are retried
 */
@ConfigurationProperties("node.sharing")
public record SharingProperties(String retrieveUrl, Manifest manifest, String indexUrl, String indexNodeId,
        Publication publication) {
    public SharingProperties {
        retrieveUrl = retrieveUrl == null ? "http://localhost:8080/dicomweb" : retrieveUrl.replaceAll("/+$", "");
        manifest = manifest == null ? new Manifest(null, null, null) : manifest;
        indexUrl = indexUrl == null || indexUrl.isBlank() ? null : indexUrl.strip().replaceAll("/+$", "");
        indexNodeId = indexNodeId == null || indexNodeId.isBlank() ? null : indexNodeId.strip();
        if (indexUrl != null && indexNodeId == null) {
            throw new IllegalArgumentException("node.sharing.index-url is set: node.sharing.index-node-id must name"
                    + " that index's node id (the audience of this node's tokens)");
        }
        publication = publication == null ? new Publication(null, null, null) : publication;
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

    /**
     * @param retryInitial first delay after a failed publication (default 5 s), doubled after each failure
     * @param retryMax     longest delay between two attempts (default 10 min)
     * @param pollInterval how often the outbox is looked at for due publications (default 5 s)
     */
    public record Publication(Duration retryInitial, Duration retryMax, Duration pollInterval) {
        public Publication {
            retryInitial = retryInitial == null ? Duration.ofSeconds(5) : retryInitial;
            retryMax = retryMax == null ? Duration.ofMinutes(10) : retryMax;
            pollInterval = pollInterval == null ? Duration.ofSeconds(5) : pollInterval;
        }
    }
}
