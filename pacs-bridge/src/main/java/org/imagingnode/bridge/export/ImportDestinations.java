package org.imagingnode.bridge.export;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.imagingnode.bridge.dimse.AeRegistry;

/**
 * Who may send studies to which AE ({@code node.pacs-import.destinations}): each destination is a configured C-MOVE
 * destination, bound to the organisations and professionals named for it. Deny by default: a professional not
 * named, or of an organisation not named, may send nowhere; no other kind of caller ever may.
 */
public final class ImportDestinations {
    private final Map<String, Set<String>> allowedBy;
    private final AeRegistry registry;

    private ImportDestinations(Map<String, Set<String>> allowedBy, AeRegistry registry) {
        this.allowedBy = allowedBy;
        this.registry = registry;
    }

    /**
     * Parses {@code "AE=organisation:ID|professional:ID, ..."}.
     *
     * @throws IllegalArgumentException naming the faulty entry, or an AE that is not a move destination
     */
    public static ImportDestinations parse(String config, AeRegistry registry) {
        Map<String, Set<String>> out = new LinkedHashMap<>();
        for (String entry : config == null || config.isBlank() ? new String[0] : config.split("\\s*[,;]\\s*")) {
            int eq = entry.indexOf('=');
            if (eq <= 0 || eq == entry.length() - 1) {
                throw new IllegalArgumentException("node.pacs-import.destinations: '" + entry
                        + "' must be AE=organisation:ID|professional:ID");
            }
            String ae = entry.substring(0, eq).strip();
            if (registry.destination(ae).isEmpty()) {
                throw new IllegalArgumentException("node.pacs-import.destinations: " + ae
                        + " is not in node.dimse.move-destinations");
            }
            Set<String> who = new LinkedHashSet<>();
            for (String w : entry.substring(eq + 1).split("\\|")) {
                String s = w.strip();
                int colon = s.indexOf(':');
                String kind = colon < 0 ? "" : s.substring(0, colon);
                if (!(kind.equals("organisation") || kind.equals("professional")) || colon == s.length() - 1) {
                    throw new IllegalArgumentException("node.pacs-import.destinations: '" + s + "' for " + ae
                            + " must be organisation:ID or professional:ID");
                }
                who.add(kind + ":" + s.substring(colon + 1).strip());
            }
            out.put(ae, Set.copyOf(who));
        }
        return new ImportDestinations(Collections.unmodifiableMap(out), registry);
    }

    /** The AEs a professional (their identifier, and their organisation or null) may send to, in configuration order. */
    public List<String> allowedFor(String professionalId, String organisation) {
        List<String> out = new ArrayList<>();
        allowedBy.forEach((ae, who) -> {
            if (who.contains("professional:" + professionalId)
                    || (organisation != null && who.contains("organisation:" + organisation))) {
                out.add(ae);
            }
        });
        return out;
    }

    /** The destination, if that professional may send to it. */
    public Optional<AeRegistry.RemoteAe> destination(String ae, String professionalId, String organisation) {
        return allowedFor(professionalId, organisation).contains(ae) ? registry.destination(ae) : Optional.empty();
    }

    public int size() {
        return allowedBy.size();
    }
}
