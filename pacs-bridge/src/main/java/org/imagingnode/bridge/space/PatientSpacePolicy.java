package org.imagingnode.bridge.space;

import java.text.ParseException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jwt.SignedJWT;

import org.imagingnode.bridge.auth.InvalidTokenException;
import org.imagingnode.bridge.auth.TokenVerifier;
import org.imagingnode.bridge.auth.VerifiedToken;
import org.imagingnode.bridge.index.Visibility;
import org.imagingnode.bridge.security.AccessRequest;
import org.imagingnode.bridge.security.Action;
import org.imagingnode.bridge.security.Caller;
import org.imagingnode.bridge.security.ConcealingPolicy;
import org.imagingnode.bridge.security.Decision;
import org.imagingnode.viewer.InvalidViewerTokenException;
import org.imagingnode.viewer.ViewerScope;
import org.imagingnode.viewer.ViewerToken;
import org.imagingnode.viewer.ViewerTokenService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code node.security.mode=tokens}: the patient space's rules, for bearer-token callers.
 *
 * <p>Who is calling ({@link #authenticate}):
 * <ul>
 * <li>an OpenID Connect token (see {@link TokenVerifier}) with a patient claim: role {@code patient}, id the
 * national identifier in CX form ({@code id^^^&issuer&ISO});</li>
 * <li>one with a professional identifier claim: role {@code professional}, id that identifier;</li>
 * <li>a viewer token issued by the node's Weasis launch: role {@code viewer}, id the subject it was issued to;</li>
 * <li>a patient's share link ({@code sl.<id>.<secret>}): role {@code share-link};</li>
 * <li>anything else (missing, malformed, forged, expired, other issuer or audience): anonymous, so 401.</li>
 * </ul>
 * A valid token without a patient or professional claim is authenticated but gets nothing (403).
 *
 * <p>Rules, per study ({@link #decide}):
 * <ul>
 * <li>a patient sees the studies linked to their national identity, and those of the persons they are the
 * confirmed guardian or the trusted person of; nothing else, and stores nothing;</li>
 * <li>a professional sees a linked study unless the patient hid it or blocked that professional, except during
 * an emergency ("break the glass") grant of theirs for that patient, which opens everything of the patient;
 * studies linked to nobody are seen only by professionals of this site ({@code node.space.organisation});</li>
 * <li>a viewer token opens what its scope covers, with the rules of the person it was issued to;</li>
 * <li>a share link opens its one study until it expires or is revoked.</li>
 * </ul>
 * Refusals of a study are answered 404 ({@link ConcealingPolicy}): a refusal never confirms a study exists.
 *
 * <p>Per-study decisions are remembered for a second (a query or a viewer asks the same question for every
 * instance of a study); any change made through {@link PatientSpace} on this node forgets them at once, a
 * change made on another node sharing the database takes effect within that second.
 */
public class PatientSpacePolicy implements ConcealingPolicy {
    private static final Logger log = LoggerFactory.getLogger(PatientSpacePolicy.class);
    public static final String PATIENT = "patient";
    public static final String PROFESSIONAL = "professional";
    public static final String VIEWER = "viewer";
    public static final String SHARE_LINK = "share-link";
    public static final String THUMBNAIL_LINK = "thumbnail-link";
    private static final Pattern STUDY_THUMBNAIL =
            Pattern.compile("/studies/([0-9.]{1,64})/thumbnail");

    /** How long a per-study decision is remembered (changes made on this node forget them at once). */
    private static final long MEMORY_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final int MEMORY_SIZE = 5000;

    private final Map<String, Remembered> memory = new ConcurrentHashMap<>();
    private final PatientSpace space;
    private final TokenVerifier tokens;
    private final ViewerTokenService viewerTokens;
    private final SpaceProperties props;
    private final ThumbnailLinks thumbnails;

    public PatientSpacePolicy(PatientSpace space, TokenVerifier tokens, ViewerTokenService viewerTokens,
            SpaceProperties props, ThumbnailLinks thumbnails) {
        this.space = space;
        this.tokens = tokens;
        this.viewerTokens = viewerTokens;
        this.props = props;
        this.thumbnails = thumbnails;
    }

    /** A thumbnail link ({@link ThumbnailLinks}) on the thumbnail of the study it was signed for; nothing else. */
    @Override
    public Caller authenticateUrl(String token, String path, String remoteAddress) {
        Matcher m = STUDY_THUMBNAIL.matcher(path == null ? "" : path);
        return m.matches() ? thumbnails.verify(token, m.group(1))
                .map(subject -> new Caller(subject, THUMBNAIL_LINK, token, remoteAddress))
                .orElseGet(() -> Caller.anonymous(null, remoteAddress)) : Caller.anonymous(null, remoteAddress);
    }

    @Override
    public Caller authenticate(String authorization, String remoteAddress) {
        try {
            String token = bearer(authorization);
            if (token == null) {
                return Caller.anonymous(authorization, remoteAddress);
            }
            if (token.startsWith(PatientSpace.SHARE_TOKEN_PREFIX)) {
                return space.shareGrant(token)
                        .map(g -> new Caller("share-link:" + g.id(), SHARE_LINK, authorization, remoteAddress))
                        .orElseGet(() -> Caller.anonymous(authorization, remoteAddress));
            }
            if (isViewerToken(token)) {
                ViewerToken v = viewerTokens.verify(token);
                return new Caller(v.subject(), VIEWER, authorization, remoteAddress);
            }
            VerifiedToken t = tokens.verify(token);
            if (t.isPatient()) {
                NationalId who = patientOf(t);
                return who == null ? new Caller(t.subject(), "authenticated", authorization, remoteAddress)
                        : new Caller(who.cx(), PATIENT, authorization, remoteAddress);
            }
            if (t.isProfessional()) {
                return new Caller(t.professionalId(), PROFESSIONAL, authorization, remoteAddress);
            }
            return new Caller(t.subject(), "authenticated", authorization, remoteAddress);
        } catch (InvalidTokenException | InvalidViewerTokenException e) {
            log.debug("rejected bearer token from {}: {}", remoteAddress, e.getMessage());
            return Caller.anonymous(authorization, remoteAddress);
        } catch (RuntimeException e) {
            log.warn("could not check a bearer token from {}: {}", remoteAddress, e.toString());
            return Caller.anonymous(authorization, remoteAddress);
        }
    }

    @Override
    public Decision decide(AccessRequest r) {
        Caller caller = r.caller();
        String role = caller.role();
        if (r.isEndpointLevel()) {
            return switch (role) {
                case PROFESSIONAL -> Decision.allow("professional");
                case THUMBNAIL_LINK -> r.action() == Action.RETRIEVE ? Decision.allow(role)
                        : Decision.deny("a thumbnail link only shows a thumbnail");
                case PATIENT, VIEWER, SHARE_LINK -> r.action() == Action.STORE ? Decision.deny(role + " may not store")
                        : Decision.allow(role);
                case "anonymous" -> Decision.deny("no valid bearer token");
                default -> Decision.deny("token names neither a patient nor a professional");
            };
        }
        String pid = r.patientId() == null ? "" : r.patientId();
        String issuer = r.issuerOfPatientId() == null ? "" : r.issuerOfPatientId();
        String study = r.studyInstanceUid();
        // a query or a viewer asks the same question for every instance of a study: remember answers briefly
        String key = role + '\u0000' + caller.id() + '\u0000' + caller.authorization() + '\u0000' + pid + '\u0000'
                + issuer + '\u0000' + study + '\u0000' + r.seriesInstanceUid() + '\u0000' + r.action();
        long generation = space.generation();
        long now = System.nanoTime();
        Remembered m = memory.get(key);
        if (m != null && m.generation() == generation && now - m.at() < MEMORY_NANOS) {
            return m.decision();
        }
        Decision d = decideStudy(caller, role, pid, issuer, study, r.seriesInstanceUid(), r.action());
        if (memory.size() > MEMORY_SIZE) {
            memory.clear();
        }
        memory.put(key, new Remembered(d, generation, now));
        return d;
    }

    private record Remembered(Decision decision, long generation, long at) {
    }

    /** The same rules as {@link #decide}, for a whole query: what the caller may find. */
    @Override
    public Visibility visibility(Caller caller, String channel, Action action) {
        if (action == Action.STORE) {
            return Visibility.NONE;
        }
        return switch (caller.role()) {
            case PATIENT -> {
                NationalId who = NationalId.parseCx(caller.id());
                yield who == null ? Visibility.NONE : space.patientVisibility(who);
            }
            case PROFESSIONAL -> space.professionalVisibility(caller.id(),
                    props.organisation() != null && props.organisation().equals(organisationOf(caller)));
            case VIEWER -> viewerVisibility(caller);
            case SHARE_LINK -> space.shareGrant(bearer(caller.authorization()))
                    .map(g -> Visibility.where("st.study_instance_uid = ?", g.studyInstanceUid()))
                    .orElse(Visibility.NONE);
            default -> Visibility.NONE;
        };
    }

    /** A viewer token's scope, and within it what the person it was issued to may see. */
    private Visibility viewerVisibility(Caller caller) {
        ViewerToken v;
        try {
            v = viewerTokens.verify(bearer(caller.authorization()));
        } catch (InvalidViewerTokenException | RuntimeException e) {
            return Visibility.NONE;
        }
        ViewerScope s = v.scope();
        Visibility scope = switch (s.level()) {
            case PATIENT -> Visibility.where("p.patient_id = ? AND p.issuer = ?", s.patientId(),
                    s.issuerOfPatientId() == null ? "" : s.issuerOfPatientId());
            case STUDY -> Visibility.where("st.study_instance_uid = ?", s.studyInstanceUid());
            case SERIES -> Visibility.where("st.study_instance_uid = ?", s.studyInstanceUid())
                    .onlySeries(s.seriesInstanceUid());
        };
        NationalId patient = NationalId.parseCx(v.subject());
        // unlinked studies: the launch was allowed for this professional minutes ago (as decide says)
        return scope.and(patient != null ? space.patientVisibility(patient)
                : space.professionalVisibility(v.subject(), true));
    }

    private Decision decideStudy(Caller caller, String role, String pid, String issuer, String study, String series,
            Action action) {
        return switch (role) {
            case PATIENT -> patient(NationalId.parseCx(caller.id()), pid, issuer, action);
            case PROFESSIONAL -> professional(caller, pid, issuer, study, action);
            case VIEWER -> viewer(caller, pid, issuer, study, series, action);
            case SHARE_LINK -> shareLink(caller, study, action);
            case THUMBNAIL_LINK -> thumbnails.verify(caller.authorization(), study).isPresent()
                    ? patient(NationalId.parseCx(caller.id()), pid, issuer, action)
                    : Decision.deny("outside the thumbnail link");
            default -> Decision.deny("not authenticated");
        };
    }

    private Decision patient(NationalId who, String pid, String issuer, Action action) {
        if (who == null || action == Action.STORE) {
            return Decision.deny("patients do not store");
        }
        return space.patientMaySee(pid, issuer, who) ? Decision.allow("own study")
                : Decision.deny("not a study of this patient");
    }

    private Decision professional(Caller caller, String pid, String issuer, String study, Action action) {
        if (action == Action.STORE) {
            return Decision.allow("professional store");
        }
        PatientSpace.ProfessionalView v = space.professionalView(pid, issuer, study, caller.id());
        if (!v.linked()) {
            String org = organisationOf(caller);
            return props.organisation() != null && props.organisation().equals(org)
                    ? Decision.allow("unlinked study, professional of this site")
                    : Decision.deny("study not linked to a patient space; source site only");
        }
        return professionalRules(v);
    }

    private static Decision professionalRules(PatientSpace.ProfessionalView v) {
        if (v.breakGlass()) {
            return Decision.allow("break-glass");
        }
        if (v.blocked()) {
            return Decision.deny("professional blocked by the patient");
        }
        if (v.hidden()) {
            return Decision.deny("study hidden by the patient");
        }
        return Decision.allow("patient space");
    }

    /**
     * One study of a person named by their national identity (an entry of the patient-space index): the person
     * themself, their confirmed guardian or trusted person, or a professional under the person's rules (hidden
     * study, blocked professional, emergency access).
     */
    public Decision decideForPerson(Caller caller, NationalId person, String studyUid) {
        return switch (caller.role()) {
            case PATIENT -> {
                NationalId me = NationalId.parseCx(caller.id());
                yield me != null && space.mayActFor(me, person, false) ? Decision.allow("own study")
                        : Decision.deny("not a study of this patient");
            }
            case PROFESSIONAL -> professionalRules(space.professionalView(person, studyUid, caller.id()));
            default -> Decision.deny("neither the patient nor a professional");
        };
    }

    private Decision viewer(Caller caller, String pid, String issuer, String study, String series, Action action) {
        if (action == Action.STORE) {
            return Decision.deny("viewer tokens do not store");
        }
        ViewerToken v;
        try {
            v = viewerTokens.verify(bearer(caller.authorization()));
        } catch (InvalidViewerTokenException | RuntimeException e) {
            return Decision.deny("viewer token no longer valid");
        }
        ViewerScope s = v.scope();
        boolean covered = switch (s.level()) {
            case PATIENT -> s.covers(pid, issuer, null, null);
            case STUDY -> s.studyInstanceUid().equals(study);
            // a series token opens its series and the objects in it; of the study as a whole, only the row a
            // query finds (its series and instances are held to the series by the query's visibility)
            case SERIES -> series == null ? action == Action.QUERY && s.studyInstanceUid().equals(study)
                    : s.covers(pid, issuer, study, series);
        };
        if (!covered) {
            return Decision.deny("outside the viewer token's scope");
        }
        NationalId patient = NationalId.parseCx(v.subject());
        if (patient != null) {
            return patient(patient, pid, issuer, action);
        }
        PatientSpace.ProfessionalView pv = space.professionalView(pid, issuer, study, v.subject());
        // unlinked: the launch was allowed for this professional minutes ago
        return pv.linked() ? professionalRules(pv) : Decision.allow("viewer token, unlinked study");
    }

    private Decision shareLink(Caller caller, String study, Action action) {
        if (action == Action.STORE) {
            return Decision.deny("share links do not store");
        }
        Optional<PatientSpace.ShareGrant> g = space.shareGrant(bearer(caller.authorization()));
        return g.isPresent() && g.get().studyInstanceUid().equals(study) ? Decision.allow("share link " + g.get().id())
                : Decision.deny("outside the share link");
    }

    /** The verified token of a caller this policy authenticated (from the verifier's memory). */
    VerifiedToken token(Caller caller) {
        try {
            return tokens.verify(bearer(caller.authorization()));
        } catch (InvalidTokenException | RuntimeException e) {
            return null;
        }
    }

    @Override
    public String organisationOf(Caller caller) {
        VerifiedToken t = token(caller);
        return t == null ? null : t.organisation();
    }

    NationalId patientOf(VerifiedToken t) {
        try {
            return new NationalId(t.patientId(), t.patientIdIssuer() == null ? props.defaultIssuer() : t.patientIdIssuer());
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    static String bearer(String authorization) {
        if (authorization == null) {
            return null;
        }
        String a = authorization.strip();
        if (a.length() < 8 || !a.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String t = a.substring(7).strip();
        return t.isEmpty() ? null : t;
    }

    private static boolean isViewerToken(String token) {
        if (token.chars().filter(c -> c == '.').count() != 2) {
            return false;
        }
        try {
            JOSEObjectType type = SignedJWT.parse(token).getHeader().getType();
            return type != null && ViewerTokenService.TOKEN_TYPE.equals(type.getType());
        } catch (ParseException | RuntimeException e) {
            return false;
        }
    }

    @Override
    public String describe() {
        return "tokens: bearer tokens (OpenID Connect) for patients and professionals, under the patient space's"
                + " rules (own studies; hidden studies, blocked professionals, emergency access, share links)";
    }
}
