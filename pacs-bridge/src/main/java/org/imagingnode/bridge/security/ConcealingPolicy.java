package org.imagingnode.bridge.security;

/**
 * An {@link AccessPolicy} whose per-resource refusals of authenticated callers must look like "not found"
 * ({@link ConcealedResourceException}, 404) rather than 403, so that a refusal never confirms that a
 * patient's study exists.
 */
public interface ConcealingPolicy extends AccessPolicy {
}
