package org.imagingnode.bridge.viewer;

import java.net.URI;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.imagingnode.viewer.ViewerToken;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

/**
 * The zero-footprint web viewer. Its page and assets are classpath static resources of viewer-launcher
 * ({@code META-INF/resources/viewer/}); this controller serves the page at {@code /viewer/} and hands out
 * the portal at {@code /portal} ({@code /viewer/portal.html}), and launch links: {@code GET /viewer/web/studies/{study}}
 * (and {@code .../series/{series}}) answers, for a caller the access policy lets see the study, the viewer URL with a
 * study- (or series-) scoped viewer token in its fragment (the fragment never reaches a
 * server or its logs; the page moves the token into an Authorization header for DICOMweb).
 */
@RestController
public class WebViewerController {
    private final ViewerAccess access;
    private final Map<String, Object> loginOptions;

    WebViewerController(ViewerAccess access, ViewerProperties props,
            @Value("${node.security.mode:deny}") String mode, @Value("${node.auth.issuer:}") String issuer,
            @Value("${node.auth.dev-issuer.enabled:false}") boolean devIssuer) {
        this.access = access;
        Map<String, Object> options = new LinkedHashMap<>();
        String m = mode.strip().toLowerCase(Locale.ROOT);
        options.put("mode", m);
        boolean tokensMode = "tokens".equals(m);
        if (tokensMode && props.oidcClientId() != null && !issuer.isBlank()) {
            options.put("oidc", Map.of("authority", issuer.strip(), "clientId", props.oidcClientId(), "scope",
                    props.oidcScope()));
        }
        options.put("devLogin", tokensMode && devIssuer);
        this.loginOptions = Collections.unmodifiableMap(options);
    }

    /**
     * How the portal pages sign people in: {@code mode} (the node's security mode), {@code oidc} (authority, client
     * id and scope, when an OpenID Connect provider is configured for the portal) and {@code devLogin} (the dev
     * token form, only when the node's dev issuer is on).
     */
    @GetMapping(value = "/viewer/login-options", produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<Map<String, Object>> loginOptions() {
        return ResponseEntity.ok().cacheControl(CacheControl.noCache()).body(loginOptions);
    }

    @GetMapping("/viewer")
    public ResponseEntity<Void> toSlash(HttpServletRequest rq) {
        String q = rq.getQueryString();
        return ResponseEntity.status(HttpStatus.FOUND)
                .location(URI.create(rq.getContextPath() + "/viewer/" + (q == null ? "" : "?" + q))).build();
    }

    /** The portal page (a first piece: a professional finds a patient's studies and opens them). */
    @GetMapping({"/portal", "/portal/"})
    public ResponseEntity<Void> portal(HttpServletRequest rq) {
        String q = rq.getQueryString();
        return ResponseEntity.status(HttpStatus.FOUND)
                .location(URI.create(rq.getContextPath() + "/viewer/portal.html" + (q == null ? "" : "?" + q))).build();
    }

    /** The patient's pages (first piece): my studies, share links, hiding, blocked professionals, history. */
    @GetMapping({"/me", "/me/"})
    public ResponseEntity<Void> patientPages(HttpServletRequest rq) {
        String q = rq.getQueryString();
        return ResponseEntity.status(HttpStatus.FOUND)
                .location(URI.create(rq.getContextPath() + "/viewer/me.html" + (q == null ? "" : "?" + q))).build();
    }

    @GetMapping("/viewer/")
    public void page(HttpServletRequest rq, HttpServletResponse rs) throws Exception {
        rs.setHeader("Cache-Control", "no-cache");
        rs.setHeader("Referrer-Policy", "no-referrer");
        rs.setHeader("X-Content-Type-Options", "nosniff");
        rq.getRequestDispatcher("/viewer/index.html").forward(rq, rs);
    }

    @GetMapping(value = "/viewer/web/studies/{study}", produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<Map<String, Object>> launch(@PathVariable String study, HttpServletRequest rq) {
        return launch(rq, study, null);
    }

    /** A series only: the viewer opens it with a token that reaches no other series of the study. */
    @GetMapping(value = "/viewer/web/studies/{study}/series/{series}", produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<Map<String, Object>> launchSeries(@PathVariable String study, @PathVariable String series,
            HttpServletRequest rq) {
        return launch(rq, study, series);
    }

    private ResponseEntity<Map<String, Object>> launch(HttpServletRequest rq, String study, String series) {
        ViewerToken token = access.launch(rq, "web viewer", study, series).orElse(null);
        if (token == null) {
            return ResponseEntity.notFound().build();
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("studyInstanceUID", study);
        if (series != null) {
            body.put("seriesInstanceUID", series);
        }
        body.put("viewerUrl", NodeUrls.origin(rq) + "/viewer/?study=" + study
                + (series == null ? "" : "&series=" + series) + "#token=" + token.value());
        body.put("expiresAt", token.expiresAt().toString());
        return ResponseEntity.ok().cacheControl(CacheControl.noStore()).body(body);
    }
}
