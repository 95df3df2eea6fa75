package org.imagingnode.bridge.dimse;

import java.net.InetAddress;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.imagingnode.bridge.security.Action;
import org.imagingnode.bridge.security.DimseCallers;

/**
 * The remote AEs the node knows: who may call it and with which permissions, and where C-MOVE
 * destinations live. Deny by default: an AE that is not listed has no permission at all. The node's
 * authorisation point ({@link org.imagingnode.bridge.security.AccessGuard}) decides DIMSE operations with it.
 */
public final class AeRegistry implements DimseCallers {

    /** A C-MOVE destination. */
    public record RemoteAe(String aeTitle, String host, int port) {
    }

    private final Map<String, Set<Permission>> callers;
    /** The addresses some callers are bound to; a caller not in here may connect from anywhere. */
    private final Map<String, CallerOrigin> origins;
    private final Map<String, RemoteAe> destinations;

    private AeRegistry(Map<String, Set<Permission>> callers, Map<String, CallerOrigin> origins,
            Map<String, RemoteAe> destinations) {
        this.callers = Map.copyOf(callers);
        this.origins = Map.copyOf(origins);
        this.destinations = Map.copyOf(destinations);
    }

    /**
     * Parses the compact forms of {@link DimseProperties}: {@code "AE=perm|perm, AE2=perm@origin"}
     * (origin: an IP address, a CIDR network or a host name the AE must connect from) and
     * {@code "AE=host:port, ..."}.
     *
     * @throws IllegalArgumentException naming the faulty entry
     */
    public static AeRegistry parse(String callingAes, String moveDestinations) {
        Map<String, Set<Permission>> callers = new LinkedHashMap<>();
        Map<String, CallerOrigin> origins = new LinkedHashMap<>();
        for (String entry : entries(callingAes)) {
            String[] kv = keyValue(entry, "node.dimse.calling-aes", "AE=store|query|retrieve[@address]");
            if (callers.containsKey(kv[0])) {
                throw new IllegalArgumentException("node.dimse.calling-aes: " + kv[0] + " is listed twice");
            }
            String permissions = kv[1];
            int at = permissions.indexOf('@');
            if (at >= 0) {
                try {
                    origins.put(kv[0], CallerOrigin.parse(permissions.substring(at + 1)));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("node.dimse.calling-aes: " + kv[0] + ": " + e.getMessage(), e);
                }
                permissions = permissions.substring(0, at);
            }
            Set<Permission> perms = EnumSet.noneOf(Permission.class);
            for (String p : permissions.split("[|+]")) {
                try {
                    perms.add(Permission.valueOf(p.strip().toUpperCase(Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("node.dimse.calling-aes: unknown permission '" + p.strip()
                            + "' for " + kv[0] + " (use store, query, retrieve)");
                }
            }
            callers.put(kv[0], perms);
        }
        Map<String, RemoteAe> destinations = new LinkedHashMap<>();
        for (String entry : entries(moveDestinations)) {
            String[] kv = keyValue(entry, "node.dimse.move-destinations", "AE=host:port");
            int colon = kv[1].lastIndexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("node.dimse.move-destinations: '" + entry
                        + "' must be AE=host:port");
            }
            String host = kv[1].substring(0, colon).strip();
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            int port;
            try {
                port = Integer.parseInt(kv[1].substring(colon + 1).strip());
            } catch (NumberFormatException e) {
                port = -1;
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("node.dimse.move-destinations: bad port in '" + entry + "'");
            }
            destinations.put(kv[0], new RemoteAe(kv[0], host, port));
        }
        return new AeRegistry(callers, origins, destinations);
    }

    private static String[] entries(String list) {
        return list == null || list.isBlank() ? new String[0] : list.split("\\s*[,;]\\s*");
    }

    private static String[] keyValue(String entry, String property, String form) {
        int eq = entry.indexOf('=');
        if (eq <= 0 || eq == entry.length() - 1) {
            throw new IllegalArgumentException(property + ": '" + entry + "' must be " + form);
        }
        String ae = entry.substring(0, eq).strip();
        if (ae.isEmpty() || ae.length() > 16 || ae.contains("\\")) {
            throw new IllegalArgumentException(property + ": '" + ae + "' is not a valid AE title");
        }
        return new String[] {ae, entry.substring(eq + 1).strip()};
    }

    public boolean isKnownCaller(String aeTitle) {
        return callers.containsKey(aeTitle);
    }

    /** Whether a known caller connects from where it is bound to (anywhere, when it is not bound). */
    public boolean isAtItsOrigin(String aeTitle, InetAddress from) {
        CallerOrigin origin = origins.get(aeTitle);
        return origin == null || origin.matches(from);
    }

    /** Where a caller is bound to connect from, for messages; empty when it is not bound. */
    public Optional<String> originOf(String aeTitle) {
        return Optional.ofNullable(origins.get(aeTitle)).map(CallerOrigin::toString);
    }

    public boolean may(String aeTitle, Permission permission) {
        return callers.getOrDefault(aeTitle, Set.of()).contains(permission);
    }

    @Override
    public boolean permits(String callingAeTitle, Action action) {
        return may(callingAeTitle, switch (action) {
            case STORE -> Permission.STORE;
            case QUERY -> Permission.QUERY;
            case RETRIEVE -> Permission.RETRIEVE;
        });
    }

    public Optional<RemoteAe> destination(String aeTitle) {
        return Optional.ofNullable(destinations.get(aeTitle));
    }

    public int callerCount() {
        return callers.size();
    }

    public int destinationCount() {
        return destinations.size();
    }
}
