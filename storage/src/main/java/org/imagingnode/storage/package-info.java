/**
 * Durable blob storage for the imaging node: one interface, {@link org.imagingnode.storage.BlobStore},
 * and two implementations.
 *
 * <ul>
 *   <li>{@link org.imagingnode.storage.FileSystemBlobStore}{@code (Path root)}: the default. For
 *       ingest, write received objects into {@link org.imagingnode.storage.FileSystemBlobStore#stagingDirectory()}
 *       (same filesystem) and hand them to {@code putFile}: they are renamed into place, not copied.
 *   <li>{@link org.imagingnode.storage.S3BlobStore}{@code (Config[, Options])}: MinIO, S3 and other
 *       S3-compatible servers. The constructor checks the credentials and creates the bucket; wrong
 *       credentials raise {@link org.imagingnode.storage.S3BlobStore.CredentialsRejectedException}.
 * </ul>
 *
 * <p>Both stores return from a put only once the blob is durable, return its SHA-256 in
 * {@link org.imagingnode.storage.StoredBlob} (store it in the index and read back with
 * {@code getVerified}), consume the file given to {@code putFile}, and accept only the keys
 * described in {@link org.imagingnode.storage.BlobKeys} (e.g. {@code studies/<study>/<series>/<sop>}).
 * Both are thread-safe; close them on shutdown.
 */
package org.imagingnode.storage;
