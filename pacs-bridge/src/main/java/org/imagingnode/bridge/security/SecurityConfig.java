package org.imagingnode.bridge.security;

import java.util.Locale;

import org.imagingnode.bridge.audit.AuditLog;
import org.imagingnode.bridge.sharing.nodeauth.NodeTokenVerifier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;

/**
 * Selects the access policy from {@code node.security.mode} ({@code deny}, the default,
 * {@code open-dev}, or a mode another package provides as an {@link AccessPolicyMode} bean, such as the
 * patient space's {@code tokens}) and installs the access filter on the DICOMweb base path and the WADO-URI path.
 */
@Configuration
public class SecurityConfig {
    private static final Logger log = LoggerFactory.getLogger(SecurityConfig.class);
    /** The access filter runs right after the CORS filter (which answers preflights). */
    public static final int ACCESS_FILTER_ORDER = Ordered.HIGHEST_PRECEDENCE + 20;

    @Bean
    @ConditionalOnMissingBean(AccessPolicy.class)
    AccessPolicy accessPolicy(@Value("${node.security.mode:deny}") String mode, ObjectProvider<AccessPolicyMode> modes) {
        for (AccessPolicyMode m : modes.orderedStream().toList()) {
            if (m.name().equals(mode.strip().toLowerCase(Locale.ROOT))) {
                log.info("node.security.mode={}: {}", m.name(), m.policy().describe());
                return m.policy();
            }
        }
        return accessPolicy(mode);
    }

    /** The built-in modes ({@code deny}, {@code open-dev}); other packages add theirs as {@link AccessPolicyMode} beans. */
    AccessPolicy accessPolicy(String mode) {
        AccessPolicy policy = switch (mode.strip().toLowerCase(Locale.ROOT)) {
            case "deny" -> new DenyAllPolicy();
            case "open-dev" -> new OpenDevPolicy();
            default -> throw new IllegalArgumentException("node.security.mode must be 'deny', 'open-dev' or 'tokens',"
                    + " not '" + mode + "'");
        };
        if (policy instanceof OpenDevPolicy) {
            log.warn("node.security.mode=open-dev: {}", policy.describe());
        } else {
            log.info("node.security.mode={}: {}", mode.strip(), policy.describe());
        }
        return policy;
    }

    @Bean
    AccessGuard accessGuard(AccessPolicy policy, AuditLog audit, ObjectProvider<DimseCallers> dimseCallers) {
        return new AccessGuard(policy, audit, dimseCallers.getIfAvailable(() -> (ae, action) -> false));
    }

    @Bean
    FilterRegistrationBean<AccessFilter> accessFilter(AccessGuard guard,
            @Value("${node.dicomweb.base-path:/dicomweb}") String basePath,
            @Value("${node.dicomweb.wado-uri-path:/wado}") String wadoUriPath,
            ObjectProvider<NodeTokenVerifier> nodeTokens) {
        NodeTokenVerifier verifier = nodeTokens.getIfAvailable();
        FilterRegistrationBean<AccessFilter> reg = new FilterRegistrationBean<>(new AccessFilter(guard, basePath,
                wadoUriPath, verifier == null ? null : header -> verifier.verify(header).nodeId()));
        reg.setOrder(ACCESS_FILTER_ORDER);
        reg.addUrlPatterns("/*");
        reg.setName("nodeAccessFilter");
        return reg;
    }
}
