package org.imagingnode.bridge.export;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import org.imagingnode.bridge.dicom.ImageRenderer;
import org.imagingnode.bridge.dicom.MalformedDicomException;
import org.imagingnode.bridge.index.IndexAttribute;
import org.imagingnode.bridge.index.InstanceLocation;
import org.imagingnode.storage.BlobStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A study as JPEG images for sharing: each frame rendered with the object's own default window at full size,
 * one folder per series. Names say only the series number, modality and image number
 * ({@code S002_CT/IMG0001.jpg}, {@code ..._F001.jpg} per frame of a multi-frame image): no patient identifier
 * (the pictures themselves carry no DICOM header). Objects that cannot be rendered (documents, or a syntax
 * the node has no decoder for) are listed in {@code NOT_INCLUDED.TXT}. Streamed, one object at a time.
 */
public final class JpegZip {
    private static final Logger log = LoggerFactory.getLogger(JpegZip.class);
    private static final int QUALITY = 90;

    /** What was written. */
    public record Result(int images, int skipped) {
    }

    private JpegZip() {
    }

    /** Writes the archive; {@code out} is not closed. */
    public static Result write(StoredStudy study, BlobStore blobs, OutputStream out) throws IOException {
        ZipOutputStream zip = new ZipOutputStream(out, StandardCharsets.UTF_8);
        zip.setLevel(Deflater.NO_COMPRESSION); // JPEG does not compress further
        ImageRenderer.Options options = new ImageRenderer.Options(1, 0, 0, null, null, ImageRenderer.Format.JPEG,
                QUALITY);
        int images = 0;
        StringBuilder skipped = new StringBuilder();
        int skippedCount = 0;
        int seriesIndex = 0;
        Set<String> folders = new HashSet<>();
        for (Map.Entry<String, List<InstanceLocation>> series : study.bySeries().entrySet()) {
            seriesIndex++;
            InstanceLocation first = series.getValue().get(0);
            String folder = folder(study.attribute(first.sopInstanceUid(), IndexAttribute.SeriesNumber),
                    study.attribute(first.sopInstanceUid(), IndexAttribute.Modality), seriesIndex);
            if (!folders.add(folder)) {
                folder = folder + "_" + seriesIndex; // two series with one number
                folders.add(folder);
            }
            int imageIndex = 0;
            for (InstanceLocation i : series.getValue()) {
                imageIndex++;
                String base = folder + "/IMG" + String.format(Locale.ROOT, "%04d", imageIndex);
                try (InputStream in = blobs.get(i.blobKey(), i.datasetOffset(), i.blobSize() - i.datasetOffset())) {
                    images += ImageRenderer.renderEachFrame(in, i.transferSyntaxUid(), options,
                            new ImageRenderer.FrameTarget() {
                                @Override
                                public OutputStream begin(int frame, int frames) throws IOException {
                                    zip.putNextEntry(new ZipEntry(frames == 1 ? base + ".jpg"
                                            : base + String.format(Locale.ROOT, "_F%03d.jpg", frame)));
                                    return zip;
                                }

                                @Override
                                public void end() throws IOException {
                                    zip.closeEntry();
                                }
                            });
                } catch (ImageRenderer.NotRenderableException | MalformedDicomException e) {
                    log.debug("JPEG export: {} not rendered: {}", i.sopInstanceUid(), e.getMessage());
                    skippedCount++;
                    skipped.append(base).append(": ").append(e.getMessage()).append("\r\n");
                }
            }
        }
        if (skippedCount > 0) {
            zip.putNextEntry(new ZipEntry("NOT_INCLUDED.TXT"));
            zip.write(("Objects of the study that could not be rendered as images:\r\n" + skipped)
                    .getBytes(StandardCharsets.UTF_8));
            zip.closeEntry();
        }
        zip.finish();
        return new Result(images, skippedCount);
    }

    private static String folder(String seriesNumber, String modality, int index) {
        int n;
        try {
            n = seriesNumber == null ? index : Integer.parseInt(seriesNumber.strip());
        } catch (NumberFormatException e) {
            n = index;
        }
        String m = modality == null ? "" : modality.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "");
        return String.format(Locale.ROOT, "S%03d", n) + (m.isEmpty() ? "" : "_" + m.substring(0, Math.min(4, m.length())));
    }
}
