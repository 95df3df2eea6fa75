package org.imagingnode.bridge.blobstore;

import java.io.IOException;

import org.imagingnode.bridge.NodeProperties;
import org.imagingnode.storage.BlobStore;
import org.imagingnode.storage.FileSystemBlobStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The blob store the node writes objects to: the filesystem under the data folder by default. */
@Configuration
public class BlobStoreConfig {
    private static final Logger log = LoggerFactory.getLogger(BlobStoreConfig.class);

    @Bean(destroyMethod = "close")
    BlobStore blobStore(NodeProperties node) throws IOException {
        BlobStore store = new FileSystemBlobStore(node.dataDir().resolve("blobs"));
        log.info("blob store: {}", store.describe());
        return store;
    }
}
