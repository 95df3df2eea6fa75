package org.imagingnode.bridge.sharing.consumer;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletionException;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import jakarta.servlet.http.HttpServletResponse;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

import org.imagingnode.bridge.dicom.PatientIdRewrite;
import org.imagingnode.bridge.dicom.Uids;
import org.imagingnode.bridge.dicomweb.DicomWebException;
import org.imagingnode.bridge.dicomweb.RemoteStudies;
import org.imagingnode.bridge.dimse.RemoteRetrieves;
import org.imagingnode.bridge.dimse.SpoolArea;
import org.imagingnode.bridge.index.InstanceLocation;
import org.imagingnode.bridge.ingest.Checksums;
import org.imagingnode.bridge.security.Caller;
import org.imagingnode.bridge.sharing.index.IndexEntry;
import org.imagingnode.bridge.sharing.index.TrustedSources;
import org.imagingnode.bridge.space.NationalId;
import org.imagingnode.bridge.space.PatientSpace;
import org.imagingnode.bridge.space.PatientSpacePolicy;
import org.imagingnode.bridge.space.SpaceProperties;
import org.imagingnode.viewer.InvalidViewerTokenException;
import org.imagingnode.viewer.ViewerScope;
import org.imagingnode.viewer.ViewerToken;
import org.imagingnode.viewer.ViewerTokenService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumer side of sharing: a professional (or patient) asking this node for a patient's studies also gets
 * those the patient-space index lists at other nodes, and retrieves them through this node as if they were local.
 *
 * <ul>
 * <li>QIDO-RS {@code /studies} naming one patient (PatientID of a national identity, or of a local patient linked
 * to one): the index is asked with the caller's token; for each source node, the matching studies' attributes come
 * from the source's own QIDO-RS (so the source's patient rules apply: a hidden study, a blocked professional are
 * simply not listed), their RetrieveURL rewritten to this node.</li>
 * <li>Any later request about such a study (QIDO-RS series/instances, WADO-RS instances, metadata, frames, bulk
 * data, rendered, thumbnails) is asked of the source with the caller's own token, this node's token beside it:
 * the source decides and audits. Instances are fetched whole into the {@link InstanceCache} (checked, then kept)
 * and served from there; metadata, renderings and query answers are streamed through.</li>
 * <li>C-GET and C-MOVE of such a study ({@link RemoteRetrieves}): its instances are fetched into the cache, then sent
 * as local ones are, with the credentials of the professional who last found it here ({@link RetrievalGrants}).</li>
 * <li>A viewer token this node issued for such a study (Weasis or web viewer launch) is never sent to the source:
 * its requests go there with the credentials of the professional it was issued to ({@link Study#entrust}).</li>
 * </ul>
 */
public class RemoteStudiesService implements RemoteStudies, RemoteRetrieves {
    private static final Logger log = LoggerFactory.getLogger(RemoteStudiesService.class);
    private static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private static final JsonFactory JSON_FACTORY = JSON.getFactory();
    private static final int MAX_INDEX_ANSWER = 8 << 20;
    private static final int MAX_QUERY_ANSWER = 32 << 20;
    private static final Pattern DIGEST = Pattern.compile("(?i)(?:^|,)\\s*sha-256=:([A-Za-z0-9+/=]+):");
    private static final String MORE_MATCHES = "more matches";
    /** A path of plain segments (UIDs, keywords, frame lists): nothing a server would resolve elsewhere. */
    private static final Pattern PLAIN_PATH = Pattern.compile("(/(?!\\.{1,2}(?:/|$))[0-9A-Za-z.,]+)+");
    /** Query keys that name the patient here; the source knows the patient by its own identifiers. */
    private static final Set<String> PATIENT_KEYS = Set.of("patientid", "00100020", "issuerofpatientid", "00100021");
    private static final Set<String> NOT_FORWARDED = Set.of("limit", "offset", "studyinstanceuid", "0020000d");
    /** Who asks for a C-MOVE or C-GET of a remote study, for the audit of a refused source address. */
    private static final Caller DIMSE_PEER = new Caller("system", "system", null, null);

    private final SourceClient client;
    private final RemoteStudyRegistry registry;
    private final TrustedSources trusted;
    private final InstanceCache cache;
    private final RetrievalGrants grants;
    private final SpoolArea spool;
    private final PatientSpace space;
    private final SpaceProperties spaceProps;
    private final ConsumerProperties props;
    private final ViewerTokenService viewerTokens;
    private final String ownNode;
    private final Supplier<IndexLocation> index;
    private final Map<InstanceCache.Key, CompletableFuture<InstanceLocation>> inFlight = new ConcurrentHashMap<>();
    private final Map<String, Listing> listings = new ConcurrentHashMap<>();

    /** Where the patient-space index is: a DICOMweb-independent base URL and the node id it answers as. */
    public record IndexLocation(String baseUrl, String node) {
    }

    private record Listing(List<Ref> refs, long at) {
    }

    public RemoteStudiesService(SourceClient client, RemoteStudyRegistry registry, TrustedSources trusted,
            InstanceCache cache, RetrievalGrants grants, SpoolArea spool, PatientSpace space, SpaceProperties spaceProps,
            ConsumerProperties props, ViewerTokenService viewerTokens, String ownNode, Supplier<IndexLocation> index) {
        this.client = client;
        this.registry = registry;
        this.trusted = trusted;
        this.cache = cache;
        this.grants = grants;
        this.spool = spool;
        this.space = space;
        this.spaceProps = spaceProps;
        this.props = props;
        this.viewerTokens = viewerTokens;
        this.ownNode = ownNode;
        this.index = index;
    }

    // ------------------------------------------------------------------ finding a remote study

    @Override
    public Optional<Study> find(String studyUid, Caller caller) {
        // a source decides with a professional's or a patient's token; this node's own credentials (viewer tokens,
        // share and thumbnail links) are never sent out, and a viewer token is forwarded as what it was lent
        if (caller.authorization() == null || !Set.of(PatientSpacePolicy.PROFESSIONAL, PatientSpacePolicy.PATIENT,
                PatientSpacePolicy.VIEWER).contains(caller.role())) {
            return Optional.empty();
        }
        Optional<RemoteStudyRegistry.RemoteStudy> r = known(studyUid, caller);
        if (r.isPresent() && PatientSpacePolicy.VIEWER.equals(caller.role())) {
            return asViewer(caller, r.get());
        }
        return r.map(s -> new Handle(s, caller.authorization(), null, lends(caller)));
    }

    /**
     * The study held by another node that this node found in the index, at the DICOMweb base configured for that
     * node (empty when it is no longer where that base says: see {@link TrustedSources}).
     */
    private Optional<RemoteStudyRegistry.RemoteStudy> known(String studyUid, Caller caller) {
        return registry.find(studyUid).filter(s -> !ownNode.equals(s.sourceNode()))
                .flatMap(s -> trusted.follow(s.sourceNode(), s.retrieveUrl(), caller, s.patientCx(), studyUid)
                        .map(s::at));
    }

    /**
     * The study for a viewer token of this node, as the professional it was issued to (while the credentials they
     * entrusted it with are valid), within the token's scope: a series token reaches its series only.
     */
    private Optional<Study> asViewer(Caller viewer, RemoteStudyRegistry.RemoteStudy study) {
        ViewerToken t;
        try {
            t = viewerTokens.verify(viewer.authorization());
        } catch (InvalidViewerTokenException e) {
            return Optional.empty();
        }
        String series = t.scope().level() == ViewerScope.Level.SERIES ? t.scope().seriesInstanceUid() : null;
        return grants.authorizationForViewer(t.id(), study.studyUid())
                .map(professional -> new Handle(study, professional, series, false));
    }

    /**
     * A remote study for a DIMSE peer (C-MOVE, C-GET), with the credentials of the professional who last found it
     * here; empty when this node knows no such remote study.
     *
     * @throws DicomWebException 403 when it is known but nobody found it here recently
     */
    public Optional<Study> findForPeer(String studyUid) {
        Optional<RemoteStudyRegistry.RemoteStudy> r = known(studyUid, DIMSE_PEER);
        if (r.isEmpty()) {
            return Optional.empty();
        }
        String authorization = grants.authorizationFor(studyUid).orElseThrow(() -> new DicomWebException(403,
                "study held by node " + r.get().sourceNode() + ": no professional has looked it up through this node"
                        + " recently; search for it (QIDO-RS or the portal) first"));
        return Optional.of(new Handle(r.get(), authorization, null, false));
    }

    @Override
    public Fetched fetch(String studyUid, List<String> seriesUids, List<String> sopInstanceUids) throws Refused {
        Study study;
        List<Ref> refs;
        try {
            Optional<Study> found = findForPeer(studyUid);
            if (found.isEmpty()) {
                return null;
            }
            study = found.get();
            // one series or instance is listed as such at the source; a list of them is picked from the wider listing
            refs = study.instances(seriesUids.size() == 1 ? seriesUids.get(0) : null,
                    sopInstanceUids.size() == 1 ? sopInstanceUids.get(0) : null).stream()
                    .filter(r -> (seriesUids.isEmpty() || seriesUids.contains(r.seriesUid()))
                            && (sopInstanceUids.isEmpty() || sopInstanceUids.contains(r.sopInstanceUid())))
                    .toList();
        } catch (DicomWebException e) {
            if (e.status() == 404) {
                return new Fetched(null, null, List.of(), List.of(), null); // nothing to retrieve, as for a local miss
            }
            throw new Refused(e.status() == 403, e.getMessage());
        }
        List<InstanceLocation> fetched = new ArrayList<>(refs.size());
        List<String> failed = new ArrayList<>();
        for (Ref ref : refs) {
            try {
                fetched.add(study.fetch(ref));
            } catch (IOException | DicomWebException e) {
                log.warn("instance {} of remote study {} not fetched from node {}: {}", ref.sopInstanceUid(), studyUid,
                        study.sourceNode(), e.getMessage());
                failed.add(ref.sopInstanceUid());
            }
        }
        return new Fetched(study.sourceNode(), study.patient(), fetched, failed, study.reconciledIdentity());
    }

    /**
     * The identity a remote study takes when sent to a DIMSE peer (the PACS of this node), so that it files the
     * study with the person's local ones: the local patient linked to the study's national identity, else the
     * national identity itself. Null (sent as held) when that identity cannot be written as a PatientID.
     */
    private PatientIdRewrite reconciliation(RemoteStudyRegistry.RemoteStudy study) {
        NationalId who = new NationalId(study.nationalId(), study.nationalIssuer());
        PatientSpace.LocalPatient target = space.reconciliationTarget(who)
                .orElse(new PatientSpace.LocalPatient(who.id(), who.issuer()));
        try {
            return new PatientIdRewrite(target.patientId(), target.issuer());
        } catch (IllegalArgumentException e) {
            log.warn("remote study {} sent with its source's patient identity: {}", study.studyUid(), e.getMessage());
            return null;
        }
    }

    /**
     * Whether the caller's credentials may be lent to DIMSE peers once the source allowed them a study: a
     * professional's only. A patient's token would let the site's PACS retrieve a study the patient hid from the
     * professionals, or one of theirs the patient blocked; a viewer token's requests go with credentials lent to it.
     */
    private static boolean lends(Caller caller) {
        return PatientSpacePolicy.PROFESSIONAL.equals(caller.role());
    }

    /** The source just allowed these credentials the study: lent to DIMSE peers when {@code lends}. */
    private void allowed(boolean lends, String studyUid, String authorization) {
        if (lends) {
            grants.grant(studyUid, authorization);
        }
    }

    /**
     * A remote study, for the holder of one Authorization header; restricted to one of its series when
     * {@code onlySeries} is not null (a series launch): the other series and the study as a whole are 404s.
     * {@code lends}: what the source allows these credentials is lent to DIMSE peers (see {@link RetrievalGrants}).
     */
    private final class Handle implements Study {
        private final RemoteStudyRegistry.RemoteStudy study;
        private final String authorization;
        private final String onlySeries;
        private final boolean lends;

        Handle(RemoteStudyRegistry.RemoteStudy study, String authorization, String onlySeries, boolean lends) {
            this.study = study;
            this.authorization = authorization;
            this.onlySeries = onlySeries;
            this.lends = lends;
        }

        /** The source just allowed these credentials the study. */
        private void allowed() {
            RemoteStudiesService.this.allowed(lends, study.studyUid(), authorization);
        }

        @Override
        public Study series(String seriesUid) {
            if (onlySeries != null && !onlySeries.equals(seriesUid)) {
                throw DicomWebException.notFound("no series " + seriesUid + " in study " + study.studyUid());
            }
            return new Handle(study, authorization, seriesUid, lends);
        }

        @Override
        public String sourceNode() {
            return study.sourceNode();
        }

        @Override
        public PatientIdRewrite reconciledIdentity() {
            return props.reconcileIdentity() ? reconciliation(study) : null;
        }

        @Override
        public String patient() {
            return study.patientCx();
        }

        @Override
        public List<Ref> instances(String seriesUid, String sopInstanceUid) {
            if (onlySeries != null) {
                if (seriesUid == null && sopInstanceUid == null || seriesUid != null && !seriesUid.equals(onlySeries)) {
                    throw DicomWebException.notFound(seriesUid == null ? "no study " + study.studyUid()
                            : "no series " + seriesUid + " in study " + study.studyUid());
                }
                seriesUid = onlySeries;
            }
            Listing known = listings.get(listingKey(study.studyUid(), seriesUid, sopInstanceUid));
            if (known != null && System.nanoTime() - known.at() < props.authorizationMemory().toNanos()) {
                return known.refs();
            }
            return list(seriesUid, sopInstanceUid);
        }

        /** The same, asked of the source now (never the answer remembered), and remembered. */
        List<Ref> list(String seriesUid, String sopInstanceUid) {
            long now = System.nanoTime();
            StringBuilder path = new StringBuilder("/studies/").append(study.studyUid());
            if (seriesUid != null) {
                path.append("/series/").append(seriesUid);
            }
            path.append("/instances?includefield=0020000E");
            if (sopInstanceUid != null) {
                path.append("&SOPInstanceUID=").append(sopInstanceUid);
            }
            List<Ref> refs = new ArrayList<>();
            for (JsonNode n : listAll(path.toString())) {
                String se = text(n, "0020000E");
                String sop = text(n, "00080018");
                if (se != null && sop != null && Uids.isValid(se) && Uids.isValid(sop)) {
                    refs.add(new Ref(seriesUid != null ? seriesUid : se, sop));
                }
            }
            if (sopInstanceUid == null && !refs.isEmpty()) {
                // what the caller may see of the study or series, all of it: cached instances the source no longer
                // lists were rejected there since (IHE IOCM) and leave the cache (an empty answer may be a refusal)
                cache.retainListed(study.sourceNode(), study.studyUid(), seriesUid,
                        refs.stream().map(Ref::sopInstanceUid).collect(Collectors.toSet()));
            }
            if (refs.isEmpty()) {
                throw DicomWebException.notFound(sopInstanceUid != null ? "no instance " + sopInstanceUid
                        : seriesUid != null ? "no series " + seriesUid + " in study " + study.studyUid()
                        : "no study " + study.studyUid());
            }
            allowed();
            if (listings.size() > 20_000) {
                listings.clear();
            }
            listings.put(listingKey(study.studyUid(), seriesUid, sopInstanceUid), new Listing(List.copyOf(refs), now));
            if (sopInstanceUid == null) {
                // a viewer asks for each instance's frames next: the source just listed them for this caller
                for (Ref r : refs) {
                    listings.put(listingKey(study.studyUid(), r.seriesUid(), r.sopInstanceUid()),
                            new Listing(List.of(r), now));
                }
            }
            return refs;
        }

        @Override
        public List<JsonNode> instanceAttributes() {
            List<JsonNode> all = listAll("/studies/" + study.studyUid()
                    + (onlySeries == null ? "" : "/series/" + onlySeries) + "/instances?includefield=all");
            if (all.isEmpty()) {
                throw DicomWebException.notFound("no study " + study.studyUid());
            }
            allowed();
            return all;
        }

        @Override
        public void entrust(String viewerTokenId, Instant expiresAt) {
            grants.entrust(viewerTokenId, study.studyUid(), authorization, expiresAt);
        }

        /** Every page of the source's answer to a query (a relative path with a query string). */
        private List<JsonNode> listAll(String pathAndQuery) {
            List<JsonNode> all = new ArrayList<>();
            try {
                while (true) {
                    URI uri = URI.create(study.retrieveUrl() + pathAndQuery + "&offset=" + all.size());
                    Page page = client.fetch(study.sourceNode(), uri, authorization, "application/dicom+json",
                            rs -> new Page(JSON.readTree(limited(rs.body(), MAX_QUERY_ANSWER)),
                                    rs.headers().allValues("Warning").stream().anyMatch(w -> w.contains(MORE_MATCHES))));
                    int before = all.size();
                    page.json().forEach(all::add);
                    if (!page.more() || all.size() == before) {
                        return all;
                    }
                }
            } catch (SourceClient.RefusedException e) {
                throw refused(e);
            }
        }

        private String listingKey(String studyUid, String seriesUid, String sopInstanceUid) {
            return authorization + '\u0000' + studyUid + '\u0000' + seriesUid + '\u0000' + sopInstanceUid;
        }

        @Override
        public InstanceLocation fetch(Ref instance) throws IOException {
            InstanceCache.Key key = new InstanceCache.Key(study.sourceNode(), study.studyUid(), instance.sopInstanceUid());
            Optional<InstanceLocation> cached = cache.get(key);
            if (cached.isPresent()) {
                return cached.get();
            }
            // one download per instance, however many requests want it at once
            CompletableFuture<InstanceLocation> mine = new CompletableFuture<>();
            CompletableFuture<InstanceLocation> running = inFlight.putIfAbsent(key, mine);
            if (running != null) {
                try {
                    return running.join();
                } catch (CompletionException e) {
                    throw rethrow(e.getCause());
                }
            }
            try {
                InstanceLocation loc = download(instance);
                mine.complete(loc);
                return loc;
            } catch (RuntimeException | IOException e) {
                mine.completeExceptionally(e);
                throw e;
            } finally {
                inFlight.remove(key, mine);
            }
        }

        private InstanceLocation download(Ref instance) throws IOException {
            URI uri = URI.create(study.retrieveUrl() + "/studies/" + study.studyUid() + "/series/"
                    + instance.seriesUid() + "/instances/" + instance.sopInstanceUid());
            long started = System.nanoTime();
            try {
                InstanceLocation loc = client.fetch(study.sourceNode(), uri, authorization,
                        "application/dicom; transfer-syntax=*", rs -> receive(rs, instance));
                log.info("instance {} of study {} fetched from node {}: {} KB in {} ms", instance.sopInstanceUid(),
                        study.studyUid(), study.sourceNode(), loc.blobSize() >> 10,
                        (System.nanoTime() - started) / 1_000_000);
                return loc;
            } catch (SourceClient.RefusedException e) {
                throw refused(e);
            }
        }

        /** Receives the whole instance into a spool file, hashing it, and hands it to the cache to be checked. */
        private InstanceLocation receive(HttpResponse<InputStream> rs, Ref instance) throws IOException {
            String type = rs.headers().firstValue("Content-Type").orElse("").toLowerCase(Locale.ROOT);
            if (!type.startsWith("application/dicom")) {
                throw new InstanceCache.RejectedException("answered " + type + " instead of application/dicom");
            }
            Path file = spool.newFile();
            MessageDigest sha = Checksums.sha256();
            try (InputStream in = rs.body(); OutputStream out = new DigestOutputStream(Files.newOutputStream(file), sha)) {
                in.transferTo(out);
            } catch (IOException e) {
                Files.deleteIfExists(file);
                throw e;
            }
            long length = rs.headers().firstValueAsLong("Content-Length").orElse(-1);
            String declaredSha = sha256Of(rs.headers().firstValue("Content-Digest").orElse(null));
            return cache.put(new InstanceCache.Declared(study.sourceNode(), study.studyUid(), instance.seriesUid(),
                    instance.sopInstanceUid(), length, declaredSha), file, HexFormat.of().formatHex(sha.digest()));
        }

        @Override
        public void proxy(String relativePath, String accept, String thisBase, HttpServletResponse response)
                throws IOException {
            URI uri = URI.create(study.retrieveUrl() + withinScope(relativePath));
            HttpResponse<InputStream> rs = client.open(study.sourceNode(), uri, authorization,
                    accept == null || accept.isBlank() ? null : accept);
            try (InputStream body = rs.body()) {
                if (rs.statusCode() >= 400) {
                    byte[] message = body.readNBytes(300);
                    throw refused(new SourceClient.RefusedException(rs.statusCode(),
                            new String(message, StandardCharsets.UTF_8).strip()));
                }
                allowed();
                response.setStatus(rs.statusCode());
                String type = rs.headers().firstValue("Content-Type").orElse("application/octet-stream");
                response.setContentType(type);
                rs.headers().allValues("Warning").forEach(w -> response.addHeader("Warning", w));
                OutputStream out = response.getOutputStream();
                if (type.toLowerCase(Locale.ROOT).contains("json")) {
                    rewriteUrls(body, out, study.retrieveUrl(), thisBase);
                } else {
                    rs.headers().firstValueAsLong("Content-Length").ifPresent(response::setContentLengthLong);
                    body.transferTo(out);
                }
                out.flush();
            }
        }

        /**
         * The request to forward for a path below the DICOMweb base, kept within the series this handle is
         * restricted to: that series' resources as asked, the study's series and instances queries narrowed to it,
         * anything else of the study a 404. Paths are plain segments of UIDs and keywords (no dot segments, no
         * escapes), so the source cannot resolve them to another series.
         */
        private String withinScope(String relativePath) {
            if (onlySeries == null) {
                return relativePath;
            }
            int q = relativePath.indexOf('?');
            String path = q < 0 ? relativePath : relativePath.substring(0, q);
            String query = q < 0 ? "" : relativePath.substring(q + 1);
            String studyPath = "/studies/" + study.studyUid();
            String seriesPath = studyPath + "/series/" + onlySeries;
            boolean plain = PLAIN_PATH.matcher(path).matches();
            if (plain && (path.equals(seriesPath) || path.startsWith(seriesPath + "/"))) {
                return relativePath;
            }
            if (path.equals(studyPath + "/series")) {
                StringBuilder narrowed = new StringBuilder(path).append("?SeriesInstanceUID=").append(onlySeries);
                for (String p : query.split("&")) {
                    String key = URLDecoder.decode(p.split("=", 2)[0], StandardCharsets.UTF_8);
                    if (!p.isEmpty() && !key.equalsIgnoreCase("SeriesInstanceUID") && !key.equalsIgnoreCase("0020000E")) {
                        narrowed.append('&').append(p);
                    }
                }
                return narrowed.toString();
            }
            if (path.equals(studyPath + "/instances")) {
                return seriesPath + "/instances" + (query.isEmpty() ? "" : "?" + query);
            }
            throw DicomWebException.notFound("no study " + study.studyUid());
        }

        private DicomWebException refused(SourceClient.RefusedException e) {
            if (e.status() == 401 || e.status() == 403 || e.status() == 404) {
                if (e.status() != 404) {
                    log.warn("node {} refused a request for study {} ({}): is the caller's token issuer, or this node,"
                            + " trusted there?", study.sourceNode(), study.studyUid(), e.status());
                }
                return DicomWebException.notFound("no study " + study.studyUid());
            }
            int status = e.status() >= 400 && e.status() < 500 ? e.status() : 502;
            return new DicomWebException(status, "node " + study.sourceNode() + " answered " + e.status()
                    + (e.getMessage().isBlank() ? "" : ": " + e.getMessage()));
        }
    }

    private record Page(JsonNode json, boolean more) {
    }

    private static IOException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        return t instanceof IOException io ? io : new IOException(t);
    }

    // ------------------------------------------------------------------ a patient's remote studies (QIDO-RS)

    @Override
    public List<Match> studies(Caller caller, Map<String, List<String>> parameters, Set<String> localStudies,
            String thisBase, List<String> warnings) {
        if (caller.authorization() != null && PatientSpacePolicy.VIEWER.equals(caller.role())) {
            return viewed(caller, false, parameters, localStudies, thisBase, warnings);
        }
        if (caller.authorization() == null
                || !("professional".equals(caller.role()) || "patient".equals(caller.role()))) {
            return List.of();
        }
        NationalId who = patientOf(caller, parameters);
        if (who == null) {
            return List.of();
        }
        List<IndexEntry> entries;
        try {
            entries = lookUp(who, caller.authorization());
        } catch (SourceUnavailableException e) {
            warnings.add(warning("studies held by other nodes are not listed: the patient-space index could not be"
                    + " asked (" + e.getMessage() + ")"));
            return List.of();
        }
        Map<String, String> bases = new HashMap<>();
        Map<String, IndexEntry> followed = followed(entries, who, caller, bases);
        relearn(who, followed, caller);
        String onlyStudies = value(parameters, "StudyInstanceUID", "0020000D");
        Set<String> wanted = onlyStudies == null ? null
                : new HashSet<>(List.of(onlyStudies.split("[,\\\\]")));
        Map<String, List<IndexEntry>> bySource = new LinkedHashMap<>();
        for (IndexEntry e : followed.values()) {
            if (!localStudies.contains(e.studyInstanceUid()) && (wanted == null || wanted.contains(e.studyInstanceUid()))) {
                bySource.computeIfAbsent(e.sourceNode(), k -> new ArrayList<>()).add(e);
            }
        }
        String forwarded = forwardedQuery(parameters, false);
        List<Match> out = new ArrayList<>();
        for (List<IndexEntry> group : bySource.values()) {
            String node = group.get(0).sourceNode();
            group.forEach(registry::remember);
            Set<String> uids = new LinkedHashSet<>(group.stream().map(IndexEntry::studyInstanceUid).toList());
            out.addAll(matchesAt(node, bases.get(node), "/studies?StudyInstanceUID=" + String.join(",", uids)
                    + forwarded, study -> uids.contains(text(study, "0020000D")), caller.authorization(),
                    lends(caller), thisBase, warnings));
        }
        out.sort(Comparator.comparing(Match::studyUid)); // a stable order for paging
        return out;
    }

    /**
     * The index entries of the person's remote studies this node follows, by study: one source per study, at the
     * DICOMweb base configured for it (put in {@code bases}). A study two nodes publish (sent to both sites, or a
     * node publishing another's study) is followed where this node already follows it while that node still
     * publishes it, else at the first of them in node-id order: a later publication elsewhere, whatever date it
     * carries, never moves it.
     */
    private Map<String, IndexEntry> followed(List<IndexEntry> entries, NationalId who, Caller caller,
            Map<String, String> bases) {
        Map<String, List<IndexEntry>> byStudy = new LinkedHashMap<>();
        for (IndexEntry e : entries) {
            if (usable(e, who) && !ownNode.equals(e.sourceNode())) {
                trusted.follow(e.sourceNode(), e.retrieveUrl(), caller, who.cx(), e.studyInstanceUid()).ifPresent(base -> {
                    bases.put(e.sourceNode(), base);
                    byStudy.computeIfAbsent(e.studyInstanceUid(), k -> new ArrayList<>()).add(e);
                });
            }
        }
        Map<String, IndexEntry> followed = new LinkedHashMap<>();
        byStudy.forEach((study, candidates) -> {
            Optional<String> current = candidates.size() == 1 ? Optional.empty()
                    : registry.find(study).map(RemoteStudyRegistry.RemoteStudy::sourceNode);
            followed.put(study, candidates.stream()
                    .filter(e -> current.isEmpty() || current.get().equals(e.sourceNode())).findFirst()
                    .orElseGet(() -> candidates.stream().min(Comparator.comparing(IndexEntry::sourceNode)).orElseThrow()));
        });
        return followed;
    }

    /**
     * What the index says of the person's studies this node holds cached instances of, compared with what it said
     * before: a study republished since (instances added, or rejected at its source: IHE IOCM) or no longer listed
     * (withdrawn once nothing but rejection notes is left, or no longer the caller's to see) is listed again by its
     * source for the caller, and the cached instances it no longer lists leave the cache at once, without waiting
     * for someone to open the study. A study the source then refuses the caller, after the index stopped listing it,
     * leaves the cache whole (it is fetched again for whoever may still see it).
     */
    private void relearn(NationalId who, Map<String, IndexEntry> now, Caller caller) {
        registry.updatedAt(who).forEach((studyUid, before) -> {
            IndexEntry entry = now.get(studyUid);
            boolean republished = entry != null && before != null && entry.updatedAt().isAfter(before);
            if ((entry == null || republished) && cache.holdsStudy(studyUid)) {
                known(studyUid, caller).ifPresent(study -> {
                    try {
                        new Handle(study, caller.authorization(), null, lends(caller)).list(null, null);
                    } catch (DicomWebException e) {
                        if (entry == null && e.status() == 404) {
                            cache.retainListed(study.sourceNode(), studyUid, null, Set.of());
                        }
                    }
                    if (republished) {
                        registry.remember(entry); // learnt: not listed again until the next change
                    }
                });
            }
        });
    }

    @Override
    public List<Match> series(Caller caller, Map<String, List<String>> parameters, String thisBase,
            List<String> warnings) {
        if (caller.authorization() == null || !PatientSpacePolicy.VIEWER.equals(caller.role())) {
            return List.of();
        }
        return viewed(caller, true, parameters, Set.of(), thisBase, warnings);
    }

    /**
     * What a viewer token of this node opens of a remote study, as the source answers the professional it was issued
     * to: the study's row ({@code /studies?StudyInstanceUID=...}, what a viewer asks first), or its series' rows
     * ({@code /series?...}, how Weasis opens a series), only the token's one series for a series token.
     */
    private List<Match> viewed(Caller viewer, boolean seriesLevel, Map<String, List<String>> parameters,
            Set<String> localStudies, String thisBase, List<String> warnings) {
        ViewerToken token;
        try {
            token = viewerTokens.verify(viewer.authorization());
        } catch (InvalidViewerTokenException e) {
            return List.of();
        }
        String study = token.scope().studyInstanceUid();
        String onlySeries = token.scope().level() == ViewerScope.Level.SERIES ? token.scope().seriesInstanceUid() : null;
        if (study == null || localStudies.contains(study) || !asks(parameters, study, "StudyInstanceUID", "0020000D")
                || seriesLevel && onlySeries != null && !asks(parameters, onlySeries, "SeriesInstanceUID", "0020000E")) {
            return List.of();
        }
        Optional<RemoteStudyRegistry.RemoteStudy> r = known(study, viewer);
        Optional<String> professional = grants.authorizationForViewer(token.id(), study);
        if (r.isEmpty() || professional.isEmpty()) {
            return List.of();
        }
        boolean narrowed = seriesLevel && onlySeries != null;
        String query = (seriesLevel ? "/series" : "/studies") + "?StudyInstanceUID=" + study
                + (narrowed ? "&SeriesInstanceUID=" + onlySeries : "") + forwardedQuery(parameters, narrowed);
        List<Match> rows = matchesAt(r.get().sourceNode(), r.get().retrieveUrl(), query,
                row -> study.equals(text(row, "0020000D")) && (!narrowed || onlySeries.equals(text(row, "0020000E"))),
                professional.get(), false, thisBase, warnings);
        List<Match> seen = seriesLevel || onlySeries == null || rows.isEmpty() ? rows
                : studyRowOfSeries(rows.get(0), r.get(), onlySeries, professional.get(), warnings);
        return seen.stream().map(m -> countedWithinScope(m, seriesLevel, onlySeries != null)).toList();
    }

    /**
     * A row as a viewer token sees it: the counts of what lies beyond the token's scope (the patient's whole record at
     * the source; the whole study, for a series token) become counts of what it opens, as this node's own rows count
     * for such a token. A count the row does not give the means to compute is left out rather than passed on.
     */
    private static Match countedWithinScope(Match match, boolean seriesRow, boolean seriesToken) {
        ObjectNode row;
        try {
            row = (ObjectNode) JSON.readTree(match.json());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Integer series = seriesToken ? Integer.valueOf(1) : count(row, "00201206");
        Integer instances = count(row, seriesToken && seriesRow ? "00201209" : "00201208");
        boolean changed = scope(row, "00201200", 1) | scope(row, "00201202", series)
                | scope(row, "00201204", instances);
        if (seriesToken && seriesRow) {
            changed |= scope(row, "00201206", 1) | scope(row, "00201208", instances);
        }
        try {
            return changed ? new Match(match.studyUid(), JSON.writeValueAsBytes(row)) : match;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An integer attribute's value in a DICOM JSON row, or null. */
    private static Integer count(JsonNode row, String tag) {
        JsonNode v = row.path(tag).path("Value").path(0);
        return v.isNumber() ? Integer.valueOf(v.intValue()) : null;
    }

    /** Gives the row's attribute this count (removes it when null), if the row has it; whether it had it. */
    private static boolean scope(ObjectNode row, String tag, Integer count) {
        if (!row.has(tag)) {
            return false;
        }
        if (count == null) {
            row.remove(tag);
        } else {
            setValues(row, tag, List.of(count));
        }
        return true;
    }

    /**
     * A series token's study row as this node answers it for a local study: the study's series and instance counts,
     * modalities and SOP classes are those of the token's series only (the source, which sees the professional and
     * not the token's scope, counted the whole study). They come from the source's row of that series (and, when
     * the row has SOPClassesInStudy, its instances); a series the source does not list counts 0. No row when the
     * source cannot tell: the whole study's counts are never shown.
     */
    private List<Match> studyRowOfSeries(Match study, RemoteStudyRegistry.RemoteStudy remote, String series,
            String authorization, List<String> warnings) {
        Optional<JsonNode> answer = queryAt(remote.sourceNode(), URI.create(remote.retrieveUrl() + "/studies/"
                + remote.studyUid() + "/series?SeriesInstanceUID=" + series + "&includefield=00080060"
                + "&includefield=00201209"), authorization, warnings);
        if (answer.isEmpty()) {
            return List.of();
        }
        JsonNode seriesRow = null;
        for (JsonNode row : answer.get()) {
            if (series.equals(text(row, "0020000E"))) {
                seriesRow = row;
            }
        }
        try {
            ObjectNode row = (ObjectNode) JSON.readTree(study.json());
            setValues(row, "00201206", List.of(seriesRow == null ? 0 : 1));
            setValues(row, "00201208", List.of(seriesRow == null ? 0
                    : seriesRow.path("00201209").path("Value").path(0).asInt(0)));
            setValues(row, "00080061", seriesRow == null || text(seriesRow, "00080060") == null ? List.of()
                    : List.of(text(seriesRow, "00080060")));
            if (row.has("00080062")) {
                setValues(row, "00080062", seriesRow == null ? List.of() : new Handle(remote, authorization, series, false)
                        .instanceAttributes().stream().map(i -> text(i, "00080016"))
                        .filter(Objects::nonNull).distinct().sorted().toList());
            }
            return List.of(new Match(study.studyUid(), JSON.writeValueAsBytes(row)));
        } catch (DicomWebException | IOException e) {
            warnings.add(warning("studies held by node " + remote.sourceNode() + " are not listed: " + e.getMessage()));
            return List.of();
        }
    }

    /** Sets an attribute's values (none: the attribute without a value), keeping its VR, if the row has it. */
    private static void setValues(ObjectNode row, String tag, List<?> values) {
        if (row.get(tag) instanceof ObjectNode attribute) {
            attribute.remove("Value");
            if (!values.isEmpty()) {
                ArrayNode array = attribute.putArray("Value");
                values.forEach(v -> array.add(JSON.valueToTree(v)));
            }
        }
    }

    /** Whether the query's key (absent: any value) asks for this UID among its values. */
    private static boolean asks(Map<String, List<String>> parameters, String uid, String... key) {
        String asked = value(parameters, key);
        return asked == null || List.of(asked.split("[,\\\\]")).contains(uid);
    }

    /**
     * The rows of the source's QIDO-RS answer to a query of studies (or series) of these studies that {@code keep}
     * accepts, asked with these credentials (lent to DIMSE peers for the studies listed when {@code lends}), URLs
     * pointing at this node.
     */
    private List<Match> matchesAt(String sourceNode, String retrieveUrl, String pathAndQuery,
            Predicate<JsonNode> keep, String authorization, boolean lends, String thisBase, List<String> warnings) {
        List<Match> out = new ArrayList<>();
        for (JsonNode row : queryAt(sourceNode, URI.create(retrieveUrl + pathAndQuery), authorization, warnings)
                .orElse(JSON.createArrayNode())) {
            if (!keep.test(row)) {
                continue;
            }
            String uid = text(row, "0020000D");
            allowed(lends, uid, authorization);
            try {
                out.add(new Match(uid, JSON.writeValueAsBytes(rewriteUrls(row, retrieveUrl, thisBase))));
            } catch (IOException e) {
                throw new UncheckedIOException(e); // a tree read from JSON is written back
            }
        }
        return out;
    }

    /**
     * The source's QIDO-RS answer (DICOM JSON) to a query, asked with these credentials; empty when there is none: a
     * source that cannot be reached is named in a warning, a refusal is logged.
     */
    private Optional<JsonNode> queryAt(String sourceNode, URI uri, String authorization, List<String> warnings) {
        try {
            return Optional.of(client.fetch(sourceNode, uri, authorization, "application/dicom+json",
                    rs -> JSON.readTree(limited(rs.body(), MAX_QUERY_ANSWER))));
        } catch (SourceUnavailableException e) {
            warnings.add(warning("studies held by node " + sourceNode + " are not listed: " + e.getMessage()));
        } catch (SourceClient.RefusedException e) {
            log.warn("node {} refused a study query ({}: {})", sourceNode, e.status(), e.getMessage());
        } catch (IOException e) {
            warnings.add(warning("studies held by node " + sourceNode + " are not listed: " + e.getMessage()));
        }
        return Optional.empty();
    }

    /** The patient's entries in the index, asked with the caller's own token. */
    List<IndexEntry> lookUp(NationalId who, String authorization) {
        IndexLocation where = index.get();
        URI uri = URI.create(where.baseUrl() + "/index/v1/patients/" + enc(who.issuer()) + "/" + enc(who.id())
                + "/studies");
        try {
            return client.fetch(where.node(), uri, authorization, "application/json",
                    rs -> JSON.readValue(limited(rs.body(), MAX_INDEX_ANSWER), new TypeReference<List<IndexEntry>>() {
                    }));
        } catch (SourceClient.RefusedException e) {
            if (e.status() != 404) {
                log.warn("the index (node {}) refused a lookup ({}): {}", where.node(), e.status(), e.getMessage());
            }
            return List.of();
        }
    }

    /** The person a study query names: a national identity, a local patient linked to one, or a patient caller. */
    NationalId patientOf(Caller caller, Map<String, List<String>> parameters) {
        String pid = value(parameters, "PatientID", "00100020");
        String issuer = value(parameters, "IssuerOfPatientID", "00100021");
        if (pid == null) {
            return "patient".equals(caller.role()) ? NationalId.parseCx(caller.id()) : null;
        }
        if (pid.isEmpty() || pid.matches(".*[*?,\\\\].*")) {
            return null; // a pattern or a list names no one patient
        }
        try {
            if (issuer != null && spaceProps.nationalIssuers().contains(issuer)) {
                return new NationalId(pid, issuer);
            }
            return space.identityOf(pid, issuer == null ? "" : issuer).orElse(null);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** A well-formed index entry of that patient (whether its address is followed is {@link TrustedSources}'). */
    private static boolean usable(IndexEntry e, NationalId who) {
        try {
            return e != null && who.equals(e.validated().patient().nationalId());
        } catch (IllegalArgumentException ex) {
            log.warn("index entry ignored: {}", ex.getMessage());
            return false;
        }
    }

    /**
     * The caller's query keys for the source, without those that name the patient here, the paging and the study
     * UIDs (and the series UIDs when {@code seriesNamed}: this node names the series).
     */
    static String forwardedQuery(Map<String, List<String>> parameters, boolean seriesNamed) {
        StringBuilder sb = new StringBuilder();
        parameters.forEach((k, values) -> {
            String lower = k.toLowerCase(Locale.ROOT);
            if (PATIENT_KEYS.contains(lower) || NOT_FORWARDED.contains(lower)
                    || seriesNamed && (lower.equals("seriesinstanceuid") || lower.equals("0020000e"))) {
                return;
            }
            for (String v : values) {
                sb.append('&').append(enc(k)).append('=').append(enc(v));
            }
        });
        return sb.toString();
    }

    private static String value(Map<String, List<String>> parameters, String... names) {
        for (Map.Entry<String, List<String>> p : parameters.entrySet()) {
            for (String n : names) {
                if (p.getKey().equalsIgnoreCase(n) && !p.getValue().isEmpty()) {
                    return String.join(",", p.getValue()).strip();
                }
            }
        }
        return null;
    }

    private static String warning(String text) {
        return "299 imaging-node: \"" + text.replace('"', '\'').replaceAll("[^\\x20-\\x7E]", "?") + "\"";
    }

    // ------------------------------------------------------------------ helpers

    /** The value of a {@code Content-Digest} header's sha-256 member, in hex; null when absent or unreadable. */
    static String sha256Of(String contentDigest) {
        if (contentDigest == null) {
            return null;
        }
        Matcher m = DIGEST.matcher(contentDigest);
        if (!m.find()) {
            return null;
        }
        try {
            byte[] b = Base64.getDecoder().decode(m.group(1));
            return b.length == 32 ? HexFormat.of().formatHex(b) : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** A URL of the source's DICOMweb resources, pointing at this node instead. */
    static String rewriteUrl(String value, String sourceBase, String thisBase) {
        if (value.startsWith(sourceBase + "/")) {
            return thisBase + value.substring(sourceBase.length());
        }
        if (value.startsWith("http://") || value.startsWith("https://")) {
            int i = value.indexOf("/studies/");
            return i < 0 ? value : thisBase + value.substring(i);
        }
        return value;
    }

    /** Copies DICOM JSON, rewriting every URL of a source resource (RetrieveURL, BulkDataURI) to this node. */
    static void rewriteUrls(InputStream in, OutputStream out, String sourceBase, String thisBase) throws IOException {
        try (JsonParser p = JSON_FACTORY.createParser(in);
                JsonGenerator g = JSON_FACTORY.createGenerator(out).disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET)) {
            JsonToken t;
            while ((t = p.nextToken()) != null) {
                if (t == JsonToken.VALUE_STRING) {
                    g.writeString(rewriteUrl(p.getText(), sourceBase, thisBase));
                } else {
                    g.copyCurrentEvent(p);
                }
            }
        }
    }

    private static JsonNode rewriteUrls(JsonNode node, String sourceBase, String thisBase) {
        if (node instanceof ObjectNode o) {
            o.fields().forEachRemaining(e -> e.setValue(rewriteUrls(e.getValue(), sourceBase, thisBase)));
        } else if (node instanceof ArrayNode a) {
            for (int i = 0; i < a.size(); i++) {
                a.set(i, rewriteUrls(a.get(i), sourceBase, thisBase));
            }
        } else if (node.isTextual()) {
            return TextNode.valueOf(rewriteUrl(node.asText(), sourceBase, thisBase));
        }
        return node;
    }

    private static String text(JsonNode dicomJson, String tag) {
        JsonNode v = dicomJson.path(tag).path("Value").path(0);
        return v.isTextual() ? v.asText() : null;
    }

    private static InputStream limited(InputStream in, int max) throws IOException {
        byte[] b = in.readNBytes(max + 1);
        if (b.length > max) {
            throw new IOException("answer larger than " + (max >> 20) + " MB");
        }
        return new ByteArrayInputStream(b);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
