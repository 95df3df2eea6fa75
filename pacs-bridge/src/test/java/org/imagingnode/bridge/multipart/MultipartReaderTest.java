package org.imagingnode.bridge.multipart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * The multipart reader behind STOW-RS: parts come out byte for byte whatever the way the input
 * arrives (one byte at a time, chunks that cut the delimiter anywhere, parts larger than the
 * buffer), bytes that only look like the boundary stay data, and every kind of malformed body ends
 * with a MalformedMultipartException that says what is wrong.
 */
class MultipartReaderTest {
    private static final String B = "b0undary-42";
    private static final int HEADER_BYTES = 8192;
    private static final int HEADERS = 32;

    private record Read(Map<String, String> headers, byte[] data) {
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** A well-formed body: each part with the one header given, then its data. */
    private static byte[] body(String preamble, List<byte[]> parts, String epilogue) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ascii(preamble));
        for (byte[] p : parts) {
            out.writeBytes(ascii((out.size() == 0 ? "" : "\r\n") + "--" + B + "\r\nContent-Type: application/dicom\r\n\r\n"));
            out.writeBytes(p);
        }
        out.writeBytes(ascii("\r\n--" + B + "--" + epilogue));
        return out.toByteArray();
    }

    /** An input that hands out at most the next chunk size at each read, cycling through the sizes. */
    private static InputStream chunked(byte[] bytes, int... sizes) {
        return new ByteArrayInputStream(bytes) {
            private int k;

            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, sizes[k++ % sizes.length]));
            }
        };
    }

    private static List<Read> readAll(InputStream in) throws IOException {
        MultipartReader reader = new MultipartReader(in, ascii(B), HEADER_BYTES, HEADERS);
        List<Read> out = new ArrayList<>();
        for (MultipartReader.Part p = reader.next(); p != null; p = reader.next()) {
            out.add(new Read(p.headers(), p.body().readAllBytes()));
        }
        return out;
    }

    private static List<byte[]> data(List<Read> reads) {
        return reads.stream().map(Read::data).toList();
    }

    private static String malformation(String body) {
        return malformation(ascii(body));
    }

    private static String malformation(byte[] body) {
        return assertThatThrownBy(() -> readAll(new ByteArrayInputStream(body)))
                .isInstanceOf(MalformedMultipartException.class).actual().getMessage();
    }

    // ------------------------------------------------------------------ well-formed bodies

    @Example
    void partsComeOutWithTheirHeadersAndExactDataBetweenPreambleAndEpilogue() throws IOException {
        byte[] body = ascii("this preamble is ignored\r\n--" + B + "\r\nContent-Type: application/dicom\r\n"
                + "Content-Location: http://x/1\r\n\r\nfirst\r\n--" + B + "\r\n\r\n\r\nsecond with CRLF around\r\n\r\n--"
                + B + "--\r\nepilogue, ignored, even --" + B + "\r\n");

        List<Read> parts = readAll(new ByteArrayInputStream(body));

        assertThat(parts).hasSize(2);
        assertThat(parts.get(0).headers()).containsExactly(Map.entry("content-type", "application/dicom"),
                Map.entry("content-location", "http://x/1"));
        assertThat(parts.get(0).data()).isEqualTo(ascii("first"));
        assertThat(parts.get(1).headers()).isEmpty();
        assertThat(parts.get(1).data()).isEqualTo(ascii("\r\nsecond with CRLF around\r\n"));
    }

    @Example
    void bytesThatOnlyLookLikeTheBoundaryStayInTheData() throws IOException {
        List<byte[]> parts = List.of(
                ascii("x--" + B + " inside a line is data"),
                ascii("\r\n--" + B.substring(0, B.length() - 1) + " a shorter boundary\r\n-" + B + " one dash\n--" + B
                        + " LF only\r--" + B + " CR only"),
                ascii("ends with half a delimiter \r\n--" + B.substring(0, 4)),
                new byte[0]);

        assertThat(data(readAll(new ByteArrayInputStream(body("", parts, ""))))).containsExactlyElementsOf(parts);
    }

    @Example
    void transportPaddingAfterABoundaryIsSkippedAndHeaderNamesAreCaseInsensitive() throws IOException {
        byte[] body = ascii("--" + B + " \t \r\nCONTENT-type:   application/dicom  \r\n\r\nx\r\n--" + B + "--");

        MultipartReader reader = new MultipartReader(new ByteArrayInputStream(body), ascii(B), HEADER_BYTES, HEADERS);
        MultipartReader.Part part = reader.next();

        assertThat(part.header("Content-Type")).isEqualTo("application/dicom");
        assertThat(part.body().readAllBytes()).isEqualTo(ascii("x"));
        assertThat(reader.next()).isNull();
        assertThat(reader.next()).isNull();
    }

    @Example
    void askingForTheNextPartSkipsWhatWasLeftUnreadAndEndsThePreviousStream() throws IOException {
        byte[] big = new byte[300_000];
        new Random(7).nextBytes(big);
        byte[] body = body("", List.of(big, ascii("second")), "");

        MultipartReader reader = new MultipartReader(new ByteArrayInputStream(body), ascii(B), HEADER_BYTES, HEADERS);
        InputStream first = reader.next().body();
        assertThat(first.readNBytes(10)).isEqualTo(Arrays.copyOf(big, 10));
        InputStream second = reader.next().body();

        assertThat(first.read()).isEqualTo(-1);
        assertThat(second.readAllBytes()).isEqualTo(ascii("second"));
        assertThat(reader.next()).isNull();
    }

    @Example
    void aDelimiterCutByTheEndOfTheBufferAtEveryOffsetIsFound() throws IOException {
        // parts around the buffer's size put the delimiter across the edge of a fill at each offset
        Random random = new Random(3);
        for (int size = 64 * 1024 - 120; size < 64 * 1024 + 20; size++) {
            byte[] part = new byte[size];
            random.nextBytes(part);
            List<byte[]> parts = List.of(part, part);
            assertThat(data(readAll(new ByteArrayInputStream(body("", parts, ""))))).as("part of %d bytes", size)
                    .containsExactlyElementsOf(parts);
        }
    }

    @Example
    void oneByteAtATimeGivesTheSameParts() throws IOException {
        List<byte[]> parts = List.of(ascii("abc"), ascii("\r\n--" + B.toUpperCase() + " differs in case: data"), new byte[0]);
        byte[] body = body("pre", parts, "post");

        List<Read> read = readAll(chunked(body, 1));

        assertThat(data(read)).containsExactlyElementsOf(parts);
        assertThat(read).allMatch(r -> r.headers().get("content-type").equals("application/dicom"));
    }

    @Provide
    Arbitrary<List<byte[]>> parts() {
        // random bytes mixed with pieces of the delimiter, so near-matches land everywhere
        Arbitrary<byte[]> piece = Arbitraries.oneOf(
                Arbitraries.bytes().array(byte[].class).ofMaxSize(3000),
                Arbitraries.of("\r\n--", "\r\n-", "\r\n", "\r", "--" + B, B, "\r\n--" + B.substring(0, 6))
                        .map(MultipartReaderTest::ascii));
        return piece.list().ofMaxSize(12).map(list -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            list.forEach(out::writeBytes);
            return out.toByteArray();
        }).filter(d -> !new String(d, StandardCharsets.ISO_8859_1).contains("\r\n--" + B)) // that would end the part
                .list().ofMaxSize(5);
    }

    @Property(tries = 300)
    void anyPartsReadInAnyChunkingComeOutExactly(@ForAll("parts") List<byte[]> parts,
            @ForAll @IntRange(min = 1, max = 70_000) int chunkA, @ForAll @IntRange(min = 1, max = 50) int chunkB)
            throws IOException {
        byte[] body = body("", parts, "\r\nepilogue");

        assertThat(data(readAll(chunked(body, chunkA, chunkB)))).containsExactlyElementsOf(parts);
    }

    // ------------------------------------------------------------------ malformed bodies

    @Example
    void aBodyWithoutTheBoundaryIsMalformed() {
        assertThat(malformation("")).contains("no boundary delimiter");
        assertThat(malformation("--other\r\n\r\ndata\r\n--other--")).contains("no boundary delimiter");
        assertThat(malformation("x--" + B + "\r\n\r\ndata")).contains("no boundary delimiter");
    }

    @Example
    void aTruncatedBodyIsMalformedWhereverItIsCut() {
        byte[] whole = body("", List.of(ascii("first part"), ascii("second part")), "");
        for (int cut = 0; cut < whole.length; cut++) {
            byte[] truncated = Arrays.copyOf(whole, cut);
            assertThatThrownBy(() -> readAll(new ByteArrayInputStream(truncated))).as("cut at %d", cut)
                    .isInstanceOf(MalformedMultipartException.class);
        }
        assertThat(malformation("--" + B + "\r\nContent-Type: application/dicom\r\n\r\nno end")).contains("truncated inside a part");
        assertThat(malformation("--" + B + "\r\nContent-Type: appl")).contains("truncated inside the headers");
        assertThat(malformation("--" + B)).contains("truncated after a boundary");
    }

    @Example
    void aDelimiterFollowedByOtherCharactersIsMalformed() {
        assertThat(malformation("--" + B + "x\r\n\r\ndata\r\n--" + B + "--")).contains("followed by other characters");
        assertThat(malformation("--" + B + "\r\n\r\ndata\r\n--" + B + "-\r\n")).contains("followed by other characters");
    }

    @Example
    void partHeadersOverTheLimitsOrNotHeadersAreMalformed() {
        String open = "--" + B + "\r\n";
        String close = "\r\n\r\ndata\r\n--" + B + "--";
        assertThat(malformation(open + "X-Huge: " + "h".repeat(HEADER_BYTES) + close)).contains("more than 8192 bytes");
        assertThat(malformation(open + "X-Huge: " + "h".repeat(HEADER_BYTES))).contains("more than 8192 bytes");
        assertThat(malformation(open + IntStream.rangeClosed(0, HEADERS).mapToObj(i -> "X-" + i + ": 1\r\n").collect(Collectors.joining()) + close)).contains("more than 32 headers");
        assertThat(malformation(open + "no colon here" + close)).contains("no field name");
        assertThat(malformation(open + " Content-Type: application/dicom" + close)).contains("no field name");
        assertThat(malformation(open + "X-Bin: a\0b" + close)).contains("control character");
        assertThat(malformation(open + "Content-Type: application/dicom\r\ncontent-type: text/plain" + close))
                .contains("repeated");
        assertThat(malformation(open + "Content-Type: application dicom" + close)).contains("not a media type");
        assertThat(malformation(open + "Content-Type: " + close)).contains("not a media type");
    }

    @Example
    void aFailureIsThrownAgainByTheReaderAndByThePartStream() throws IOException {
        byte[] body = ascii("--" + B + "\r\n\r\nthe body stops here");
        MultipartReader reader = new MultipartReader(new ByteArrayInputStream(body), ascii(B), HEADER_BYTES, HEADERS);
        InputStream part = reader.next().body();

        assertThatThrownBy(part::readAllBytes).isInstanceOf(MalformedMultipartException.class);
        assertThatThrownBy(part::read).isInstanceOf(MalformedMultipartException.class);
        assertThatThrownBy(reader::next).isInstanceOf(MalformedMultipartException.class)
                .hasMessageContaining("truncated inside a part");
    }

    @Example
    void boundariesThatCannotDelimitAreRefused() {
        assertThatThrownBy(() -> new MultipartReader(InputStream.nullInputStream(), new byte[0], HEADER_BYTES, HEADERS))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new MultipartReader(InputStream.nullInputStream(), ascii("a\r\nb"), HEADER_BYTES, HEADERS))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new MultipartReader(InputStream.nullInputStream(), ascii("b".repeat(201)), HEADER_BYTES,
                HEADERS)).isInstanceOf(IllegalArgumentException.class);
    }
}
