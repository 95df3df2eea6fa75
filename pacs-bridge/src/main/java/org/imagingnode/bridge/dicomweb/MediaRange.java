package org.imagingnode.bridge.dicomweb;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One media range of an Accept header, e.g. {@code multipart/related; type="application/dicom";
 * transfer-syntax=*;q=0.9}. Parameter names are lower case; values keep their case, without quotes.
 */
record MediaRange(String type, String subtype, Map<String, String> params, double q) {

    String mediaType() {
        return type + "/" + subtype;
    }

    String param(String name) {
        return params.get(name);
    }

    /** True when this range covers {@code mediaType} ("type/subtype"), with wildcards. */
    boolean covers(String mediaType) {
        int slash = mediaType.indexOf('/');
        String t = mediaType.substring(0, slash);
        String s = mediaType.substring(slash + 1);
        return (type.equals("*") || type.equals(t)) && (subtype.equals("*") || subtype.equals(s));
    }

    boolean isWildcard() {
        return type.equals("*");
    }

    boolean isMultipartRelated() {
        return type.equals("multipart") && (subtype.equals("related") || subtype.equals("*"));
    }

    /**
     * The media ranges of Accept headers (and of an {@code accept} query parameter, which PS3.18
     * lets browsers use), best first; no header at all means anything.
     */
    static List<MediaRange> parse(List<String> values) {
        List<MediaRange> out = new ArrayList<>();
        for (String header : values) {
            if (header == null) {
                continue;
            }
            for (String range : splitOutsideQuotes(header, ',')) {
                MediaRange r = parseOne(range);
                if (r != null && r.q() > 0) {
                    out.add(r);
                }
            }
        }
        if (out.isEmpty()) {
            out.add(new MediaRange("*", "*", Map.of(), 1.0));
        }
        out.sort(Comparator.comparingDouble(MediaRange::q).reversed());
        return out;
    }

    private static MediaRange parseOne(String text) {
        List<String> parts = splitOutsideQuotes(text, ';');
        if (parts.isEmpty()) {
            return null;
        }
        String mt = parts.get(0).strip().toLowerCase(Locale.ROOT);
        if (mt.isEmpty()) {
            return null;
        }
        if (mt.equals("*")) {
            mt = "*/*";
        }
        int slash = mt.indexOf('/');
        if (slash <= 0 || slash == mt.length() - 1) {
            throw new DicomWebException(400, "malformed media type in Accept: '" + text.strip() + "'");
        }
        Map<String, String> params = new LinkedHashMap<>();
        double q = 1.0;
        for (int k = 1; k < parts.size(); k++) {
            String p = parts.get(k).strip();
            int eq = p.indexOf('=');
            if (eq <= 0) {
                continue;
            }
            String name = p.substring(0, eq).strip().toLowerCase(Locale.ROOT);
            String value = p.substring(eq + 1).strip();
            if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                value = value.substring(1, value.length() - 1);
            }
            if (name.equals("q")) {
                try {
                    q = Double.parseDouble(value);
                } catch (NumberFormatException e) {
                    q = 1.0;
                }
            } else {
                params.put(name, name.equals("type") ? value.toLowerCase(Locale.ROOT) : value);
            }
        }
        return new MediaRange(mt.substring(0, slash), mt.substring(slash + 1), params, q);
    }

    static List<String> splitOutsideQuotes(String s, char separator) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            if (c == '"') {
                quoted = !quoted;
            }
            if (c == separator && !quoted) {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        if (!cur.toString().isBlank()) {
            out.add(cur.toString());
        }
        return out;
    }
}
