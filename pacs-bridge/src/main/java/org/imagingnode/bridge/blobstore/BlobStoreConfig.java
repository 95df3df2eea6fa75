package org.imagingnode.bridge.blobstore;

import java.io.IOException;

import org.imagingnode.bridge.NodeProperties;
import org.imagingnode.storage.BlobStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The blob store the node writes objects to: the filesystem under the data folder by default, or S3. */
@Configuration
@EnableConfigurationProperties(BlobStoreProperties.class)
public class BlobStoreConfig {
    private static final Logger log = LoggerFactory.getLogger(BlobStoreConfig.class);

    @Bean(destroyMethod = "close")
    BlobStore blobStore(BlobStoreProperties props, NodeProperties node) throws IOException {
        BlobStore store = BlobStores.open(props, node.dataDir().resolve("blobs"));
        log.info("blob store: {}", store.describe());
        return store;
    }
}
