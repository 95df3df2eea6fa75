package org.imagingnode.bridge.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Every DICOMweb and WADO-URI request passes here before any handler: the caller is identified and
 * the endpoint-level decision made (401/403 and an audit event when denied). Handlers then check each
 * patient/study through {@link AccessGuard#check}. CORS preflight requests are answered by the CORS
 * filter, which runs before this one.
 *
 * <p>A request another node makes for one of its users (sharing: a consumer node retrieving a study held
 * here) carries the user's own credentials in {@code Authorization}, decided by the policy like any other,
 * and the node's token in {@value #NODE_AUTHORIZATION}: that token must be valid (else 401), the channel is
 * then {@value #REMOTE_CHANNEL} and the audit trail names the node.
 */
public class AccessFilter extends OncePerRequestFilter {
    /** The header in which another node proves itself on requests it makes for one of its users. */
    public static final String NODE_AUTHORIZATION = "X-Node-Authorization";
    /** The audit channel of requests made through another node. */
    public static final String REMOTE_CHANNEL = "remote";

    /** Checks another node's token; returns its node id, or throws with a reason for the audit trail. */
    @FunctionalInterface
    public interface NodeAuthenticator {
        String nodeOf(String header) throws Exception;
    }

    private final AccessGuard guard;
    private final String dicomWebPrefix;
    private final String wadoUriPath;
    private final NodeAuthenticator nodes;

    /** @param nodes checks node tokens; null when this node accepts none */
    public AccessFilter(AccessGuard guard, String dicomWebPrefix, String wadoUriPath, NodeAuthenticator nodes) {
        this.guard = guard;
        this.dicomWebPrefix = dicomWebPrefix;
        this.wadoUriPath = wadoUriPath;
        this.nodes = nodes;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        String path = path(request);
        return !(path.equals(wadoUriPath) || path.equals(dicomWebPrefix) || path.startsWith(dicomWebPrefix + "/"));
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String path = path(request);
        String channel = path.equals(wadoUriPath) ? "WADO-URI" : "DICOMweb";
        String authorization = request.getHeader("Authorization");
        String urlToken = authorization == null && channel.equals("DICOMweb") ? request.getParameter("token") : null;
        Caller caller = urlToken != null
                ? guard.policy().authenticateUrl(urlToken, path.substring(dicomWebPrefix.length()), request.getRemoteAddr())
                : guard.policy().authenticate(authorization, request.getRemoteAddr());
        String nodeHeader = request.getHeader(NODE_AUTHORIZATION);
        if (nodeHeader != null) {
            String node;
            try {
                if (nodes == null) {
                    throw new IllegalStateException("this node accepts no node tokens");
                }
                node = nodes.nodeOf(nodeHeader);
            } catch (Exception e) {
                guard.audit(caller, REMOTE_CHANNEL, actionOf(request.getMethod(), path), null, null, "denied",
                        request.getMethod() + " " + path + ": node token refused: " + e.getMessage());
                response.setStatus(HttpServletResponse.SC_UNAUTHORIZED);
                response.setContentType("text/plain;charset=UTF-8");
                response.getOutputStream().write("node authentication failed".getBytes(StandardCharsets.UTF_8));
                return;
            }
            channel = REMOTE_CHANNEL;
            // who asked, and through which node: what the patient's access history shows as "from where"
            caller = new Caller(caller.id(), caller.role(), caller.authorization(),
                    "node " + node + " (" + request.getRemoteAddr() + ")");
        }
        request.setAttribute(AccessGuard.CALLER, caller);
        request.setAttribute(AccessGuard.CHANNEL, channel);
        Action action = actionOf(request.getMethod(), path);
        Decision d = guard.authorize(AccessRequest.endpoint(caller, channel, action), request.getMethod() + " " + path);
        if (!d.allowed()) {
            boolean anonymous = "anonymous".equals(caller.role());
            response.setStatus(anonymous ? HttpServletResponse.SC_UNAUTHORIZED : HttpServletResponse.SC_FORBIDDEN);
            if (anonymous) {
                response.setHeader("WWW-Authenticate", "Bearer realm=\"imaging-node\"");
            }
            response.setContentType("text/plain;charset=UTF-8");
            response.getOutputStream().write((anonymous ? "authentication required" : "access denied")
                    .getBytes(StandardCharsets.UTF_8));
            return;
        }
        chain.doFilter(request, response);
    }

    /** POST stores; a GET of a collection (…/studies, …/series, …/instances) queries; anything else retrieves. */
    static Action actionOf(String method, String path) {
        if ("POST".equalsIgnoreCase(method)) {
            return Action.STORE;
        }
        if (path.endsWith("/studies") || path.endsWith("/series") || path.endsWith("/instances")) {
            return Action.QUERY;
        }
        return Action.RETRIEVE;
    }

    private static String path(HttpServletRequest request) {
        String uri = request.getRequestURI();
        String context = request.getContextPath();
        String p = context != null && !context.isEmpty() && uri.startsWith(context) ? uri.substring(context.length()) : uri;
        while (p.length() > 1 && p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p;
    }
}
