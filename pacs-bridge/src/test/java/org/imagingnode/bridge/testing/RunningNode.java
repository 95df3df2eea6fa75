package org.imagingnode.bridge.testing;

import org.imagingnode.bridge.dimse.DimseServer;
import org.imagingnode.bridge.index.InstanceIndex;
import org.imagingnode.storage.BlobStore;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * What a test reaches of the node it runs: its DIMSE listener, HTTP port, index, blob store and database. The
 * subclasses ({@link NodeIntegrationTest}, {@link TokensNode}) start and configure that node.
 */
public abstract class RunningNode {
    @Autowired
    protected DimseServer dimse;

    @Autowired
    protected InstanceIndex index;

    @Autowired
    protected BlobStore blobs;

    @Autowired
    protected JdbcTemplate jdbc;

    @LocalServerPort
    protected int httpPort;

    protected String dimsePort() {
        return Integer.toString(dimse.port());
    }
}
