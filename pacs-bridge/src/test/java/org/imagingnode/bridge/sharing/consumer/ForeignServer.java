package org.imagingnode.bridge.sharing.consumer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import com.sun.net.httpserver.HttpServer;

/**
 * An HTTP server on loopback that is not any trusted node's DICOMweb (what a wrong or hostile index entry would
 * name): it answers an empty DICOM JSON list to anything and records each request with the Authorization header it
 * carried, so a test can show that no request and no token went there.
 */
final class ForeignServer implements AutoCloseable {
    private final HttpServer server;
    private final List<String> received = Collections.synchronizedList(new ArrayList<>());

    ForeignServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", x -> {
            try (x) {
                received.add(x.getRequestURI() + " " + x.getRequestHeaders().getFirst("Authorization"));
                byte[] empty = "[]".getBytes(StandardCharsets.UTF_8);
                x.getResponseHeaders().add("Content-Type", "application/dicom+json");
                x.sendResponseHeaders(200, empty.length);
                x.getResponseBody().write(empty);
            }
        });
        server.start();
    }

    /** Its would-be DICOMweb base. */
    String dicomWebUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/dicomweb";
    }

    /** The requests received: path and query, then the Authorization header. */
    List<String> received() {
        return List.copyOf(received);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
