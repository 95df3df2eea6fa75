package org.imagingnode.bridge.space;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

import org.imagingnode.bridge.audit.AuditEvent;

/**
 * Audit events as DICOM audit messages (PS3.15 A.5, the IHE ATNA schema) in RFC 5424 syslog messages.
 * Actions map to DICOM event IDs: {@code query} to Query (110112), {@code retrieve} to DICOM Instances
 * Accessed (110103), {@code store}/{@code store-replace} to DICOM Instances Transferred (110104),
 * {@code break-glass} to a Security Alert of type Emergency Override Started (110113 / 110127), anything
 * else (patient decisions, identity links) to Patient Record (110110). A denial is outcome 4, a failure 8.
 */
public final class AtnaMessages {
    private static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'")
            .withZone(ZoneOffset.UTC);
    /** facility 10 (security/authorization) */
    private static final int FACILITY = 10;

    private AtnaMessages() {
    }

    /** The DICOM audit message of an event. */
    public static String xml(AuditEvent e, String sourceId) {
        String[] event = switch (e.action()) {
            case "query" -> new String[] {"110112", "Query", "E"};
            case "retrieve" -> new String[] {"110103", "DICOM Instances Accessed", "R"};
            case "store", "store-replace", "store-refused" -> new String[] {"110104", "DICOM Instances Transferred", "C"};
            case "reject" -> new String[] {"110103", "DICOM Instances Accessed", "U"}; // IHE IOCM rejection note
            case "break-glass" -> new String[] {"110113", "Security Alert", "E"};
            // an index entry naming an address not its node's: refused by the index, or not followed by a consumer
            case "untrusted-source" -> new String[] {"110113", "Security Alert", "E"};
            default -> new String[] {"110110", "Patient Record", "U"};
        };
        String outcome = switch (e.outcome()) {
            case "success", "viewer token issued", "pending" -> "0";
            case "denied" -> "4";
            default -> "8";
        };
        StringBuilder x = new StringBuilder(1024);
        x.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?><AuditMessage>");
        x.append("<EventIdentification EventActionCode=\"").append(event[2]).append("\" EventDateTime=\"")
                .append(TS.format(e.time() == null ? Instant.now() : e.time())).append("\" EventOutcomeIndicator=\"")
                .append(outcome).append("\"><EventID csd-code=\"").append(event[0])
                .append("\" codeSystemName=\"DCM\" originalText=\"").append(event[1]).append("\"/>");
        if (e.action().equals("break-glass")) {
            x.append("<EventTypeCode csd-code=\"110127\" codeSystemName=\"DCM\" originalText=\"Emergency Override Started\"/>");
        }
        if (e.detail() != null) {
            x.append("<EventOutcomeDescription>").append(esc(e.detail())).append("</EventOutcomeDescription>");
        }
        x.append("</EventIdentification>");
        x.append("<ActiveParticipant UserID=\"").append(esc(e.actor())).append("\" UserIsRequestor=\"true\"");
        if (e.sourceAddress() != null) {
            x.append(" NetworkAccessPointID=\"").append(esc(e.sourceAddress()))
                    .append("\" NetworkAccessPointTypeCode=\"2\"");
        }
        x.append(">");
        if (e.actorRole() != null) {
            x.append("<RoleIDCode csd-code=\"").append(esc(e.actorRole()))
                    .append("\" codeSystemName=\"imaging-node\" originalText=\"").append(esc(e.actorRole())).append("\"/>");
        }
        x.append("</ActiveParticipant>");
        x.append("<ActiveParticipant UserID=\"").append(esc(sourceId)).append("\" UserIsRequestor=\"false\"/>");
        x.append("<AuditSourceIdentification AuditSourceID=\"").append(esc(sourceId)).append("\">")
                .append("<AuditSourceTypeCode csd-code=\"4\" codeSystemName=\"DCM\" originalText=\"Application Server Process\"/>")
                .append("</AuditSourceIdentification>");
        if (e.patientId() != null) {
            x.append("<ParticipantObjectIdentification ParticipantObjectID=\"").append(esc(e.patientId()))
                    .append("\" ParticipantObjectTypeCode=\"1\" ParticipantObjectTypeCodeRole=\"1\">")
                    .append("<ParticipantObjectIDTypeCode csd-code=\"2\" codeSystemName=\"RFC-3881\" originalText=\"Patient Number\"/>")
                    .append("</ParticipantObjectIdentification>");
        }
        if (e.studyUid() != null) {
            x.append("<ParticipantObjectIdentification ParticipantObjectID=\"").append(esc(e.studyUid()))
                    .append("\" ParticipantObjectTypeCode=\"2\" ParticipantObjectTypeCodeRole=\"3\">")
                    .append("<ParticipantObjectIDTypeCode csd-code=\"110180\" codeSystemName=\"DCM\" originalText=\"Study Instance UID\"/>")
                    .append("</ParticipantObjectIdentification>");
        }
        if (e.channel() != null) {
            x.append("<!-- channel: ").append(esc(e.channel()).replace("--", "- -")).append(" -->");
        }
        return x.append("</AuditMessage>").toString();
    }

    /** One RFC 5424 message: {@code <PRI>1 TIMESTAMP HOST APP PROCID MSGID - BOM+XML}, as UTF-8 bytes. */
    public static byte[] syslog(AuditEvent e, String host, String sourceId) {
        int severity = "success".equals(e.outcome()) ? 6 : "denied".equals(e.outcome()) ? 4 : 5;
        String header = "<" + (FACILITY * 8 + severity) + ">1 " + TS.format(e.time() == null ? Instant.now() : e.time())
                + " " + token(host) + " imaging-node " + ProcessHandle.current().pid() + " IHE+RFC-3881 - ";
        byte[] h = header.getBytes(StandardCharsets.US_ASCII);
        byte[] body = xml(e, sourceId).getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[h.length + 3 + body.length];
        System.arraycopy(h, 0, out, 0, h.length);
        out[h.length] = (byte) 0xEF; // BOM: the message is UTF-8 (RFC 5424 6.4)
        out[h.length + 1] = (byte) 0xBB;
        out[h.length + 2] = (byte) 0xBF;
        System.arraycopy(body, 0, out, h.length + 3, body.length);
        return out;
    }

    private static String token(String s) {
        if (s == null || s.isBlank()) {
            return "-";
        }
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            sb.append(c > 32 && c < 127 ? c : '_');
        }
        return sb.length() > 255 ? sb.substring(0, 255) : sb.toString();
    }

    private static String esc(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 16);
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&apos;");
                default -> {
                    if (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.toString();
    }
}
