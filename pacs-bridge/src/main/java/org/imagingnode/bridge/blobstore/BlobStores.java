package org.imagingnode.bridge.blobstore;

import java.io.IOException;
import java.nio.file.Path;

import org.imagingnode.storage.BlobStore;
import org.imagingnode.storage.FileSystemBlobStore;
import org.imagingnode.storage.S3BlobStore;

/** Opens the blob store a configuration names; shared by the node and the migration command. */
public final class BlobStores {
    private BlobStores() {
    }

    /**
     * @param defaultRoot the filesystem root used when none is configured
     * @throws IllegalArgumentException for an unknown type or missing S3 settings, naming the property
     */
    public static BlobStore open(BlobStoreProperties props, Path defaultRoot) throws IOException {
        return switch (props.type()) {
            case "filesystem" -> new FileSystemBlobStore(props.filesystem().root() == null
                    ? defaultRoot : Path.of(props.filesystem().root()));
            case "s3" -> {
                BlobStoreProperties.S3 s3 = props.s3();
                try {
                    yield new S3BlobStore(new S3BlobStore.Config(s3.endpoint(),
                            s3.region() == null ? "us-east-1" : s3.region(), s3.accessKey(), s3.secretKey(),
                            s3.bucket(), s3.pathStyle() == null || s3.pathStyle(), s3.keyPrefix()));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("node.storage.s3: " + e.getMessage(), e);
                }
            }
            default -> throw new IllegalArgumentException("node.storage.type must be 'filesystem' or 's3', not '"
                    + props.type() + "'");
        };
    }
}
