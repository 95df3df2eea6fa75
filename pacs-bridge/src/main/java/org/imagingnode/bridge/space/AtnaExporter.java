package org.imagingnode.bridge.space;

import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.sql.DataSource;

import org.imagingnode.bridge.audit.AuditEvent;
import org.imagingnode.bridge.security.MutualTls;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the audit trail to an external audit record repository as DICOM / IHE ATNA audit messages in
 * RFC 5424 syslog, over UDP (RFC 5426) or TLS (RFC 5425, octet-counting framing), when
 * {@code node.audit.syslog.host} is set. It reads {@code audit_event} in id order (whoever wrote the rows:
 * DICOMweb, DIMSE, viewer, API) and remembers how far it got in {@code audit_export_position}, so events
 * recorded while the repository was unreachable, or the node down, are sent later; several nodes sharing
 * the database export each event once (the position row is locked while a batch is sent). A batch that
 * fails is sent again (at least once). Export starts at the events recorded when it is first enabled.
 */
public final class AtnaExporter implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AtnaExporter.class);
    static final String EXPORTER = "syslog";
    private static final int BATCH = 500;

    /** Where messages go. */
    public interface Sender extends AutoCloseable {
        void send(byte[] message) throws IOException;

        @Override
        void close();
    }

    private final DataSource dataSource;
    private final Sender sender;
    private final String host;
    private final String sourceId;
    private ScheduledExecutorService timer;

    public AtnaExporter(DataSource dataSource, Sender sender, String sourceId) {
        this.dataSource = dataSource;
        this.sender = sender;
        this.sourceId = sourceId;
        String h;
        try {
            h = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            h = "-";
        }
        this.host = h;
    }

    /** Exports every {@code interval} on a daemon thread. */
    public AtnaExporter start(Duration interval) {
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "atna-export");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(() -> {
            try {
                while (exportBatch() == BATCH) {
                    // catch up
                }
            } catch (Exception e) {
                log.warn("audit export to syslog failed, retried in {}: {}", interval, e.toString());
            }
        }, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /**
     * Sends the next batch of events (recorded at least a second ago, so that rows still being committed are
     * not overtaken); returns how many were sent, 0 when none or when another node is exporting.
     */
    public int exportBatch() throws SQLException, IOException {
        try (Connection con = dataSource.getConnection()) {
            try (PreparedStatement init = con.prepareStatement("INSERT INTO audit_export_position (exporter, last_id)"
                    + " SELECT ?, COALESCE(max(id), 0) FROM audit_event ON CONFLICT (exporter) DO NOTHING")) {
                init.setString(1, EXPORTER);
                init.executeUpdate();
            }
            con.setAutoCommit(false);
            try {
                long last;
                try (PreparedStatement ps = con.prepareStatement("SELECT last_id FROM audit_export_position"
                        + " WHERE exporter = ? FOR UPDATE SKIP LOCKED")) {
                    ps.setString(1, EXPORTER);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (!rs.next()) {
                            con.rollback();
                            return 0; // another node is exporting
                        }
                        last = rs.getLong(1);
                    }
                }
                List<AuditEvent> events = new ArrayList<>();
                long maxId = last;
                try (PreparedStatement ps = con.prepareStatement("SELECT id, event_time, actor, actor_role, action,"
                        + " channel, patient_id, study_uid, outcome, detail, source_address FROM audit_event"
                        + " WHERE id > ? AND recorded_at < clock_timestamp() - interval '1 second' ORDER BY id LIMIT ?")) {
                    ps.setLong(1, last);
                    ps.setInt(2, BATCH);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            maxId = rs.getLong(1);
                            events.add(new AuditEvent(rs.getObject(2, OffsetDateTime.class).toInstant(), rs.getString(3),
                                    rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8),
                                    rs.getString(9), rs.getString(10), rs.getString(11)));
                        }
                    }
                }
                for (AuditEvent e : events) {
                    sender.send(AtnaMessages.syslog(e, host, sourceId));
                }
                try (PreparedStatement ps = con.prepareStatement("UPDATE audit_export_position SET last_id = ?,"
                        + " updated_at = now() WHERE exporter = ?")) {
                    ps.setLong(1, maxId);
                    ps.setString(2, EXPORTER);
                    ps.executeUpdate();
                }
                con.commit();
                return events.size();
            } catch (SQLException | IOException | RuntimeException e) {
                con.rollback();
                throw e;
            } finally {
                con.setAutoCommit(true);
            }
        }
    }

    @Override
    public void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
        sender.close();
    }

    /** RFC 5426: one message per datagram. */
    public static Sender udp(String host, int port) throws IOException {
        DatagramSocket socket = new DatagramSocket();
        InetSocketAddress to = new InetSocketAddress(host, port);
        return new Sender() {
            @Override
            public void send(byte[] message) throws IOException {
                socket.send(new DatagramPacket(message, message.length, to));
            }

            @Override
            public void close() {
                socket.close();
            }
        };
    }

    /** RFC 5425: TLS, each message framed as {@code LENGTH SP MESSAGE}; reconnects after a failure. */
    public static Sender tls(String host, int port, SSLContext context) {
        return new Sender() {
            private SSLSocket socket;

            @Override
            public synchronized void send(byte[] message) throws IOException {
                try {
                    if (socket == null || socket.isClosed()) {
                        SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket();
                        s.connect(new InetSocketAddress(host, port), 10_000);
                        SSLParameters p = s.getSSLParameters();
                        p.setEndpointIdentificationAlgorithm("HTTPS"); // the repository's name must match its certificate
                        p.setProtocols(MutualTls.PROTOCOLS);
                        s.setSSLParameters(p);
                        s.startHandshake();
                        socket = s;
                    }
                    OutputStream out = socket.getOutputStream();
                    out.write((message.length + " ").getBytes(StandardCharsets.US_ASCII));
                    out.write(message);
                    out.flush();
                } catch (IOException e) {
                    close();
                    throw e;
                }
            }

            @Override
            public synchronized void close() {
                if (socket != null) {
                    try {
                        socket.close();
                    } catch (IOException e) {
                        // closing anyway
                    }
                    socket = null;
                }
            }
        };
    }
}
