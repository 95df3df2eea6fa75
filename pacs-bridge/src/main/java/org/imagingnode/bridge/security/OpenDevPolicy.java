package org.imagingnode.bridge.security;

import org.imagingnode.bridge.index.Visibility;

/**
 * {@code node.security.mode=open-dev}: everything is allowed, for local development and tests only.
 * Accesses are still audited.
 */
public final class OpenDevPolicy implements AccessPolicy {
    @Override
    public Decision decide(AccessRequest request) {
        return Decision.allow("open-dev");
    }

    @Override
    public Visibility visibility(Caller caller, String channel, Action action) {
        return Visibility.ALL;
    }

    @Override
    public String describe() {
        return "open-dev: EVERY DICOMweb and WADO-URI request is allowed without authentication."
                + " For local development only: never expose this node to a network in this mode.";
    }
}
