package org.imagingnode.bridge.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.imagingnode.bridge.dicom.DicomDataset;
import org.imagingnode.bridge.dicom.TestObjects;

/** Runs DCMTK command-line tools (Debian package dcmtk) as real DICOM peers in tests. */
public final class Dcmtk {
    private Dcmtk() {
    }

    /** What a finished tool printed and returned. */
    public record Result(int exitCode, String output) {
        public boolean ok() {
            return exitCode == 0;
        }
    }

    public static Result run(long timeoutSeconds, String... command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        // DCMTK disables Nagle only when asked; without it every exchange waits ~40 ms on loopback.
        pb.environment().put("TCP_NODELAY", "1");
        Path log = Files.createTempFile("dcmtk", ".log");
        pb.redirectOutput(log.toFile());
        Process p = pb.start();
        try {
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish within "
                        + timeoutSeconds + " s; output:\n" + Files.readString(log, StandardCharsets.ISO_8859_1));
            }
            return new Result(p.exitValue(), Files.readString(log, StandardCharsets.ISO_8859_1));
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /** Starts a long-running tool (e.g. storescp); the caller destroys it. */
    public static Process start(Path log, String... command) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("TCP_NODELAY", "1");
        return pb.start();
    }

    public static List<String> args(Object... parts) {
        List<String> out = new ArrayList<>();
        for (Object p : parts) {
            if (p instanceof List<?> l) {
                l.forEach(x -> out.add(x.toString()));
            } else {
                out.add(p.toString());
            }
        }
        return out;
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Waits (up to 5 s) until something listens on a loopback port, e.g. a storescp just started. */
    public static void awaitListening(int port) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException e) {
                Thread.sleep(50);
            }
        }
        throw new IllegalStateException("nothing listens on port " + port);
    }

    /**
     * A C-FIND with findscu ({@code model} "-S" study root or "-P" patient root) from {@code callingAe}; {@code keys}
     * maps tags to values ("" for a return key). Returns the responses, read with the node's own layer; fails when
     * findscu does.
     */
    public static List<DicomDataset> find(Path work, String model, String callingAe,
            String calledAe, String port, Map<Integer, String> keys) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory(work, "find");
        Path query = TestObjects.writeQuery(dir.resolve("query.dcm"),
                new LinkedHashMap<>(keys));
        Result r = run(60, "findscu", model, "-aet", callingAe, "-aec", calledAe, "127.0.0.1", port, "-X", "-od",
                dir.toString(), query.toString());
        if (!r.ok()) {
            throw new AssertionError("findscu failed:\n" + r.output());
        }
        List<DicomDataset> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.filter(p -> p.getFileName().toString().startsWith("rsp")).sorted().toList()) {
                out.add(TestObjects.read(p));
            }
        }
        return out;
    }
}
