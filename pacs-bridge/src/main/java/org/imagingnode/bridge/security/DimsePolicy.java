package org.imagingnode.bridge.security;

import org.imagingnode.bridge.index.Visibility;

/**
 * The rule for DIMSE callers, whatever {@code node.security.mode} says about HTTP: a calling AE may do what
 * its registered permissions allow, on every patient and study (a DICOM peer is a trusted system of the site,
 * not a person the patient space knows).
 */
final class DimsePolicy implements AccessPolicy {
    private final DimseCallers callers;

    DimsePolicy(DimseCallers callers) {
        this.callers = callers;
    }

    @Override
    public Decision decide(AccessRequest request) {
        Caller caller = request.caller();
        if (!caller.isDimse()) {
            return Decision.deny("not a DIMSE caller");
        }
        return callers.permits(caller.id(), request.action())
                ? Decision.allow("calling AE permitted to " + request.action().auditName())
                : Decision.deny("calling AE may not " + request.action().auditName());
    }

    /** All or nothing: per-AE permissions know no patient. */
    @Override
    public Visibility visibility(Caller caller, String channel, Action action) {
        return caller.isDimse() && callers.permits(caller.id(), action) ? Visibility.ALL : Visibility.NONE;
    }

    @Override
    public String describe() {
        return "DIMSE: per-AE permissions (node.dimse.calling-aes)";
    }
}
