package org.imagingnode.bridge.sharing.hl7;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The HL7 v2 listener (prefix {@code node.sharing.hl7}): ORU^R01 results whose report is validated build the
 * study's manifest at once.
 *
 * @param port        MLLP port (0: any free port); unset (the default): no listener
 * @param bindAddress address to listen on; default {@code 127.0.0.1} (HL7 v2 over MLLP carries no authentication:
 *                    expose it only to the RIS's network, e.g. {@code 0.0.0.0} behind a firewall)
 */
@ConfigurationProperties("node.sharing.hl7")
public record Hl7Properties(Integer port, String bindAddress) {
    public Hl7Properties {
        if (port != null && (port < 0 || port > 65535)) {
            throw new IllegalArgumentException("node.sharing.hl7.port must be a TCP port, not " + port);
        }
        bindAddress = bindAddress == null || bindAddress.isBlank() ? "127.0.0.1" : bindAddress.strip();
    }
}
