package org.imagingnode.bridge.dicomweb;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import org.imagingnode.bridge.dicom.DicomDataset;
import org.imagingnode.bridge.dicom.DicomJson;
import org.imagingnode.bridge.dicom.Tag;
import org.imagingnode.bridge.index.Condition;
import org.imagingnode.bridge.index.IndexAttribute;
import org.imagingnode.bridge.index.IndexQuery;
import org.imagingnode.bridge.index.IndexRow;
import org.imagingnode.bridge.index.InstanceIndex;
import org.imagingnode.bridge.index.QueryLevel;
import org.imagingnode.bridge.security.AccessGuard;
import org.imagingnode.bridge.security.Action;
import org.imagingnode.bridge.security.Caller;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * QIDO-RS (PS3.18 10.6): searches for studies, series and instances, answered in DICOM JSON from
 * the index. An empty result is 200 with {@code []}; a malformed query is 400 with the reason.
 * Matches the caller may not see are left out inside the query (the policy's visibility), so that
 * {@code limit}/{@code offset} page over visible matches only.
 */
@RestController
@RequestMapping("${node.dicomweb.base-path:/dicomweb}")
public class QidoController {
    private static final Logger log = LoggerFactory.getLogger(QidoController.class);
    private static final JsonFactory JSON = new JsonFactory();
    private static final String MORE_MATCHES =
            "299 imaging-node: \"There are more matches than returned; ask for the next ones with offset\"";
    private static final DateTimeFormatter DA = DateTimeFormatter.BASIC_ISO_DATE;

    private final InstanceIndex index;
    private final AccessGuard guard;
    private final DicomWebProperties props;
    private final RemoteStudies remote;

    QidoController(InstanceIndex index, AccessGuard guard, DicomWebProperties props, Optional<RemoteStudies> remote) {
        this.index = index;
        this.guard = guard;
        this.props = props;
        this.remote = remote.orElse(null);
    }

    @GetMapping("/studies")
    public void studies(HttpServletRequest rq, HttpServletResponse rs) throws IOException {
        search(rq, rs, QueryLevel.STUDY, List.of(), true, null);
    }

    @GetMapping("/series")
    public void allSeries(HttpServletRequest rq, HttpServletResponse rs) throws IOException {
        search(rq, rs, QueryLevel.SERIES, List.of(), true, null);
    }

    @GetMapping("/instances")
    public void allInstances(HttpServletRequest rq, HttpServletResponse rs) throws IOException {
        search(rq, rs, QueryLevel.IMAGE, List.of(), true, null);
    }

    @GetMapping("/studies/{study}/series")
    public void seriesOfStudy(@PathVariable String study, HttpServletRequest rq, HttpServletResponse rs)
            throws IOException {
        search(rq, rs, QueryLevel.SERIES, List.of(uid(IndexAttribute.StudyInstanceUID, study)), false, study);
    }

    @GetMapping("/studies/{study}/instances")
    public void instancesOfStudy(@PathVariable String study, HttpServletRequest rq, HttpServletResponse rs)
            throws IOException {
        search(rq, rs, QueryLevel.IMAGE, List.of(uid(IndexAttribute.StudyInstanceUID, study)), true, study);
    }

    @GetMapping("/studies/{study}/series/{series}/instances")
    public void instancesOfSeries(@PathVariable String study, @PathVariable String series, HttpServletRequest rq,
            HttpServletResponse rs) throws IOException {
        search(rq, rs, QueryLevel.IMAGE, List.of(uid(IndexAttribute.StudyInstanceUID, study),
                uid(IndexAttribute.SeriesInstanceUID, series)), false, study);
    }

    private static Condition uid(IndexAttribute a, String value) {
        StoredInstances.requireUid(value, a.name());
        return new Condition.SingleValue(a, value);
    }

    /** @param study the study the path names (its series or instances are searched), or null */
    private void search(HttpServletRequest rq, HttpServletResponse rs, QueryLevel level, List<Condition> scope,
            boolean withParents, String study) throws IOException {
        negotiateJson(rq);
        Map<String, List<String>> params = new LinkedHashMap<>();
        rq.getParameterMap().forEach((k, v) -> params.put(k, List.of(v)));
        QidoQuery q = QidoQuery.parse(level, scope, withParents, params, props.qidoMaxResults());
        Caller caller = guard.caller(rq);
        String channel = guard.channel(rq);
        List<IndexRow> rows;
        IndexQuery visibleQuery = q.query().visibleTo(guard.visibility(caller, channel, Action.QUERY));
        try {
            // the policy's visibility is part of the SQL: limit and offset page over what the caller may see
            rows = index.find(visibleQuery);
        } catch (IllegalArgumentException e) {
            throw DicomWebException.badRequest(e.getMessage());
        }
        List<String> warnings = new ArrayList<>(q.warnings());
        boolean moreLocal = rows.size() > q.requestedLimit();
        if (moreLocal) {
            rows = rows.subList(0, q.requestedLimit());
            warnings.add(MORE_MATCHES);
        }
        if (rows.isEmpty() && study != null && remote != null) {
            // not a study of this node: one the caller found through the index is searched at its source
            Optional<RemoteStudies.Study> r = remote.find(study, caller);
            if (r.isPresent()) {
                proxy(rq, rs, r.get(), study, level);
                return;
            }
        }
        // each row is still decided per study (deny by default): a row the SQL let through and the policy
        // refuses means the two disagree, which is a bug worth a loud log line, never a leak
        List<IndexRow> visible = new ArrayList<>(rows.size());
        for (IndexRow r : rows) {
            if (guard.permits(caller, channel, Action.QUERY, (String) r.get(IndexAttribute.PatientID),
                    (String) r.get(IndexAttribute.IssuerOfPatientID), (String) r.get(IndexAttribute.StudyInstanceUID),
                    (String) r.get(IndexAttribute.SeriesInstanceUID))) {
                visible.add(r);
            }
        }
        if (visible.size() < rows.size()) {
            log.warn("QIDO-RS: the policy withheld {} row(s) its query visibility let through (caller {})",
                    rows.size() - visible.size(), caller);
        }
        String base = Urls.base(rq, props);
        List<RemoteStudies.Match> remoteMatches = List.of();
        if (level == QueryLevel.STUDY && study == null && remote != null && !moreLocal) {
            remoteMatches = remotePage(visibleQuery, q.requestedLimit(), rows, caller, params, base, warnings);
        } else if (level == QueryLevel.SERIES && study == null && remote != null && rows.isEmpty()) {
            remoteMatches = remote.series(caller, params, base, warnings); // a viewer token's series of a remote study
        }
        guard.audit(caller, channel, Action.QUERY, singlePatient(visible), singleStudy(visible), "success",
                "QIDO-RS " + level.name().toLowerCase(Locale.ROOT) + " query: " + visible.size() + " match(es)"
                        + (visible.size() < rows.size() ? ", " + (rows.size() - visible.size()) + " withheld" : "")
                        + (remoteMatches.isEmpty() ? "" : ", " + remoteMatches.size() + " remote"));
        for (String w : warnings) {
            rs.addHeader("Warning", w);
        }
        rs.setStatus(200);
        rs.setContentType("application/dicom+json");
        try (OutputStream out = rs.getOutputStream(); JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartArray();
            for (IndexRow r : visible) {
                writeRow(json, r, level, q, base);
            }
            for (RemoteStudies.Match m : remoteMatches) {
                json.writeRawValue(new String(m.json(), StandardCharsets.UTF_8));
            }
            json.writeEndArray();
        }
    }

    /**
     * The studies other nodes hold for the caller on this page of a study query ({@code page}: its local matches).
     * They come after every local match, ordered by StudyInstanceUID, so limit and offset page over local and
     * remote studies alike; a study held here as well is listed once, as a local one.
     */
    private List<RemoteStudies.Match> remotePage(IndexQuery query, int limit, List<IndexRow> page, Caller caller,
            Map<String, List<String>> params, String base, List<String> warnings) {
        List<RemoteStudies.Match> all = remote.studies(caller, params, studyUids(page), base, warnings);
        if (all.isEmpty()) {
            return all;
        }
        List<Condition> heldHereConditions = new ArrayList<>(query.conditions());
        heldHereConditions.add(new Condition.UidList(IndexAttribute.StudyInstanceUID,
                all.stream().map(RemoteStudies.Match::studyUid).toList()));
        Set<String> heldHere = studyUids(index.find(new IndexQuery(QueryLevel.STUDY, heldHereConditions,
                Set.of(IndexAttribute.StudyInstanceUID), 0, 0, query.visibility())));
        List<RemoteStudies.Match> remoteOnly = all.stream().filter(m -> !heldHere.contains(m.studyUid())).toList();
        int offset = query.offset();
        // where the remote matches begin: after the local ones, counted when this page holds none of them
        int localCount = !page.isEmpty() || offset == 0 ? offset + page.size()
                : index.find(new IndexQuery(QueryLevel.STUDY, query.conditions(), Set.of(IndexAttribute.StudyInstanceUID),
                        0, 0, query.visibility())).size();
        int from = Math.min(Math.max(0, offset - localCount), remoteOnly.size());
        int to = Math.min(remoteOnly.size(), from + limit - page.size());
        if (to < remoteOnly.size()) {
            warnings.add(MORE_MATCHES);
        }
        return remoteOnly.subList(from, to);
    }

    private static Set<String> studyUids(List<IndexRow> rows) {
        Set<String> uids = new HashSet<>();
        rows.forEach(r -> uids.add((String) r.get(IndexAttribute.StudyInstanceUID)));
        return uids;
    }

    /** Streams the source node's answer to this query about one of its studies (URLs pointing at this node). */
    private void proxy(HttpServletRequest rq, HttpServletResponse rs, RemoteStudies.Study r, String study,
            QueryLevel level) throws IOException {
        boolean complete = false;
        try {
            r.proxy(Urls.belowBase(rq, props), "application/dicom+json", Urls.base(rq, props), rs);
            complete = true;
        } finally {
            guard.audit(rq, Action.QUERY, r.patient(), study, complete ? "success" : "failure", "QIDO-RS "
                    + level.name().toLowerCase(Locale.ROOT) + " query of a remote study (node "
                    + r.sourceNode() + ")");
        }
    }

    private static String singlePatient(List<IndexRow> rows) {
        String p = null;
        for (IndexRow r : rows) {
            String v = (String) r.get(IndexAttribute.PatientID);
            if (p != null && !p.equals(v)) {
                return null;
            }
            p = v;
        }
        return p;
    }

    private static String singleStudy(List<IndexRow> rows) {
        String s = null;
        for (IndexRow r : rows) {
            String v = (String) r.get(IndexAttribute.StudyInstanceUID);
            if (s != null && !s.equals(v)) {
                return null;
            }
            s = v;
        }
        return s;
    }

    /** Rejects Accept headers that leave out DICOM JSON (e.g. only multipart/related application/dicom+xml). */
    static void negotiateJson(HttpServletRequest rq) {
        List<String> accepts = new ArrayList<>(Collections.list(rq.getHeaders("Accept")));
        String[] param = rq.getParameterValues("accept");
        if (param != null) {
            accepts = List.of(param);
        }
        for (MediaRange r : MediaRange.parse(accepts)) {
            if (r.covers("application/dicom+json") || r.covers("application/json")) {
                return;
            }
        }
        throw DicomWebException.notAcceptable("this resource is available as application/dicom+json only");
    }

    private static void writeRow(JsonGenerator json, IndexRow row, QueryLevel level, QidoQuery q, String base)
            throws IOException {
        TreeMap<Integer, Object> values = new TreeMap<>(Integer::compareUnsigned);
        for (IndexAttribute a : q.returned()) {
            values.put(a.tag(), row.get(a));
        }
        for (Map.Entry<IndexAttribute, Object> e : row.values().entrySet()) {
            values.putIfAbsent(e.getKey().tag(), e.getValue());
        }
        values.put(Tag.SpecificCharacterSet, "ISO_IR 192");
        values.put(Tag.InstanceAvailability, "ONLINE");
        String study = (String) row.get(IndexAttribute.StudyInstanceUID);
        String series = (String) row.get(IndexAttribute.SeriesInstanceUID);
        String sop = (String) row.get(IndexAttribute.SOPInstanceUID);
        values.put(Tag.RetrieveURL, switch (level) {
            case STUDY -> Urls.study(base, study);
            case SERIES -> Urls.series(base, study, series);
            default -> Urls.instance(base, study, series, sop);
        });
        json.writeStartObject();
        for (Map.Entry<Integer, Object> e : values.entrySet()) {
            int tag = e.getKey();
            String vr = DicomDataset.vrOf(tag);
            json.writeFieldName(DicomJson.key(tag));
            json.writeStartObject();
            json.writeStringField("vr", vr);
            Object v = e.getValue();
            if (v != null) {
                json.writeArrayFieldStart("Value");
                if (v instanceof List<?> list) {
                    for (Object o : list) {
                        writeValue(json, vr, o);
                    }
                } else if (v instanceof String s && s.indexOf('\\') >= 0 && !vr.equals("UR")) {
                    for (String part : s.split("\\\\", -1)) {
                        writeValue(json, vr, part);
                    }
                } else {
                    writeValue(json, vr, v);
                }
                json.writeEndArray();
            }
            json.writeEndObject();
        }
        json.writeEndObject();
    }

    private static void writeValue(JsonGenerator json, String vr, Object v) throws IOException {
        if (v == null) {
            json.writeNull();
        } else if (v instanceof LocalDate d) {
            json.writeString(d.format(DA));
        } else if (v instanceof Integer i) {
            json.writeNumber(i);
        } else if (vr.equals("PN")) {
            DicomJson.writePersonName(v.toString(), json);
        } else if (vr.equals("IS") || vr.equals("US") || vr.equals("UL")) {
            try {
                json.writeNumber(Long.parseLong(v.toString().strip()));
            } catch (NumberFormatException e) {
                json.writeString(v.toString());
            }
        } else {
            String s = v.toString();
            if (s.isEmpty()) {
                json.writeNull();
            } else {
                json.writeString(s);
            }
        }
    }
}
