package org.imagingnode.bridge.testing;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import org.imagingnode.bridge.dicom.Part10;
import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.dicom.TransferSyntax;
import org.imagingnode.bridge.dimse.association.Association;
import org.imagingnode.bridge.dimse.association.AssociationParameters;
import org.imagingnode.bridge.dimse.association.Command;
import org.imagingnode.bridge.dimse.association.PresentationContext;

/**
 * Soak load: for a bounded time, SENDERS associations store new small CT instances (C-STORE, fresh
 * UIDs, studies of 50 instances) while QUERIERS clients run QIDO-RS study searches by PatientID of
 * the patients stored so far. Prints one line of results: instances stored per second, QIDO p50/p99
 * and every error counted. Usage: SoakClient HOST DIMSE_PORT AE HTTP_PORT SECONDS SENDERS QUERIERS
 */
public final class SoakClient {
    private SoakClient() {
    }

    public static void main(String[] args) throws Exception {
        String host = args[0];
        int dimsePort = Integer.parseInt(args[1]);
        String ae = args[2];
        int httpPort = Integer.parseInt(args[3]);
        long seconds = Long.parseLong(args[4]);
        int senders = Integer.parseInt(args[5]);
        int queriers = Integer.parseInt(args[6]);
        long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        AtomicLong stored = new AtomicLong();
        AtomicLong storeErrors = new AtomicLong();
        AtomicLong queryErrors = new AtomicLong();
        List<String> patients = Collections.synchronizedList(new ArrayList<>());
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        Path tmp = Files.createTempDirectory("soak");
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < senders; t++) {
            threads.add(new Thread(() -> {
                while (System.nanoTime() < end) {
                    try (Association a = Association.connect(host, dimsePort, new AssociationParameters(ae, "SOAK",
                            List.of(PresentationContext.proposed(1, TestObjects.CT_IMAGE,
                                    List.of(TransferSyntax.EXPLICIT_VR_LE))),
                            65536, Part10.IMPLEMENTATION_CLASS_UID, "SOAK", Map.of()), 10_000)) {
                        TestObjects.Spec s = new TestObjects.Spec();
                        s.rows = 64;
                        s.columns = 64;
                        for (int i = 0; i < 50 && System.nanoTime() < end; i++) {
                            Path f = TestObjects.write(s, tmp.resolve(s.sopInstanceUid + ".dcm"));
                            byte[] data;
                            try (InputStream in = Files.newInputStream(f)) {
                                Part10.skipHeader(in);
                                data = in.readAllBytes();
                            }
                            Files.delete(f);
                            Command rq = Command.of(Command.C_STORE_RQ, true).put(Command.MessageID, i + 1)
                                    .put(Command.AffectedSOPClassUID, s.sopClassUid)
                                    .put(Command.AffectedSOPInstanceUID, s.sopInstanceUid).put(Command.Priority, 0);
                            a.send(1, rq, out -> out.write(data));
                            Association.Message rsp = a.receive();
                            if (rsp != null && rsp.command().getInt(Command.Status) == 0) {
                                stored.incrementAndGet();
                            } else {
                                storeErrors.incrementAndGet();
                            }
                            s = s.sameSeries();
                        }
                        patients.add(s.patientId);
                        a.release();
                    } catch (Exception e) {
                        storeErrors.incrementAndGet();
                    }
                }
            }, "soak-store-" + t));
        }
        HttpClient http = HttpClient.newHttpClient();
        for (int t = 0; t < queriers; t++) {
            int seed = t;
            threads.add(new Thread(() -> {
                Random random = new Random(seed);
                while (System.nanoTime() < end) {
                    String patient = patients.isEmpty() ? "nobody" : patients.get(random.nextInt(patients.size()));
                    HttpRequest rq = HttpRequest.newBuilder(URI.create("http://" + host + ":" + httpPort
                            + "/dicomweb/studies?PatientID=" + patient)).header("Accept", "application/dicom+json")
                            .timeout(Duration.ofSeconds(10)).build();
                    long t0 = System.nanoTime();
                    try {
                        int status = http.send(rq, HttpResponse.BodyHandlers.discarding()).statusCode();
                        if (status == 200 || status == 204) {
                            latencies.add(System.nanoTime() - t0);
                        } else {
                            queryErrors.incrementAndGet();
                        }
                        Thread.sleep(5); // a clinician's viewer, not a flood: about 150 queries/s per client
                    } catch (Exception e) {
                        queryErrors.incrementAndGet();
                    }
                }
            }, "soak-query-" + t));
        }
        long start = System.nanoTime();
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join();
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        List<Long> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        double p50 = sorted.isEmpty() ? -1 : sorted.get(sorted.size() / 2) / 1e6;
        double p99 = sorted.isEmpty() ? -1 : sorted.get((int) (sorted.size() * 0.99)) / 1e6;
        System.out.printf(Locale.ROOT,
                "seconds=%.0f stored=%d store_per_s=%.1f store_errors=%d queries=%d query_per_s=%.1f"
                        + " qido_p50_ms=%.2f qido_p99_ms=%.2f query_errors=%d%n",
                elapsed, stored.get(), stored.get() / elapsed, storeErrors.get(), sorted.size(),
                sorted.size() / elapsed, p50, p99, queryErrors.get());
    }
}
