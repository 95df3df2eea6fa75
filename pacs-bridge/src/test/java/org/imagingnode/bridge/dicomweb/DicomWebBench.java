package org.imagingnode.bridge.dicomweb;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Load client of bench/dicomweb/run.sh (loopback only, bounded in count and time).
 *
 * <pre>
 * stow  BASE_URL DIR CLIENTS BATCH      POST every .dcm under DIR as STOW-RS, BATCH instances per request
 * get   URL ACCEPT COUNT                sequential GETs: p50/p99 latency in ms (after 50 warm-up requests)
 * </pre>
 */
public final class DicomWebBench {
    private DicomWebBench() {
    }

    public static void main(String[] args) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        switch (args[0]) {
            case "stow" -> stow(http, args[1], Path.of(args[2]), Integer.parseInt(args[3]), Integer.parseInt(args[4]));
            case "get" -> get(http, args[1], args[2], Integer.parseInt(args[3]));
            default -> throw new IllegalArgumentException("unknown mode " + args[0]);
        }
    }

    static void stow(HttpClient http, String base, Path dir, int clients, int batch) throws Exception {
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(p -> p.toString().endsWith(".dcm")).sorted().toList();
        }
        List<List<Path>> batches = new ArrayList<>();
        for (int i = 0; i < files.size(); i += batch) {
            batches.add(files.subList(i, Math.min(files.size(), i + batch)));
        }
        AtomicInteger next = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        long t0 = System.nanoTime();
        List<Future<?>> futures = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            futures.add(pool.submit(() -> {
                int k;
                while ((k = next.getAndIncrement()) < batches.size()) {
                    String boundary = "bench-" + UUID.randomUUID();
                    List<byte[]> chunks = new ArrayList<>();
                    for (Path f : batches.get(k)) {
                        chunks.add(("--" + boundary + "\r\nContent-Type: application/dicom\r\n\r\n")
                                .getBytes(StandardCharsets.US_ASCII));
                        chunks.add(Files.readAllBytes(f));
                        chunks.add("\r\n".getBytes(StandardCharsets.US_ASCII));
                    }
                    chunks.add(("--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
                    HttpRequest rq = HttpRequest.newBuilder(URI.create(base + "/studies"))
                            .timeout(Duration.ofSeconds(120))
                            .header("Content-Type", "multipart/related; type=\"application/dicom\"; boundary=" + boundary)
                            .header("Accept", "application/dicom+json")
                            .POST(HttpRequest.BodyPublishers.ofByteArrays(chunks)).build();
                    HttpResponse<byte[]> r = http.send(rq, HttpResponse.BodyHandlers.ofByteArray());
                    if (r.statusCode() != 200) {
                        failed.incrementAndGet();
                        System.err.println("STOW status " + r.statusCode() + ": "
                                + new String(r.body(), StandardCharsets.UTF_8));
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : futures) {
            f.get();
        }
        pool.shutdown();
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("instances=%d seconds=%.2f instances_per_s=%.0f failed_requests=%d%n", files.size(), seconds,
                files.size() / seconds, failed.get());
    }

    static void get(HttpClient http, String url, String accept, int count) throws Exception {
        HttpRequest rq = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60)).header("Accept", accept)
                .GET().build();
        List<Double> ms = new ArrayList<>();
        byte[] sink = new byte[1 << 16];
        long bytes = 0;
        for (int i = 0; i < count + 50; i++) {
            long t0 = System.nanoTime();
            HttpResponse<InputStream> r = http.send(rq, HttpResponse.BodyHandlers.ofInputStream());
            long n = 0;
            try (InputStream in = r.body()) {
                int k;
                while ((k = in.read(sink)) >= 0) {
                    n += k;
                }
            }
            if (r.statusCode() != 200) {
                throw new IOException("status " + r.statusCode() + " for " + url);
            }
            if (i >= 50) {
                ms.add((System.nanoTime() - t0) / 1e6);
                bytes = n;
            }
        }
        Collections.sort(ms);
        System.out.printf("p50_ms=%.2f p99_ms=%.2f bytes=%d%n", ms.get(ms.size() / 2),
                ms.get(Math.min(ms.size() - 1, (int) Math.ceil(ms.size() * 0.99) - 1)), bytes);
    }

}
