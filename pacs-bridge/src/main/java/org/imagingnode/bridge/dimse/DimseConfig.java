package org.imagingnode.bridge.dimse;

import java.io.IOException;

import javax.net.ssl.SSLContext;

import io.micrometer.core.instrument.MeterRegistry;
import org.imagingnode.bridge.NodeProperties;
import org.imagingnode.bridge.audit.AuditLog;
import org.imagingnode.bridge.index.InstanceIndex;
import org.imagingnode.bridge.ingest.IngestService;
import org.imagingnode.bridge.security.AccessGuard;
import org.imagingnode.storage.BlobStore;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Wires the DIMSE services from configuration. */
@Configuration
@EnableConfigurationProperties(DimseProperties.class)
public class DimseConfig {

    @Bean
    AeRegistry aeRegistry(DimseProperties props) {
        return AeRegistry.parse(props.callingAes(), props.moveDestinations());
    }

    @Bean
    SpoolArea spoolArea(NodeProperties node) throws IOException {
        return new SpoolArea(node.dataDir().resolve("spool"));
    }

    @Bean
    InstanceSender instanceSender(BlobStore blobs) {
        return new InstanceSender(blobs);
    }

    @Bean
    StoreScu storeScu(InstanceSender sender, DimseProperties props, NodeProperties node) {
        return new StoreScu(sender, node.aeTitle(), (int) props.requestTimeout().toMillis());
    }

    @Bean
    DimseServer dimseServer(DimseProperties props, NodeProperties node, AeRegistry registry, IngestService ingest,
            SpoolArea spool, InstanceIndex index, InstanceSender sender, AuditLog audit, AccessGuard guard, SslBundles ssl,
            MeterRegistry meters, ObjectProvider<RemoteRetrieves> remote) {
        SSLContext tls = props.tlsPort() == null ? null : ssl.getBundle(props.tlsBundle()).createSslContext();
        return new DimseServer(props, node.aeTitle(), registry,
                new StoreScp(ingest, spool, props.maxDataSetSize().toBytes()),
                new FindScp(index, node.aeTitle(), props.maxFindResults()),
                new RetrieveScp(index, sender, registry, node.aeTitle(), (int) props.requestTimeout().toMillis(),
                        remote.getIfAvailable()),
                audit, guard, tls, meters);
    }
}
