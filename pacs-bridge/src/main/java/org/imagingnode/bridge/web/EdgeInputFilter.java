package org.imagingnode.bridge.web;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * The first check of every HTTP request, before any handler reads it: a path with encoded
 * separators or dot segments ({@code %2F}, {@code %5C}, {@code %2E}, {@code ..}), path parameters
 * ({@code ;}) or control characters, and a query string with control characters (CR/LF, NUL and the
 * others, C0 and C1) or broken percent-encoding, are refused with 400 and a short plain message. No
 * route of the node takes such input, and refusing it here keeps it out of response headers
 * (Content-Disposition, Location, Warning), file names, logs and SQL. UIDs themselves are checked by
 * each route (at most 64 characters of digits and dots), also with 400.
 */
public class EdgeInputFilter extends OncePerRequestFilter {
    private static final Logger log = LoggerFactory.getLogger(EdgeInputFilter.class);
    /** In the raw (undecoded) path: encoded '/', '\\' or '.', a path parameter (';'), '\\', a dot segment. */
    private static final Pattern BAD_RAW_PATH = Pattern.compile("(?i).*(%2f|%5c|%2e|;|\\\\|/\\.\\.?(/|$)).*");

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String problem = problem(request.getRequestURI(), request.getQueryString());
        if (problem != null) {
            log.info("refused {} request: {}", request.getMethod(), problem);
            response.setStatus(HttpServletResponse.SC_BAD_REQUEST);
            response.setContentType("text/plain;charset=UTF-8");
            response.getOutputStream().write((problem + "\n").getBytes(StandardCharsets.UTF_8));
            return;
        }
        chain.doFilter(request, response);
    }

    /** What is wrong with a request's raw path and query string, or null. */
    static String problem(String rawPath, String rawQuery) {
        if (rawPath != null && (BAD_RAW_PATH.matcher(rawPath).matches() || hasControl(decode(rawPath)))) {
            return "invalid path: encoded separators, dot segments, path parameters and control characters are not"
                    + " allowed";
        }
        if (rawQuery != null && hasControl(decode(rawQuery))) {
            return "invalid query string: control characters or broken percent-encoding are not allowed";
        }
        return null;
    }

    /** C0 controls (CR, LF, NUL, TAB...), DEL and C1 controls. */
    static boolean hasControl(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
                return true;
            }
        }
        return false;
    }

    @Override
    protected boolean shouldNotFilterErrorDispatch() {
        return true;
    }

    /** Percent-decoded; broken encoding gives a control character, so that it is refused too. */
    private static String decode(String raw) {
        try {
            return URLDecoder.decode(raw, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return "\0";
        }
    }
}
