package org.imagingnode.bridge.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.imagingnode.bridge.dimse.AeRegistry;
import org.junit.jupiter.api.Test;

/** node.pacs-import.destinations: who may send studies to which move destination, deny by default. */
class ImportDestinationsTest {
    private static final AeRegistry REGISTRY = AeRegistry.parse("", "PACS1=10.0.0.5:104, PACS2=pacs2.local:11112");

    @Test
    void a_destination_is_for_the_organisations_and_professionals_named_for_it_only() {
        ImportDestinations d = ImportDestinations.parse(
                "PACS1=organisation:FINESS-1|professional:10001, PACS2=organisation:FINESS-2", REGISTRY);
        assertThat(d.allowedFor("10002", "FINESS-1")).containsExactly("PACS1");
        assertThat(d.allowedFor("10001", "FINESS-2")).containsExactly("PACS1", "PACS2");
        assertThat(d.allowedFor("10003", "FINESS-3")).isEmpty();
        assertThat(d.allowedFor("10003", null)).isEmpty();
        assertThat(d.destination("PACS2", "10002", "FINESS-2")).hasValue(new AeRegistry.RemoteAe("PACS2",
                "pacs2.local", 11112));
        assertThat(d.destination("PACS2", "10002", "FINESS-1")).isEmpty();
        // an organisation's identifier is not a professional's, nor the other way round
        assertThat(d.allowedFor("FINESS-2", null)).isEmpty();
        assertThat(ImportDestinations.parse("", REGISTRY).allowedFor("10001", "FINESS-1")).isEmpty();
    }

    @Test
    void a_misconfiguration_stops_the_start_with_the_entry_at_fault() {
        assertThatThrownBy(() -> ImportDestinations.parse("PACS9=organisation:FINESS-1", REGISTRY))
                .hasMessageContaining("PACS9 is not in node.dimse.move-destinations");
        assertThatThrownBy(() -> ImportDestinations.parse("PACS1=FINESS-1", REGISTRY))
                .hasMessageContaining("'FINESS-1' for PACS1 must be organisation:ID or professional:ID");
        assertThatThrownBy(() -> ImportDestinations.parse("PACS1=organisation:", REGISTRY))
                .hasMessageContaining("must be organisation:ID");
        assertThatThrownBy(() -> ImportDestinations.parse("PACS1", REGISTRY))
                .hasMessageContaining("must be AE=organisation:ID|professional:ID");
    }
}
