package org.imagingnode.bridge.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import org.imagingnode.bridge.dicom.MalformedDicomException;
import org.imagingnode.bridge.dicom.Part10;
import org.imagingnode.bridge.dicom.Tag;
import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.dicom.TransferSyntax;
import org.imagingnode.bridge.dimse.association.Association;
import org.imagingnode.bridge.dimse.association.AssociationParameters;
import org.imagingnode.bridge.dimse.association.Command;
import org.imagingnode.bridge.dimse.association.PresentationContext;
import org.imagingnode.bridge.testing.Dcmtk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node killed with SIGKILL in the middle of ingest (C-STORE or STOW-RS), again and again, then
 * restarted on the same data: every instance that was acknowledged is retrievable and
 * byte-identical, nothing else is half-stored, and start-up reconciliation leaves no blob without
 * its index row.
 */
class CrashSafetyIT {
    private static final int INSTANCES = 240;
    private static final int KILLS = 3;

    @TempDir
    Path work;

    private int dimsePort;
    private int httpPort;
    private Process node;
    private final List<TestObjects.Spec> specs = new ArrayList<>();
    private final List<Path> files = new ArrayList<>();
    private final Map<String, Path> acknowledged = new LinkedHashMap<>();

    /** Sends instances in order from {@code next}, as far as the node lets it. */
    private interface Sender {
        /**
         * @param onAcknowledged called after each acknowledgement
         * @return the index of the first instance not acknowledged
         */
        int sendFrom(int next, Runnable onAcknowledged);
    }

    private void start(int generation) throws Exception {
        dimsePort = Dcmtk.freePort();
        httpPort = Dcmtk.freePort();
        ProcessBuilder pb = new ProcessBuilder(PackagedNodeIT.START).redirectErrorStream(true)
                .redirectOutput(work.resolve("node" + generation + ".log").toFile());
        pb.environment().putAll(Map.of("NODE_DATA_DIR", work.resolve("data").toString(), "NODE_AE_TITLE", "CRASHY",
                "NODE_DIMSE_PORT", Integer.toString(dimsePort), "NODE_DIMSE_BIND_ADDRESS", "127.0.0.1",
                "SERVER_PORT", Integer.toString(httpPort), "SERVER_ADDRESS", "127.0.0.1",
                "NODE_DIMSE_CALLING_AES", "SENDER=store|retrieve", "NODE_RECONCILIATION_GRACE", "0s",
                "NODE_SECURITY_MODE", "open-dev"));
        node = pb.start();
        HttpRequest health = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/actuator/health"))
                .build();
        for (int i = 0; i < 240; i++) {
            try {
                if (HttpClient.newHttpClient().send(health, HttpResponse.BodyHandlers.discarding()).statusCode() == 200
                        && Dcmtk.run(10, "echoscu", "-aet", "SENDER", "-aec", "CRASHY", "127.0.0.1",
                                Integer.toString(dimsePort)).ok()) {
                    return;
                }
            } catch (IOException notYet) {
                // still starting
            }
            assertThat(node.isAlive()).as(log(generation)).isTrue();
            Thread.sleep(250);
        }
        throw new AssertionError("node did not start: " + log(generation));
    }

    private String log(int generation) throws IOException {
        return Files.readString(work.resolve("node" + generation + ".log"));
    }

    private void makeInstances() throws IOException {
        TestObjects.Spec s = new TestObjects.Spec();
        s.rows = 256;
        s.columns = 256;
        for (int i = 0; i < INSTANCES; i++) {
            specs.add(s);
            files.add(TestObjects.write(s, work.resolve("in" + i + ".dcm")));
            s = s.sameSeries();
        }
    }

    private int sendByCStore(int next, Runnable onAcknowledged) {
        int i = next;
        try (Association a = Association.connect("127.0.0.1", dimsePort, new AssociationParameters("CRASHY", "SENDER",
                List.of(PresentationContext.proposed(1, TestObjects.CT_IMAGE, List.of(TransferSyntax.EXPLICIT_VR_LE))),
                65536, Part10.IMPLEMENTATION_CLASS_UID, "TEST", Map.of()), 5000)) {
            for (; i < specs.size(); i++) {
                TestObjects.Spec s = specs.get(i);
                byte[] file = Files.readAllBytes(files.get(i));
                int offset = (int) Part10.skipHeader(new ByteArrayInputStream(file));
                Command rq = Command.of(Command.C_STORE_RQ, true).put(Command.MessageID, i + 1)
                        .put(Command.AffectedSOPClassUID, s.sopClassUid)
                        .put(Command.AffectedSOPInstanceUID, s.sopInstanceUid).put(Command.Priority, 0);
                a.send(1, rq, out -> out.write(file, offset, file.length - offset));
                Association.Message rsp = a.receive();
                if (rsp == null || rsp.command().getInt(Command.Status) != 0) {
                    return i;
                }
                acknowledged.put(s.sopInstanceUid, files.get(i));
                onAcknowledged.run();
            }
            a.release();
        } catch (IOException | MalformedDicomException e) {
            // the node died under us: instance i was not acknowledged and will be sent again
        }
        return i;
    }

    private int sendByStow(int next, Runnable onAcknowledged) {
        HttpClient http = HttpClient.newHttpClient();
        String boundary = "crash-safety-boundary";
        int i = next;
        try {
            for (; i < specs.size(); i++) {
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                body.writeBytes(("--" + boundary + "\r\nContent-Type: application/dicom\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                body.writeBytes(Files.readAllBytes(files.get(i)));
                body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
                HttpRequest rq = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/dicomweb/studies"))
                        .header("Content-Type", "multipart/related; type=\"application/dicom\"; boundary=" + boundary)
                        .header("Accept", "application/dicom+json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build();
                if (http.send(rq, HttpResponse.BodyHandlers.discarding()).statusCode() != 200) {
                    return i;
                }
                acknowledged.put(specs.get(i).sopInstanceUid, files.get(i));
                onAcknowledged.run();
            }
        } catch (IOException e) {
            // the node died under us
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return i;
    }

    @Test
    void cStoreAcknowledgementsSurviveRepeatedSigkill() throws Exception {
        killRepeatedlyWhileSending(this::sendByCStore);
    }

    @Test
    void stowAcknowledgementsSurviveRepeatedSigkill() throws Exception {
        killRepeatedlyWhileSending(this::sendByStow);
    }

    private void killRepeatedlyWhileSending(Sender sender) throws Exception {
        makeInstances();
        Random random = new Random(7);
        int next = 0;
        for (int generation = 0; generation < KILLS; generation++) {
            start(generation);
            Process victim = node;
            // Kill at a random point inside the ingest of one of the next instances.
            int killAt = next + 20 + random.nextInt(30);
            int killDelayMicros = random.nextInt(4000);
            int before = next;
            int[] sent = {next};
            next = sender.sendFrom(next, () -> {
                if (++sent[0] == killAt) {
                    Thread killer = new Thread(() -> {
                        LockSupport.parkNanos(killDelayMicros * 1000L);
                        victim.destroyForcibly(); // SIGKILL
                    });
                    killer.start();
                }
            });
            victim.waitFor();
            assertThat(next).as("generation %d was killed in the middle of the ingest", generation)
                    .isGreaterThan(before).isLessThan(INSTANCES);
        }
        start(KILLS);
        next = sender.sendFrom(next, () -> { });
        assertThat(next).as("the last, uninterrupted run sends the rest").isEqualTo(INSTANCES);
        assertThat(acknowledged).hasSize(INSTANCES);

        // Everything acknowledged comes back byte-identical.
        Path out = Files.createDirectories(work.resolve("retrieved"));
        Dcmtk.Result got = Dcmtk.run(120, "getscu", "-S", "-aet", "SENDER", "-aec", "CRASHY", "127.0.0.1",
                Integer.toString(dimsePort), "-k", "QueryRetrieveLevel=STUDY",
                "-k", "StudyInstanceUID=" + specs.get(0).studyUid, "-od", out.toString());
        assertThat(got.ok()).as(got.output()).isTrue();
        Map<String, byte[]> retrieved = new LinkedHashMap<>();
        try (Stream<Path> received = Files.list(out)) {
            for (Path p : received.toList()) {
                retrieved.put(TestObjects.read(p).getString(Tag.SOPInstanceUID), TestObjects.pixelData(p));
            }
        }
        for (Map.Entry<String, Path> e : acknowledged.entrySet()) {
            assertThat(retrieved.get(e.getKey())).as("pixel data of acknowledged " + e.getKey())
                    .isEqualTo(TestObjects.pixelData(e.getValue()));
        }

        // After start-up reconciliation, the blob store holds exactly the indexed instances.
        for (int i = 0; i < 200 && !log(KILLS).contains("blob reconciliation:"); i++) {
            Thread.sleep(100);
        }
        assertThat(log(KILLS)).contains("blob reconciliation:");
        assertThat(instanceBlobFiles()).isEqualTo(retrieved.size());
        node.destroy();
        node.waitFor();
    }

    private long instanceBlobFiles() throws IOException {
        try (Stream<Path> all = Files.walk(work.resolve("data").resolve("blobs"))) {
            return all.filter(Files::isRegularFile)
                    .filter(p -> p.getFileName().toString().startsWith("dicom~")).count();
        }
    }
}
