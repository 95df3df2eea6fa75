package org.imagingnode.bridge.blobstore;

import java.util.Locale;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Which blob store the node writes to (prefix {@code node.storage}).
 *
 * @param type       {@code filesystem} (default) or {@code s3} (env NODE_STORAGE_TYPE)
 * @param filesystem the filesystem store's settings
 * @param s3         the S3 / MinIO store's settings
 */
@ConfigurationProperties("node.storage")
public record BlobStoreProperties(String type, Filesystem filesystem, S3 s3) {
    public BlobStoreProperties {
        type = type == null || type.isBlank() ? "filesystem" : type.strip().toLowerCase(Locale.ROOT);
        filesystem = filesystem == null ? new Filesystem(null) : filesystem;
        s3 = s3 == null ? new S3(null, null, null, null, null, null, null) : s3;
    }

    /** @param root folder of the blobs; default {@code <node.data-dir>/blobs} (env NODE_STORAGE_FILESYSTEM_ROOT) */
    public record Filesystem(String root) {
    }

    /**
     * @param endpoint  e.g. {@code http://minio:9000} (env NODE_STORAGE_S3_ENDPOINT)
     * @param region    default {@code us-east-1}
     * @param accessKey env NODE_STORAGE_S3_ACCESS_KEY
     * @param secretKey env NODE_STORAGE_S3_SECRET_KEY; never logged
     * @param bucket    created if missing (env NODE_STORAGE_S3_BUCKET)
     * @param pathStyle path-style addressing (default true, what MinIO expects)
     * @param keyPrefix optional prefix of every key, e.g. one per node sharing a bucket
     */
    public record S3(String endpoint, String region, String accessKey, String secretKey, String bucket,
            Boolean pathStyle, String keyPrefix) {
    }
}
