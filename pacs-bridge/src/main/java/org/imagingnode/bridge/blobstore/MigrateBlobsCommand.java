package org.imagingnode.bridge.blobstore;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.imagingnode.storage.BlobStore;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code java -jar pacs-bridge.jar migrate-blobs --from URI --to URI}: copies every blob from one
 * store to another (e.g. when a site moves from the filesystem to MinIO), with a progress bar,
 * verifying checksums, resuming after an interruption. Credentials come from the environment, never
 * the command line.
 */
@Command(name = "migrate-blobs", mixinStandardHelpOptions = true,
        description = {"Copies every blob from one store to another, verifying checksums; run it again to resume.",
            "Store URIs: file:/path/to/blobs  or  s3://bucket[/key-prefix]?endpoint=http://host:9000[&region=R][&path-style=false]",
            "S3 credentials: FROM_S3_ACCESS_KEY / FROM_S3_SECRET_KEY and TO_S3_ACCESS_KEY / TO_S3_SECRET_KEY."})
public final class MigrateBlobsCommand implements Callable<Integer> {

    @Option(names = "--from", required = true, description = "source store URI")
    String from;

    @Option(names = "--to", required = true, description = "target store URI")
    String to;

    @Option(names = "--prefix", defaultValue = "", description = "only blobs whose key starts with this")
    String prefix;

    private final Map<String, String> env;

    public MigrateBlobsCommand() {
        this(System.getenv());
    }

    MigrateBlobsCommand(Map<String, String> env) {
        this.env = env;
    }

    public static int main(String... args) {
        return new CommandLine(new MigrateBlobsCommand()).execute(args);
    }

    @Override
    public Integer call() throws Exception {
        try (BlobStore source = BlobStores.open(parse(from, "FROM"), null);
                BlobStore target = BlobStores.open(parse(to, "TO"), null)) {
            BlobMigration migration = new BlobMigration(source, target);
            long[] total = migration.count(prefix);
            System.out.printf("copying %d blobs (%d MB) from %s to %s%n", total[0], total[1] >> 20, source.describe(),
                    target.describe());
            BlobMigration.Report report;
            try (ProgressBar bar = new ProgressBarBuilder().setTaskName("blobs").setInitialMax(total[1])
                    .setUnit(" MB", 1 << 20).setStyle(ProgressBarStyle.ASCII).showSpeed().build()) {
                report = migration.run(prefix, bar::stepBy);
            }
            System.out.printf("copied %d blobs (%d MB), %d already present, %d failed%n", report.copied(),
                    report.bytesCopied() >> 20, report.skipped(), report.failures().size());
            report.failures().forEach(f -> System.out.println("FAILED " + f));
            return report.complete() ? 0 : 1;
        }
    }

    /** Turns a store URI (see the command's description) into the node's storage settings. */
    BlobStoreProperties parse(String uri, String side) {
        URI u = URI.create(uri);
        if ("file".equals(u.getScheme())) {
            return new BlobStoreProperties("filesystem", new BlobStoreProperties.Filesystem(Path.of(u).toString()), null);
        }
        if (!"s3".equals(u.getScheme()) || u.getHost() == null) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "store URI must be file:/path or s3://bucket[/prefix]?endpoint=..., not " + uri);
        }
        Map<String, String> q = new HashMap<>();
        if (u.getRawQuery() != null) {
            for (String pair : u.getRawQuery().split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    q.put(pair.substring(0, eq), URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        }
        String keyPrefix = u.getPath() == null || u.getPath().length() <= 1 ? null : u.getPath().substring(1);
        return new BlobStoreProperties("s3", null, new BlobStoreProperties.S3(q.get("endpoint"), q.get("region"),
                env.get(side + "_S3_ACCESS_KEY"), env.get(side + "_S3_SECRET_KEY"), u.getHost(),
                !"false".equals(q.get("path-style")), keyPrefix));
    }
}
