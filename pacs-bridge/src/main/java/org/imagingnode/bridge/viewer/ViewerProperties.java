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
 */
@ConfigurationProperties("node.viewer")
public record ViewerProperties(String tokenSecret, Duration tokenLifetime, String tokenIssuer) {
    public ViewerProperties {
        tokenSecret = tokenSecret == null || tokenSecret.isBlank() ? null : tokenSecret.strip();
        tokenLifetime = tokenLifetime == null ? Duration.ofMinutes(30) : tokenLifetime;
        tokenIssuer = tokenIssuer == null || tokenIssuer.isBlank() ? "imaging-node" : tokenIssuer.strip();
    }
}
