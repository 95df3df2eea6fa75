package org.imagingnode.bridge.security;

import org.imagingnode.bridge.index.Visibility;

/**
 * The rules of the HTTP edges (DICOMweb, WADO-URI, viewers), applied by {@link AccessGuard}, the node's one
 * authorisation point (which decides DIMSE callers by their per-AE permissions): every request is first
 * {@linkplain #authenticate identified}, then {@linkplain #decide decided} once at the endpoint level
 * (no resource yet) and again for each patient/study it touches. Deny by default: an implementation
 * that does not know an answer denies.
 *
 * <p>Implementations today: {@link DenyAllPolicy} ({@code node.security.mode=deny}, the default) and
 * {@link OpenDevPolicy} ({@code open-dev}, local development only). The patient-space work plugs
 * token-based rules in here: {@link #authenticate} turns the request's credentials into a
 * {@link Caller}, {@link #decide} sees that caller, the channel, the action and the patient and
 * study of the resource.
 */
public interface AccessPolicy {

    /**
     * Who is calling. {@code authorization} is the raw Authorization header (or null); an
     * implementation that cannot validate it returns an anonymous caller, never throws.
     */
    default Caller authenticate(String authorization, String remoteAddress) {
        return Caller.anonymous(authorization, remoteAddress);
    }

    /**
     * Who is calling, from credentials carried in a URL's {@code token} parameter rather than a header (an
     * {@code <img>} sends no header). {@code path} is the resource's path under the DICOMweb base (e.g.
     * {@code /studies/1.2.3/thumbnail}): such credentials are bound to one resource. Default: none accepted.
     */
    default Caller authenticateUrl(String token, String path, String remoteAddress) {
        return Caller.anonymous(null, remoteAddress);
    }

    /**
     * The organisation (e.g. a FINESS number) a caller this policy authenticated acts for, or null when the
     * credentials name none; features bound to an organisation (such as sending a study to its PACS) use it.
     */
    default String organisationOf(Caller caller) {
        return null;
    }

    /** Allow or deny one access. Must be cheap: it runs for every request and every resource. */
    Decision decide(AccessRequest request);

    /**
     * What of the index a caller may find, as a restriction of the query's SQL (so that limit and offset page
     * over visible rows): the same rules as {@link #decide} for each study. Deny by default: nothing.
     */
    default Visibility visibility(Caller caller, String channel, Action action) {
        return Visibility.NONE;
    }

    /** One line for the start-up log: what this policy lets through. */
    String describe();
}
