package org.imagingnode.bridge.dimse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class AeRegistryTest {

    @Test
    void parsesCallersWithTheirPermissionsAndDestinations() {
        AeRegistry r = AeRegistry.parse("CT1=store, VIEWER=query|retrieve", "PACS=10.1.2.3:104, WS=[::1]:11112");
        assertThat(r.may("CT1", Permission.STORE)).isTrue();
        assertThat(r.may("CT1", Permission.QUERY)).isFalse();
        assertThat(r.may("VIEWER", Permission.RETRIEVE)).isTrue();
        assertThat(r.destination("PACS")).hasValue(new AeRegistry.RemoteAe("PACS", "10.1.2.3", 104));
        assertThat(r.destination("WS")).hasValue(new AeRegistry.RemoteAe("WS", "::1", 11112));
    }

    @Test
    void deniesEverythingToUnlistedAes() {
        AeRegistry r = AeRegistry.parse("", "");
        assertThat(r.isKnownCaller("ANY")).isFalse();
        assertThat(r.may("ANY", Permission.STORE)).isFalse();
        assertThat(r.destination("ANY")).isEmpty();
    }

    @Test
    void explainsConfigurationMistakes() {
        assertThatThrownBy(() -> AeRegistry.parse("CT1=write", "")).hasMessageContaining("unknown permission 'write'");
        assertThatThrownBy(() -> AeRegistry.parse("CT1", "")).hasMessageContaining("must be AE=");
        assertThatThrownBy(() -> AeRegistry.parse("", "PACS=host")).hasMessageContaining("must be AE=host:port");
        assertThatThrownBy(() -> AeRegistry.parse("", "PACS=host:99999")).hasMessageContaining("bad port");
        assertThatThrownBy(() -> AeRegistry.parse("WAY_TOO_LONG_AE_TITLE=store", "")).hasMessageContaining("not a valid AE");
    }
}
