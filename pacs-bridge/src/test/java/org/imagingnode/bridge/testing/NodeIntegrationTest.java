package org.imagingnode.bridge.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Base of the tests that run the whole node: a real embedded PostgreSQL, a filesystem blob store in
 * a temporary folder, the DIMSE listener and the HTTP server on free loopback ports. Every subclass
 * shares one running node (Spring caches the context), so tests use their own fresh UIDs.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureObservability // metrics are exported as in production (Spring Boot tests turn them off)
public abstract class NodeIntegrationTest extends RunningNode {
    public static final String NODE_AE = "TESTNODE";
    /** Port of the storescp that C-MOVE tests use as destination "STORESCP". */
    public static final int STORESCP_PORT;
    private static final Path DATA_DIR;

    static {
        try {
            // under target/ so that "mvn clean" removes it with the embedded database inside
            DATA_DIR = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "node-data");
            STORESCP_PORT = Dcmtk.freePort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @DynamicPropertySource
    static void nodeProperties(DynamicPropertyRegistry registry) {
        // a placeholder, so that ownDataDir can redirect a subclass's node (superclass registrations win)
        registry.add("node.data-dir", () -> "${test.own-data-dir:" + DATA_DIR + "}");
        registry.add("node.ae-title", () -> NODE_AE);
        registry.add("node.dimse.port", () -> "0");
        registry.add("node.dimse.bind-address", () -> "127.0.0.1");
        registry.add("node.dimse.calling-aes", () -> "STORESCU=store, FINDSCU=query, GETSCU=retrieve,"
                + " MOVESCU=retrieve|query, ALL=store|query|retrieve, STOREONLY=store,"
                + " LOOPBACKCT=store@127.0.0.0/8, REMOTECT=store@192.0.2.10");
        registry.add("node.dimse.max-find-results", () -> "100");
        registry.add("node.dimse.move-destinations", () -> "STORESCP=127.0.0.1:" + STORESCP_PORT
                + ", DOWNSCP=127.0.0.1:1");
        // manifests are built on demand in tests (a scheduled build would add instances to their studies)
        registry.add("node.sharing.manifest.enabled", () -> "${test.manifests:false}");
        registry.add("node.sharing.hl7.port", () -> "0"); // the HL7 v2 listener, on a free port
        // DICOMweb: everything allowed (local development mode), a browser origin for the CORS tests
        registry.add("node.security.mode", () -> "open-dev");
        registry.add("node.dicomweb.cors-allowed-origins", () -> "http://viewer.test");
    }

    /**
     * For a subclass that changes properties, and so gets a node (Spring context) of its own: gives
     * that node its own data folder, since two embedded databases cannot share one.
     */
    protected static void ownDataDir(DynamicPropertyRegistry registry) {
        try {
            Path own = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "node-data");
            registry.add("test.own-data-dir", own::toString);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    protected static Path dataDir() {
        return DATA_DIR;
    }
}
