package org.imagingnode.bridge.web;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.RecoverableDataAccessException;
import org.springframework.dao.TransientDataAccessException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * Every HTTP route, when the database is down or restarting (a lost connection, no connection
 * within the pool's timeout): 503 with Retry-After and a short message instead of a 500, so that
 * clients and load balancers retry later. The pool validates its connections, so the node serves
 * again by itself once the database is back.
 */
@RestControllerAdvice
// before the advices of each package: they would otherwise match a cause deep in the chain (the
// driver's ConnectException is an IOException) and answer 500
@Order(Ordered.HIGHEST_PRECEDENCE)
public class DatabaseUnavailableAdvice {
    private static final Logger log = LoggerFactory.getLogger(DatabaseUnavailableAdvice.class);
    static final long RETRY_AFTER_SECONDS = 5;

    @ExceptionHandler({DataAccessResourceFailureException.class, TransientDataAccessException.class,
            RecoverableDataAccessException.class})
    public void unavailable(Exception e, HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (CutOffResponses.afterCommit(request, response, e)) {
            return;
        }
        log.warn("database unavailable: {}", e.getMessage());
        response.resetBuffer();
        response.setStatus(HttpServletResponse.SC_SERVICE_UNAVAILABLE);
        response.setHeader("Retry-After", Long.toString(RETRY_AFTER_SECONDS));
        response.setContentType("text/plain;charset=UTF-8");
        response.getOutputStream().write("the database is unavailable; retry later\n".getBytes(StandardCharsets.UTF_8));
    }
}
