package org.imagingnode.bridge.export;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * "Import into my PACS" settings (prefix {@code node.pacs-import}).
 *
 * @param destinations  which C-MOVE destinations ({@code node.dimse.move-destinations}) each professional may send
 *                      studies to: {@code "PACS1=organisation:FINESS-1|professional:10001, PACS2=organisation:FINESS-2"};
 *                      empty (the default): nobody may import anywhere
 * @param maxConcurrent imports sent at the same time by this node; more wait in a queue
 * @param maxQueued     imports waiting; beyond, a request is refused (503) until some are done
 */
@ConfigurationProperties("node.pacs-import")
public record PacsImportProperties(String destinations, Integer maxConcurrent, Integer maxQueued) {
    public PacsImportProperties {
        destinations = destinations == null ? "" : destinations;
        maxConcurrent = maxConcurrent == null ? 2 : maxConcurrent;
        maxQueued = maxQueued == null ? 100 : maxQueued;
    }
}
