package org.imagingnode.storage;

import okhttp3.MediaType;
import okhttp3.RequestBody;

/** A request body of known length and type {@code application/octet-stream}, re-writable for retries. */
abstract class OctetStreamBody extends RequestBody {

    static final MediaType OCTET_STREAM = MediaType.get("application/octet-stream");

    private final long length;

    OctetStreamBody(long length) {
        this.length = length;
    }

    @Override
    public final MediaType contentType() {
        return OCTET_STREAM;
    }

    @Override
    public final long contentLength() {
        return length;
    }
}
