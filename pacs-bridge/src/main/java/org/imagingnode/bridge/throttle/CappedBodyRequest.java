package org.imagingnode.bridge.throttle;

import java.io.IOException;
import java.util.Locale;

import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;

/**
 * A request whose body cannot be read past a limit, whether or not it declared its length (chunked
 * transfer): beyond it, reading fails, and the handler answers 400 without having buffered more.
 */
final class CappedBodyRequest extends HttpServletRequestWrapper {
    private final long max;
    private ServletInputStream capped;

    CappedBodyRequest(HttpServletRequest request, long max) {
        super(request);
        this.max = max;
    }

    /** application/json and any +json type: bodies that are parsed whole into memory. */
    static boolean isJson(HttpServletRequest request) {
        String type = request.getContentType();
        if (type == null) {
            return false;
        }
        String media = type.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        return media.equals("application/json") || media.endsWith("+json");
    }

    @Override
    public ServletInputStream getInputStream() throws IOException {
        if (capped == null) {
            ServletInputStream in = super.getInputStream();
            capped = new ServletInputStream() {
                private long read;

                @Override
                public int read() throws IOException {
                    int b = in.read();
                    if (b >= 0) {
                        count(1);
                    }
                    return b;
                }

                @Override
                public int read(byte[] buffer, int offset, int length) throws IOException {
                    int n = in.read(buffer, offset, (int) Math.min(length, max - read + 1));
                    if (n > 0) {
                        count(n);
                    }
                    return n;
                }

                private void count(int n) throws IOException {
                    read += n;
                    if (read > max) {
                        throw new IOException("request body larger than " + max + " bytes");
                    }
                }

                @Override
                public boolean isFinished() {
                    return in.isFinished();
                }

                @Override
                public boolean isReady() {
                    return in.isReady();
                }

                @Override
                public void setReadListener(ReadListener listener) {
                    in.setReadListener(listener);
                }
            };
        }
        return capped;
    }
}
