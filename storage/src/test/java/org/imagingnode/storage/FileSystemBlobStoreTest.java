package org.imagingnode.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FileSystemBlobStoreTest extends BlobStoreContractTest {

    @TempDir
    Path parent;

    private Path root;

    @Override
    protected BlobStore openStore() throws IOException {
        root = parent.resolve("blobs");
        return new FileSystemBlobStore(root);
    }

    @Override
    protected void corrupt(BlobStore store, String key) throws IOException {
        Path file = ((FileSystemBlobStore) store).pathFor(key);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(raf.length() / 2);
            int b = raf.read();
            raf.seek(raf.length() / 2);
            raf.write(b ^ 0x01); // one flipped bit, as a failing disk would
        }
    }

    @Override
    protected boolean recordsChecksums() {
        return ((FileSystemBlobStore) store).recordsChecksums();
    }

    private FileSystemBlobStore fs() {
        return (FileSystemBlobStore) store;
    }

    @Test
    void temporaryFilesLeftByACrashedInstanceAreDeletedWhenTheStoreOpens() throws Exception {
        store.put("kept", new ByteArrayInputStream(new byte[] {1, 2, 3}));
        store.close();
        Path tmp = root.resolve(".tmp");
        // a crashed instance: its lock file exists but nobody holds the lock
        String dead = UUID.randomUUID().toString();
        Files.createFile(tmp.resolve(dead + ".lock"));
        Files.createDirectories(tmp.resolve(dead));
        Files.write(tmp.resolve(dead).resolve("put-17.tmp"), new byte[4096]);
        // a temporary directory without lock file, and a stray file
        Files.createDirectories(tmp.resolve("orphan"));
        Files.write(tmp.resolve("orphan").resolve("put-1.tmp"), new byte[10]);
        Files.write(tmp.resolve("stray.tmp"), new byte[10]);

        store = new FileSystemBlobStore(root);

        try (Stream<Path> left = Files.list(tmp)) {
            assertThat(left.map(p -> p.getFileName().toString()))
                    .as("only the new instance's own directory and lock")
                    .hasSize(2)
                    .noneMatch(n -> n.startsWith(dead) || n.equals("orphan") || n.equals("stray.tmp"));
        }
        assertThat(read(store.get("kept"))).containsExactly(1, 2, 3);
    }

    @Test
    void anotherInstanceOnTheSameRootLeavesTheLiveInstancesTemporaryFilesAlone() throws Exception {
        Path staged = Files.createTempFile(fs().stagingDirectory(), "incoming", ".dcm");
        Files.write(staged, TestData.bytes(1, 1000));

        try (FileSystemBlobStore second = new FileSystemBlobStore(root)) {
            assertThat(staged).exists();
            second.put("from-second", new ByteArrayInputStream(new byte[] {9}));
        }

        assertThat(staged).exists();
        store.putFile("staged", staged);
        assertThat(read(store.get("from-second"))).containsExactly(9);
        assertThat(read(store.get("staged"))).isEqualTo(TestData.bytes(1, 1000));
    }

    @Test
    void closingDeletesTheStagingDirectory() throws Exception {
        Path staging = fs().stagingDirectory();
        Files.write(staging.resolve("half-received.dcm"), new byte[100]);

        store.close();

        assertThat(staging).doesNotExist();
        assertThatThrownBy(() -> store.put("k", InputStream.nullInputStream())).isInstanceOf(IllegalStateException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"../x", "/etc/passwd", "a/../../b", "../../../../../../tmp/evil", "..", ".tmp/../../x"})
    void pathTraversalKeysAreRejectedAndNothingIsWrittenOutsideTheRoot(String key) throws Exception {
        Set<Path> before = tree(parent);

        assertThatThrownBy(() -> store.put(key, new ByteArrayInputStream(new byte[] {1})))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.get(key)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.delete(key)).isInstanceOf(IllegalArgumentException.class);

        assertThat(tree(parent)).isEqualTo(before);
    }

    @Test
    void putFileOnTheSameFilesystemMovesTheFileWithoutCopying() throws Exception {
        Path source = TestData.file(parent.resolve("received.dcm"), 5, 512 * 1024);
        Object inode = Files.getAttribute(source, "unix:ino");

        StoredBlob stored = store.putFile("studies/5/instance", source);

        Path target = fs().pathFor("studies/5/instance");
        assertThat(source).doesNotExist();
        assertThat(Files.getAttribute(target, "unix:ino")).as("same inode: renamed, not copied").isEqualTo(inode);
        assertThat(stored.sha256()).isEqualTo(TestData.sha256(5, 512 * 1024));
        try (Stream<Path> staging = Files.list(fs().stagingDirectory())) {
            assertThat(staging).isEmpty();
        }
    }

    @Test
    void putFileFromAnotherFilesystemCopiesAndDeletesTheSource() throws Exception {
        Path shm = Paths.get("/dev/shm");
        assumeTrue(Files.isDirectory(shm) && Files.isWritable(shm), "needs /dev/shm");
        assumeTrue(!Files.getAttribute(shm, "unix:dev").equals(Files.getAttribute(root, "unix:dev")),
                "/dev/shm must be another filesystem than the temporary directory");
        Path source = TestData.file(Files.createTempFile(shm, "storage-test", ".dcm"), 6, 300_000);

        StoredBlob stored = store.putFile("other-fs", source);

        assertThat(source).doesNotExist();
        assertThat(stored.sha256()).isEqualTo(TestData.sha256(6, 300_000));
        assertThat(read(store.get("other-fs"))).isEqualTo(TestData.bytes(6, 300_000));
    }

    @Test
    void blobsAreShardedOverHashDirectoriesAndNamedAfterTheirKey() throws Exception {
        for (int i = 0; i < 300; i++) {
            store.put("studies/1.2.840.1/series/" + i, new ByteArrayInputStream(new byte[] {(byte) i}));
        }

        Path file = fs().pathFor("studies/1.2.840.1/series/7");
        Path relative = root.relativize(file);
        assertThat(relative.getNameCount()).isEqualTo(3);
        assertThat(relative.getName(0).toString()).matches("[0-9a-f]{2}");
        assertThat(relative.getName(1).toString()).matches("[0-9a-f]{2}");
        assertThat(relative.getName(2).toString()).isEqualTo("studies~1.2.840.1~series~7");
        assertThat(file).exists();
        Set<Path> directories = new HashSet<>();
        for (int i = 0; i < 300; i++) {
            directories.add(fs().pathFor("studies/1.2.840.1/series/" + i).getParent());
        }
        assertThat(directories).as("300 keys of one series spread over many directories").hasSizeGreaterThan(250);
        try (Stream<Path> top = Files.list(root)) {
            assertThat(top.map(p -> p.getFileName().toString()))
                    .allMatch(n -> n.matches("[0-9a-f]{2}") || n.equals(".tmp"));
        }
        assertThat(keys("studies/1.2.840.1/series/")).hasSize(300);
    }

    @Test
    void longKeysAreSplitIntoPathComponentsTheFilesystemAccepts() {
        String key = "x".repeat(300) + "/" + "..y".repeat(70);

        Path relative = root.relativize(fs().pathFor(key));

        assertThat(relative.getNameCount()).isGreaterThan(3);
        for (Path component : relative) {
            assertThat(component.toString().length()).isLessThanOrEqualTo(255);
            assertThat(component.toString()).isNotIn(".", "..");
        }
        assertThat(fs().pathFor(key).normalize()).isEqualTo(fs().pathFor(key));
    }

    @Test
    void blobsSurviveReopeningTheStore() throws Exception {
        StoredBlob stored = store.put("p/1", new ByteArrayInputStream(TestData.bytes(3, 9999)));
        store.close();

        store = new FileSystemBlobStore(root);

        try (InputStream in = store.getVerified("p/1", stored.sha256())) {
            assertThat(in.readAllBytes()).isEqualTo(TestData.bytes(3, 9999));
        }
        assertThat(keys("")).containsExactly("p/1");
    }

    @Test
    void foreignFilesInTheRootAreIgnoredByList() throws Exception {
        store.put("mine", new ByteArrayInputStream(new byte[1]));
        Files.write(root.resolve("README"), new byte[1]);
        Files.createDirectories(root.resolve("zz"));
        Files.write(root.resolve("zz").resolve("x"), new byte[1]);

        assertThat(keys("")).containsExactly("mine");
    }

    @Test
    void aFailedPutLeavesNoTemporaryFile() throws Exception {
        InputStream failing = new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("boom");
            }
        };

        assertThatThrownBy(() -> store.put("k", failing)).isInstanceOf(IOException.class);

        try (Stream<Path> staging = Files.list(fs().stagingDirectory())) {
            assertThat(staging).isEmpty();
        }
    }

    private static Set<Path> tree(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return new HashSet<>(walk.filter(p -> !p.toString().contains("/.tmp/")).toList());
        }
    }

    @SuppressWarnings("unused")
    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> list = Files.list(dir)) {
            return list.map(p -> p.getFileName().toString()).toList();
        }
    }
}
