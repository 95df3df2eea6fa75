package org.imagingnode.viewer;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a weasis:// URI back the way Weasis does: percent-decoding, then splitting the command line into
 * words (double quotes group words), then options and their values. Test-side only, independent of the
 * builder's code.
 */
record WeasisCommandLine(String command, Map<String, List<String>> options) {

    static WeasisCommandLine parse(URI uri) {
        String raw = uri.toString();
        if (!raw.startsWith("weasis://")) {
            throw new IllegalArgumentException("not a weasis URI: " + raw);
        }
        String decoded = URLDecoder.decode(raw.substring("weasis://".length()), StandardCharsets.UTF_8);
        List<String> words = words(decoded);
        Map<String, List<String>> opts = new LinkedHashMap<>();
        for (int i = 1; i < words.size(); i++) {
            String w = words.get(i);
            if (!w.startsWith("-")) {
                throw new IllegalArgumentException("value without option: " + w);
            }
            opts.computeIfAbsent(w, k -> new ArrayList<>()).add(words.get(++i));
        }
        return new WeasisCommandLine(words.get(0), opts);
    }

    String single(String option) {
        List<String> v = options.get(option);
        if (v == null || v.size() != 1) {
            throw new AssertionError(option + " expected once, found " + v);
        }
        return v.get(0);
    }

    static List<String> words(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = null;
        boolean quoted = false;
        for (char c : line.toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
                if (cur == null) {
                    cur = new StringBuilder();
                }
            } else if (c == ' ' && !quoted) {
                if (cur != null) {
                    out.add(cur.toString());
                    cur = null;
                }
            } else {
                if (cur == null) {
                    cur = new StringBuilder();
                }
                cur.append(c);
            }
        }
        if (quoted) {
            throw new IllegalArgumentException("unbalanced quotes in " + line);
        }
        if (cur != null) {
            out.add(cur.toString());
        }
        return out;
    }
}
