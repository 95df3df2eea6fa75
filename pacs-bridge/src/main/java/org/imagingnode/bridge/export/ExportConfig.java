package org.imagingnode.bridge.export;

import org.imagingnode.bridge.dimse.AeRegistry;
import org.imagingnode.bridge.dimse.StoreScu;
import org.imagingnode.bridge.security.AccessGuard;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;

/** "Import into my PACS" from {@code node.pacs-import.*}. */
@Configuration
@EnableConfigurationProperties(PacsImportProperties.class)
public class ExportConfig {
    private static final Logger log = LoggerFactory.getLogger(ExportConfig.class);

    @Bean
    ImportDestinations importDestinations(PacsImportProperties props, AeRegistry registry) {
        ImportDestinations d = ImportDestinations.parse(props.destinations(), registry);
        log.info("import into a PACS: {} destination(s) configured (node.pacs-import.destinations)", d.size());
        return d;
    }

    @Bean
    PacsImports pacsImports(JdbcTemplate jdbc, StoreScu scu, AccessGuard guard, PacsImportProperties props) {
        return new PacsImports(jdbc, scu, guard, props);
    }
}
