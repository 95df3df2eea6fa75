package org.imagingnode.bridge.sharing.hl7;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

import ca.uhn.hl7v2.AcknowledgmentCode;
import ca.uhn.hl7v2.DefaultHapiContext;
import ca.uhn.hl7v2.ErrorCode;
import ca.uhn.hl7v2.HL7Exception;
import ca.uhn.hl7v2.HapiContext;
import ca.uhn.hl7v2.app.HL7Service;
import ca.uhn.hl7v2.model.Message;
import ca.uhn.hl7v2.model.v25.message.ORU_R01;
import ca.uhn.hl7v2.parser.CanonicalModelClassFactory;
import ca.uhn.hl7v2.protocol.MetadataKeys;
import ca.uhn.hl7v2.protocol.ReceivingApplication;
import ca.uhn.hl7v2.util.Terser;
import ca.uhn.hl7v2.util.idgenerator.NanoTimeGenerator;
import ca.uhn.hl7v2.validation.impl.ValidationContextFactory;
import jakarta.annotation.PreDestroy;
import org.imagingnode.bridge.audit.AuditEvent;
import org.imagingnode.bridge.audit.AuditLog;
import org.imagingnode.bridge.index.Condition;
import org.imagingnode.bridge.security.Caller;
import org.imagingnode.bridge.sharing.ReportValidation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * The HL7 v2 listener of report results (MLLP, HAPI): an ORU^R01 whose order has a validated result (OBR-25 F or C)
 * for a study of this node builds and publishes that study's manifest, exactly as
 * {@code POST /api/sharing/.../report-validated} does (see {@link ResultMessages} for how a study is named).
 * Answers: AA when every validated order was handled (or the result is not validated yet: nothing to do); AE with
 * the reason (MSA-3 and ERR) when a study is unknown, ambiguous or not named, or the message is malformed; AR for
 * message types other than ORU^R01, and when the manifest could not be built now (send again). Every message is
 * audited (channel {@code HL7}, action {@code hl7-message}). Off unless {@code node.sharing.hl7.port} is set.
 *
 * <p>HL7 v2 carries no authentication: over plain MLLP whoever reaches the port is trusted as the RIS, so it listens
 * on loopback unless {@code node.sharing.hl7.bind-address} says otherwise. With {@code node.sharing.hl7.tls-bundle}
 * the port speaks MLLP over TLS and, by default, only senders with a certificate the bundle trusts get in; the
 * certificate's subject is then in the audit trail of each message.
 */
@Component
@EnableConfigurationProperties(Hl7Properties.class)
public class ResultListener {
    private static final Logger log = LoggerFactory.getLogger(ResultListener.class);
    static final String CHANNEL = "HL7";
    static final String ROLE = "hl7-sender";
    /** MSH-3 of the acknowledgements this node makes itself. */
    private static final String NODE_APPLICATION = "IMAGINGNODE";

    private final Hl7Properties props;
    private final ReportValidation validation;
    private final AuditLog audit;
    private final SslBundles ssl;
    private HapiContext hapi;
    private HL7Service server;
    private volatile MllpSockets sockets;

    public ResultListener(Hl7Properties props, ReportValidation validation, AuditLog audit, SslBundles ssl) {
        this.props = props;
        this.ssl = ssl;
        this.validation = validation;
        this.audit = audit;
    }

    @EventListener(ApplicationReadyEvent.class)
    void start() throws InterruptedException, IOException {
        if (props.port() == null) {
            log.info("HL7 v2 listener off (set node.sharing.hl7.port to receive ORU^R01 report results)");
            return;
        }
        InetAddress address = InetAddress.getByName(props.bindAddress());
        hapi = new DefaultHapiContext();
        // any HL7 v2 version is read into the v2.5 structures; content is checked here, not by HAPI's rules
        hapi.setModelClassFactory(new CanonicalModelClassFactory("2.5"));
        hapi.setValidationContext(ValidationContextFactory.noValidation());
        // control ids of acknowledgements; HAPI's default keeps a counter file in the working directory
        hapi.getParserConfiguration().setIdGenerator(new NanoTimeGenerator());
        sockets = new MllpSockets(address, props.tls() ? ssl.getBundle(props.tlsBundle()).createSslContext() : null,
                props.tlsRequireClientCertificate());
        hapi.setSocketFactory(sockets);
        server = hapi.newServer(props.port(), props.tls());
        server.registerApplication("*", "*", new Receiver());
        server.setExceptionHandler((incoming, metadata, outgoing, e) -> {
            // HAPI could not parse the message: its error acknowledgement, or ours when it could not make one
            String[] msh = mshFields(incoming);
            record(new Caller(who(field(msh, 2), field(msh, 3)), ROLE, null, address(metadata), tlsSubject(metadata)),
                    "unparseable message", "failure", "AE: " + e.getMessage());
            return outgoing != null ? outgoing : String.join("\r",
                    "MSH|^~\\&|" + NODE_APPLICATION + "||" + field(msh, 2) + "|" + field(msh, 3) + "|"
                            + DateTimeFormatter.ofPattern("yyyyMMddHHmmss").format(LocalDateTime.now())
                            + "||ACK|" + UUID.randomUUID().toString().substring(0, 20) + "|P|2.5",
                    "MSA|AE|" + field(msh, 9) + "|malformed message: not readable as HL7 v2");
        });
        server.startAndWait();
        if (props.tls()) {
            log.info("HL7 v2 listener (ORU^R01, MLLP over TLS 1.2/1.3, client certificate {}) on {}:{}",
                    props.tlsRequireClientCertificate() ? "required" : "optional", props.bindAddress(), port());
        } else {
            log.info("HL7 v2 listener (ORU^R01, MLLP) on {}:{}", props.bindAddress(), port());
            if (!address.isLoopbackAddress()) {
                log.warn("plain MLLP on {}: whoever reaches this port is trusted as the RIS (set"
                        + " node.sharing.hl7.tls-bundle for MLLP over TLS with client certificates)", props.bindAddress());
            }
        }
    }

    /** The port the listener is bound to (the configured one, or the one chosen for 0); -1 when off. */
    public int port() {
        MllpSockets s = sockets;
        return s == null ? -1 : s.port();
    }

    @PreDestroy
    void stop() throws IOException {
        if (server != null) {
            server.stopAndWait();
        }
        if (hapi != null) {
            hapi.close();
        }
    }

    /** Handles every message the listener receives. */
    private final class Receiver implements ReceivingApplication<Message> {
        @Override
        public boolean canProcess(Message message) {
            return true;
        }

        @Override
        public Message processMessage(Message message, Map<String, Object> metadata) throws HL7Exception {
            Terser terser = new Terser(message);
            String type = terser.get("/MSH-9-1") + "^" + terser.get("/MSH-9-2");
            String described = type + " " + terser.get("/MSH-10");
            Caller sender = new Caller(sender(terser), ROLE, null, address(metadata), tlsSubject(metadata));
            if (!(message instanceof ORU_R01 oru) || !"ORU^R01".equals(type)) {
                return answer(message, sender, described, AcknowledgmentCode.AR, ErrorCode.UNSUPPORTED_MESSAGE_TYPE,
                        "message type " + type + " not handled (only ORU^R01)");
            }
            List<ResultMessages.Order> orders;
            try {
                orders = ResultMessages.orders(oru);
            } catch (HL7Exception | RuntimeException e) {
                return answer(message, sender, described, AcknowledgmentCode.AE, ErrorCode.DATA_TYPE_ERROR,
                        "malformed result: " + e.getMessage());
            }
            if (orders.isEmpty()) {
                return answer(message, sender, described, AcknowledgmentCode.AE, ErrorCode.REQUIRED_FIELD_MISSING,
                        "no order (OBR) in the result");
            }
            List<String> done = new ArrayList<>();
            for (ResultMessages.Order order : orders) {
                String prefix = orders.size() > 1 ? "OBR #" + order.number() + ": " : "";
                if (order.resultStatus() == null) {
                    return answer(message, sender, described, AcknowledgmentCode.AE, ErrorCode.REQUIRED_FIELD_MISSING,
                            prefix + "OBR-25 (result status) missing");
                }
                if (!order.validated()) {
                    done.add(prefix + "result status " + order.resultStatus() + ": report not validated, nothing done");
                    continue;
                }
                Condition which;
                String what;
                try {
                    if (order.studyUid() != null) {
                        which = ReportValidation.byStudyUid(order.studyUid());
                        what = "study " + order.studyUid();
                    } else if (order.accessionNumber() != null) {
                        which = ReportValidation.byAccession(order.accessionNumber());
                        what = "accession " + order.accessionNumber();
                    } else {
                        return answer(message, sender, described, AcknowledgmentCode.AE,
                                ErrorCode.REQUIRED_FIELD_MISSING, prefix + "no study named (OBX 110180/113014, ZDS-1,"
                                        + " OBR-18, OBR-3 or ORC-3)");
                    }
                } catch (IllegalArgumentException e) {
                    return answer(message, sender, described, AcknowledgmentCode.AE, ErrorCode.DATA_TYPE_ERROR,
                            prefix + e.getMessage());
                }
                ReportValidation.Result r = validation.validate(sender, CHANNEL, which, what, study -> true);
                switch (r.status()) {
                    case BUILT -> done.add(prefix + "manifest built for study " + r.studyUid());
                    case NOT_BUILT -> {
                        return answer(message, sender, described, AcknowledgmentCode.AR,
                                ErrorCode.APPLICATION_INTERNAL_ERROR, prefix + what + ": " + r.reason());
                    }
                    default -> {
                        return answer(message, sender, described, AcknowledgmentCode.AE,
                                ErrorCode.UNKNOWN_KEY_IDENTIFIER, prefix + what + ": " + r.reason());
                    }
                }
            }
            return answer(message, sender, described, AcknowledgmentCode.AA, null, String.join("; ", done));
        }
    }

    /** The acknowledgement, with the reason in MSA-3 (and ERR when it is an error); audited. */
    private Message answer(Message message, Caller sender, String described, AcknowledgmentCode code,
            ErrorCode error, String text) throws HL7Exception {
        Message ack;
        try {
            ack = code == AcknowledgmentCode.AA ? message.generateACK()
                    : message.generateACK(code, new HL7Exception(text, error));
        } catch (IOException e) {
            throw new HL7Exception("cannot build the acknowledgement", e);
        }
        String msa3 = text.length() > 80 ? text.substring(0, 80) : text; // MSA-3 is 80 characters long
        new Terser(ack).set("/MSA-3", msa3);
        record(sender, described, code == AcknowledgmentCode.AA ? "success" : "failure", code + ": " + text);
        return ack;
    }

    /** Logs and audits a message's outcome; over TLS the audit names the sender's certificate. */
    private void record(Caller sender, String described, String outcome, String detail) {
        log.info("HL7 {} from {} ({}): {}", described, sender.id(), sender.address(), detail);
        String tls = sender.tlsSubject() == null ? "" : "; TLS client " + sender.tlsSubject();
        try {
            audit.record(new AuditEvent(Instant.now(), sender.id(), ROLE, "hl7-message", CHANNEL, null, null, outcome,
                    described + ": " + detail + tls, sender.address()));
        } catch (RuntimeException e) {
            log.error("could not audit HL7 {}: {}", described, e.toString());
        }
    }

    /** The MSH fields of a message HAPI could not parse (index n = MSH-(n+1)), or none. */
    private static String[] mshFields(String raw) {
        if (raw == null || !raw.startsWith("MSH") || raw.length() < 4) {
            return new String[0];
        }
        return raw.split("[\r\n]", 2)[0].split(Pattern.quote(raw.substring(3, 4)), -1);
    }

    /** The first component of a raw field, safe to echo in an acknowledgement (or ""). */
    private static String field(String[] fields, int n) {
        if (n >= fields.length) {
            return "";
        }
        String clean = fields[n].split("\\^", 2)[0].replaceAll("[^A-Za-z0-9 ._@-]", "").strip();
        return clean.length() > 64 ? clean.substring(0, 64) : clean;
    }

    private static String sender(Terser terser) throws HL7Exception {
        return who(terser.get("/MSH-3-1"), terser.get("/MSH-4-1"));
    }

    /** "application@facility", as the audit trail's actor. */
    private static String who(String application, String facility) {
        String who = (application == null ? "" : application)
                + (facility == null || facility.isEmpty() ? "" : "@" + facility);
        return who.isEmpty() ? "unknown HL7 sender" : who.length() > 64 ? who.substring(0, 64) : who;
    }

    private String tlsSubject(Map<String, Object> metadata) {
        return metadata == null ? null
                : sockets.peerSubject(address(metadata), metadata.get(MetadataKeys.IN_SENDING_PORT));
    }

    private static String address(Map<String, Object> metadata) {
        Object ip = metadata == null ? null : metadata.get(MetadataKeys.IN_SENDING_IP);
        return ip == null ? null : ip.toString();
    }
}
