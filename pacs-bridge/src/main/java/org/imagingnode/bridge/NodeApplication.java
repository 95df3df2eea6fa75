package org.imagingnode.bridge;

import java.util.Arrays;

import org.imagingnode.bridge.blobstore.MigrateBlobsCommand;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;

/** The imaging sharing node: DIMSE and DICOMweb edges over one ingest pipeline, index and blob store. */
@SpringBootApplication
@EnableConfigurationProperties(NodeProperties.class)
public class NodeApplication {
    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("migrate-blobs")) {
            System.exit(MigrateBlobsCommand.main(Arrays.copyOfRange(args, 1, args.length)));
        }
        SpringApplication.run(NodeApplication.class, args);
    }
}
