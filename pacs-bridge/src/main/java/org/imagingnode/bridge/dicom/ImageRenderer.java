package org.imagingnode.bridge.dicom;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Iterator;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DecimalStringAttribute;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.display.ConsumerFormatImageMaker;
import com.pixelmed.display.SourceImage;

/**
 * Renders one frame of an image object as an 8-bit JPEG or PNG for people (PS3.18 rendered and
 * thumbnail resources, WADO-URI): modality LUT (rescale), the object's own default window (or one
 * given), MONOCHROME1 inverted, colour kept, scaled down to fit a viewport keeping the aspect ratio.
 * Compressed pixel data is decoded by the toolkit where it has a codec.
 */
public final class ImageRenderer {

    /**
     * @param frame        frame number, from 1
     * @param maxWidth     fit within this width (0: the image's own)
     * @param maxHeight    fit within this height (0: the image's own)
     * @param windowCenter explicit window, or null for the object's default
     * @param quality      JPEG quality 1-100
     */
    public record Options(int frame, int maxWidth, int maxHeight, Double windowCenter, Double windowWidth,
            Format format, int quality) {
    }

    public enum Format {
        JPEG("image/jpeg", "jpeg"), PNG("image/png", "png");

        public final String mediaType;
        final String imageIoName;

        Format(String mediaType, String imageIoName) {
            this.mediaType = mediaType;
            this.imageIoName = imageIoName;
        }
    }

    /** The object has no renderable image, or not the frame asked for. */
    public static final class NotRenderableException extends Exception {
        public NotRenderableException(String message) {
            super(message);
        }
    }

    private ImageRenderer() {
    }

    /** Reads the data set (no meta header) from {@code in} and writes the rendered frame to {@code out}. */
    public static void render(InputStream in, String transferSyntaxUid, Options options, OutputStream out)
            throws MalformedDicomException, NotRenderableException, IOException {
        SourceImage source = source(in, transferSyntaxUid, options);
        int frames = source.getNumberOfBufferedImages();
        if (options.frame() < 1 || options.frame() > frames) {
            throw new NotRenderableException("frame " + options.frame() + " does not exist (the object has "
                    + frames + ")");
        }
        write(frame(source, options.frame(), options), options, out);
    }

    /** Where {@link #renderEachFrame} writes: one output per frame. */
    public interface FrameTarget {
        /** The stream frame {@code frame} (from 1, of {@code frames}) is written to; not closed by the renderer. */
        OutputStream begin(int frame, int frames) throws IOException;

        /** The frame is complete. */
        void end() throws IOException;
    }

    /** Renders every frame of the object, parsing it once ({@code options.frame()} is ignored). Returns the count. */
    public static int renderEachFrame(InputStream in, String transferSyntaxUid, Options options, FrameTarget target)
            throws MalformedDicomException, NotRenderableException, IOException {
        SourceImage source = source(in, transferSyntaxUid, options);
        int frames = source.getNumberOfBufferedImages();
        for (int f = 1; f <= frames; f++) {
            BufferedImage image = frame(source, f, options);
            write(image, options, target.begin(f, frames));
            target.end();
        }
        return frames;
    }

    private static SourceImage source(InputStream in, String transferSyntaxUid, Options options)
            throws MalformedDicomException, NotRenderableException {
        AttributeList list = new AttributeList();
        try {
            list.read(new DicomInputStream(in, transferSyntaxUid, false));
        } catch (IOException | DicomException | RuntimeException e) {
            throw new MalformedDicomException("cannot parse data set: " + e, e);
        }
        if (list.get(TagFromName.PixelData) == null) {
            throw new NotRenderableException("the object has no pixel data");
        }
        try {
            if (options.windowCenter() != null && options.windowWidth() != null) {
                Attribute c = new DecimalStringAttribute(TagFromName.WindowCenter);
                c.addValue(options.windowCenter());
                Attribute w = new DecimalStringAttribute(TagFromName.WindowWidth);
                w.addValue(options.windowWidth());
                ConsumerFormatImageMaker.replaceWindowWidthAndCenterInAttributeList(list, c, w);
            }
            return new SourceImage(list);
        } catch (DicomException | RuntimeException e) {
            throw new NotRenderableException("cannot render this image: " + e.getMessage());
        }
    }

    /** Frame {@code frame} (from 1) in 8 bits, fitted to the options' viewport. */
    private static BufferedImage frame(SourceImage source, int frame, Options options) throws NotRenderableException {
        BufferedImage image;
        try {
            image = ConsumerFormatImageMaker.makeEightBitFrame(source, frame - 1);
        } catch (RuntimeException e) {
            throw new NotRenderableException("cannot render this image: " + e.getMessage());
        }
        if (image == null) {
            throw new NotRenderableException("cannot render this image");
        }
        return fit(image, options.maxWidth(), options.maxHeight());
    }

    private static BufferedImage fit(BufferedImage image, int maxWidth, int maxHeight) {
        int w = image.getWidth();
        int h = image.getHeight();
        double scale = 1.0;
        if (maxWidth > 0) {
            scale = Math.min(scale, (double) maxWidth / w);
        }
        if (maxHeight > 0) {
            scale = Math.min(scale, (double) maxHeight / h);
        }
        boolean gray = image.getColorModel().getNumComponents() == 1;
        int type = gray ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB;
        if (scale >= 1.0 && image.getType() == type) {
            return image;
        }
        int nw = Math.max(1, (int) Math.round(w * Math.min(scale, 1.0)));
        int nh = Math.max(1, (int) Math.round(h * Math.min(scale, 1.0)));
        BufferedImage out = new BufferedImage(nw, nh, type);
        Graphics2D g = out.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
            g.drawImage(image, 0, 0, nw, nh, null);
        } finally {
            g.dispose();
        }
        return out;
    }

    private static void write(BufferedImage image, Options options, OutputStream out) throws IOException {
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName(options.format().imageIoName);
        if (!writers.hasNext()) {
            throw new IOException("no ImageIO writer for " + options.format());
        }
        ImageWriter writer = writers.next();
        try (ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
            writer.setOutput(ios);
            ImageWriteParam param = writer.getDefaultWriteParam();
            if (options.format() == Format.JPEG) {
                param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
                param.setCompressionQuality(Math.max(1, Math.min(100, options.quality())) / 100f);
            }
            writer.write(null, new IIOImage(image, null, null), param);
        } finally {
            writer.dispose();
        }
    }
}
