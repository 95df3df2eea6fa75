package org.imagingnode.bridge.sharing.hl7;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The HL7 v2 listener (prefix {@code node.sharing.hl7}): ORU^R01 results whose report is validated build the
 * study's manifest at once.
 *
 * @param port        MLLP port (0: any free port); unset (the default): no listener
 * @param bindAddress address to listen on; default {@code 127.0.0.1} (plain HL7 v2 over MLLP carries no
 *                    authentication: expose it only to the RIS's network, or use TLS)
 * @param tlsBundle   name of a Spring SSL bundle (the node's key and certificate, and the certificates of the RIS it
 *                    trusts): MLLP over TLS on that port instead of plain MLLP; unset (the default): plain MLLP
 * @param tlsRequireClientCertificate with TLS, only senders with a trusted certificate are accepted (default true)
 */
@ConfigurationProperties("node.sharing.hl7")
public record Hl7Properties(Integer port, String bindAddress, String tlsBundle, Boolean tlsRequireClientCertificate) {
    public Hl7Properties {
        if (port != null && (port < 0 || port > 65535)) {
            throw new IllegalArgumentException("node.sharing.hl7.port must be a TCP port, not " + port);
        }
        bindAddress = bindAddress == null || bindAddress.isBlank() ? "127.0.0.1" : bindAddress.strip();
        tlsBundle = tlsBundle == null || tlsBundle.isBlank() ? null : tlsBundle.strip();
        tlsRequireClientCertificate = tlsRequireClientCertificate == null || tlsRequireClientCertificate;
    }

    public boolean tls() {
        return tlsBundle != null;
    }
}
