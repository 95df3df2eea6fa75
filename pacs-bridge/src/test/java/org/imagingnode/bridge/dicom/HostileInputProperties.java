package org.imagingnode.bridge.dicom;

import static org.assertj.core.api.Assertions.assertThatCode;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Example;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Fuzzing of the parsers that read what the network sends: mutated and random data sets must be
 * accepted or rejected as malformed, quickly, and never crash or hang the parser (no other
 * exception, no unbounded allocation: the walker keeps no values).
 */
class HostileInputProperties {
    private static byte[] valid;
    private static final Duration LIMIT = Duration.ofSeconds(5);

    @BeforeContainer
    static void aValidDataSet() throws IOException, MalformedDicomException {
        Path dir = Files.createTempDirectory("fuzz");
        TestObjects.Spec s = new TestObjects.Spec();
        s.rows = 16;
        s.columns = 16;
        s.patientName = "Müller^Jürgen=ミュラー^ユルゲン";
        Path f = TestObjects.write(s, dir.resolve("seed.dcm"));
        try (InputStream in = Files.newInputStream(f)) {
            Part10.skipHeader(in);
            valid = in.readAllBytes();
        }
    }

    @Provide
    Arbitrary<byte[]> mutated() {
        return Arbitraries.integers().between(0, 20).flatMap(edits -> Arbitraries.integers()
                .between(0, Integer.MAX_VALUE).list().ofSize(edits * 2).map(ints -> {
                    byte[] b = valid.clone();
                    for (int i = 0; i + 1 < ints.size(); i += 2) {
                        b[ints.get(i) % b.length] = (byte) (int) ints.get(i + 1);
                    }
                    return b;
                }));
    }

    @Provide
    Arbitrary<byte[]> truncated() {
        return Arbitraries.integers().between(0, Integer.MAX_VALUE)
                .map(n -> Arrays.copyOf(valid, n % valid.length));
    }

    @Provide
    Arbitrary<String> syntaxes() {
        return Arbitraries.of(TransferSyntax.EXPLICIT_VR_LE, TransferSyntax.IMPLICIT_VR_LE, TransferSyntax.EXPLICIT_VR_BE,
                TransferSyntax.DEFLATED_EXPLICIT_VR_LE, TransferSyntax.JPEG_BASELINE);
    }

    /** Runs a parse with a deadline: only MalformedDicomException may come out. */
    private static void parsesOrRejects(ThrowingRunnable parse) {
        CompletableFuture<Void> run = CompletableFuture.runAsync(() -> {
            try {
                parse.run();
            } catch (MalformedDicomException expected) {
                // rejected: fine
            } catch (Exception e) {
                throw new IllegalStateException("unexpected " + e, e);
            }
        });
        assertThatCode(() -> run.get(LIMIT.toMillis(), TimeUnit.MILLISECONDS)).doesNotThrowAnyException();
    }

    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Property(tries = 300)
    void theStructureWalkerAcceptsOrRejectsMutatedDataSets(@ForAll("mutated") byte[] data,
            @ForAll("syntaxes") String ts) {
        parsesOrRejects(() -> DatasetStructure.verify(new ByteArrayInputStream(data), ts));
    }

    @Property(tries = 200)
    void theStructureWalkerRejectsEveryTruncation(@ForAll("truncated") byte[] data) {
        parsesOrRejects(() -> DatasetStructure.verify(new ByteArrayInputStream(data), TransferSyntax.EXPLICIT_VR_LE));
    }

    @Property(tries = 300)
    void theStructureWalkerSurvivesRandomBytes(@ForAll byte[] data, @ForAll("syntaxes") String ts) {
        parsesOrRejects(() -> DatasetStructure.verify(new ByteArrayInputStream(data), ts));
    }

    @Property(tries = 300)
    void untrustedDataSetsAreParsedOrRejectedWithinWhatWasReceived(@ForAll("mutated") byte[] data,
            @ForAll("syntaxes") String ts) {
        parsesOrRejects(() -> DicomDataset.readUntrusted(new ByteArrayInputStream(data), ts, 1 << 20));
    }

    @Property(tries = 50)
    void aDeclaredLengthFarBeyondTheDataIsRejectedNotAllocated(@ForAll("hugeLengths") long length) {
        // PatientName (0010,0010) PN, then a UN element claiming gigabytes
        byte[] ds = {0x10, 0x00, 0x10, 0x00, 'P', 'N', 2, 0, 'A', ' ', 0x09, 0x00, 0x10, 0x00, 'U', 'N', 0, 0,
            (byte) length, (byte) (length >>> 8), (byte) (length >>> 16), (byte) (length >>> 24), 1, 2, 3, 4};
        assertThatCode(() -> DicomDataset.readUntrusted(new ByteArrayInputStream(ds), TransferSyntax.EXPLICIT_VR_LE,
                1 << 20)).isInstanceOf(MalformedDicomException.class);
    }

    @Provide
    Arbitrary<Long> hugeLengths() {
        return Arbitraries.longs().between(1L << 20, 0xFFFFFFFEL);
    }

    @Example
    void anOversizedUntrustedDataSetIsRejected() {
        assertThatCode(() -> DicomDataset.readUntrusted(new ByteArrayInputStream(valid), TransferSyntax.EXPLICIT_VR_LE,
                valid.length - 1)).isInstanceOf(MalformedDicomException.class).hasMessageContaining("larger than");
        assertThatCode(() -> DicomDataset.readUntrusted(new ByteArrayInputStream(valid), TransferSyntax.EXPLICIT_VR_LE,
                valid.length)).doesNotThrowAnyException();
    }

    @Property(tries = 200)
    void part10HeadersAreReadOrRejected(@ForAll byte[] data) {
        parsesOrRejects(() -> Part10.skipHeader(new ByteArrayInputStream(data)));
    }
}
