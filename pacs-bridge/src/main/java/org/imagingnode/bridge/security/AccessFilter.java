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
 */
public class AccessFilter extends OncePerRequestFilter {
    private final AccessGuard guard;
    private final String dicomWebPrefix;
    private final String wadoUriPath;

    public AccessFilter(AccessGuard guard, String dicomWebPrefix, String wadoUriPath) {
        this.guard = guard;
        this.dicomWebPrefix = dicomWebPrefix;
        this.wadoUriPath = wadoUriPath;
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
