package org.imagingnode.bridge.dimse;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Locale;
import java.util.regex.Pattern;

import inet.ipaddr.AddressStringException;
import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;

/**
 * Where a calling AE may connect from: an IP address, a network in CIDR form ({@code 10.0.0.0/24},
 * {@code fd00::/8}) or a host name. An AE title alone is only a name any program can claim; binding
 * it to the modality's address is what most PACS administrators expect.
 */
final class CallerOrigin {
    private static final Pattern HOST_NAME =
            Pattern.compile("(?i)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*");

    private final String text;
    private final IPAddress network; // null for a host name

    private CallerOrigin(String text, IPAddress network) {
        this.text = text;
        this.network = network;
    }

    /** @throws IllegalArgumentException when the text is neither an address, a network nor a host name */
    static CallerOrigin parse(String text) {
        String t = text.strip();
        if (t.startsWith("[") && t.endsWith("]")) {
            t = t.substring(1, t.length() - 1);
        }
        IPAddressString ip = new IPAddressString(t);
        if (ip.isIPAddress()) {
            try {
                return new CallerOrigin(t, ip.toAddress().toPrefixBlock());
            } catch (AddressStringException e) {
                throw new IllegalArgumentException("'" + t + "' is not a valid address: " + e.getMessage(), e);
            }
        }
        if (t.length() > 253 || !HOST_NAME.matcher(t).matches() || t.chars().allMatch(c -> c == '.' || Character.isDigit(c))) {
            throw new IllegalArgumentException("'" + t + "' is neither an IP address, a network (CIDR) nor a host name");
        }
        return new CallerOrigin(t.toLowerCase(Locale.ROOT), null);
    }

    /** Whether a connection from {@code address} comes from here; a host name is resolved now (the JVM caches it). */
    boolean matches(InetAddress address) {
        if (network != null) {
            IPAddress from = new IPAddressString(address.getHostAddress()).getAddress();
            return from != null && network.contains(from);
        }
        try {
            return Arrays.asList(InetAddress.getAllByName(text)).contains(address);
        } catch (UnknownHostException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return text;
    }
}
