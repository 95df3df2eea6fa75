package org.imagingnode.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link BlobStore} in a local (or mounted) directory.
 *
 * <h2>Layout</h2>
 * A blob lives at {@code root/ab/cd/<name>}, where {@code ab} and {@code cd} are the first two bytes
 * of the SHA-256 of its key (65,536 leaf directories, so a hundred million blobs still make only
 * about 1,500 entries per directory), and {@code <name>} is the key itself with {@code /} written as
 * {@code ~} (a character keys cannot contain), so that the key can be read back from the file name
 * and each blob is one file in an existing directory: no directory tree per key to create and fsync.
 * Keys whose name would exceed {@value #MAX_NAME} characters (a file name is limited to 255 bytes)
 * are split into a few path components, the directories among them marked with a trailing
 * {@code +}. Example: {@code studies/1.2.3/4.5.6} is stored at {@code root/9f/03/studies~1.2.3~4.5.6}.
 *
 * <h2>Durability</h2>
 * A put writes a temporary file in {@code root/.tmp/<instance>/} (same filesystem), fsyncs it,
 * renames it atomically over the final name and fsyncs the directory, so readers see the old blob
 * or the new one, never a torn one, and a returned put survives a crash. New shard directories are
 * fsync'd into their parents before use. {@link #putFile} moves the file instead of copying it when
 * it is on the same filesystem. Each instance owns its temporary directory through a file lock; a
 * new instance deletes the temporary directories whose owner is gone (crash leftovers), even when
 * several processes share the root (e.g. over NFS).
 *
 * <p>The SHA-256 of each blob is also kept in a {@code user.sha256} extended attribute where the
 * filesystem supports them (see {@link #recordedSha256}).
 */
public final class FileSystemBlobStore implements BlobStore {

    private static final Logger log = LoggerFactory.getLogger(FileSystemBlobStore.class);

    /** Name of the directory under the root holding temporary files; never a shard name. */
    static final String TMP_DIR = ".tmp";
    private static final String LOCK_SUFFIX = ".lock";
    /** Longest path component an encoded key may use; below NAME_MAX (255) with room for the mark. */
    static final int MAX_NAME = 240;
    private static final char SLASH = '~';
    private static final char DIR_MARK = '+';
    private static final int IO_BUFFER = 256 * 1024;
    private static final String XATTR_SHA256 = "sha256";
    private static final long ORPHAN_LOCK_AGE_MILLIS = TimeUnit.MINUTES.toMillis(1);

    /** Lock files owned by live instances in this JVM: never opened by a cleaner (see cleanLeftovers). */
    private static final Set<Path> LIVE_LOCKS = ConcurrentHashMap.newKeySet();

    private final Path root;
    private final Path tmpRoot;
    private final Path staging;
    private final Path lockFile;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final Object rootDevice;
    private final boolean xattrs;
    private final Set<Path> durableDirs = ConcurrentHashMap.newKeySet();
    private final AtomicLong tempCounter = new AtomicLong();
    private volatile boolean closed;

    /**
     * Opens (creating it if needed) a store rooted at {@code root}, and deletes the temporary files
     * left there by instances that crashed.
     */
    public FileSystemBlobStore(Path root) throws IOException {
        Objects.requireNonNull(root, "root");
        Files.createDirectories(root);
        this.root = root.toRealPath();
        this.tmpRoot = this.root.resolve(TMP_DIR);
        Files.createDirectories(tmpRoot);
        int cleaned = cleanLeftovers();
        if (cleaned > 0) {
            log.info("deleted {} temporary file(s) left in {} by a crashed instance", cleaned, tmpRoot);
        }

        String id = UUID.randomUUID().toString();
        this.lockFile = tmpRoot.resolve(id + LOCK_SUFFIX);
        this.staging = tmpRoot.resolve(id);
        FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        try {
            LIVE_LOCKS.add(lockFile);
            FileLock acquired = channel.tryLock();
            if (acquired == null) {
                throw new IOException("could not lock the fresh file " + lockFile);
            }
            this.lock = acquired;
            this.lockChannel = channel;
            Files.createDirectory(staging);
        } catch (IOException | RuntimeException e) {
            LIVE_LOCKS.remove(lockFile);
            channel.close();
            Files.deleteIfExists(lockFile);
            throw e;
        }
        this.rootDevice = deviceOf(this.root);
        this.xattrs = probeExtendedAttributes();
        log.debug("opened {} (extended attributes: {})", describe(), xattrs);
    }

    /** The root directory (real path). */
    public Path root() {
        return root;
    }

    /**
     * A directory on the store's own filesystem where callers may create files to hand to
     * {@link #putFile} (use {@link Files#createTempFile(Path, String, String,
     * java.nio.file.attribute.FileAttribute[])}): such files are moved into place without a copy.
     * Whatever is left there is deleted when the store is closed, or after a crash by the next
     * instance that opens the root.
     */
    public Path stagingDirectory() {
        ensureOpen();
        return staging;
    }

    /** Whether checksums are kept in extended attributes on this filesystem. */
    boolean recordsChecksums() {
        return xattrs;
    }

    @Override
    public StoredBlob put(String key, InputStream data) throws IOException {
        BlobKeys.validate(key);
        Objects.requireNonNull(data, "data");
        ensureOpen();
        Path tmp = newTempFile();
        boolean moved = false;
        try {
            MessageDigest digest = Sha256.newDigest();
            long size = 0;
            String sha256;
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                byte[] buffer = new byte[IO_BUFFER];
                ByteBuffer wrapper = ByteBuffer.wrap(buffer);
                int n;
                while ((n = data.read(buffer)) >= 0) {
                    digest.update(buffer, 0, n);
                    wrapper.clear().limit(n);
                    while (wrapper.hasRemaining()) {
                        out.write(wrapper);
                    }
                    size += n;
                }
                sha256 = Sha256.hex(digest.digest());
                recordSha256(tmp, sha256);
                out.force(true);
            }
            moveIntoPlace(tmp, pathFor(key));
            moved = true;
            return new StoredBlob(key, size, sha256);
        } finally {
            if (!moved) {
                deleteQuietly(tmp);
            }
        }
    }

    /**
     * Stores a local file. When it is a regular file on the store's filesystem it is hashed (one
     * read), fsync'd and renamed into place: no copy. Otherwise its bytes are copied and the file is
     * deleted. Either way {@code source} no longer exists once this returns; on failure it is left
     * where it was.
     */
    @Override
    public StoredBlob putFile(String key, Path source) throws IOException {
        return putFile(key, source, null);
    }

    /** Moves the file in; with a known checksum, the file is not read back to hash it. */
    @Override
    public StoredBlob putFile(String key, Path source, String sha256Hex) throws IOException {
        BlobKeys.validate(key);
        Objects.requireNonNull(source, "source");
        ensureOpen();
        BasicFileAttributes attributes =
                Files.readAttributes(source, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (attributes.isDirectory()) {
            throw new IOException("cannot store " + source + ": it is a directory");
        }
        if (!attributes.isRegularFile() || !onRootFileSystem(source)) {
            return copyAndDelete(key, source);
        }

        if (sha256Hex != null && !sha256Hex.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("a SHA-256 is 64 lower-case hex digits");
        }
        long size = attributes.size();
        String sha256 = sha256Hex;
        try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ)) {
            if (sha256 == null) {
                MessageDigest digest = Sha256.newDigest();
                ByteBuffer buffer = ByteBuffer.allocate(IO_BUFFER);
                int n;
                while ((n = in.read(buffer.clear())) >= 0) {
                    digest.update(buffer.array(), 0, n);
                }
                sha256 = Sha256.hex(digest.digest());
            }
            try {
                // the blob's modification time is when it was stored, not when the file was written
                Files.setLastModifiedTime(source, FileTime.from(Instant.now()));
            } catch (IOException e) {
                log.debug("could not set the modification time of {}: {}", source, e.toString());
            }
            recordSha256(source, sha256);
            in.force(true);
        }
        try {
            moveIntoPlace(source, pathFor(key));
        } catch (AtomicMoveNotSupportedException e) {
            // same device but another mount (e.g. a bind mount): rename(2) refuses, so copy
            log.debug("cannot rename {} into {}, copying instead: {}", source, root, e.toString());
            return copyAndDelete(key, source);
        }
        return new StoredBlob(key, size, sha256);
    }

    private StoredBlob copyAndDelete(String key, Path source) throws IOException {
        StoredBlob stored;
        try (InputStream in = Files.newInputStream(source)) {
            stored = put(key, in);
        }
        Files.deleteIfExists(source);
        return stored;
    }

    @Override
    public InputStream get(String key, long offset, long length) throws IOException {
        BlobKeys.validate(key);
        BlobKeys.validateRange(offset, length);
        ensureOpen();
        FileChannel channel;
        try {
            channel = FileChannel.open(pathFor(key), StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new BlobNotFoundException(key);
        }
        return new ChannelRangeInputStream(channel, offset, length);
    }

    @Override
    public InputStream getVerified(String key, String expectedSha256Hex) throws IOException {
        String expected = Sha256.requireHex(expectedSha256Hex);
        return new VerifyingInputStream(get(key), key, expected);
    }

    @Override
    public Optional<BlobInfo> stat(String key) throws IOException {
        BlobKeys.validate(key);
        ensureOpen();
        try {
            BasicFileAttributes attributes =
                    Files.readAttributes(pathFor(key), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!attributes.isRegularFile()) {
                return Optional.empty();
            }
            return Optional.of(new BlobInfo(key, attributes.size(), attributes.lastModifiedTime().toInstant()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /** The checksum kept in the blob's {@code user.sha256} extended attribute, if the filesystem has them. */
    @Override
    public Optional<String> recordedSha256(String key) throws IOException {
        BlobKeys.validate(key);
        ensureOpen();
        Path path = pathFor(key);
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            throw new BlobNotFoundException(key);
        }
        if (!xattrs) {
            return Optional.empty();
        }
        try {
            UserDefinedFileAttributeView view = Files.getFileAttributeView(path, UserDefinedFileAttributeView.class);
            if (!view.list().contains(XATTR_SHA256)) {
                return Optional.empty();
            }
            ByteBuffer value = ByteBuffer.allocate(view.size(XATTR_SHA256));
            view.read(XATTR_SHA256, value);
            String hex = new String(value.array(), 0, value.position(), StandardCharsets.US_ASCII);
            return Sha256.isHex(hex) ? Optional.of(hex) : Optional.empty();
        } catch (NoSuchFileException e) {
            throw new BlobNotFoundException(key);
        }
    }

    @Override
    public boolean delete(String key) throws IOException {
        BlobKeys.validate(key);
        ensureOpen();
        Path path = pathFor(key);
        boolean deleted = Files.deleteIfExists(path);
        if (deleted) {
            fsyncDirectory(path.getParent());
        }
        return deleted;
    }

    @Override
    public Stream<BlobInfo> list(String prefix) throws IOException {
        BlobKeys.validatePrefix(prefix);
        ensureOpen();
        KeyWalker walker = new KeyWalker(prefix);
        return StreamSupport.stream(
                        Spliterators.spliteratorUnknownSize(walker, Spliterator.NONNULL | Spliterator.DISTINCT), false)
                .onClose(walker::close);
    }

    @Override
    public String describe() {
        return "filesystem " + root;
    }

    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            deleteRecursively(staging);
            Files.deleteIfExists(lockFile);
        } finally {
            LIVE_LOCKS.remove(lockFile);
            try {
                lock.release();
            } finally {
                lockChannel.close();
            }
        }
    }

    @Override
    public String toString() {
        return describe();
    }

    // ---------------------------------------------------------------------------------------------
    // layout

    /** Where the blob of {@code key} lives (whether or not it exists). The key must be valid. */
    Path pathFor(String key) {
        byte[] hash = Sha256.newDigest().digest(key.getBytes(StandardCharsets.US_ASCII));
        Path dir = root.resolve(hex2(hash[0])).resolve(hex2(hash[1]));
        String name = key.replace('/', SLASH);
        if (name.length() <= MAX_NAME) {
            return dir.resolve(name);
        }
        // Split evenly: with keys of at most 512 characters every piece has at least 120, so no
        // piece can be "." or "..", and directory pieces carry a mark no file name can end with.
        int pieces = (name.length() + MAX_NAME - 1) / MAX_NAME;
        int pieceLength = (name.length() + pieces - 1) / pieces;
        int start = 0;
        while (name.length() - start > pieceLength) {
            dir = dir.resolve(name.substring(start, start + pieceLength) + DIR_MARK);
            start += pieceLength;
        }
        return dir.resolve(name.substring(start));
    }

    private static String hex2(byte b) {
        return Character.forDigit((b >> 4) & 0xf, 16) + "" + Character.forDigit(b & 0xf, 16);
    }

    private static boolean isShardName(String name) {
        return name.length() == 2 && isLowerHex(name.charAt(0)) && isLowerHex(name.charAt(1));
    }

    private static boolean isLowerHex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    }

    // ---------------------------------------------------------------------------------------------
    // durability helpers

    private Path newTempFile() {
        return staging.resolve("put-" + tempCounter.incrementAndGet() + ".tmp");
    }

    private void moveIntoPlace(Path source, Path target) throws IOException {
        Path dir = target.getParent();
        for (int attempt = 1; ; attempt++) {
            ensureDurableDirectory(dir);
            try {
                Files.move(source, target, StandardCopyOption.ATOMIC_MOVE);
                break;
            } catch (NoSuchFileException e) {
                // the target directory was removed behind our back (manual cleanup): create it again
                if (attempt >= 3 || !Files.exists(source, LinkOption.NOFOLLOW_LINKS)) {
                    throw e;
                }
                for (Path p = dir; !p.equals(root); p = p.getParent()) {
                    durableDirs.remove(p);
                }
            }
        }
        fsyncDirectory(dir);
    }

    /** Creates {@code dir} and its parents up to the root if needed, each fsync'd into its parent. */
    private void ensureDurableDirectory(Path dir) throws IOException {
        if (dir.equals(root) || durableDirs.contains(dir)) {
            return;
        }
        Path parent = dir.getParent();
        ensureDurableDirectory(parent);
        try {
            Files.createDirectory(dir);
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                throw new IOException("expected a directory at " + dir, e);
            }
        }
        // Also when another thread created it: its fsync may not have happened yet.
        fsyncDirectory(parent);
        durableDirs.add(dir);
    }

    private static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    private void recordSha256(Path file, String sha256) {
        if (!xattrs) {
            return;
        }
        try {
            Files.getFileAttributeView(file, UserDefinedFileAttributeView.class)
                    .write(XATTR_SHA256, ByteBuffer.wrap(sha256.getBytes(StandardCharsets.US_ASCII)));
        } catch (IOException | RuntimeException e) {
            log.debug("could not record the checksum of {} as an extended attribute: {}", file, e.toString());
        }
    }

    private boolean probeExtendedAttributes() {
        Path probe = staging.resolve("xattr-probe");
        try {
            Files.createFile(probe);
            UserDefinedFileAttributeView view = Files.getFileAttributeView(probe, UserDefinedFileAttributeView.class);
            if (view == null) {
                return false;
            }
            view.write(XATTR_SHA256, ByteBuffer.wrap(new byte[] {'x'}));
            return view.list().contains(XATTR_SHA256);
        } catch (IOException | RuntimeException e) {
            return false;
        } finally {
            deleteQuietly(probe);
        }
    }

    private boolean onRootFileSystem(Path source) {
        if (rootDevice == null) {
            return true; // unknown: try the rename, fall back to a copy if it fails
        }
        Object device = deviceOf(source);
        return device == null || device.equals(rootDevice);
    }

    private static Object deviceOf(Path path) {
        try {
            return Files.getAttribute(path, "unix:dev", LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return null;
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("blob store is closed: " + describe());
        }
    }

    // ---------------------------------------------------------------------------------------------
    // crash leftovers

    /**
     * Deletes temporary directories whose owner is gone. An owner holds a lock on
     * {@code .tmp/<id>.lock} for as long as it is open; the operating system drops the lock when the
     * process dies. Lock files of live instances of this JVM are not even opened, because on POSIX
     * systems closing any descriptor of a file drops all of the process's locks on it.
     */
    private int cleanLeftovers() throws IOException {
        int deleted = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(tmpRoot)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (name.endsWith(LOCK_SUFFIX)) {
                    continue;
                }
                if (!Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
                    Files.deleteIfExists(entry); // a stray temporary file
                    deleted++;
                    continue;
                }
                Path lockPath = tmpRoot.resolve(name + LOCK_SUFFIX);
                if (LIVE_LOCKS.contains(lockPath)) {
                    continue;
                }
                try (FileChannel channel = FileChannel.open(lockPath, StandardOpenOption.WRITE)) {
                    FileLock owned;
                    try {
                        owned = channel.tryLock();
                    } catch (OverlappingFileLockException e) {
                        owned = null;
                    }
                    if (owned == null) {
                        continue; // a live instance in another process
                    }
                    deleted += deleteRecursively(entry);
                    Files.deleteIfExists(lockPath);
                } catch (NoSuchFileException e) {
                    // The owner creates and locks its lock file before its directory and removes the
                    // directory before the lock file, so a directory without one is a leftover.
                    deleted += deleteRecursively(entry);
                }
            }
        }
        // lock files without a directory (crash between the two steps); spare very young ones, whose
        // owner may be between creating and locking them
        try (DirectoryStream<Path> locks = Files.newDirectoryStream(tmpRoot, "*" + LOCK_SUFFIX)) {
            for (Path lockPath : locks) {
                String name = lockPath.getFileName().toString();
                Path dir = tmpRoot.resolve(name.substring(0, name.length() - LOCK_SUFFIX.length()));
                if (LIVE_LOCKS.contains(lockPath) || Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                try {
                    long age = System.currentTimeMillis() - Files.getLastModifiedTime(lockPath).toMillis();
                    if (age < ORPHAN_LOCK_AGE_MILLIS) {
                        continue;
                    }
                    try (FileChannel channel = FileChannel.open(lockPath, StandardOpenOption.WRITE)) {
                        FileLock owned = channel.tryLock();
                        if (owned != null) {
                            Files.deleteIfExists(lockPath);
                        }
                    }
                } catch (NoSuchFileException | OverlappingFileLockException e) {
                    // gone already, or owned by this JVM
                }
            }
        }
        return deleted;
    }

    /** Deletes a directory tree; returns how many files (not directories) it deleted. */
    private static int deleteRecursively(Path dir) throws IOException {
        int[] count = {0};
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    count[0]++;
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                    if (e instanceof NoSuchFileException) {
                        return FileVisitResult.CONTINUE;
                    }
                    throw e;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (NoSuchFileException e) {
            // already gone
        }
        return count[0];
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            log.debug("could not delete {}: {}", file, e.toString());
        }
    }

    // ---------------------------------------------------------------------------------------------
    // listing

    /**
     * Walks the shard directories lazily, depth first, decoding file names back into keys and
     * descending only into the pieces of long keys that can match the prefix.
     */
    private final class KeyWalker extends LookaheadIterator<BlobInfo> {
        private final String encodedPrefix;
        private final Deque<Level> stack = new ArrayDeque<>();

        KeyWalker(String prefix) {
            this.encodedPrefix = prefix.replace('/', SLASH);
            push(root, 0, "");
        }

        private record Level(DirectoryStream<Path> stream, Iterator<Path> entries, int depth, String encoded) {
        }

        private void push(Path dir, int depth, String encoded) {
            try {
                DirectoryStream<Path> stream = Files.newDirectoryStream(dir);
                stack.push(new Level(stream, stream.iterator(), depth, encoded));
            } catch (NoSuchFileException e) {
                // removed meanwhile
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list " + dir, e);
            }
        }

        private boolean compatible(String encoded) {
            return encoded.startsWith(encodedPrefix) || encodedPrefix.startsWith(encoded);
        }

        @Override
        protected BlobInfo advance() {
            while (!stack.isEmpty()) {
                Level level = stack.peek();
                Path entry;
                try {
                    if (!level.entries().hasNext()) {
                        stack.pop();
                        closeQuietly(level.stream());
                        continue;
                    }
                    entry = level.entries().next();
                } catch (DirectoryIteratorException e) {
                    throw new UncheckedIOException(e.getCause());
                }
                String name = entry.getFileName().toString();
                if (level.depth() < 2) {
                    if (isShardName(name) && Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
                        push(entry, level.depth() + 1, "");
                    }
                    continue;
                }
                BasicFileAttributes attributes;
                try {
                    attributes = Files.readAttributes(entry, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                } catch (NoSuchFileException e) {
                    continue; // deleted meanwhile
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                if (attributes.isDirectory()) {
                    if (name.endsWith(String.valueOf(DIR_MARK))) {
                        String encoded = level.encoded() + name.substring(0, name.length() - 1);
                        if (compatible(encoded)) {
                            push(entry, level.depth() + 1, encoded);
                        }
                    }
                    continue;
                }
                if (!attributes.isRegularFile()) {
                    continue;
                }
                String encoded = level.encoded() + name;
                if (!encoded.startsWith(encodedPrefix)) {
                    continue;
                }
                String key = encoded.replace(SLASH, '/');
                try {
                    BlobKeys.validate(key);
                } catch (IllegalArgumentException e) {
                    continue; // not ours
                }
                return new BlobInfo(key, attributes.size(), attributes.lastModifiedTime().toInstant());
            }
            return null;
        }

        void close() {
            while (!stack.isEmpty()) {
                closeQuietly(stack.pop().stream());
            }
        }

        private void closeQuietly(DirectoryStream<Path> stream) {
            try {
                stream.close();
            } catch (IOException e) {
                log.debug("closing a directory stream: {}", e.toString());
            }
        }
    }
}
