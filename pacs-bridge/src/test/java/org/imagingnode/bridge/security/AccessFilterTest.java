package org.imagingnode.bridge.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;

import org.imagingnode.bridge.audit.AuditEvent;
import org.imagingnode.bridge.audit.AuditLog;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockFilterChain;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

/** The one authorisation point: deny by default, open only in open-dev, every decision audited. */
class AccessFilterTest {

    static final class RecordingAudit implements AuditLog {
        final List<AuditEvent> events = new ArrayList<>();

        @Override
        public void record(AuditEvent event) {
            events.add(event);
        }

        @Override
        public List<AuditEvent> forStudy(String studyUid, int limit) {
            return List.of();
        }

        @Override
        public List<AuditEvent> forPatient(String patientId, int limit) {
            return List.of();
        }
    }

    RecordingAudit audit = new RecordingAudit();

    MockHttpServletResponse run(AccessPolicy policy, String method, String path) throws Exception {
        return run(policy, method, path, null, null);
    }

    MockHttpServletResponse run(AccessPolicy policy, String method, String path, AccessFilter.NodeAuthenticator nodes,
            String nodeHeader) throws Exception {
        AccessFilter filter = new AccessFilter(new AccessGuard(policy, audit), "/dicomweb", "/wado", nodes);
        MockHttpServletRequest rq = new MockHttpServletRequest(method, path);
        rq.setRemoteAddr("127.0.0.9");
        if (nodeHeader != null) {
            rq.addHeader(AccessFilter.NODE_AUTHORIZATION, nodeHeader);
        }
        MockHttpServletResponse rs = new MockHttpServletResponse();
        MockFilterChain chain = new MockFilterChain();
        filter.doFilter(rq, rs, chain);
        if (chain.getRequest() != null) {
            rs.setStatus(299); // reached the handler
        }
        return rs;
    }

    @Test
    void denyModeRefusesEveryDicomWebAndWadoUriRequestWith401AndAuditsIt() throws Exception {
        MockHttpServletResponse rs = run(new DenyAllPolicy(), "GET", "/dicomweb/studies");
        assertThat(rs.getStatus()).isEqualTo(401);
        assertThat(rs.getHeader("WWW-Authenticate")).startsWith("Bearer");
        assertThat(run(new DenyAllPolicy(), "GET", "/wado").getStatus()).isEqualTo(401);
        assertThat(run(new DenyAllPolicy(), "POST", "/dicomweb/studies").getStatus()).isEqualTo(401);
        assertThat(audit.events).hasSize(3).allSatisfy(e -> {
            assertThat(e.outcome()).isEqualTo("denied");
            assertThat(e.sourceAddress()).isEqualTo("127.0.0.9");
        });
        assertThat(audit.events).extracting(AuditEvent::channel).containsExactly("DICOMweb", "WADO-URI", "DICOMweb");
        assertThat(audit.events).extracting(AuditEvent::action).containsExactly("query", "retrieve", "store");
    }

    @Test
    void otherPathsAreNotTheFiltersBusiness() throws Exception {
        assertThat(run(new DenyAllPolicy(), "GET", "/actuator/health").getStatus()).isEqualTo(299);
        assertThat(run(new DenyAllPolicy(), "GET", "/dicomwebx/studies").getStatus()).isEqualTo(299);
        assertThat(audit.events).isEmpty();
    }

    @Test
    void openDevLetsRequestsThrough() throws Exception {
        assertThat(run(new OpenDevPolicy(), "GET", "/dicomweb/studies/1.2.3/metadata").getStatus()).isEqualTo(299);
    }

    @Test
    void aPolicyCanDecidePerPatientAndStudy() {
        AccessPolicy onlyP1 = new AccessPolicy() {
            @Override
            public Decision decide(AccessRequest r) {
                return r.isEndpointLevel() || "P1".equals(r.patientId()) ? Decision.allow("ok") : Decision.deny("not P1");
            }

            @Override
            public String describe() {
                return "test";
            }
        };
        AccessGuard guard = new AccessGuard(onlyP1, audit);
        MockHttpServletRequest rq = new MockHttpServletRequest("GET", "/dicomweb/studies/1.2.3");
        guard.check(rq, Action.RETRIEVE, "P1", "", "1.2.3");
        assertThatThrownBy(() -> guard.check(rq, Action.RETRIEVE, "P2", "", "1.2.4"))
                .isInstanceOf(AccessDeniedException.class);
        assertThat(audit.events).singleElement().satisfies(e -> {
            assertThat(e.outcome()).isEqualTo("denied");
            assertThat(e.patientId()).isEqualTo("P2");
            assertThat(e.studyUid()).isEqualTo("1.2.4");
        });
    }

    @Test
    void theModeIsDenyByDefaultAndUnknownModesStopTheStart() {
        SecurityConfig config = new SecurityConfig();
        assertThat(config.accessPolicy("deny")).isInstanceOf(DenyAllPolicy.class);
        assertThat(config.accessPolicy(" open-dev ")).isInstanceOf(OpenDevPolicy.class);
        assertThatThrownBy(() -> config.accessPolicy("open")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("node.security.mode");
    }

    @Test
    void aRequestMadeThroughAnotherNodeNeedsThatNodesValidTokenAndIsAuditedAsRemote() throws Exception {
        AccessFilter.NodeAuthenticator nodes = header -> {
            if (!header.equals("Bearer good")) {
                throw new IllegalArgumentException("invalid node token from NODE-X");
            }
            return "NODE-B";
        };
        AccessPolicy auditsEverything = new AccessPolicy() {
            @Override
            public Decision decide(AccessRequest r) {
                return Decision.deny("seen");
            }

            @Override
            public String describe() {
                return "test";
            }
        };
        assertThat(run(new OpenDevPolicy(), "GET", "/dicomweb/studies", nodes, "Bearer forged").getStatus())
                .isEqualTo(401);
        assertThat(run(new OpenDevPolicy(), "GET", "/dicomweb/studies", null, "Bearer good").getStatus())
                .isEqualTo(401); // this node accepts no node tokens at all
        assertThat(run(auditsEverything, "GET", "/dicomweb/studies/1.2/metadata", nodes, "Bearer good").getStatus())
                .isEqualTo(401);
        assertThat(audit.events).hasSize(3);
        assertThat(audit.events.get(0).channel()).isEqualTo("remote");
        assertThat(audit.events.get(0).detail()).contains("node token refused: invalid node token from NODE-X");
        assertThat(audit.events.get(2).channel()).isEqualTo("remote");
        assertThat(audit.events.get(2).sourceAddress()).isEqualTo("node NODE-B (127.0.0.9)");
    }

    @Test
    void queriesStoresAndRetrievesAreToldApart() {
        assertThat(AccessFilter.actionOf("GET", "/dicomweb/studies")).isEqualTo(Action.QUERY);
        assertThat(AccessFilter.actionOf("GET", "/dicomweb/studies/1.2/series")).isEqualTo(Action.QUERY);
        assertThat(AccessFilter.actionOf("GET", "/dicomweb/studies/1.2/metadata")).isEqualTo(Action.RETRIEVE);
        assertThat(AccessFilter.actionOf("POST", "/dicomweb/studies")).isEqualTo(Action.STORE);
    }
}
