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
 * Throughput of {@link FileSystemBlobStore} and {@link S3BlobStore} (through an in-process S3Proxy
 * on 127.0.0.1, filesystem backend on the same disk) for 512 KB and 50 MB objects: several timed
 * runs after one warm-up run, medians, and the S3/FS ratio. Not a unit test: run it with
 * {@code bench/storage/run.sh}, which writes {@code bench/results/storage.md}.
 *
 * <p>Arguments: {@code --runs N --small-count N --large-count N --dir PATH --out FILE --command TEXT}.
 */
public final class StorageBenchmark {

    private static final int SMALL = 512 * 1024;
    private static final int LARGE = 50 * 1024 * 1024;
    private static final int THREADS = 4;

    private final int runs;
    private final int smallCount;
    private final int largeCount;
    private final Path dir;
    private final byte[] smallData = TestData.bytes(1, SMALL);
    private final byte[] largeData = TestData.bytes(2, LARGE);
    private final byte[] sink = new byte[1 << 20];

    private String loadBefore = "?";
    private String loadAfter = "?";

    /** operation label -> store name -> MB/s of each timed run. */
    private final Map<String, Map<String, List<Double>>> results = new LinkedHashMap<>();

    private StorageBenchmark(int runs, int smallCount, int largeCount, Path dir) {
        this.runs = runs;
        this.smallCount = smallCount;
        this.largeCount = largeCount;
        this.dir = dir;
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
        StorageBenchmark benchmark = new StorageBenchmark(runs, smallCount, largeCount, dir);
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

    private void runAll() throws Exception {
        try (S3ProxyServer server = new S3ProxyServer(Files.createDirectories(dir.resolve("s3proxy-data")));
             FileSystemBlobStore fs = new FileSystemBlobStore(dir.resolve("fs"));
             S3BlobStore s3 = new S3BlobStore(server.config("bench"));
             S3BlobStore s3BigParts = new S3BlobStore(server.config("bench-big-parts"),
                     S3BlobStore.Options.defaults().withPartSize(64L * 1024 * 1024))) {
            Path s3Staging = Files.createDirectories(dir.resolve("s3-staging"));
            for (int run = 0; run <= runs; run++) {
                boolean timed = run > 0; // run 0 warms up the JIT, the connection pool and the shard directories
                for (BlobStore store : List.of(fs, s3)) {
                    String name = store == fs ? "FS" : "S3";
                    Path staging = store == fs ? fs.stagingDirectory() : s3Staging;
                    String prefix = "run" + run + "/";
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
                // the same 50 MB stream puts with parts of 64 MiB: one PUT, no multipart and no metadata copy
                record("put, 64 MiB parts", LARGE, "S3", timed,
                        putStreams(s3BigParts, "run" + run + "/S/", largeData, largeCount));
                deleteAll(s3BigParts, "run" + run + "/");
                System.err.printf(Locale.ROOT, "run %d/%d done%s%n", run, runs, timed ? "" : " (warm-up)");
            }
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

        md.append("| operation | object size | FS MB/s | S3 MB/s | S3/FS |\n");
        md.append("| --- | --- | ---: | ---: | ---: |\n");
        for (Map.Entry<String, Map<String, List<Double>>> row : results.entrySet()) {
            String[] label = row.getKey().split("\\|");
            List<Double> fs = row.getValue().get("FS");
            List<Double> s3 = row.getValue().get("S3");
            if (fs == null) {
                // S3-only variant: compared with the FS put of the same size
                fs = results.get("put|" + label[1]).get("FS");
                label[0] = label[0] + " (S3 only; FS column = put)";
            }
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %.0f%% |%n", label[0], label[1],
                    cell(fs), cell(s3), 100 * median(s3) / median(fs)));
        }
        md.append('\n');
        double putRatio = median(results.get("put|50 MB").get("S3")) / median(results.get("put|50 MB").get("FS"));
        double fileRatio = median(results.get("putFile|50 MB").get("S3"))
                / median(results.get("putFile|50 MB").get("FS"));
        double getRatio = median(results.get("get|50 MB").get("S3")) / median(results.get("get|50 MB").get("FS"));
        md.append(String.format(Locale.ROOT,
                "Target (S3 over loopback >= 50%% of FS for 50 MB objects): put %.0f%% (%s), putFile %.0f%% (%s),"
                        + " get %.0f%% (%s).%n",
                100 * putRatio, verdict(putRatio), 100 * fileRatio, verdict(fileRatio), 100 * getRatio,
                verdict(getRatio)));
        md.append('\n');
        md.append("""
                ## How to read these numbers (true of every run)

                - Single-threaded unless stated; S3 is an in-process S3Proxy 2.6.0 (Jetty, `filesystem-nio2`
                  backend on the same disk) reached over HTTP on 127.0.0.1 with the MinIO SDK; client and server
                  share the same cores.
                - Durability is not equal: the FS store fsyncs every file and its directory before returning;
                  S3Proxy's filesystem backend never fsyncs.
                - FS `putFile` on the same filesystem is a rename (one read to hash, fsync, rename), not a copy:
                  at 50 MB it measures SHA-256 + fsync speed, while S3 has to send the bytes.
                - Gets are served from the page cache on both sides: the FS figure is a memory copy; S3 adds HTTP,
                  loopback TCP and S3Proxy.
                - S3 `put` of a stream above the part size (16 MiB) is a multipart upload followed by an in-place
                  copy that records `x-amz-meta-sha256`. S3Proxy rewrites the whole object on
                  CompleteMultipartUpload and again on that copy (MinIO does neither: completion and a same-object
                  metadata copy do not rewrite data). The "64 MiB parts" row is the same put sent as one PUT.
                - S3Proxy buffers each signed request body to check its SHA-256, and computes an MD5 for the ETag.
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
