package org.imagingnode.bridge.sharing.hl7;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;

import ca.uhn.hl7v2.util.StandardSocketFactory;
import org.imagingnode.bridge.security.MutualTls;

/**
 * The listening socket HAPI's MLLP server uses: bound to the configured address (HAPI itself binds to every
 * interface), plain or TLS 1.2/1.3 from an SSL bundle, and remembering the connections it accepted so that a
 * message can be attributed to the certificate its sender authenticated with.
 */
final class MllpSockets extends StandardSocketFactory {
    private final InetAddress address;
    private final SSLContext tls;
    private final boolean requireClientCertificate;
    private final Map<String, Socket> connections = new ConcurrentHashMap<>();
    private volatile ServerSocket listener;

    /** {@code tls} null: plain MLLP. */
    MllpSockets(InetAddress address, SSLContext tls, boolean requireClientCertificate) {
        this.address = address;
        this.tls = tls;
        this.requireClientCertificate = requireClientCertificate;
    }

    @Override
    public ServerSocket createServerSocket() throws IOException {
        if (tls != null) {
            throw new IllegalStateException("this listener is configured for TLS only");
        }
        return listener = new BoundServerSocket(address, new ServerSocket());
    }

    @Override
    public ServerSocket createTlsServerSocket() throws IOException {
        if (tls == null) {
            throw new IllegalStateException("no SSL bundle configured for this listener");
        }
        SSLServerSocket secure = MutualTls.configure((SSLServerSocket) tls.getServerSocketFactory().createServerSocket(),
                requireClientCertificate);
        return listener = new BoundServerSocket(address, secure);
    }

    @Override
    public void configureNewAcceptedSocket(Socket socket) throws SocketException {
        super.configureNewAcceptedSocket(socket);
        connections.values().removeIf(Socket::isClosed);
        connections.put(key(socket.getInetAddress().getHostAddress(), socket.getPort()), socket);
    }

    /** The subject of the certificate of the sender connected from this address and port, or null. */
    String peerSubject(String ip, Object port) {
        Socket socket = ip == null || port == null ? null : connections.get(key(ip, port));
        return socket == null ? null : MutualTls.peerSubject(socket);
    }

    /** The port listened on, or -1 before the server socket exists. */
    int port() {
        ServerSocket s = listener;
        return s == null ? -1 : s.getLocalPort();
    }

    private static String key(String ip, Object port) {
        return ip + " " + port;
    }

    /** A listening socket whose bind goes to the configured address whatever port-only address HAPI asks for. */
    private static final class BoundServerSocket extends ServerSocket {
        private final InetAddress address;
        private final ServerSocket delegate;

        BoundServerSocket(InetAddress address, ServerSocket delegate) throws IOException {
            this.address = address;
            this.delegate = delegate;
        }

        @Override
        public void bind(SocketAddress endpoint, int backlog) throws IOException {
            delegate.bind(new InetSocketAddress(address, ((InetSocketAddress) endpoint).getPort()), backlog);
        }

        @Override
        public Socket accept() throws IOException {
            return delegate.accept();
        }

        @Override
        public int getLocalPort() {
            return delegate.getLocalPort();
        }

        @Override
        public boolean isBound() {
            return delegate.isBound();
        }

        @Override
        public boolean isClosed() {
            return delegate.isClosed();
        }

        @Override
        public void setSoTimeout(int timeout) throws SocketException {
            delegate.setSoTimeout(timeout);
        }

        @Override
        public void close() throws IOException {
            delegate.close();
            super.close();
        }
    }
}
