package org.imagingnode.bridge.space;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import org.imagingnode.bridge.database.TestPostgres;
import org.imagingnode.bridge.index.IndexedInstance;
import org.imagingnode.bridge.index.PostgresInstanceIndex;
import org.junit.jupiter.api.Test;

/** The patient space's tables and questions, on the real (shared test) PostgreSQL. */
class PatientSpaceTest {
    static final String INS = SpaceProperties.INS_NIR;
    final PatientSpace space = new PatientSpace(TestPostgres.get().dataSource());
    final PostgresInstanceIndex index = new PostgresInstanceIndex(TestPostgres.get().dataSource());

    static String unique() {
        return Long.toString(UUID.randomUUID().getMostSignificantBits() & Long.MAX_VALUE);
    }

    static NationalId person() {
        return new NationalId("2" + unique(), INS);
    }

    static String uid() {
        return "2.25." + (UUID.randomUUID().getLeastSignificantBits() & Long.MAX_VALUE);
    }

    /** Indexes one instance of a new study of the local patient; returns the study UID. */
    String study(String pid, String issuer, String modality) {
        String study = uid();
        index.upsert(new IndexedInstance(pid, issuer, "Doe^Jane", null, "F", study, null, null, null, null, "CT",
                null, uid(), modality, 1, null, null, uid(), "1.2.840.10008.5.1.4.1.1.2", 1, null, 64, 64,
                "1.2.840.10008.1.2.1", null, "k/" + uid(), 10, null, 0, "CT1"));
        return study;
    }

    @Test
    void studies_of_several_sites_linked_to_one_person_appear_in_one_space() {
        NationalId jane = person();
        String a = "A" + unique();
        String b = "B" + unique();
        String s1 = study(a, "SITE-A", "CT");
        String s2 = study(b, "SITE-B", "MR");
        String other = study("C" + unique(), "SITE-A", "CT");
        assertThat(space.linkFromDataset(a, "SITE-A", List.of(jane), s1, "CT1")).isEqualTo(PatientSpace.LinkOutcome.LINKED);
        assertThat(space.link(b, "SITE-B", jane, "api", "admin", null)).isEqualTo(PatientSpace.LinkOutcome.LINKED);
        assertThat(space.linkFromDataset(a, "SITE-A", List.of(jane), s1, "CT1"))
                .isEqualTo(PatientSpace.LinkOutcome.ALREADY_LINKED);

        assertThat(space.studies(jane)).extracting(PatientSpace.StudySummary::studyInstanceUid)
                .containsExactlyInAnyOrder(s1, s2);
        assertThat(space.studies(jane)).filteredOn(s -> s.studyInstanceUid().equals(s2)).singleElement()
                .satisfies(s -> {
                    assertThat(s.site()).isEqualTo("SITE-B");
                    assertThat(s.modalities()).containsExactly("MR");
                    assertThat(s.instances()).isEqualTo(1);
                });
        assertThat(space.studyBelongsTo(jane, s1)).isTrue();
        assertThat(space.studyBelongsTo(jane, other)).isFalse();
        assertThat(space.patientMaySee(a, "SITE-A", jane)).isTrue();
        assertThat(space.patientMaySee(b, "SITE-B", person())).isFalse();
    }

    @Test
    void a_linked_local_patient_is_never_moved_to_another_person_by_ingest_the_claim_waits_for_reconciliation() {
        NationalId jane = person();
        NationalId john = person();
        String pid = "L" + unique();
        String s = study(pid, "SITE-A", "CT");
        space.linkFromDataset(pid, "SITE-A", List.of(jane), s, "CT1");
        assertThat(space.linkFromDataset(pid, "SITE-A", List.of(john), s, "CT1")).isEqualTo(PatientSpace.LinkOutcome.CONFLICT);
        assertThat(space.identityOf(pid, "SITE-A")).contains(jane);
        assertThat(space.link(pid, "SITE-A", john, "api", "admin", null)).isEqualTo(PatientSpace.LinkOutcome.CONFLICT);
        assertThat(space.unlink(pid, "SITE-A")).isTrue();
        assertThat(space.link(pid, "SITE-A", john, "api", "admin", null)).isEqualTo(PatientSpace.LinkOutcome.LINKED);
    }

    @Test
    void without_an_issuer_of_patient_id_or_with_two_identities_the_study_stays_unlinked_and_listed() {
        String bare = "N" + unique();
        String s1 = study(bare, null, "CT");
        NationalId jane = person();
        assertThat(space.linkFromDataset(bare, null, List.of(jane), s1, "CT1")).isEqualTo(PatientSpace.LinkOutcome.NOT_LINKABLE);
        String twice = "T" + unique();
        String s2 = study(twice, "SITE-A", "CT");
        assertThat(space.linkFromDataset(twice, "SITE-A", List.of(person(), person()), s2, "CT1"))
                .isEqualTo(PatientSpace.LinkOutcome.CONFLICT);
        assertThat(space.isLinked(bare, "")).isFalse();
        List<PatientSpace.UnlinkedStudy> unlinked = space.unlinkedStudies(1000);
        assertThat(unlinked).filteredOn(u -> u.studyInstanceUid().equals(s1)).singleElement()
                .satisfies(u -> assertThat(u.claimedIdentities()).containsExactly(jane.cx()));
        assertThat(unlinked).filteredOn(u -> u.studyInstanceUid().equals(s2)).singleElement()
                .satisfies(u -> assertThat(u.claimedIdentities()).hasSize(2));
        // a PatientID that is itself the national identifier needs no other issuer
        NationalId self = person();
        assertThat(space.linkFromDataset(self.id(), self.issuer(), List.of(self), study(self.id(), self.issuer(), "CT"),
                "CT1")).isEqualTo(PatientSpace.LinkOutcome.LINKED);
    }

    @Test
    void hidden_studies_blocks_and_emergency_grants_are_what_the_policy_sees_for_a_professional() {
        NationalId jane = person();
        String pid = "H" + unique();
        String s1 = study(pid, "SITE-A", "CT");
        String s2 = study(pid, "SITE-A", "CT");
        space.link(pid, "SITE-A", jane, "api", "admin", null);
        space.hide(jane, s1);
        space.block(jane, "RPPS-BAD");
        assertThat(space.professionalView(pid, "SITE-A", s1, "RPPS-OK"))
                .isEqualTo(new PatientSpace.ProfessionalView(true, true, false, false));
        assertThat(space.professionalView(pid, "SITE-A", s2, "RPPS-OK"))
                .isEqualTo(new PatientSpace.ProfessionalView(true, false, false, false));
        assertThat(space.professionalView(pid, "SITE-A", s2, "RPPS-BAD").blocked()).isTrue();
        assertThat(space.professionalView("nobody" + unique(), "SITE-A", s2, "RPPS-OK").linked()).isFalse();

        PatientSpace.BreakGlassGrant g = space.breakGlass(jane, "RPPS-BAD", "unconscious in A&E", Duration.ofHours(1),
                "127.0.0.1");
        assertThat(g.expiresAt()).isBetween(Instant.now().plusSeconds(3500), Instant.now().plusSeconds(3700));
        assertThat(space.professionalView(pid, "SITE-A", s1, "RPPS-BAD").breakGlass()).isTrue();
        assertThatThrownBy(() -> space.breakGlass(jane, "RPPS-X", " ", Duration.ofHours(1), null))
                .isInstanceOf(IllegalArgumentException.class);

        space.unhide(jane, s1);
        assertThat(space.unblock(jane, "RPPS-BAD")).isTrue();
        assertThat(space.professionalView(pid, "SITE-A", s1, "RPPS-OK").hidden()).isFalse();
        assertThat(space.blocked(jane)).isEmpty();
    }

    @Test
    void emergency_grants_cannot_be_altered_or_erased() {
        NationalId jane = person();
        space.breakGlass(jane, "RPPS-1", "cardiac arrest", Duration.ofMinutes(5), null);
        assertThatThrownBy(() -> TestPostgres.get().jdbc().update("UPDATE break_glass SET reason = 'x'"))
                .rootCause().hasMessageContaining("append-only");
        assertThatThrownBy(() -> TestPostgres.get().jdbc().update("DELETE FROM break_glass"))
                .rootCause().hasMessageContaining("append-only");
    }

    @Test
    void a_share_link_opens_its_study_until_revoked_and_only_with_its_exact_secret() {
        NationalId jane = person();
        String pid = "S" + unique();
        String s = study(pid, "SITE-A", "CT");
        space.link(pid, "SITE-A", jane, "api", "admin", null);
        PatientSpace.NewShareLink link = space.createShareLink(jane, s, Duration.ofHours(1), jane.cx());
        assertThat(link.token()).startsWith(PatientSpace.SHARE_TOKEN_PREFIX + link.link().id() + ".");
        assertThat(space.shareGrant(link.token())).hasValueSatisfying(g -> {
            assertThat(g.studyInstanceUid()).isEqualTo(s);
            assertThat(g.owner()).isEqualTo(jane);
        });
        assertThat(space.shareGrant(link.token() + "x")).isEmpty();
        String token = link.token();
        char last = token.charAt(token.length() - 1);
        // one character changed (never to itself: the secret may well end in 'A')
        assertThat(space.shareGrant(token.substring(0, token.length() - 1) + (last == 'A' ? 'B' : 'A'))).isEmpty();
        assertThat(space.shareGrant("sl.nothing")).isEmpty();
        assertThat(space.revokeShareLink(person(), link.link().id())).isFalse();
        assertThat(space.revokeShareLink(jane, link.link().id())).isTrue();
        assertThat(space.shareGrant(link.token())).isEmpty();
        assertThat(space.shareLinks(jane)).singleElement().satisfies(l -> assertThat(l.revokedAt()).isNotNull());
    }

    @Test
    void a_guardian_sees_an_attached_minor_once_the_site_confirmed_and_a_trusted_person_reads_only() {
        NationalId child = person();
        NationalId parent = person();
        NationalId friend = person();
        String pid = "M" + unique();
        study(pid, "SITE-A", "CT");
        space.link(pid, "SITE-A", child, "api", "admin", null);
        space.requestGuardianship(child, parent, parent.cx());
        assertThat(space.patientMaySee(pid, "SITE-A", parent)).isFalse();
        assertThat(space.mayActFor(parent, child, true)).isFalse();
        assertThat(space.confirmGuardianship(child, parent, "site-staff")).isTrue();
        assertThat(space.patientMaySee(pid, "SITE-A", parent)).isTrue();
        assertThat(space.mayActFor(parent, child, true)).isTrue();

        space.designateTrusted(child, friend, child.cx());
        assertThat(space.patientMaySee(pid, "SITE-A", friend)).isTrue();
        assertThat(space.mayActFor(friend, child, false)).isTrue();
        assertThat(space.mayActFor(friend, child, true)).isFalse();
        assertThat(space.delegations(child)).hasSize(2);
        assertThat(space.removeDelegation(child, friend, "trusted")).isTrue();
        assertThat(space.patientMaySee(pid, "SITE-A", friend)).isFalse();
    }
}
