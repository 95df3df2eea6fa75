package org.imagingnode.bridge.viewer;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Viewer settings (prefix {@code node.viewer}).
 *
 * @param tokenSecret   Base64 of at least 32 random bytes signing viewer tokens; every node of a site
 *                      shares it. Unset: a random secret per start (tokens die with the process, and
 *                      nodes behind one load balancer would refuse each other's tokens)
 * @param tokenLifetime how long a viewer token (in a Weasis launch or manifest) is accepted; default 30 min,
 *                      at most 12 h
 * @param tokenIssuer   the issuer named in the tokens and checked on verification; default {@code imaging-node}
 * @param oidcClientId  the portal's client id at the OpenID Connect provider {@code node.auth.issuer}: when set (and
 *                      {@code node.security.mode=tokens}), the portal signs people in there (authorization code
 *                      with PKCE); unset: no OpenID Connect sign-in
 * @param oidcScope     the scopes the portal asks for; default {@code openid profile}
 */
@ConfigurationProperties("node.viewer")
public record ViewerProperties(String tokenSecret, Duration tokenLifetime, String tokenIssuer, String oidcClientId,
        String oidcScope) {
    public ViewerProperties {
        tokenSecret = tokenSecret == null || tokenSecret.isBlank() ? null : tokenSecret.strip();
        tokenLifetime = tokenLifetime == null ? Duration.ofMinutes(30) : tokenLifetime;
        tokenIssuer = tokenIssuer == null || tokenIssuer.isBlank() ? "imaging-node" : tokenIssuer.strip();
        oidcClientId = oidcClientId == null || oidcClientId.isBlank() ? null : oidcClientId.strip();
        oidcScope = oidcScope == null || oidcScope.isBlank() ? "openid profile" : oidcScope.strip();
    }
}
