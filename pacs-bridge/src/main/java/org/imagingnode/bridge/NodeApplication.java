package org.imagingnode.bridge;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;

/** The imaging sharing node: DIMSE and DICOMweb edges over one ingest pipeline, index and blob store. */
@SpringBootApplication
@EnableConfigurationProperties(NodeProperties.class)
public class NodeApplication {
    public static void main(String[] args) {
        SpringApplication.run(NodeApplication.class, args);
    }
}
