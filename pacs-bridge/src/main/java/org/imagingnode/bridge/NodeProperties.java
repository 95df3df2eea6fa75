package org.imagingnode.bridge;

import java.nio.file.Path;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/**
 * Node-wide settings (prefix {@code node}).
 *
 * @param aeTitle the node's DICOM AE title (env NODE_AE_TITLE)
 * @param dataDir where the node keeps blobs, spool and the embedded database (env NODE_DATA_DIR)
 */
@Validated
@ConfigurationProperties("node")
public record NodeProperties(
        @NotBlank @Pattern(regexp = "[\\x21-\\x5B\\x5D-\\x7E ]{1,16}", message = "must be 1-16 printable ASCII characters without backslash") String aeTitle,
        Path dataDir) {
    public NodeProperties {
        if (aeTitle == null) {
            aeTitle = "IMAGINGNODE";
        }
        if (dataDir == null) {
            dataDir = Path.of("data");
        }
        aeTitle = aeTitle.strip();
    }
}
