package org.imagingnode.storage;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * Throughput of {@link FileSystemBlobStore} and {@link S3BlobStore} for 512 KB and 50 MB objects:
 * several timed runs after one warm-up run, medians, and the S3/FS ratios. S3 is an in-process
 * S3Proxy on 127.0.0.1 (filesystem backend on the same disk) and, when {@code --s3rver URL} is
 * given, also an s3rver (Node.js, filesystem backend) that the caller started on loopback. Not a
 * unit test: run it with {@code bench/storage/run.sh}, which writes {@code bench/results/storage.md}.
 *
 * <p>Arguments: {@code --runs N --small-count N --large-count N --dir PATH --out FILE --command TEXT
 * [--s3rver URL]}.
 */
public final class StorageBenchmark {

    private static final int SMALL = 512 * 1024;
    private static final int LARGE = 50 * 1024 * 1024;
    private static final int THREADS = 4;
    private static final long MULTIPART_PART = 16L * 1024 * 1024;
    private static final String MULTIPART_LABEL = "put, multipart 16 MiB parts";
    /** s3rver's fixed credentials. */
    private static final String S3RVER_KEY = "S3RVER";

    private final int runs;
    private final int smallCount;
    private final int largeCount;
    private final Path dir;
    private final String s3rverEndpoint;
    private final byte[] smallData = TestData.bytes(1, SMALL);
    private final byte[] largeData = TestData.bytes(2, LARGE);
    private final byte[] sink = new byte[1 << 20];

    private String loadBefore = "?";
    private String loadAfter = "?";

    /** operation label -> store name -> MB/s of each timed run. */
    private final Map<String, Map<String, List<Double>>> results = new LinkedHashMap<>();
    /** Store names in column order. */
    private final List<String> stores = new ArrayList<>();

    private StorageBenchmark(int runs, int smallCount, int largeCount, Path dir, String s3rverEndpoint) {
        this.runs = runs;
        this.smallCount = smallCount;
        this.largeCount = largeCount;
        this.dir = dir;
        this.s3rverEndpoint = s3rverEndpoint;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            options.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        int runs = Integer.parseInt(options.getOrDefault("runs", "5"));
        int smallCount = Integer.parseInt(options.getOrDefault("small-count", "200"));
        int largeCount = Integer.parseInt(options.getOrDefault("large-count", "4"));
        Path dir = Paths.get(options.getOrDefault("dir", "target/storage-bench")).toAbsolutePath();
        Path out = options.containsKey("out") ? Paths.get(options.get("out")).toAbsolutePath() : null;
        String command = options.getOrDefault("command",
                System.getenv().getOrDefault("BENCH_COMMAND", "(main class run directly)"));

        deleteTree(dir);
        Files.createDirectories(dir);
        StorageBenchmark benchmark = new StorageBenchmark(runs, smallCount, largeCount, dir, options.get("s3rver"));
        benchmark.loadBefore = loadAverage();
        long start = System.nanoTime();
        try {
            benchmark.runAll();
        } finally {
            deleteTree(dir);
        }
        benchmark.loadAfter = loadAverage();
        String report = benchmark.report(command, (System.nanoTime() - start) / 1e9);
        System.out.println(report);
        if (out != null) {
            Files.createDirectories(out.getParent());
            Files.writeString(out, report);
            System.out.println("written to " + out);
        }
    }

    /** One S3 server: the store with default options, and the same forced to multipart uploads. */
    private record S3Target(String name, S3BlobStore store, S3BlobStore multipart, S3BlobStore multipartSerial)
            implements AutoCloseable {

        static S3Target open(String name, S3BlobStore.Config config) throws IOException {
            S3BlobStore.Options multipart = S3BlobStore.Options.defaults().withPartSize(MULTIPART_PART)
                    .withMultipartThreshold(MULTIPART_PART);
            return new S3Target(name, new S3BlobStore(config), new S3BlobStore(config.withKeyPrefix("mp"), multipart),
                    new S3BlobStore(config.withKeyPrefix("mp1"), multipart.withPartsInFlight(1)));
        }

        @Override
        public void close() throws IOException {
            store.close();
            multipart.close();
            multipartSerial.close();
        }
    }

    private void runAll() throws Exception {
        try (S3ProxyServer server = new S3ProxyServer(Files.createDirectories(dir.resolve("s3proxy-data")));
             FileSystemBlobStore fs = new FileSystemBlobStore(dir.resolve("fs"))) {
            List<S3Target> targets = new ArrayList<>();
            try {
                targets.add(S3Target.open("S3Proxy", server.config("bench")));
                if (s3rverEndpoint != null) {
                    targets.add(S3Target.open("s3rver",
                            S3BlobStore.Config.of(s3rverEndpoint, S3RVER_KEY, S3RVER_KEY, "bench")));
                }
                stores.add("FS");
                targets.forEach(t -> stores.add(t.name()));
                run(fs, targets);
            } finally {
                for (S3Target target : targets) {
                    target.close();
                }
            }
        }
    }

    private void run(FileSystemBlobStore fs, List<S3Target> targets) throws Exception {
        Path s3Staging = Files.createDirectories(dir.resolve("s3-staging"));
        for (int run = 0; run <= runs; run++) {
            boolean timed = run > 0; // run 0 warms up the JIT, the connection pools and the shard directories
            String prefix = "run" + run + "/";
            List<BlobStore> all = new ArrayList<>(List.of(fs));
            targets.forEach(t -> all.add(t.store()));
            for (int i = 0; i < all.size(); i++) {
                BlobStore store = all.get(i);
                String name = stores.get(i);
                Path staging = store == fs ? fs.stagingDirectory() : s3Staging;
                record("put", SMALL, name, timed, putStreams(store, prefix + "s/", smallData, smallCount));
                record("put, " + THREADS + " threads", SMALL, name, timed,
                        putConcurrently(store, prefix + "c/", smallData, smallCount));
                record("putFile", SMALL, name, timed, putFiles(store, staging, prefix + "f/", smallData, smallCount));
                record("get", SMALL, name, timed, getAll(store, prefix + "s/", smallCount, SMALL));
                record("put", LARGE, name, timed, putStreams(store, prefix + "S/", largeData, largeCount));
                record("putFile", LARGE, name, timed, putFiles(store, staging, prefix + "F/", largeData, largeCount));
                record("get", LARGE, name, timed, getAll(store, prefix + "S/", largeCount, LARGE));
                deleteAll(store, prefix);
            }
            // the same 50 MB stream puts as multipart uploads of 16 MiB parts, 4 then 1 part at a time
            for (S3Target target : targets) {
                record(MULTIPART_LABEL + ", 4 in flight", LARGE, target.name(), timed,
                        putStreams(target.multipart(), prefix, largeData, largeCount));
                record(MULTIPART_LABEL + ", 1 in flight", LARGE, target.name(), timed,
                        putStreams(target.multipartSerial(), prefix, largeData, largeCount));
                deleteAll(target.multipart(), prefix);
                deleteAll(target.multipartSerial(), prefix);
            }
            System.err.printf(Locale.ROOT, "run %d/%d done%s%n", run, runs, timed ? "" : " (warm-up)");
        }
    }

    private void record(String operation, int size, String store, boolean timed, double mbPerSecond) {
        if (!timed) {
            return;
        }
        String label = operation + "|" + (size == SMALL ? "512 KB" : "50 MB");
        results.computeIfAbsent(label, k -> new LinkedHashMap<>()).computeIfAbsent(store, k -> new ArrayList<>())
                .add(mbPerSecond);
    }

    // ---------------------------------------------------------------------------------------------

    private static double putStreams(BlobStore store, String prefix, byte[] data, int count) throws IOException {
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            store.put(prefix + i, new ByteArrayInputStream(data));
        }
        return rate((long) data.length * count, System.nanoTime() - start);
    }

    private static double putConcurrently(BlobStore store, String prefix, byte[] data, int count) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            long start = System.nanoTime();
            List<Future<StoredBlob>> futures = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                String key = prefix + i;
                futures.add(pool.submit(() -> store.put(key, new ByteArrayInputStream(data))));
            }
            for (Future<StoredBlob> future : futures) {
                future.get();
            }
            return rate((long) data.length * count, System.nanoTime() - start);
        } finally {
            pool.shutdownNow();
        }
    }

    /** The source files are written beforehand (not timed), as an ingest would have received them. */
    private static double putFiles(BlobStore store, Path staging, String prefix, byte[] data, int count)
            throws IOException {
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Path file = Files.createTempFile(staging, "in", ".bin");
            try (OutputStream out = Files.newOutputStream(file)) {
                out.write(data);
            }
            files.add(file);
        }
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            store.putFile(prefix + i, files.get(i));
        }
        return rate((long) data.length * count, System.nanoTime() - start);
    }

    private double getAll(BlobStore store, String prefix, int count, int size) throws IOException {
        long start = System.nanoTime();
        long total = 0;
        for (int i = 0; i < count; i++) {
            try (InputStream in = store.get(prefix + i)) {
                int n;
                while ((n = in.read(sink)) >= 0) {
                    total += n;
                }
            }
        }
        if (total != (long) size * count) {
            throw new IllegalStateException("read " + total + " bytes, expected " + (long) size * count);
        }
        return rate(total, System.nanoTime() - start);
    }

    private static void deleteAll(BlobStore store, String prefix) throws IOException {
        List<String> keys;
        try (Stream<BlobInfo> listed = store.list(prefix)) {
            keys = listed.map(BlobInfo::key).toList();
        }
        for (String key : keys) {
            store.delete(key);
        }
    }

    private static double rate(long bytes, long nanos) {
        return bytes / 1e6 / (nanos / 1e9);
    }

    // ---------------------------------------------------------------------------------------------

    private String report(String command, double seconds) throws IOException {
        StringBuilder md = new StringBuilder();
        md.append("# Storage benchmark: filesystem vs S3 over loopback\n\n");
        md.append("- Date: ").append(ZonedDateTime.now().format(DateTimeFormatter.RFC_1123_DATE_TIME)).append('\n');
        md.append("- Machine: nproc=").append(Runtime.getRuntime().availableProcessors())
                .append(", CPU ").append(cpuModel())
                .append(", JDK ").append(System.getProperty("java.vm.vendor")).append(' ')
                .append(System.getProperty("java.runtime.version"))
                .append(", ").append(System.getProperty("os.name")).append(' ').append(System.getProperty("os.version"))
                .append(", max heap ").append(Runtime.getRuntime().maxMemory() / (1024 * 1024)).append(" MiB\n");
        md.append("- Load average (1/5/15 min) before: ").append(loadBefore).append(", after: ").append(loadAfter)
                .append(" (other builds may share the machine)\n");
        FileStore fileStore = Files.getFileStore(dir.getParent());
        // relative to the working directory: results in git name no machine's paths
        Path shown = dir.startsWith(Paths.get("").toAbsolutePath()) ? Paths.get("").toAbsolutePath().relativize(dir) : dir.getFileName();
        md.append("- Data directory: ").append(shown).append(" (").append(fileStore.type()).append(" on ")
                .append(fileStore.name()).append(")\n");
        md.append("- Command: `").append(command).append("`\n");
        md.append("- Runs: ").append(runs).append(" timed runs after 1 warm-up run; per run and store, ")
                .append(smallCount).append(" objects of 512 KiB and ").append(largeCount)
                .append(" objects of 50 MiB for each operation. Total time ")
                .append(String.format(Locale.ROOT, "%.0f s", seconds)).append(".\n");
        md.append("- MB/s = 10^6 bytes per second, median over the timed runs (min-max in brackets).\n\n");

        md.append("| operation | object size | FS MB/s |");
        StringBuilder rule = new StringBuilder("| --- | --- | ---: |");
        for (String store : stores.subList(1, stores.size())) {
            md.append(' ').append(store).append(" MB/s | ").append(store).append("/FS |");
            rule.append(" ---: | ---: |");
        }
        md.append('\n').append(rule).append('\n');
        for (Map.Entry<String, Map<String, List<Double>>> row : results.entrySet()) {
            String[] label = row.getKey().split("\\|");
            List<Double> fs = row.getValue().get("FS");
            if (fs == null) {
                // S3-only variant: compared with the FS put of the same size
                fs = results.get("put|" + label[1]).get("FS");
                label[0] = label[0] + " (S3 only; FS column = put)";
            }
            md.append("| ").append(label[0]).append(" | ").append(label[1]).append(" | ").append(cell(fs)).append(" |");
            for (String store : stores.subList(1, stores.size())) {
                List<Double> s3 = row.getValue().get(store);
                md.append(String.format(Locale.ROOT, " %s | %.0f%% |", cell(s3), 100 * median(s3) / median(fs)));
            }
            md.append('\n');
        }
        md.append('\n');
        for (String store : stores.subList(1, stores.size())) {
            md.append("Target (S3 over loopback >= 50% of FS for 50 MB objects), ").append(store).append(':');
            for (String operation : List.of("put", "putFile", "get")) {
                Map<String, List<Double>> row = results.get(operation + "|50 MB");
                double ratio = median(row.get(store)) / median(row.get("FS"));
                md.append(String.format(Locale.ROOT, " %s %.0f%% (%s)%s", operation, 100 * ratio, verdict(ratio),
                        operation.equals("get") ? ".\n" : ","));
            }
        }
        md.append('\n');
        md.append("""
                ## How to read these numbers (true of every run)

                - Single-threaded unless stated. S3Proxy 2.6.0 runs in the benchmark's JVM (Jetty,
                  `filesystem-nio2` backend on the same disk); s3rver 3.7.1 (Node.js, filesystem backend), when
                  present, is a separate process started by `bench/storage/run.sh`. Both are reached over HTTP on
                  127.0.0.1 by the same `S3BlobStore`, and client and server share the same cores.
                - Durability is not equal: the FS store fsyncs every file and its directory before returning;
                  neither S3 server fsyncs.
                - FS `putFile` on the same filesystem is a rename (one read to hash, fsync, rename), not a copy:
                  at 50 MB it measures SHA-256 + fsync speed, while S3 has to send the bytes.
                - Gets are served from the page cache on both sides: the FS figure is a memory copy; S3 adds HTTP,
                  loopback TCP and the server.
                - S3 `put` of a stream up to 64 MiB (the multipart threshold) is buffered and sent as one PUT with
                  its checksum, so the 50 MB `put` and `putFile` rows are single PUTs. The "multipart" rows force
                  the same put into 16 MiB parts (4 or 1 sent at a time), followed by the in-place copy that records
                  `x-amz-meta-sha256`. S3Proxy rewrites the whole object on CompleteMultipartUpload and again on that
                  copy (MinIO does neither).
                - S3Proxy buffers each signed request body to check its SHA-256 and computes an MD5 for the ETag;
                  s3rver computes an MD5 too.
                """);
        return md.toString();
    }

    private static String verdict(double ratio) {
        return ratio >= 0.5 ? "met" : "NOT met";
    }

    private static String cell(List<Double> values) {
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return String.format(Locale.ROOT, "%.0f [%.0f-%.0f]", median(values), sorted[0], sorted[sorted.length - 1]);
    }

    private static double median(List<Double> values) {
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static String loadAverage() {
        try {
            String[] fields = Files.readString(Paths.get("/proc/loadavg")).trim().split("\\s+");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static String cpuModel() {
        try (Stream<String> lines = Files.lines(Paths.get("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("model name")).findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("unknown");
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

}
