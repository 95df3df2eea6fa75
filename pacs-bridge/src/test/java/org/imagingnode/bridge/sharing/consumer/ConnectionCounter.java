package org.imagingnode.bridge.sharing.consumer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Listens on a loopback port and counts the connections made to it (each closed at once), so a test can show that
 * a node counted as down is not even tried.
 */
final class ConnectionCounter implements AutoCloseable {
    private final ServerSocket socket;
    private final AtomicInteger accepted = new AtomicInteger();
    private final Thread acceptor;

    ConnectionCounter(int port) throws IOException {
        socket = new ServerSocket(port, 50, InetAddress.getLoopbackAddress());
        acceptor = new Thread(() -> {
            while (!socket.isClosed()) {
                try (Socket s = socket.accept()) {
                    accepted.incrementAndGet();
                } catch (IOException e) {
                    return; // closed
                }
            }
        }, "connection-counter-" + port);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int connections() {
        return accepted.get();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
