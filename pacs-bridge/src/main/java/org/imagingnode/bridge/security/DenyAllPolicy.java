package org.imagingnode.bridge.security;

/** {@code node.security.mode=deny} (the default): every DICOMweb and WADO-URI request is refused. */
public final class DenyAllPolicy implements AccessPolicy {
    @Override
    public Decision decide(AccessRequest request) {
        return Decision.deny("node.security.mode=deny");
    }

    @Override
    public String describe() {
        return "deny: every DICOMweb and WADO-URI request is refused (401). For local development set"
                + " node.security.mode=open-dev (env NODE_SECURITY_MODE=open-dev); never on a network others reach.";
    }
}
