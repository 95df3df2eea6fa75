package org.imagingnode.bridge.sharing.hl7;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** MLLP framing by hand, for bytes HAPI's client would not send and for connections it cannot make. */
final class Mllp {
    private static final int START = 0x0b;
    private static final int END = 0x1c;

    private Mllp() {
    }

    /** Sends one framed message and returns the text of the framed answer ("" when the connection ends first). */
    static String exchange(Socket socket, String text) throws IOException {
        socket.setSoTimeout(10_000);
        OutputStream out = socket.getOutputStream();
        out.write(START);
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        out.write(new byte[] {END, '\r'});
        out.flush();
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream reply = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0 && b != END) {
            if (b != START) {
                reply.write(b);
            }
        }
        return reply.toString(StandardCharsets.ISO_8859_1);
    }
}
