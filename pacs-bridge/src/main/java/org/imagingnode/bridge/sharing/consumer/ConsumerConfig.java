package org.imagingnode.bridge.sharing.consumer;

import java.io.IOException;
import java.time.Clock;

import javax.sql.DataSource;

import org.imagingnode.bridge.dimse.SpoolArea;
import org.imagingnode.bridge.sharing.index.TrustedSources;
import org.imagingnode.bridge.sharing.nodeauth.NodeTokenIssuer;
import org.imagingnode.bridge.space.PatientSpace;
import org.imagingnode.bridge.space.SpaceProperties;
import org.imagingnode.storage.BlobStore;
import org.imagingnode.viewer.ViewerTokenService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * The sharing consumer, on when {@code node.security.mode=tokens} (a professional's or patient's token is what
 * the source node decides with) and {@code node.sharing.consumer.enabled} is not false.
 */
@Configuration
@ConditionalOnExpression("'${node.security.mode:deny}'.trim() == 'tokens' && '${node.sharing.consumer.enabled:true}' != 'false'")
@EnableConfigurationProperties(ConsumerProperties.class)
public class ConsumerConfig {
    private static final Logger log = LoggerFactory.getLogger(ConsumerConfig.class);

    @Bean
    SourceClient sourceClient(ConsumerProperties props, NodeTokenIssuer nodeTokens) {
        return new SourceClient(props, nodeTokens::authorizationFor);
    }

    @Bean
    RemoteStudyRegistry remoteStudyRegistry(DataSource dataSource) {
        return new RemoteStudyRegistry(dataSource);
    }

    @Bean
    InstanceCache remoteInstanceCache(BlobStore blobs, ConsumerProperties props) throws IOException {
        InstanceCache cache = new InstanceCache(blobs, props.cache(), Clock.systemUTC());
        cache.load();
        return cache;
    }

    @Bean
    RetrievalGrants retrievalGrants() {
        return new RetrievalGrants(Clock.systemUTC());
    }

    @Bean
    RemoteStudiesService remoteStudies(SourceClient client, RemoteStudyRegistry registry, TrustedSources trusted,
            InstanceCache cache, RetrievalGrants grants, SpoolArea spool, PatientSpace space, SpaceProperties spaceProps,
            ConsumerProperties props, ViewerTokenService viewerTokens, NodeTokenIssuer nodeTokens, Environment env) {
        String ownNode = nodeTokens.nodeId();
        String indexUrl = env.getProperty("node.sharing.index-url", "").strip().replaceAll("/+$", "");
        String indexNode = env.getProperty("node.sharing.index-node-id", ownNode).strip();
        log.info("sharing consumer: patients' studies at other nodes are looked up in the index at {} (node {}),"
                + " retrieved through this node and cached up to {} for {}", indexUrl.isEmpty() ? "this node"
                : indexUrl, indexNode, props.cache().maxSize(), props.cache().maxAge());
        log.info("sharing consumer: studies of other nodes are followed only at these DICOMweb bases"
                + " (node.sharing.auth.trusted-nodes.<id>.dicomweb-url): {}", trusted.followed());
        return new RemoteStudiesService(client, registry, trusted, cache, grants, spool, space, spaceProps, props,
                viewerTokens, ownNode,
                () -> new RemoteStudiesService.IndexLocation(indexUrl.isEmpty() ? selfUrl(env) : indexUrl, indexNode));
    }

    /** This node over loopback (the index it is by default), once its HTTP port is known. */
    private static String selfUrl(Environment env) {
        String address = env.getProperty("server.address", "127.0.0.1");
        if (address.isBlank() || address.equals("0.0.0.0") || address.equals("::")) {
            address = "127.0.0.1";
        }
        String host = address.contains(":") ? "[" + address + "]" : address;
        boolean https = env.getProperty("server.ssl.enabled", Boolean.class, false)
                || env.getProperty("server.ssl.bundle") != null;
        return (https ? "https://" : "http://") + host + ":" + env.getProperty("local.server.port",
                env.getProperty("server.port", "8080")) + env.getProperty("server.servlet.context-path", "")
                .replaceAll("/+$", "");
    }
}
