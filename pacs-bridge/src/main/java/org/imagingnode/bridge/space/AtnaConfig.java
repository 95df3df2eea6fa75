package org.imagingnode.bridge.space;

import java.io.IOException;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Locale;

import javax.net.ssl.SSLContext;
import javax.sql.DataSource;

import org.imagingnode.bridge.NodeProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Audit export to a syslog / IHE ATNA audit record repository, when {@code node.audit.syslog.host} is set:
 * {@code node.audit.syslog.port} (default 514 for UDP, 6514 for TLS), {@code node.audit.syslog.protocol}
 * ({@code udp}, default, or {@code tls}), {@code node.audit.syslog.tls-bundle} (a Spring SSL bundle trusting
 * the repository, and holding the node's client certificate if it asks for one; default: the JVM's trust
 * store), {@code node.audit.syslog.interval} (default 2s).
 */
@Configuration
@ConditionalOnProperty(name = "node.audit.syslog.host")
public class AtnaConfig {
    private static final Logger log = LoggerFactory.getLogger(AtnaConfig.class);

    @Bean(destroyMethod = "close")
    AtnaExporter atnaExporter(DataSource dataSource, NodeProperties node, SslBundles bundles,
            @Value("${node.audit.syslog.host}") String host,
            @Value("${node.audit.syslog.protocol:udp}") String protocol,
            @Value("${node.audit.syslog.port:0}") int port,
            @Value("${node.audit.syslog.tls-bundle:}") String bundle,
            @Value("${node.audit.syslog.interval:2s}") Duration interval) throws IOException, NoSuchAlgorithmException {
        AtnaExporter.Sender sender;
        switch (protocol.strip().toLowerCase(Locale.ROOT)) {
            case "udp" -> sender = AtnaExporter.udp(host, port > 0 ? port : 514);
            case "tls" -> {
                SSLContext ctx = bundle.isBlank() ? SSLContext.getDefault() : bundles.getBundle(bundle).createSslContext();
                sender = AtnaExporter.tls(host, port > 0 ? port : 6514, ctx);
            }
            default -> throw new IllegalArgumentException("node.audit.syslog.protocol must be udp or tls, not " + protocol);
        }
        log.info("audit trail exported as DICOM/ATNA audit messages to syslog {}://{}:{}", protocol, host,
                port > 0 ? port : ("tls".equals(protocol) ? 6514 : 514));
        return new AtnaExporter(dataSource, sender, node.aeTitle()).start(interval);
    }
}
