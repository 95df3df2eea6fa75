package org.imagingnode.bridge.security;

/**
 * The per-AE permissions that govern DIMSE callers ({@code node.dimse.calling-aes}), provided by the DIMSE
 * package. Deny by default: an AE it does not know may do nothing.
 */
@FunctionalInterface
public interface DimseCallers {

    /** Whether the calling AE may do this (C-STORE: store, C-FIND: query, C-GET and C-MOVE: retrieve). */
    boolean permits(String callingAeTitle, Action action);
}
