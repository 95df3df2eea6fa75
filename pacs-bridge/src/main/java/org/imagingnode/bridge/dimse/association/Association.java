package org.imagingnode.bridge.dimse.association;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;

/**
 * One live DICOM association over a TCP connection, on either side. Carries DIMSE messages: a
 * command set, optionally followed by a data set that is streamed in both directions (never held
 * whole in memory).
 */
public final class Association implements Closeable {
    /** The largest command set we accept; real ones are a few hundred bytes. */
    private static final int MAX_COMMAND_LENGTH = 64 * 1024;
    private static final int DEFAULT_SEND_PDU = 1 << 20;

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private final AssociationParameters request;
    private final AssociationParameters accept;
    private final int maxSendData;
    private final int maxReceivePdu;
    private final String peerAeTitle;

    private long pduRemaining;
    private int pdvRemaining;
    private int pdvContext;
    private boolean pdvLast;
    private DataSetInput currentData;
    private boolean released;
    private Runnable beforeReleaseResponse = () -> { };

    private Association(Socket socket, DataInputStream in, OutputStream out, AssociationParameters request,
            AssociationParameters accept, boolean weAreAcceptor) {
        this.socket = socket;
        this.in = in;
        this.out = out;
        this.request = request;
        this.accept = accept;
        int peerMax = weAreAcceptor ? request.maxPduLength() : accept.maxPduLength();
        this.maxSendData = (peerMax <= 0 ? DEFAULT_SEND_PDU : Math.min(peerMax, DEFAULT_SEND_PDU)) - 6;
        this.maxReceivePdu = weAreAcceptor ? accept.maxPduLength() : request.maxPduLength();
        this.peerAeTitle = weAreAcceptor ? request.callingAeTitle() : request.calledAeTitle();
    }

    /** Decides what to accept of an association request, or refuses it. */
    public interface Negotiator {
        AssociationParameters negotiate(AssociationParameters request, Socket socket)
                throws AssociationRejectedException;
    }

    /**
     * Acts as acceptor on a freshly connected socket: reads the A-ASSOCIATE-RQ within
     * {@code requestTimeoutMillis}, answers AC or RJ. Throws on rejection (after sending RJ).
     */
    public static Association accept(Socket socket, Negotiator negotiator, int requestTimeoutMillis,
            int idleTimeoutMillis) throws IOException {
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(requestTimeoutMillis);
        DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 256 * 1024));
        OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 256 * 1024);
        int type = in.readUnsignedByte();
        in.readUnsignedByte();
        long length = in.readInt() & 0xFFFFFFFFL;
        if (type != Pdus.ASSOCIATE_RQ) {
            sendAbort(out, 2, 2);
            throw new AssociationAbortedException("expected A-ASSOCIATE-RQ, received PDU type " + type);
        }
        AssociationParameters rq = Pdus.decodeAssociate(Pdus.readBody(in, length), true);
        AssociationParameters ac;
        try {
            ac = negotiator.negotiate(rq, socket);
        } catch (AssociationRejectedException e) {
            Pdus.write(out, Pdus.ASSOCIATE_RJ, new byte[] {0, (byte) e.result(), (byte) e.source(), (byte) e.reason()});
            throw e;
        }
        Pdus.write(out, Pdus.ASSOCIATE_AC, Pdus.encodeAssociate(ac, false));
        socket.setSoTimeout(idleTimeoutMillis);
        return new Association(socket, in, out, rq, ac, true);
    }

    /** Acts as requestor: connects, proposes {@code rq}, and returns once accepted. */
    public static Association connect(String host, int port, AssociationParameters rq, int timeoutMillis)
            throws IOException {
        Socket socket = new Socket();
        try {
            socket.connect(new InetSocketAddress(host, port), timeoutMillis);
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(timeoutMillis);
            DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 256 * 1024));
            OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 256 * 1024);
            Pdus.write(out, Pdus.ASSOCIATE_RQ, Pdus.encodeAssociate(rq, true));
            int type = in.readUnsignedByte();
            in.readUnsignedByte();
            long length = in.readInt() & 0xFFFFFFFFL;
            byte[] body = Pdus.readBody(in, length);
            if (type == Pdus.ASSOCIATE_RJ && body.length >= 4) {
                throw new AssociationRejectedException(body[1], body[2], body[3],
                        rq.calledAeTitle() + " at " + host + ":" + port + " rejected the association");
            }
            if (type != Pdus.ASSOCIATE_AC) {
                throw new AssociationAbortedException(rq.calledAeTitle() + " answered PDU type " + type
                        + " to A-ASSOCIATE-RQ");
            }
            AssociationParameters ac = Pdus.decodeAssociate(body, false);
            return new Association(socket, in, out, rq, ac, false);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    public AssociationParameters request() {
        return request;
    }

    public AssociationParameters accepted() {
        return accept;
    }

    public String callingAeTitle() {
        return request.callingAeTitle();
    }

    public String remoteAddress() {
        return socket.getInetAddress().getHostAddress();
    }

    /** The transfer syntax negotiated for an accepted presentation context. */
    public String transferSyntax(int contextId) {
        PresentationContext pc = accept.context(contextId);
        if (pc == null || !pc.accepted()) {
            return null;
        }
        return pc.transferSyntax();
    }

    /** The abstract syntax proposed for a presentation context. */
    public String abstractSyntax(int contextId) {
        PresentationContext pc = request.context(contextId);
        return pc == null ? null : pc.abstractSyntax();
    }

    /** A DIMSE command and the presentation context it came on. */
    public record Message(int contextId, Command command) {
    }

    /**
     * What to do when the peer asks to release, before the release response tells it that everything is done:
     * what the association did is then on record (e.g. audited) by the time the peer goes on.
     */
    public void beforeReleaseResponse(Runnable action) {
        this.beforeReleaseResponse = action;
    }

    /**
     * Waits for the next DIMSE command. Returns null when the peer released the association (the
     * release response has been sent). Any unread data set of the previous message is skipped.
     */
    public Message receive() throws IOException {
        if (currentData != null) {
            currentData.drain();
            currentData = null;
        }
        ByteArrayOutputStream command = new ByteArrayOutputStream(512);
        int context = -1;
        while (true) {
            if (!nextPdv(true)) {
                return null;
            }
            if ((pdvContextFlags & 1) == 0) {
                throw protocolError("data set received where a command was expected");
            }
            if (context >= 0 && context != pdvContext) {
                throw protocolError("command fragments on different presentation contexts");
            }
            context = pdvContext;
            if (command.size() + pdvRemaining > MAX_COMMAND_LENGTH) {
                throw protocolError("command set longer than " + MAX_COMMAND_LENGTH + " bytes");
            }
            byte[] fragment = new byte[pdvRemaining];
            in.readFully(fragment);
            pdvRemaining = 0;
            command.writeBytes(fragment);
            if (pdvLast) {
                break;
            }
        }
        if (accept.context(context) == null || !accept.context(context).accepted()) {
            throw protocolError("command on presentation context " + context + " which was not accepted");
        }
        Command cmd;
        try {
            cmd = Command.decode(command.toByteArray());
        } catch (IllegalArgumentException e) {
            throw protocolError("malformed command set: " + e.getMessage());
        }
        if (cmd.hasDataSet()) {
            currentData = new DataSetInput(context);
        }
        return new Message(context, cmd);
    }

    /** True when the peer has sent something not yet read (e.g. a C-CANCEL during a long answer). */
    public boolean hasPendingInput() throws IOException {
        return in.available() > 0;
    }

    /** The data set that follows the command last received; read it to its end. */
    public InputStream dataSet() {
        if (currentData == null) {
            throw new IllegalStateException("the last command has no data set");
        }
        return currentData;
    }

    private int pdvContextFlags;

    /**
     * Positions the stream at the value of the next PDV. Returns false when the peer asked for
     * release (only allowed between messages).
     */
    private boolean nextPdv(boolean betweenMessages) throws IOException {
        while (pduRemaining == 0) {
            int type;
            try {
                type = in.readUnsignedByte();
            } catch (EOFException e) {
                throw new AssociationAbortedException("connection closed by " + callingAeTitle()
                        + (betweenMessages ? "" : " in the middle of a message"));
            }
            in.readUnsignedByte();
            long length = in.readInt() & 0xFFFFFFFFL;
            switch (type) {
                case Pdus.P_DATA_TF -> {
                    if (maxReceivePdu > 0 && length > (long) maxReceivePdu + 6) {
                        throw protocolError("P-DATA-TF of " + length + " bytes exceeds the negotiated maximum "
                                + maxReceivePdu);
                    }
                    pduRemaining = length;
                }
                case Pdus.RELEASE_RQ -> {
                    Pdus.readBody(in, length);
                    if (!betweenMessages) {
                        throw protocolError("A-RELEASE-RQ in the middle of a message");
                    }
                    beforeReleaseResponse.run();
                    Pdus.write(out, Pdus.RELEASE_RP, new byte[4]);
                    released = true;
                    return false;
                }
                case Pdus.ABORT -> {
                    Pdus.readBody(in, length);
                    released = true;
                    throw new AssociationAbortedException("A-ABORT received from " + peerAeTitle);
                }
                default -> throw protocolError("unexpected PDU type " + type);
            }
        }
        if (pduRemaining < 6) {
            throw protocolError("P-DATA-TF with a truncated PDV item");
        }
        long itemLength = in.readInt() & 0xFFFFFFFFL;
        if (itemLength < 2 || itemLength + 4 > pduRemaining) {
            throw protocolError("PDV item length " + itemLength + " does not fit its PDU");
        }
        pdvContext = in.readUnsignedByte();
        pdvContextFlags = in.readUnsignedByte();
        pdvLast = (pdvContextFlags & 2) != 0;
        pdvRemaining = (int) (itemLength - 2);
        pduRemaining -= itemLength + 4;
        return true;
    }

    private AssociationAbortedException protocolError(String message) {
        abort();
        return new AssociationAbortedException("protocol error from " + callingAeTitle() + ": " + message);
    }

    /** Streams the data PDVs of one message; end of stream is the last fragment. */
    private final class DataSetInput extends InputStream {
        private final int context;
        private boolean finished;

        DataSetInput(int context) {
            this.context = context;
        }

        private boolean ensure() throws IOException {
            while (pdvRemaining == 0) {
                if (finished) {
                    return false;
                }
                nextPdv(false);
                if ((pdvContextFlags & 1) != 0) {
                    throw protocolError("command received in the middle of a data set");
                }
                if (pdvContext != context) {
                    throw protocolError("data set fragments on different presentation contexts");
                }
                if (pdvLast) {
                    finished = true;
                }
            }
            return true;
        }

        @Override
        public int read() throws IOException {
            if (!ensure()) {
                return -1;
            }
            pdvRemaining--;
            return in.readUnsignedByte();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (!ensure()) {
                return -1;
            }
            int n = in.read(b, off, Math.min(len, pdvRemaining));
            if (n < 0) {
                throw new AssociationAbortedException("connection closed in the middle of a data set");
            }
            pdvRemaining -= n;
            return n;
        }

        void drain() throws IOException {
            byte[] skip = new byte[65536];
            while (read(skip, 0, skip.length) >= 0) {
                // discard
            }
        }
    }

    /** Writes a data set; the association splits it into PDVs of the negotiated size. */
    public interface DataSetWriter {
        void writeTo(OutputStream out) throws IOException;
    }

    /** Sends a command and, if {@code data} is not null, its data set. */
    public void send(int contextId, Command command, DataSetWriter data) throws IOException {
        try {
            writeFragments(contextId, true, command.encode());
            if (data != null) {
                try (FragmentingOutput fo = new FragmentingOutput(contextId)) {
                    data.writeTo(fo);
                }
            }
            out.flush();
        } catch (SocketTimeoutException e) {
            abort();
            throw new AssociationAbortedException("peer stopped reading", e);
        }
    }

    private void writeFragments(int context, boolean command, byte[] bytes) throws IOException {
        int offset = 0;
        do {
            int n = Math.min(maxSendData, bytes.length - offset);
            boolean last = offset + n == bytes.length;
            writePdv(context, command, last, bytes, offset, n);
            offset += n;
        } while (offset < bytes.length);
    }

    private void writePdv(int context, boolean command, boolean last, byte[] b, int off, int n) throws IOException {
        int pduLength = n + 6;
        int pdvLength = n + 2;
        byte[] header = {Pdus.P_DATA_TF, 0, (byte) (pduLength >>> 24), (byte) (pduLength >>> 16),
            (byte) (pduLength >>> 8), (byte) pduLength, (byte) (pdvLength >>> 24), (byte) (pdvLength >>> 16),
            (byte) (pdvLength >>> 8), (byte) pdvLength, (byte) context, (byte) ((command ? 1 : 0) | (last ? 2 : 0))};
        out.write(header);
        out.write(b, off, n);
    }

    private final class FragmentingOutput extends OutputStream {
        private final int context;
        private final byte[] buffer = new byte[maxSendData];
        private int count;

        FragmentingOutput(int context) {
            this.context = context;
        }

        @Override
        public void write(int b) throws IOException {
            if (count == buffer.length) {
                writePdv(context, false, false, buffer, 0, count);
                count = 0;
            }
            buffer[count++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            while (len > 0) {
                if (count == buffer.length) {
                    writePdv(context, false, false, buffer, 0, count);
                    count = 0;
                }
                int n = Math.min(len, buffer.length - count);
                System.arraycopy(b, off, buffer, count, n);
                count += n;
                off += n;
                len -= n;
            }
        }

        @Override
        public void close() throws IOException {
            writePdv(context, false, true, buffer, 0, count);
        }
    }

    /** Releases the association as requestor: A-RELEASE-RQ, then waits for A-RELEASE-RP. */
    public void release() throws IOException {
        try {
            Pdus.write(out, Pdus.RELEASE_RQ, new byte[4]);
            while (true) {
                int type = in.readUnsignedByte();
                in.readUnsignedByte();
                long length = in.readInt() & 0xFFFFFFFFL;
                if (type == Pdus.P_DATA_TF) {
                    in.skipNBytes(length);
                    continue;
                }
                Pdus.readBody(in, length);
                if (type == Pdus.RELEASE_RP || type == Pdus.ABORT) {
                    break;
                }
                if (type == Pdus.RELEASE_RQ) {
                    Pdus.write(out, Pdus.RELEASE_RP, new byte[4]);
                    break;
                }
            }
            released = true;
        } finally {
            close();
        }
    }

    /** Aborts the association (A-ABORT from the service user) and closes the connection. */
    public void abort() {
        if (!released) {
            released = true;
            try {
                sendAbort(out, 0, 0);
            } catch (IOException ignored) {
                // the connection is being torn down anyway
            }
        }
        try {
            close();
        } catch (IOException ignored) {
            // nothing more to do
        }
    }

    private static void sendAbort(OutputStream out, int source, int reason) throws IOException {
        Pdus.write(out, Pdus.ABORT, new byte[] {0, 0, (byte) source, (byte) reason});
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
