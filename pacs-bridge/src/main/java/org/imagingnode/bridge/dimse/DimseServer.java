package org.imagingnode.bridge.dimse;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import javax.net.ServerSocketFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import java.net.Socket;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import org.imagingnode.bridge.audit.AuditEvent;
import org.imagingnode.bridge.audit.AuditLog;
import org.imagingnode.bridge.dimse.association.Association;
import org.imagingnode.bridge.dimse.association.AssociationAbortedException;
import org.imagingnode.bridge.dimse.association.AssociationParameters;
import org.imagingnode.bridge.dimse.association.AssociationRejectedException;
import org.imagingnode.bridge.dimse.association.Command;
import org.imagingnode.bridge.security.AccessGuard;
import org.imagingnode.bridge.security.MutualTls;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.context.SmartLifecycle;

/**
 * The DICOM listener: accepts TCP connections, negotiates associations and serves C-ECHO, C-STORE,
 * C-FIND, C-GET and C-MOVE on them, one thread per association up to a configured maximum.
 */
public class DimseServer implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(DimseServer.class);

    private final DimseProperties props;
    private final String aeTitle;
    private final AeRegistry registry;
    private final ServiceNegotiator negotiator;
    private final StoreScp store;
    private final FindScp find;
    private final RetrieveScp retrieve;
    private final AuditLog audit;
    private final AccessGuard guard;
    private final Semaphore slots;
    private final AtomicInteger associationIds = new AtomicInteger();
    private final ExecutorService workers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "dimse-association");
        t.setDaemon(true);
        return t;
    });
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final SSLContext tls;
    private final MeterRegistry meters;
    private volatile ServerSocket serverSocket;
    private volatile ServerSocket tlsServerSocket;
    private volatile boolean running;

    /** @param tls the server's TLS context for the DICOM TLS port, or null when TLS is off */
    DimseServer(DimseProperties props, String aeTitle, AeRegistry registry, StoreScp store, FindScp find,
            RetrieveScp retrieve, AuditLog audit, AccessGuard guard, SSLContext tls, MeterRegistry meters) {
        this.tls = tls;
        this.meters = meters;
        meters.gaugeCollectionSize("dimse.associations.active", Tags.empty(), open);
        this.props = props;
        this.aeTitle = aeTitle;
        this.registry = registry;
        this.negotiator = new ServiceNegotiator(aeTitle, registry, props.maxPduLength());
        this.store = store;
        this.find = find;
        this.retrieve = retrieve;
        this.audit = audit;
        this.guard = guard;
        this.slots = new Semaphore(props.maxAssociations());
    }

    @Override
    public void start() {
        serverSocket = listen(ServerSocketFactory.getDefault(), props.port(), "DICOM");
        running = true;
        startAcceptor(serverSocket, "dimse-acceptor");
        log.info("DIMSE listening on {}:{} as AE {} ({} calling AEs allowed, {} move destinations, max {} associations)",
                props.bindAddress(), port(), aeTitle, registry.callerCount(), registry.destinationCount(),
                props.maxAssociations());
        if (tls != null) {
            SSLServerSocket secure = MutualTls.configure(
                    (SSLServerSocket) listen(tls.getServerSocketFactory(), props.tlsPort(), "DICOM TLS"),
                    props.tlsRequireClientCertificate());
            tlsServerSocket = secure;
            startAcceptor(secure, "dimse-tls-acceptor");
            log.info("DIMSE TLS listening on {}:{} (TLS 1.2/1.3, client certificate {})", props.bindAddress(),
                    tlsPort(), props.tlsRequireClientCertificate() ? "required" : "optional");
        }
        if (registry.callerCount() == 0) {
            log.warn("no calling AE is allowed: every association will be rejected (set node.dimse.calling-aes)");
        }
    }

    private ServerSocket listen(ServerSocketFactory factory, int port, String what) {
        try {
            ServerSocket ss = factory.createServerSocket();
            ss.setReuseAddress(true);
            ss.bind(new InetSocketAddress(InetAddress.getByName(props.bindAddress()), port), 128);
            return ss;
        } catch (IOException e) {
            throw new IllegalStateException("cannot listen for " + what + " on " + props.bindAddress() + ":" + port
                    + ": " + e.getMessage(), e);
        }
    }

    private void startAcceptor(ServerSocket ss, String name) {
        Thread acceptor = new Thread(() -> acceptLoop(ss), name);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** The port actually listened on (useful when configured as 0). */
    public int port() {
        ServerSocket ss = serverSocket;
        return ss == null ? props.port() : ss.getLocalPort();
    }

    /** The DICOM TLS port actually listened on, or -1 when TLS is off. */
    public int tlsPort() {
        ServerSocket ss = tlsServerSocket;
        return ss == null ? -1 : ss.getLocalPort();
    }

    private void acceptLoop(ServerSocket listener) {
        while (running) {
            Socket socket;
            try {
                socket = listener.accept();
            } catch (IOException e) {
                if (running) {
                    log.error("DIMSE accept failed: {}", e.getMessage());
                }
                continue;
            }
            boolean admitted = slots.tryAcquire();
            try {
                workers.execute(() -> {
                    try {
                        serve(socket, admitted);
                    } finally {
                        if (admitted) {
                            slots.release();
                        }
                    }
                });
            } catch (RuntimeException e) {
                if (admitted) {
                    slots.release();
                }
                closeQuietly(socket);
            }
        }
    }

    private void serve(Socket socket, boolean admitted) {
        open.add(socket);
        try {
            serveAssociation(socket, admitted);
        } catch (Throwable t) {
            log.error("association handling failed", t);
        } finally {
            open.remove(socket);
            closeQuietly(socket); // whatever happened, the peer is not left waiting
            MDC.clear();
        }
    }

    private void serveAssociation(Socket socket, boolean admitted) {
        String id = "A" + associationIds.incrementAndGet();
        MDC.put("association", id);
        String peer = socket.getInetAddress().getHostAddress() + ":" + socket.getPort();
        Association a;
        try {
            Association.Negotiator policy = admitted ? negotiator : (rq, s) -> {
                throw new AssociationRejectedException(AssociationRejectedException.RESULT_TRANSIENT,
                        AssociationRejectedException.SOURCE_SERVICE_PROVIDER_PRESENTATION,
                        AssociationRejectedException.REASON_LOCAL_LIMIT_EXCEEDED,
                        "too many associations (max " + props.maxAssociations() + ")");
            };
            a = Association.accept(socket, policy, (int) props.requestTimeout().toMillis(),
                    (int) props.idleTimeout().toMillis());
        } catch (AssociationRejectedException e) {
            meters.counter("dimse.associations", "outcome", "rejected").increment();
            log.warn("association from {} rejected: {}", peer, e.getMessage());
            audit.record(new AuditEvent(Instant.now(), "unknown", "dimse-ae",
                    "associate", "DIMSE", null, null, "denied", e.getMessage(), socket.getInetAddress().getHostAddress()));
            return;
        } catch (IOException e) {
            log.info("association attempt from {} failed: {}", peer, e.getMessage());
            return;
        }
        AssociationParameters rq = a.request();
        meters.counter("dimse.associations", "outcome", "accepted").increment();
        log.info("association {} -> {} from {} accepted", rq.callingAeTitle(), rq.calledAeTitle(), peer);
        AssociationContext ctx = new AssociationContext(a, MutualTls.peerSubject(socket), guard);
        a.beforeReleaseResponse(ctx::flushStoreAudit);
        try {
            Association.Message msg;
            while ((msg = a.receive()) != null) {
                dispatch(ctx, msg);
            }
            log.info("association with {} released", rq.callingAeTitle());
        } catch (AssociationAbortedException e) {
            log.info("association with {} aborted: {}", rq.callingAeTitle(), e.getMessage());
        } catch (IOException e) {
            log.info("association with {} ended: {}", rq.callingAeTitle(), e.toString());
            a.abort();
        } catch (RuntimeException e) {
            log.error("association with {} failed", rq.callingAeTitle(), e);
            a.abort();
        } finally {
            ctx.flushStoreAudit();
        }
    }

    private void dispatch(AssociationContext ctx, Association.Message msg) throws IOException {
        Command cmd = msg.command();
        long start = System.nanoTime();
        String operation = switch (cmd.field()) {
            case Command.C_ECHO_RQ -> {
                ctx.association.send(msg.contextId(), Command.responseTo(cmd, Command.C_ECHO_RSP, Status.SUCCESS, false),
                        null);
                yield "C-ECHO";
            }
            case Command.C_STORE_RQ -> {
                store.handle(ctx, msg);
                yield "C-STORE";
            }
            case Command.C_FIND_RQ -> {
                find.handle(ctx, msg);
                yield "C-FIND";
            }
            case Command.C_GET_RQ -> {
                retrieve.get(ctx, msg);
                yield "C-GET";
            }
            case Command.C_MOVE_RQ -> {
                retrieve.move(ctx, msg);
                yield "C-MOVE";
            }
            case Command.C_CANCEL_RQ -> {
                log.debug("C-CANCEL for a finished operation ignored");
                yield "C-CANCEL";
            }
            default -> throw new AssociationAbortedException("unsupported DIMSE command 0x"
                    + Integer.toHexString(cmd.field()));
        };
        Timer.builder("dimse.operation.duration").description("one DIMSE operation, request to final response")
                .tag("operation", operation).register(meters).record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void stop() {
        running = false;
        for (ServerSocket ss : new ServerSocket[] {serverSocket, tlsServerSocket}) {
            if (ss != null) {
                try {
                    ss.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        }
        open.forEach(DimseServer::closeQuietly);
        workers.shutdownNow();
        try {
            workers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.info("DIMSE listener stopped");
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
