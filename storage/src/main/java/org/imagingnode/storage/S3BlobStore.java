package org.imagingnode.storage;

import com.google.common.collect.ImmutableMultimap;
import io.minio.BucketExistsArgs;
import io.minio.CopyObjectArgs;
import io.minio.CopySource;
import io.minio.Directive;
import io.minio.GetPresignedObjectUrlArgs;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioAsyncClient;
import io.minio.ObjectWriteResponse;
import io.minio.RemoveObjectArgs;
import io.minio.Result;
import io.minio.S3Escaper;
import io.minio.Signer;
import io.minio.StatObjectArgs;
import io.minio.StatObjectResponse;
import io.minio.Time;
import io.minio.Xml;
import io.minio.errors.ErrorResponseException;
import io.minio.errors.InvalidResponseException;
import io.minio.errors.ServerException;
import io.minio.errors.XmlParserException;
import io.minio.http.HttpUtils;
import io.minio.http.Method;
import io.minio.messages.ErrorResponse;
import io.minio.messages.Item;
import io.minio.messages.Part;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.PushbackInputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import javax.net.SocketFactory;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;
import okhttp3.ConnectionPool;
import okhttp3.Dispatcher;
import okhttp3.Headers;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.BufferedSink;
import okio.Okio;
import okio.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link BlobStore} on any S3-compatible server (MinIO, AWS S3, Ceph RGW, S3Proxy...), through the
 * MinIO Java SDK.
 *
 * <ul>
 *   <li>The bucket is created at construction if it does not exist; the same call checks the
 *       credentials, so a wrong key fails at start with {@link CredentialsRejectedException}.
 *   <li>Every blob carries its SHA-256 as user metadata {@code x-amz-meta-sha256}, computed while
 *       the data is read. Streams up to {@link Options#multipartThreshold()} are buffered and sent
 *       in one PUT with the metadata; longer streams are sent as a multipart upload, and the
 *       metadata is attached once the checksum is known by an in-place copy (a metadata-only
 *       operation on MinIO, a server-side copy elsewhere). Files ({@link #putFile}) are hashed first
 *       (unless the caller gives the checksum) and sent with the metadata, in one PUT up to the
 *       threshold, in parts above. The parts of an upload are sent {@link Options#partsInFlight()}
 *       at a time on the store's transfer threads; a failed upload is aborted.
 *   <li>Every request is retried with exponential back-off and jitter on transient failures
 *       (connection refused or reset, timeouts, HTTP 5xx, 429, {@code SlowDown}...) up to
 *       {@link Options#maxAttempts()} attempts. Parts are retried one by one. Rejected credentials
 *       are never retried.
 *   <li>Object and part uploads go straight through OkHttp, signed with the SDK's SigV4
 *       {@link Signer}: the body is streamed from the caller's bytes or file without the SDK's
 *       intermediate copy, and over plain HTTP the signed payload hash of a single PUT is the
 *       SHA-256 computed anyway, so the data is hashed once (parts are hashed once more each; over
 *       HTTPS they are sent {@code UNSIGNED-PAYLOAD}, TLS protecting them). Everything else uses
 *       the SDK.
 *   <li>Nothing here logs or reports the secret key.
 * </ul>
 */
public final class S3BlobStore implements BlobStore {

    private static final Logger log = LoggerFactory.getLogger(S3BlobStore.class);

    /** S3 limits: parts of at least 5 MiB (except the last), single PUT or copy of at most 5 GiB. */
    static final long MIN_PART_SIZE = 5L * 1024 * 1024;
    static final long MAX_SINGLE_SIZE = 5L * 1024 * 1024 * 1024;
    private static final String SHA256_METADATA = "sha256";

    private static final Set<String> CREDENTIAL_ERRORS = Set.of(
            "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "InvalidToken", "ExpiredToken",
            "TokenRefreshRequired", "InvalidSecurity", "InvalidClientTokenId", "AccountProblem",
            "AllAccessDisabled", "UnauthorizedAccess");
    private static final Set<String> TRANSIENT_ERRORS = Set.of(
            "SlowDown", "SlowDownRead", "SlowDownWrite", "ServiceUnavailable", "InternalError", "RequestTimeout",
            "RequestTimeoutException", "Throttling", "ThrottlingException", "RequestThrottled",
            "OperationAborted", "XMinioServerNotInitialized", "XMinioReadQuorum", "XMinioWriteQuorum");
    private static final Set<String> NOT_FOUND_ERRORS = Set.of("NoSuchKey", "NotFound", "NoSuchObject");
    private static final Pattern RESPONSE_CODE = Pattern.compile("Response code: (\\d{3})");

    /**
     * Where and how to connect.
     *
     * @param endpoint  base URL, e.g. {@code https://minio.example.org:9000}
     * @param region    region of the bucket, e.g. {@code us-east-1}; {@code null} to ask the server
     * @param accessKey access key id
     * @param secretKey secret key (never logged, never in messages, masked in {@link #toString()})
     * @param bucket    bucket name (S3 rules: 3 to 63 characters of a-z 0-9 . -)
     * @param pathStyle {@code true} for {@code endpoint/bucket/key} URLs (MinIO, S3Proxy, most
     *                  on-premise servers), {@code false} for virtual-host style {@code bucket.endpoint/key}
     * @param keyPrefix optional prefix put before every key in the bucket, e.g. {@code node-a} (a
     *                  slash is added); {@code null} or {@code ""} for none
     */
    public record Config(String endpoint, String region, String accessKey, String secretKey, String bucket,
                         boolean pathStyle, String keyPrefix) {

        private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");

        public Config {
            requireText(endpoint, "endpoint");
            requireText(accessKey, "accessKey");
            requireText(secretKey, "secretKey");
            requireText(bucket, "bucket");
            if (!BUCKET.matcher(bucket).matches()) {
                throw new IllegalArgumentException("invalid S3 bucket name \"" + bucket
                        + "\": 3 to 63 characters of a-z 0-9 . -, starting and ending with a letter or digit");
            }
            if (region != null && region.isBlank()) {
                region = null;
            }
            keyPrefix = normalizePrefix(keyPrefix);
        }

        /** Path-style access to a bucket, no key prefix, region {@code us-east-1}. */
        public static Config of(String endpoint, String accessKey, String secretKey, String bucket) {
            return new Config(endpoint, "us-east-1", accessKey, secretKey, bucket, true, "");
        }

        public Config withKeyPrefix(String prefix) {
            return new Config(endpoint, region, accessKey, secretKey, bucket, pathStyle, prefix);
        }

        public Config withCredentials(String newAccessKey, String newSecretKey) {
            return new Config(endpoint, region, newAccessKey, newSecretKey, bucket, pathStyle, keyPrefix);
        }

        public Config withBucket(String newBucket) {
            return new Config(endpoint, region, accessKey, secretKey, newBucket, pathStyle, keyPrefix);
        }

        /** Like the generated one, with the secret masked. */
        @Override
        public String toString() {
            return "Config[endpoint=" + safeEndpoint(endpoint) + ", region=" + region + ", accessKey=" + accessKey
                    + ", secretKey=****, bucket=" + bucket + ", pathStyle=" + pathStyle + ", keyPrefix=" + keyPrefix
                    + "]";
        }

        private static void requireText(String value, String name) {
            if (value == null || value.isBlank()) {
                throw new IllegalArgumentException("S3 " + name + " must be set");
            }
        }

        private static String normalizePrefix(String prefix) {
            if (prefix == null || prefix.isEmpty()) {
                return "";
            }
            String trimmed = prefix;
            while (trimmed.endsWith("/")) {
                trimmed = trimmed.substring(0, trimmed.length() - 1);
            }
            try {
                BlobKeys.validate(trimmed);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("invalid S3 key prefix: " + e.getMessage(), e);
            }
            return trimmed + "/";
        }
    }

    /**
     * Tuning; {@link #defaults()} suits a MinIO or S3 server on a LAN.
     *
     * @param partSize           size of multipart parts
     * @param multipartThreshold streams and files up to this size are sent in one PUT, larger ones in
     *                           parts; a put of a stream buffers up to this much (or one part, if
     *                           larger) to find out which
     * @param partsInFlight      parts of one upload sent at the same time (each on its own
     *                           connection); a put of a stream holds one part more than this in memory
     * @param maxAttempts        attempts per request (1 = no retry)
     * @param initialBackoff     pause before the first retry; doubled after each failure
     * @param maxBackoff         longest pause between retries
     * @param connectTimeout     TCP connect timeout
     * @param ioTimeout          read and write timeout of a request
     * @param maxConnections     concurrent requests (and pooled connections) to the server
     */
    public record Options(long partSize, long multipartThreshold, int partsInFlight, int maxAttempts,
                          Duration initialBackoff, Duration maxBackoff, Duration connectTimeout, Duration ioTimeout,
                          int maxConnections) {

        public Options {
            if (partSize < MIN_PART_SIZE || partSize > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException("partSize must be between 5 MiB and 2 GiB, got " + partSize);
            }
            if (multipartThreshold < 0 || multipartThreshold > MAX_SINGLE_SIZE) {
                throw new IllegalArgumentException("multipartThreshold must be between 0 and 5 GiB");
            }
            if (partsInFlight < 1) {
                throw new IllegalArgumentException("partsInFlight must be at least 1");
            }
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("maxAttempts must be at least 1");
            }
            Objects.requireNonNull(initialBackoff, "initialBackoff");
            Objects.requireNonNull(maxBackoff, "maxBackoff");
            Objects.requireNonNull(connectTimeout, "connectTimeout");
            Objects.requireNonNull(ioTimeout, "ioTimeout");
            if (maxConnections < 1) {
                throw new IllegalArgumentException("maxConnections must be at least 1");
            }
        }

        /**
         * 16 MiB parts, 4 in flight, one PUT up to 64 MiB (so at most 80 MiB of memory per put of a
         * stream), 6 attempts 200 ms to 5 s apart, 64 connections.
         */
        public static Options defaults() {
            return new Options(16L * 1024 * 1024, 64L * 1024 * 1024, 4, 6, Duration.ofMillis(200),
                    Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofMinutes(2), 64);
        }

        public Options withPartSize(long size) {
            return new Options(size, multipartThreshold, partsInFlight, maxAttempts, initialBackoff, maxBackoff,
                    connectTimeout, ioTimeout, maxConnections);
        }

        public Options withMultipartThreshold(long threshold) {
            return new Options(partSize, threshold, partsInFlight, maxAttempts, initialBackoff, maxBackoff,
                    connectTimeout, ioTimeout, maxConnections);
        }

        public Options withPartsInFlight(int parts) {
            return new Options(partSize, multipartThreshold, parts, maxAttempts, initialBackoff, maxBackoff,
                    connectTimeout, ioTimeout, maxConnections);
        }

        public Options withRetries(int attempts, Duration initial, Duration max) {
            return new Options(partSize, multipartThreshold, partsInFlight, attempts, initial, max, connectTimeout,
                    ioTimeout, maxConnections);
        }

        public Options withTimeouts(Duration connect, Duration io) {
            return new Options(partSize, multipartThreshold, partsInFlight, maxAttempts, initialBackoff, maxBackoff,
                    connect, io, maxConnections);
        }
    }

    /** The server refused the access key / secret key pair (or denied access with them). */
    public static final class CredentialsRejectedException extends IOException {
        private final String errorCode;

        CredentialsRejectedException(String message, String errorCode, Throwable cause) {
            super(message, cause);
            this.errorCode = errorCode;
        }

        /** The S3 error code, e.g. {@code SignatureDoesNotMatch} or {@code InvalidAccessKeyId}. */
        public String errorCode() {
            return errorCode;
        }
    }

    /** A non-retryable S3 error response, with its code. */
    private static final class S3ErrorException extends IOException {
        final String code;

        S3ErrorException(String message, String code, Throwable cause) {
            super(message, cause);
            this.code = code;
        }
    }

    @FunctionalInterface
    private interface Request<T> {
        CompletableFuture<T> start() throws Exception;
    }

    private enum Failure { TRANSIENT, CREDENTIALS, PERMANENT }

    private final Config config;
    private final Options options;
    private final String endpoint;
    private final String objectPrefix;
    private final MinioAsyncClient client;
    private final OkHttpClient http;
    /** URL of the bucket's objects, ending with a slash: append an object name to address it. */
    private final String objectUrlBase;
    private final String signingRegion;
    private final boolean https;
    /** A put of a stream is sent in one PUT when it ends within this many parts. */
    private final int singlePutParts;
    /** Runs the parts of multipart uploads. */
    private final ExecutorService transfers;
    private volatile boolean closed;

    private static final String UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";
    /** SHA-256 of no bytes: the payload hash of a GET. */
    private static final String EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    private static final String USER_AGENT = "imaging-node-storage (" + System.getProperty("os.name") + "; "
            + System.getProperty("os.arch") + ") Java/" + System.getProperty("java.version");

    public S3BlobStore(Config config) throws IOException {
        this(config, Options.defaults());
    }

    /**
     * Connects, checks the credentials and creates the bucket if missing.
     *
     * @throws CredentialsRejectedException if the server rejects the credentials
     * @throws IOException if the server cannot be reached within the retry budget
     */
    public S3BlobStore(Config config, Options options) throws IOException {
        this.config = Objects.requireNonNull(config, "config");
        this.options = Objects.requireNonNull(options, "options");
        this.endpoint = safeEndpoint(config.endpoint());
        this.objectPrefix = config.keyPrefix();
        // the threshold rounded up to whole parts, so that the buffered head splits into parts if the stream
        // goes on (a part other than the last must not be short), but never above the S3 single-PUT limit
        long partSize = options.partSize();
        long parts = Math.max(1, (options.multipartThreshold() + partSize - 1) / partSize);
        if (parts * partSize > MAX_SINGLE_SIZE) {
            parts = Math.max(1, options.multipartThreshold() / partSize);
        }
        this.singlePutParts = (int) parts;

        Dispatcher dispatcher = new Dispatcher();
        dispatcher.setMaxRequests(options.maxConnections());
        dispatcher.setMaxRequestsPerHost(options.maxConnections());
        OkHttpClient http = new OkHttpClient.Builder()
                .dispatcher(dispatcher)
                .connectionPool(new ConnectionPool(options.maxConnections(), 5, TimeUnit.MINUTES))
                .connectTimeout(options.connectTimeout())
                .readTimeout(options.ioTimeout())
                .writeTimeout(options.ioTimeout())
                .protocols(List.of(Protocol.HTTP_1_1))
                .socketFactory(new NoDelaySocketFactory())
                .build();
        MinioAsyncClient.Builder builder = MinioAsyncClient.builder()
                .endpoint(config.endpoint())
                .credentials(config.accessKey(), config.secretKey())
                .httpClient(http, true);
        if (config.region() != null) {
            builder.region(config.region());
        }
        this.client = builder.build();
        this.http = http;
        AtomicInteger threads = new AtomicInteger();
        this.transfers = Executors.newCachedThreadPool(task -> {
            Thread thread = new Thread(task, "s3-transfer-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        if (config.pathStyle()) {
            client.disableVirtualStyleEndpoint();
        } else {
            client.enableVirtualStyleEndpoint();
        }
        try {
            ensureBucket();
            // Let the SDK work out the URL and region of an object (virtual host, AWS regional
            // endpoints...) once, from a presigned URL for a probe name.
            String probe = "imagingnode-probe";
            String presigned = call("resolve object URL", null, () -> CompletableFuture.completedFuture(
                    client.getPresignedObjectUrl(GetPresignedObjectUrlArgs.builder().method(Method.PUT)
                            .bucket(config.bucket()).object(probe).expiry(60).build())));
            HttpUrl url = HttpUrl.get(presigned);
            String base = url.newBuilder().query(null).build().toString();
            if (!base.endsWith("/" + probe)) {
                throw new IOException("unexpected object URL layout from the S3 SDK: " + safeEndpoint(base));
            }
            this.objectUrlBase = base.substring(0, base.length() - probe.length());
            String[] scope = String.valueOf(url.queryParameter("X-Amz-Credential")).split("/");
            this.signingRegion = scope.length >= 5 ? scope[scope.length - 3] : config.region();
            this.https = url.isHttps();
        } catch (IOException | RuntimeException e) {
            closeClient();
            throw e;
        }
        log.debug("opened {}", describe());
    }

    private void ensureBucket() throws IOException {
        String bucket = config.bucket();
        boolean exists = call("check bucket", null,
                () -> client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build()));
        if (exists) {
            return;
        }
        try {
            call("create bucket", null, () -> {
                MakeBucketArgs.Builder args = MakeBucketArgs.builder().bucket(bucket);
                if (config.region() != null) {
                    args.region(config.region());
                }
                return client.makeBucket(args.build());
            });
            log.info("created S3 bucket {} at {}", bucket, endpoint);
        } catch (S3ErrorException e) {
            // another node created it meanwhile
            if (!e.code.equals("BucketAlreadyOwnedByYou") && !e.code.equals("BucketAlreadyExists")) {
                throw e;
            }
            if (!call("check bucket", null, () -> client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build()))) {
                throw e;
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // writes

    @Override
    public StoredBlob put(String key, InputStream data) throws IOException {
        BlobKeys.validate(key);
        Objects.requireNonNull(data, "data");
        ensureOpen();
        String object = objectName(key);
        PushbackInputStream in = new PushbackInputStream(data, 1);
        MessageDigest digest = Sha256.newDigest();
        long partSize = options.partSize();

        // read up to the single-PUT limit, in part-sized buffers in case the stream goes on
        List<BlockBuffer> head = new ArrayList<>();
        boolean ended = false;
        while (!ended && head.size() < singlePutParts) {
            BlockBuffer part = new BlockBuffer();
            ended = part.fill(in, partSize, digest);
            head.add(part);
        }
        if (ended) {
            String sha256 = Sha256.hex(digest.digest());
            RequestBody body = BlockBuffer.body(head);
            call("put", key, () -> CompletableFuture.completedFuture(
                    rawPut(object, null, body, sha256, Map.of("x-amz-meta-" + SHA256_METADATA, sha256))));
            return new StoredBlob(key, body.contentLength(), sha256);
        }

        // longer: multipart upload, the next part read while earlier ones are sent
        String uploadId = startMultipart(key, object, null);
        PartUploads uploads = new PartUploads(transfers, options.partsInFlight());
        long size = 0;
        try {
            int number = 0;
            for (BlockBuffer part : head) {
                size += part.length();
                submitPart(uploads, ++number, key, object, uploadId, part);
            }
            head.clear(); // each part holds its buffer until it is sent
            while (!ended) {
                BlockBuffer part = new BlockBuffer();
                ended = part.fill(in, partSize, digest);
                size += part.length();
                submitPart(uploads, ++number, key, object, uploadId, part);
            }
            completeMultipart(key, object, uploadId, uploads.finish(), size);
        } catch (IOException | RuntimeException | Error e) {
            uploads.cancel();
            abortQuietly(object, uploadId);
            throw e;
        }
        String sha256 = Sha256.hex(digest.digest());
        attachChecksum(key, object, size, sha256);
        return new StoredBlob(key, size, sha256);
    }

    private void submitPart(PartUploads uploads, int number, String key, String object, String uploadId,
                            BlockBuffer part) throws IOException {
        uploads.submit(number, () -> uploadPart(key, object, uploadId, number,
                BlockBuffer.body(List.of(part)), https ? UNSIGNED_PAYLOAD : part.sha256()));
    }

    /** One part of a multipart upload, with retries; returns its ETag. */
    private String uploadPart(String key, String object, String uploadId, int number, RequestBody body,
                              String payloadHash) throws IOException {
        Map<String, String> query = Map.of("partNumber", Integer.toString(number), "uploadId", uploadId);
        return call("upload part " + number, key, () -> CompletableFuture.completedFuture(
                rawPut(object, query, body, payloadHash, Map.of())));
    }

    /**
     * Uploads a local file: hashed first (one read), then sent with its checksum, in one PUT up to
     * {@link Options#multipartThreshold()} and in parts above. The file is deleted once stored.
     */
    @Override
    public StoredBlob putFile(String key, Path source) throws IOException {
        return putFile(key, source, null);
    }

    /**
     * With the checksum the caller computed while writing the file, the file is not read to hash it.
     * Over HTTP the server still checks it: a single PUT is signed with it as the payload hash.
     */
    @Override
    public StoredBlob putFile(String key, Path source, String sha256Hex) throws IOException {
        BlobKeys.validate(key);
        Objects.requireNonNull(source, "source");
        ensureOpen();
        String known = sha256Hex == null ? null : Sha256.requireHex(sha256Hex);
        BasicFileAttributes attributes = Files.readAttributes(source, BasicFileAttributes.class);
        if (!attributes.isRegularFile()) {
            throw new IOException("cannot store " + source + ": not a regular file");
        }
        String object = objectName(key);
        long size = attributes.size();
        String sha256 = known != null ? known : hashFile(source);

        if (size <= options.multipartThreshold()) {
            RequestBody body = new FileRegionBody(source, 0, size);
            call("put", key, () -> CompletableFuture.completedFuture(
                    rawPut(object, null, body, sha256, Map.of("x-amz-meta-" + SHA256_METADATA, sha256))));
        } else {
            String uploadId = startMultipart(key, object, sha256);
            PartUploads uploads = new PartUploads(transfers, options.partsInFlight());
            try {
                long partSize = options.partSize();
                int number = 0;
                for (long offset = 0; offset < size; offset += partSize) {
                    long start = offset;
                    long length = Math.min(partSize, size - offset);
                    int part = ++number;
                    uploads.submit(part, () -> uploadPart(key, object, uploadId, part,
                            new FileRegionBody(source, start, length), partPayloadHash(source, start, length)));
                }
                completeMultipart(key, object, uploadId, uploads.finish(), size);
            } catch (IOException | RuntimeException | Error e) {
                uploads.cancel();
                abortQuietly(object, uploadId);
                throw e;
            }
        }
        try {
            Files.deleteIfExists(source);
        } catch (IOException e) {
            log.warn("stored {} but could not delete the source file {}: {}", key, source, e.toString());
        }
        return new StoredBlob(key, size, sha256);
    }

    /**
     * One signed PUT (an object, or a part when {@code query} carries partNumber and uploadId),
     * executed synchronously; S3 error responses become the SDK's exceptions, for {@link #classify}.
     *
     * @param payloadSha256 SHA-256 of the body, or {@code UNSIGNED-PAYLOAD}
     * @return the ETag
     */
    private String rawPut(String object, Map<String, String> query, RequestBody body, String payloadSha256,
                          Map<String, String> headers) throws Exception {
        HttpUrl.Builder urlBuilder = HttpUrl.get(objectUrlBase + object).newBuilder();
        if (query != null) {
            query.forEach((k, v) -> urlBuilder.addEncodedQueryParameter(S3Escaper.encode(k), S3Escaper.encode(v)));
        }
        HttpUrl url = urlBuilder.build();
        String contentSha256 = Objects.requireNonNull(payloadSha256, "payload hash");
        okhttp3.Request.Builder request = new okhttp3.Request.Builder().url(url).put(body)
                .header("Host", HttpUtils.getHostHeader(url))
                .header("Accept-Encoding", "identity")
                .header("User-Agent", USER_AGENT)
                .header("Content-Type", "application/octet-stream")
                .header("x-amz-date", ZonedDateTime.now().format(Time.AMZ_DATE_FORMAT))
                .header("x-amz-content-sha256", contentSha256);
        headers.forEach(request::header);
        okhttp3.Request signed = Signer.signV4S3(request.build(), signingRegion, config.accessKey(),
                config.secretKey(), contentSha256);
        try (Response response = http.newCall(signed).execute()) {
            if (!response.isSuccessful()) {
                throw errorOf(response, object);
            }
            String etag = response.header("ETag");
            return etag == null ? "" : etag.replace("\"", "");
        }
    }

    /**
     * One signed GET, read through the JDK's {@link HttpURLConnection} rather than OkHttp: it reads
     * large buffers straight from the socket, where Okio copies every 8 KiB through a segment. For a
     * 50 MB get from S3Proxy that was half of the process's CPU per byte (client and server).
     *
     * @param range a {@code Range} header value, or {@code null} for the whole object
     * @return the body; an error status becomes the SDK's exception, as for {@link #rawPut}
     */
    private InputStream rawGet(String object, String range) throws Exception {
        HttpUrl url = HttpUrl.get(objectUrlBase + object);
        okhttp3.Request.Builder request = new okhttp3.Request.Builder().url(url).get()
                .header("Host", HttpUtils.getHostHeader(url))
                .header("x-amz-date", ZonedDateTime.now().format(Time.AMZ_DATE_FORMAT))
                .header("x-amz-content-sha256", EMPTY_SHA256);
        if (range != null) {
            request.header("Range", range);
        }
        okhttp3.Request signed = Signer.signV4S3(request.build(), signingRegion, config.accessKey(),
                config.secretKey(), EMPTY_SHA256);
        HttpURLConnection connection = (HttpURLConnection) url.url().openConnection();
        connection.setConnectTimeout((int) options.connectTimeout().toMillis());
        connection.setReadTimeout((int) options.ioTimeout().toMillis());
        connection.setUseCaches(false);
        connection.setInstanceFollowRedirects(false); // a redirect would not carry a valid signature
        // the JDK sets Host itself, to the same host[:port] that was signed
        signed.headers().names().stream().filter(name -> !name.equalsIgnoreCase("Host"))
                .forEach(name -> connection.setRequestProperty(name, signed.header(name)));
        connection.setRequestProperty("User-Agent", USER_AGENT);
        connection.setRequestProperty("Accept-Encoding", "identity");
        int status = connection.getResponseCode();
        if (status / 100 == 2) {
            return connection.getInputStream();
        }
        Headers.Builder headers = new Headers.Builder();
        connection.getHeaderFields().forEach((name, values) -> {
            if (name != null) {
                values.forEach(value -> headers.addUnsafeNonAscii(name, value));
            }
        });
        byte[] body;
        try (InputStream error = connection.getErrorStream()) {
            body = error == null ? new byte[0] : error.readAllBytes();
        }
        String contentType = connection.getContentType();
        Response response = new Response.Builder().request(signed).protocol(Protocol.HTTP_1_1).code(status)
                .message(String.valueOf(connection.getResponseMessage())).headers(headers.build())
                .body(ResponseBody.create(body, contentType == null ? null : MediaType.parse(contentType)))
                .build();
        try (response) {
            throw errorOf(response, object);
        }
    }

    /** Turns an error response into what the SDK would have thrown for it. */
    private Exception errorOf(Response response, String object) throws IOException {
        int status = response.code();
        String body = response.body() == null ? "" : response.body().string();
        String contentType = response.header("Content-Type");
        if (!body.isEmpty() && contentType != null && contentType.contains("xml")) {
            try {
                return new ErrorResponseException(Xml.unmarshal(ErrorResponse.class, body), response, null);
            } catch (XmlParserException e) {
                return e;
            }
        }
        if (status >= 500 || status == 429) {
            return new ServerException("server failed with HTTP status code " + status, status, null);
        }
        String code = switch (status) {
            case 403 -> "AccessDenied";
            case 404 -> "NoSuchKey";
            case 412 -> "PreconditionFailed";
            default -> "HTTP" + status;
        };
        return new ErrorResponseException(new ErrorResponse(code, "HTTP " + status, config.bucket(), object,
                response.request().url().encodedPath(), response.header("x-amz-request-id"),
                response.header("x-amz-id-2")), response, null);
    }

    /** Payload hash of a part of a file: signed over HTTP, {@code UNSIGNED-PAYLOAD} over HTTPS (TLS checks integrity). */
    private String partPayloadHash(Path file, long offset, long length) throws IOException {
        if (https) {
            return UNSIGNED_PAYLOAD;
        }
        MessageDigest digest = Sha256.newDigest();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buffer = ByteBuffer.allocate(256 * 1024);
            long position = offset;
            long end = offset + length;
            while (position < end) {
                buffer.clear().limit((int) Math.min(buffer.capacity(), end - position));
                int n = channel.read(buffer, position);
                if (n < 0) {
                    throw new IOException(file + " shrank while being uploaded");
                }
                digest.update(buffer.array(), 0, n);
                position += n;
            }
        }
        return Sha256.hex(digest.digest());
    }

    /**
     * Plain sockets with Nagle's algorithm off. OkHttp leaves it on, and a request whose last
     * segment is small then waits for the server's delayed ACK: a 40 ms stall on about one request
     * in ten in the benchmark. (TLS sockets are layered on these, so HTTPS benefits too.)
     */
    private static final class NoDelaySocketFactory extends SocketFactory {
        private final SocketFactory delegate = SocketFactory.getDefault();

        private static Socket noDelay(Socket socket) throws IOException {
            socket.setTcpNoDelay(true);
            return socket;
        }

        @Override
        public Socket createSocket() throws IOException {
            return noDelay(delegate.createSocket());
        }

        @Override
        public Socket createSocket(String host, int port) throws IOException {
            return noDelay(delegate.createSocket(host, port));
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress localHost, int localPort)
                throws IOException {
            return noDelay(delegate.createSocket(host, port, localHost, localPort));
        }

        @Override
        public Socket createSocket(InetAddress host, int port) throws IOException {
            return noDelay(delegate.createSocket(host, port));
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress localAddress,
                                            int localPort) throws IOException {
            return noDelay(delegate.createSocket(address, port, localAddress, localPort));
        }
    }

    /** A region of a file as a request body, re-readable for retries. */
    private static final class FileRegionBody extends OctetStreamBody {
        private final Path file;
        private final long offset;
        private final long length;

        FileRegionBody(Path file, long offset, long length) {
            super(length);
            this.file = file;
            this.offset = offset;
            this.length = length;
        }

        @Override
        public void writeTo(BufferedSink sink) throws IOException {
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                channel.position(offset);
                try (Source source = Okio.source(Channels.newInputStream(channel))) {
                    sink.write(source, length);
                }
            }
        }
    }

    private String startMultipart(String key, String object, String sha256) throws IOException {
        ImmutableMultimap<String, String> headers = sha256 == null
                ? ImmutableMultimap.of("Content-Type", "application/octet-stream")
                : ImmutableMultimap.of("Content-Type", "application/octet-stream",
                        "x-amz-meta-" + SHA256_METADATA, sha256);
        return call("start multipart upload", key, () -> client.createMultipartUploadAsync(config.bucket(),
                config.region(), object, headers, null)).result().uploadId();
    }

    private ObjectWriteResponse completeMultipart(String key, String object, String uploadId, List<Part> parts,
                                                  long size) throws IOException {
        Part[] array = parts.toArray(new Part[0]);
        try {
            return call("complete multipart upload", key, () -> client.completeMultipartUploadAsync(
                    config.bucket(), config.region(), object, uploadId, array, null, null));
        } catch (S3ErrorException e) {
            // A retry after a completion whose response was lost finds the upload gone: check the object.
            if (e.code.equals("NoSuchUpload")) {
                Optional<StatObjectResponse> stat = statObject(key, object);
                if (stat.isPresent() && stat.get().size() == size) {
                    return new ObjectWriteResponse(null, config.bucket(), config.region(), object,
                            stat.get().etag(), stat.get().versionId());
                }
            }
            throw e;
        }
    }

    /**
     * After a multipart upload of a stream: records the checksum, known only now, as metadata, by an
     * in-place copy guarded by the object's current ETag so that a concurrent put of the same key is
     * not stamped with our checksum. (The ETag is read back with a HEAD rather than taken from the
     * completion response: some servers, S3Proxy among them, report different ETags for the two.)
     */
    private void attachChecksum(String key, String object, long size, String sha256) throws IOException {
        if (size > MAX_SINGLE_SIZE) {
            log.warn("{} is larger than 5 GiB: its SHA-256 is not recorded as S3 metadata", key);
            return;
        }
        Optional<StatObjectResponse> current = statObject(key, object);
        if (current.isEmpty() || current.get().size() != size) {
            log.debug("{} was replaced or deleted before its checksum was recorded", key);
            return;
        }
        String etag = current.get().etag();
        try {
            call("record checksum of", key, () -> client.copyObject(CopyObjectArgs.builder()
                    .bucket(config.bucket()).object(object)
                    .source(CopySource.builder().bucket(config.bucket()).object(object).matchETag(etag).build())
                    .headers(Map.of("Content-Type", "application/octet-stream"))
                    .userMetadata(Map.of(SHA256_METADATA, sha256))
                    .metadataDirective(Directive.REPLACE).build()));
        } catch (S3ErrorException e) {
            if (e.code.equals("PreconditionFailed")) {
                log.debug("{} was replaced before its checksum was recorded", key);
                return;
            }
            throw e;
        }
    }

    private void abortQuietly(String object, String uploadId) {
        try {
            await(client.abortMultipartUploadAsync(config.bucket(), config.region(), object, uploadId, null, null));
        } catch (Exception e) {
            log.debug("could not abort multipart upload {} of {}: {}", uploadId, object, e.toString());
        }
    }

    private static String hashFile(Path file) throws IOException {
        MessageDigest digest = Sha256.newDigest();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buffer = ByteBuffer.allocate(256 * 1024);
            int n;
            while ((n = channel.read(buffer.clear())) >= 0) {
                digest.update(buffer.array(), 0, n);
            }
        }
        return Sha256.hex(digest.digest());
    }

    // ---------------------------------------------------------------------------------------------
    // reads

    @Override
    public InputStream get(String key, long offset, long length) throws IOException {
        BlobKeys.validate(key);
        BlobKeys.validateRange(offset, length);
        ensureOpen();
        String object = objectName(key);
        if (length == 0) {
            // S3 ranges cannot be empty
            if (statObject(key, object).isEmpty()) {
                throw new BlobNotFoundException(key);
            }
            return InputStream.nullInputStream();
        }
        String range = null;
        if (offset != 0 || length != Long.MAX_VALUE) {
            range = "bytes=" + offset + "-" + (length <= Long.MAX_VALUE - offset ? Long.toString(offset + length - 1) : "");
        }
        String rangeHeader = range;
        try {
            return call("get", key, () -> CompletableFuture.completedFuture(rawGet(object, rangeHeader)));
        } catch (S3ErrorException e) {
            if (NOT_FOUND_ERRORS.contains(e.code)) {
                throw new BlobNotFoundException(key);
            }
            if (e.code.equals("InvalidRange")) {
                return InputStream.nullInputStream(); // the range starts at or past the end
            }
            throw e;
        }
    }

    @Override
    public InputStream getVerified(String key, String expectedSha256Hex) throws IOException {
        String expected = Sha256.requireHex(expectedSha256Hex);
        return new VerifyingInputStream(get(key), key, expected);
    }

    @Override
    public Optional<BlobInfo> stat(String key) throws IOException {
        BlobKeys.validate(key);
        ensureOpen();
        return statObject(key, objectName(key)).map(s -> new BlobInfo(key, s.size(), s.lastModified().toInstant()));
    }

    /** The {@code x-amz-meta-sha256} metadata written with the blob. */
    @Override
    public Optional<String> recordedSha256(String key) throws IOException {
        BlobKeys.validate(key);
        ensureOpen();
        StatObjectResponse stat = statObject(key, objectName(key)).orElseThrow(() -> new BlobNotFoundException(key));
        String value = stat.userMetadata().get(SHA256_METADATA);
        return value != null && Sha256.isHex(value) ? Optional.of(value.toLowerCase(Locale.ROOT))
                : Optional.empty();
    }

    private Optional<StatObjectResponse> statObject(String key, String object) throws IOException {
        try {
            return Optional.of(call("stat", key, () -> client.statObject(
                    StatObjectArgs.builder().bucket(config.bucket()).object(object).build())));
        } catch (S3ErrorException e) {
            if (NOT_FOUND_ERRORS.contains(e.code)) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public boolean delete(String key) throws IOException {
        BlobKeys.validate(key);
        ensureOpen();
        String object = objectName(key);
        // S3 deletes are idempotent and do not say whether there was something to delete
        if (statObject(key, object).isEmpty()) {
            return false;
        }
        call("delete", key, () -> client.removeObject(
                RemoveObjectArgs.builder().bucket(config.bucket()).object(object).build()));
        return true;
    }

    @Override
    public Stream<BlobInfo> list(String prefix) throws IOException {
        BlobKeys.validatePrefix(prefix);
        ensureOpen();
        Iterable<Result<Item>> results = client.listObjects(ListObjectsArgs.builder().bucket(config.bucket())
                .prefix(objectPrefix + prefix).recursive(true).build());
        Listing listing = new Listing(results.iterator());
        try {
            listing.hasNext(); // fetch the first page now, so that errors surface as IOException here
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(listing, Spliterator.NONNULL), false);
    }

    private final class Listing extends LookaheadIterator<BlobInfo> {
        private final Iterator<Result<Item>> results;

        Listing(Iterator<Result<Item>> results) {
            this.results = results;
        }

        @Override
        protected BlobInfo advance() {
            while (results.hasNext()) {
                Item item;
                try {
                    item = results.next().get();
                } catch (Exception e) {
                    IOException failure = toIOException("list", null, unwrap(e), 1);
                    throw new UncheckedIOException(failure.getMessage(), failure);
                }
                if (item.isDir() || !item.objectName().startsWith(objectPrefix)) {
                    continue;
                }
                String key = item.objectName().substring(objectPrefix.length());
                try {
                    BlobKeys.validate(key);
                } catch (IllegalArgumentException e) {
                    continue; // not written by this store
                }
                return new BlobInfo(key, item.size(), item.lastModified() == null ? null
                        : item.lastModified().toInstant());
            }
            return null;
        }
    }

    @Override
    public String describe() {
        return "s3 " + endpoint + " bucket " + config.bucket()
                + (objectPrefix.isEmpty() ? "" : " prefix " + objectPrefix)
                + (config.pathStyle() ? " (path-style)" : " (virtual-host style)");
    }

    @Override
    public String toString() {
        return describe();
    }

    @Override
    public synchronized void close() throws IOException {
        if (!closed) {
            closed = true;
            closeClient();
        }
    }

    private void closeClient() {
        transfers.shutdownNow();
        try {
            client.close();
        } catch (Exception e) {
            log.debug("closing the S3 client: {}", e.toString());
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("blob store is closed: " + describe());
        }
    }

    private String objectName(String key) {
        return objectPrefix + key;
    }

    // ---------------------------------------------------------------------------------------------
    // requests, retries, errors

    /** Runs a request, retrying transient failures with exponential back-off and jitter. */
    private <T> T call(String operation, String key, Request<T> request) throws IOException {
        long backoff = options.initialBackoff().toMillis();
        for (int attempt = 1; ; attempt++) {
            Throwable failure;
            try {
                return await(request.start());
            } catch (InterruptedIOException e) {
                if (Thread.currentThread().isInterrupted()) {
                    throw e;
                }
                failure = e;
            } catch (Exception e) {
                failure = unwrap(e);
            }
            Failure kind = classify(failure);
            if (kind == Failure.CREDENTIALS) {
                throw credentialsRejected(operation, (ErrorResponseException) failure);
            }
            if (kind == Failure.PERMANENT || attempt >= options.maxAttempts()) {
                throw toIOException(operation, key, failure, attempt);
            }
            long pause = backoff / 2 + ThreadLocalRandom.current().nextLong(backoff / 2 + 1);
            log.warn("S3 {} {} failed (attempt {}/{}), retrying in {} ms: {}", operation, what(key), attempt,
                    options.maxAttempts(), pause, summary(failure));
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting to retry S3 " + operation);
            }
            backoff = Math.min(backoff * 2, options.maxBackoff().toMillis());
        }
    }

    private static <T> T await(CompletableFuture<T> future) throws Exception {
        try {
            return future.get();
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for S3");
        } catch (ExecutionException e) {
            Throwable cause = unwrap(e);
            if (cause instanceof Exception ex) {
                throw ex;
            }
            throw e;
        }
    }

    private static Throwable unwrap(Throwable t) {
        Throwable current = t;
        while ((current instanceof CompletionException || current instanceof ExecutionException)
                && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }

    private static Failure classify(Throwable t) {
        if (t instanceof ErrorResponseException e) {
            String code = e.errorResponse().code();
            int status = e.response() != null ? e.response().code() : 0;
            if (CREDENTIAL_ERRORS.contains(code)) {
                return Failure.CREDENTIALS;
            }
            if (TRANSIENT_ERRORS.contains(code) || status >= 500 || status == 429) {
                return Failure.TRANSIENT;
            }
            return Failure.PERMANENT;
        }
        if (t instanceof ServerException e) {
            return e.statusCode() >= 500 || e.statusCode() == 429 ? Failure.TRANSIENT : Failure.PERMANENT;
        }
        if (t instanceof InvalidResponseException e) {
            // a non-S3 answer, e.g. an HTML 502 page from a reverse proxy
            Matcher m = RESPONSE_CODE.matcher(String.valueOf(e.getMessage()));
            int status = m.find() ? Integer.parseInt(m.group(1)) : 0;
            return status >= 500 || status == 429 ? Failure.TRANSIENT : Failure.PERMANENT;
        }
        if (t instanceof SSLHandshakeException || t instanceof SSLPeerUnverifiedException) {
            return Failure.PERMANENT; // certificate problems do not heal by themselves
        }
        if (t instanceof IOException) {
            return Failure.TRANSIENT; // refused, reset, timed out, unexpected end of stream...
        }
        if (t instanceof XmlParserException) {
            return Failure.TRANSIENT; // usually a truncated response
        }
        return Failure.PERMANENT;
    }

    private CredentialsRejectedException credentialsRejected(String operation, ErrorResponseException e) {
        String code = e.errorResponse().code();
        String why = switch (code) {
            case "InvalidAccessKeyId" -> "the access key id is not known to the server";
            case "SignatureDoesNotMatch" -> "the secret key does not match the access key";
            case "AccessDenied" -> "access denied: the credentials are wrong or not allowed to use this bucket";
            case "InvalidToken", "ExpiredToken", "TokenRefreshRequired" -> "the session token is invalid or expired";
            default -> "the account cannot be used";
        };
        return new CredentialsRejectedException("S3 credentials were rejected by " + endpoint + " (access key "
                + maskedAccessKey() + ", bucket " + config.bucket() + ", during " + operation + "): " + code + ": "
                + why, code, null);
    }

    private IOException toIOException(String operation, String key, Throwable failure, int attempts) {
        String context = "S3 " + operation + " " + what(key) + " at " + endpoint + " failed"
                + (attempts > 1 ? " after " + attempts + " attempts" : "") + ": ";
        if (failure instanceof ErrorResponseException e) {
            String code = e.errorResponse().code();
            if (CREDENTIAL_ERRORS.contains(code)) {
                return credentialsRejected(operation, e);
            }
            return new S3ErrorException(context + code + " (" + e.errorResponse().message() + ")", code, e);
        }
        return new IOException(context + summary(failure), failure);
    }

    private String what(String key) {
        return key == null ? "bucket " + config.bucket() : key;
    }

    private static String summary(Throwable t) {
        if (t instanceof ErrorResponseException e) {
            return e.errorResponse().code() + " (HTTP " + (e.response() != null ? e.response().code() : "?") + ")";
        }
        if (t instanceof ServerException e) {
            return "HTTP " + e.statusCode();
        }
        String message = t.getMessage();
        if (message != null && message.length() > 200) {
            message = message.substring(0, 200) + "...";
        }
        return t.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }

    private String maskedAccessKey() {
        String key = config.accessKey();
        if (key.length() <= 8) {
            return key.charAt(0) + "****";
        }
        return key.substring(0, 4) + "****" + key.substring(key.length() - 2);
    }

    /** The endpoint without user information or query, safe for logs. */
    static String safeEndpoint(String endpoint) {
        try {
            URI uri = new URI(endpoint);
            if (uri.getHost() == null) {
                return endpoint.replaceAll("//[^/@]*@", "//");
            }
            return new URI(uri.getScheme(), null, uri.getHost(), uri.getPort(), uri.getPath(), null, null).toString();
        } catch (URISyntaxException e) {
            return endpoint.replaceAll("//[^/@]*@", "//").replaceAll("\\?.*", "");
        }
    }
}
