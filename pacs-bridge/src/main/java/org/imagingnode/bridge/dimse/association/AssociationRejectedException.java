package org.imagingnode.bridge.dimse.association;

import java.io.IOException;

/** The peer (or we) refused the association with an A-ASSOCIATE-RJ. */
public class AssociationRejectedException extends IOException {
    public static final int RESULT_PERMANENT = 1;
    public static final int RESULT_TRANSIENT = 2;
    public static final int SOURCE_SERVICE_USER = 1;
    public static final int SOURCE_SERVICE_PROVIDER_PRESENTATION = 3;
    public static final int REASON_NO_REASON = 1;
    public static final int REASON_CALLING_AE_NOT_RECOGNIZED = 3;
    public static final int REASON_CALLED_AE_NOT_RECOGNIZED = 7;
    public static final int REASON_LOCAL_LIMIT_EXCEEDED = 2;

    private final int result;
    private final int source;
    private final int reason;

    public AssociationRejectedException(int result, int source, int reason, String message) {
        super(message + " (A-ASSOCIATE-RJ result " + result + ", source " + source + ", reason " + reason + ")");
        this.result = result;
        this.source = source;
        this.reason = reason;
    }

    public int result() {
        return result;
    }

    public int source() {
        return source;
    }

    public int reason() {
        return reason;
    }
}
