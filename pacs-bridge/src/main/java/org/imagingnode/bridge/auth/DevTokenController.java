package org.imagingnode.bridge.auth;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.servlet.http.HttpServletRequest;

import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /dev/tokens} (only with {@code node.security.mode=tokens} and
 * {@code node.auth.dev-issuer.enabled=true}, and only from a loopback address to a loopback address, with no
 * proxy forwarding header: anything else is 404): signs a test token. Body,
 * JSON: {@code subject}, and either {@code patientId} (+ optional {@code patientIdIssuer}) or
 * {@code professionalId} (+ {@code profession}, {@code organisation}); optional {@code lifetimeSeconds}.
 * Answer: {@code {"token": "...", "expiresAt": "..."}}.
 */
@RestController
@ConditionalOnExpression("'${node.security.mode:deny}'.trim() == 'tokens' && '${node.auth.dev-issuer.enabled:false}' == 'true'")
public class DevTokenController {
    private final DevTokenIssuer issuer;
    private final AuthProperties props;

    DevTokenController(DevTokenIssuer issuer, AuthProperties props) {
        this.issuer = issuer;
        this.props = props;
    }

    public record TokenRequest(String subject, String patientId, String patientIdIssuer, String professionalId,
            String profession, String organisation, Long lifetimeSeconds) {
    }

    @PostMapping("/dev/tokens")
    public ResponseEntity<Map<String, Object>> issue(@RequestBody(required = false) TokenRequest body,
            HttpServletRequest rq) {
        if (!loopback(rq.getRemoteAddr()) || !loopback(rq.getLocalAddr()) || forwarded(rq)) {
            return ResponseEntity.status(HttpStatus.NOT_FOUND).build();
        }
        if (body == null || body.subject() == null || body.subject().isBlank()) {
            return ResponseEntity.badRequest().body(Map.of("error", "subject is required"));
        }
        Map<String, Object> claims = new LinkedHashMap<>();
        AuthProperties.Claims names = props.claims();
        claims.put(names.patientId(), body.patientId());
        claims.put(names.patientIdIssuer(), body.patientIdIssuer());
        claims.put(names.professionalId(), body.professionalId());
        claims.put(names.profession(), body.profession());
        claims.put(names.organisation(), body.organisation());
        Duration life = body.lifetimeSeconds() == null ? null : Duration.ofSeconds(body.lifetimeSeconds());
        String token;
        try {
            token = issuer.issue(body.subject().strip(), claims, life);
        } catch (IllegalArgumentException e) {
            return ResponseEntity.badRequest().body(Map.of("error", e.getMessage()));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("token", token);
        out.put("expiresAt", Instant.now().plus(life == null ? props.devIssuer().lifetime() : life).toString());
        return ResponseEntity.ok().cacheControl(CacheControl.noStore()).body(out);
    }

    /** A request relayed by a proxy (which may well run on this machine) is not a local caller. */
    static boolean forwarded(HttpServletRequest rq) {
        return rq.getHeader("Forwarded") != null || rq.getHeader("X-Forwarded-For") != null
                || rq.getHeader("X-Real-IP") != null || rq.getHeader("X-Forwarded-Host") != null;
    }

    static boolean loopback(String address) {
        if (address == null || address.isEmpty()) {
            return false;
        }
        try {
            // a literal address only: never a name lookup
            return (Character.digit(address.charAt(0), 16) >= 0 || address.indexOf(':') >= 0)
                    && InetAddress.getByName(address).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
