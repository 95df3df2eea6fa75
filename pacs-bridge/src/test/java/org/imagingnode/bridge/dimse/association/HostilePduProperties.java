package org.imagingnode.bridge.dimse.association;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;

/**
 * Fuzzing of the DICOM upper layer: whatever bytes a peer sends, association negotiation and
 * command decoding end with an accepted association or a clear refusal, promptly, never with an
 * unexpected exception or a hang.
 */
class HostilePduProperties {

    @Property(tries = 300)
    void associateRequestBodiesDecodeOrAbort(@ForAll @Size(max = 600) byte[] body) {
        assertThatCode(() -> {
            try {
                Pdus.decodeAssociate(body, true);
            } catch (AssociationAbortedException expected) {
                // refused as malformed
            }
        }).doesNotThrowAnyException();
    }

    @Property(tries = 300)
    void commandSetsDecodeOrAreRejected(@ForAll @Size(max = 300) byte[] bytes) {
        assertThatCode(() -> {
            try {
                Command.decode(bytes);
            } catch (IllegalArgumentException expected) {
                // refused as malformed
            }
        }).doesNotThrowAnyException();
    }

    @Property(tries = 60)
    void anAcceptorFedGarbageEndsTheConnectionPromptly(@ForAll @Size(max = 2000) byte[] garbage) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<String> acceptor = CompletableFuture.supplyAsync(() -> {
                try (Socket s = server.accept()) {
                    Association.accept(s, (rq, sock) -> rq, 2000, 2000).close();
                    return "accepted";
                } catch (IOException e) {
                    return "refused";
                }
            });
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
                OutputStream out = client.getOutputStream();
                out.write(garbage);
                out.flush();
                client.shutdownOutput();
                assertThat(acceptor.get(5, TimeUnit.SECONDS)).isIn(List.of("accepted", "refused"));
            }
        }
    }
}
