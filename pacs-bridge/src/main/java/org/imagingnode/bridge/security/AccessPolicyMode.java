package org.imagingnode.bridge.security;

/**
 * A value of {@code node.security.mode} provided by another package: a bean of this type named, say,
 * {@code tokens} makes {@code node.security.mode=tokens} select its policy (see {@link SecurityConfig}).
 */
public interface AccessPolicyMode {

    /** The value of {@code node.security.mode} that selects this policy. */
    String name();

    /** The policy (the same instance on every call). */
    AccessPolicy policy();
}
