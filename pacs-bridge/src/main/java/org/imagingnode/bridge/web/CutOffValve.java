package org.imagingnode.bridge.web;

import java.io.IOException;

import jakarta.servlet.ServletException;

import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ValveBase;
import org.apache.coyote.ActionCode;

/**
 * Closes the connection of a response {@link CutOffResponses} marked, once the application has returned: what
 * Tomcat's own ErrorReportValve does for an error after commit (flush what was written, then the coyote
 * {@link ActionCode#CLOSE_NOW} action, which also keeps the last chunk from being written). A valve because the
 * servlet API has no way to abort a response, and an exception left to escape the handler instead would be logged
 * again by Tomcat with its stack trace and have the error page rendered into the body already sent.
 */
class CutOffValve extends ValveBase {

    CutOffValve() {
        super(true);
    }

    @Override
    public void invoke(Request request, Response response) throws IOException, ServletException {
        getNext().invoke(request, response);
        if (request.getAttribute(CutOffResponses.CAUSE) instanceof Throwable cause && response.isCommitted()) {
            try {
                response.flushBuffer();
            } catch (IOException e) {
                // the client is gone already
            }
            response.getCoyoteResponse().action(ActionCode.CLOSE_NOW, cause);
        }
    }
}
