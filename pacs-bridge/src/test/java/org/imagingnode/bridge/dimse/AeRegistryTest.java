package org.imagingnode.bridge.dimse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;

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
    void callersCanBeBoundToAnAddressANetworkOrAHostName() throws Exception {
        AeRegistry r = AeRegistry.parse("CT1=store@10.1.2.3, MR=store|query@10.1.0.0/16, WS=query@[fd00::/8],"
                + " LOCAL=store@localhost, ANY=store", "");
        assertThat(r.isAtItsOrigin("CT1", InetAddress.getByName("10.1.2.3"))).isTrue();
        assertThat(r.isAtItsOrigin("CT1", InetAddress.getByName("10.1.2.4"))).isFalse();
        assertThat(r.isAtItsOrigin("MR", InetAddress.getByName("10.1.200.7"))).isTrue();
        assertThat(r.isAtItsOrigin("MR", InetAddress.getByName("10.2.0.1"))).isFalse();
        assertThat(r.may("MR", Permission.QUERY)).isTrue();
        assertThat(r.isAtItsOrigin("WS", InetAddress.getByName("fd00::42"))).isTrue();
        assertThat(r.isAtItsOrigin("WS", InetAddress.getByName("10.1.2.3"))).isFalse();
        assertThat(r.isAtItsOrigin("LOCAL", InetAddress.getLoopbackAddress())).isTrue();
        assertThat(r.isAtItsOrigin("LOCAL", InetAddress.getByName("10.1.2.3"))).isFalse();
        assertThat(r.isAtItsOrigin("ANY", InetAddress.getByName("203.0.113.9"))).isTrue();
        assertThat(r.originOf("MR")).hasValue("10.1.0.0/16");
        assertThat(r.originOf("ANY")).isEmpty();
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
        assertThatThrownBy(() -> AeRegistry.parse("CT1=store, CT1=query", "")).hasMessageContaining("CT1 is listed twice");
        assertThatThrownBy(() -> AeRegistry.parse("CT1=store@10.0.0.300", ""))
                .hasMessageContaining("CT1").hasMessageContaining("neither an IP address");
        assertThatThrownBy(() -> AeRegistry.parse("CT1=store@bad host", "")).hasMessageContaining("neither an IP address");
    }
}
