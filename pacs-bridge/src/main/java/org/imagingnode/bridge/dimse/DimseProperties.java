package org.imagingnode.bridge.dimse;

import java.time.Duration;

import org.springframework.util.unit.DataSize;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * DIMSE service settings (prefix {@code node.dimse}).
 *
 * @param port             TCP port of the DICOM listener (env NODE_DIMSE_PORT); 0 picks a free port
 * @param bindAddress      address to listen on
 * @param callingAes       allowed calling AEs and what each may do, e.g.
 *                         {@code "MODALITY1=store, VIEWER=query|retrieve, PACS=store|query|retrieve"}
 *                         (env NODE_DIMSE_CALLING_AES); an AE not listed is rejected at association;
 *                         {@code CT1=store@10.0.3.17} (or a CIDR network, or a host name) also rejects
 *                         the title from any other address
 * @param moveDestinations C-MOVE destinations, e.g. {@code "PACS=10.0.0.5:104, WS1=ws1.local:11112"}
 *                         (env NODE_DIMSE_MOVE_DESTINATIONS)
 * @param maxAssociations  concurrent associations; more are rejected (transient, local limit exceeded)
 * @param maxPduLength     the largest PDU we receive, announced at association
 * @param requestTimeout   time a new connection has to send its association request
 * @param idleTimeout      an association silent for this long is aborted
 * @param tlsPort          port of the DICOM TLS listener (e.g. 2762); unset = no TLS listener
 * @param tlsBundle        name of the Spring SSL bundle with the node's key, certificate and the
 *                         trusted client CAs ({@code spring.ssl.bundle.pem.<name>...}); default "dimse"
 * @param tlsRequireClientCertificate mutual TLS, as DICOM's TLS profiles expect (default true)
 * @param maxDataSetSize   the largest data set a C-STORE may carry; beyond it the association is aborted
 * @param maxFindResults   most matches one C-FIND answers; a query matching more is refused (A700) with a
 *                         comment asking to narrow it, so that no query holds the whole index in memory
 */
@ConfigurationProperties("node.dimse")
public record DimseProperties(Integer port, String bindAddress, String callingAes, String moveDestinations,
        Integer maxAssociations, Integer maxPduLength, Duration requestTimeout, Duration idleTimeout,
        Integer tlsPort, String tlsBundle, Boolean tlsRequireClientCertificate, DataSize maxDataSetSize,
        Integer maxFindResults) {
    public DimseProperties {
        port = port == null ? 11112 : port;
        bindAddress = bindAddress == null ? "0.0.0.0" : bindAddress;
        callingAes = callingAes == null ? "" : callingAes;
        moveDestinations = moveDestinations == null ? "" : moveDestinations;
        maxAssociations = maxAssociations == null ? 64 : maxAssociations;
        maxPduLength = maxPduLength == null ? 131072 : maxPduLength;
        requestTimeout = requestTimeout == null ? Duration.ofSeconds(10) : requestTimeout;
        idleTimeout = idleTimeout == null ? Duration.ofSeconds(60) : idleTimeout;
        tlsBundle = tlsBundle == null ? "dimse" : tlsBundle;
        maxDataSetSize = maxDataSetSize == null ? DataSize.ofGigabytes(8) : maxDataSetSize;
        tlsRequireClientCertificate = tlsRequireClientCertificate == null || tlsRequireClientCertificate;
        maxFindResults = maxFindResults == null ? 20_000 : maxFindResults;
        if (maxFindResults < 1) {
            throw new IllegalArgumentException("node.dimse.max-find-results must be at least 1");
        }
    }
}
