package org.imagingnode.bridge.web;

import java.io.IOException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

import jakarta.servlet.ServletException;

import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ValveBase;
import org.slf4j.MDC;

/**
 * Gives every HTTP request an id: the caller's {@code X-Request-Id} when it is a plain token (so a
 * proxy's or a client's id follows the request), otherwise a new random one. The id is put in the
 * logging context ({@value #MDC_KEY}) for every line logged while the request is handled, and sent
 * back in the {@code X-Request-Id} response header. A value that is not a plain token is never
 * echoed (header injection, log forging). A Tomcat valve rather than a servlet filter, so that the
 * lines Tomcat itself logs after the filters (an exception escaping a handler) carry the id too.
 */
public class RequestIdValve extends ValveBase {
    public static final String HEADER = "X-Request-Id";
    public static final String MDC_KEY = "request";
    /** Letters, digits and {@code . _ : -}, as UUIDs, trace ids and proxies' ids are; at most 64. */
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._:-]{1,64}");
    private static final SecureRandom RANDOM = new SecureRandom();

    RequestIdValve() {
        super(true); // asynchronous requests too
    }

    @Override
    public void invoke(Request request, Response response) throws IOException, ServletException {
        String offered = request.getHeader(HEADER);
        String id = offered != null && VALID.matcher(offered).matches() ? offered : newId();
        response.setHeader(HEADER, id);
        MDC.put(MDC_KEY, id);
        try {
            getNext().invoke(request, response);
        } finally {
            MDC.remove(MDC_KEY);
        }
    }

    private static String newId() {
        byte[] bytes = new byte[8];
        RANDOM.nextBytes(bytes);
        return "r-" + HexFormat.of().formatHex(bytes);
    }
}
