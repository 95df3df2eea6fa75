package org.imagingnode.storage;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

/**
 * A real S3 server for tests and the benchmark: S3Proxy over its NIO.2 filesystem backend, on
 * 127.0.0.1 with a port chosen by the system, with AWS v2/v4 signature checking. It can be stopped
 * and started again on the same port with the same data.
 */
public final class S3ProxyServer implements AutoCloseable {

    public static final String IDENTITY = "test-access-key";
    public static final String CREDENTIAL = "test-secret-key-do-not-leak";

    private final BlobStoreContext context;
    private S3Proxy proxy;
    private int port;
    private String credential = CREDENTIAL;

    public S3ProxyServer(Path dataDirectory) throws Exception {
        Files.createDirectories(dataDirectory);
        Properties properties = new Properties();
        properties.setProperty("jclouds.filesystem.basedir", dataDirectory.toAbsolutePath().toString());
        this.context = ContextBuilder.newBuilder("filesystem-nio2")
                .credentials(IDENTITY, CREDENTIAL)
                .overrides(properties)
                .build(BlobStoreContext.class);
        start();
    }

    /** Starts the server: on a fresh port the first time, then on the same port as before. */
    public synchronized void start() throws Exception {
        if (proxy != null) {
            return;
        }
        S3Proxy started = S3Proxy.builder()
                .blobStore(context.getBlobStore())
                .endpoint(URI.create("http://127.0.0.1:" + port))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, IDENTITY, credential)
                .build();
        started.start();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!"STARTED".equals(started.getState())) {
            if (System.nanoTime() > deadline) {
                started.stop();
                throw new IllegalStateException("S3Proxy did not start: " + started.getState());
            }
            Thread.sleep(10);
        }
        port = started.getPort();
        proxy = started;
    }

    /** Restarts the server on the same port, now expecting {@code newCredential} as secret key. */
    public synchronized void restartWithSecret(String newCredential) throws Exception {
        stop();
        credential = newCredential;
        start();
    }

    public synchronized void stop() throws Exception {
        if (proxy != null) {
            proxy.stop();
            proxy = null;
        }
    }

    public int port() {
        return port;
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** Path-style configuration for {@code bucket}, with the right credentials. */
    public S3BlobStore.Config config(String bucket) {
        return S3BlobStore.Config.of(endpoint(), IDENTITY, CREDENTIAL, bucket);
    }

    @Override
    public void close() throws Exception {
        try {
            stop();
        } finally {
            context.close();
        }
    }
}
