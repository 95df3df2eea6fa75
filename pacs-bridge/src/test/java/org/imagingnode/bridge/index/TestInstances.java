package org.imagingnode.bridge.index;

import java.time.LocalDate;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/** Test fixtures: unique UIDs and a builder of {@link IndexedInstance} with plausible defaults. */
final class TestInstances {
    private static final String ROOT = "2.25." + (UUID.randomUUID().getMostSignificantBits() & Long.MAX_VALUE) + ".";
    private static final AtomicLong SEQUENCE = new AtomicLong();

    static final String CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2";
    static final String MR_IMAGE = "1.2.840.10008.5.1.4.1.1.4";
    static final String SR_DOCUMENT = "1.2.840.10008.5.1.4.1.1.88.22";
    static final String EXPLICIT_LE = "1.2.840.10008.1.2.1";

    private TestInstances() {
    }

    /** A UID no other test uses (unique per test JVM run). */
    static String uid() {
        return ROOT + SEQUENCE.incrementAndGet();
    }

    /** A token no other test uses, to make patient IDs and other text keys unique. */
    static String token() {
        return "T" + Long.toString(Math.abs(UUID.randomUUID().getLeastSignificantBits()), 36);
    }

    static Builder instance() {
        return new Builder();
    }

    static final class Builder {
        String patientId = token();
        String issuer;
        String patientName = "Doe^John";
        LocalDate birthDate = LocalDate.of(1970, 1, 1);
        String sex = "M";
        String studyUid = uid();
        LocalDate studyDate = LocalDate.of(2024, 3, 15);
        String studyTime = "101500";
        String accession;
        String studyId = "1";
        String studyDescription = "CT THORAX";
        String referringPhysician;
        String seriesUid = uid();
        String modality = "CT";
        Integer seriesNumber = 1;
        String seriesDescription = "AXIAL";
        String bodyPart = "CHEST";
        String sopUid = uid();
        String sopClass = CT_IMAGE;
        Integer instanceNumber = 1;
        Integer frames;
        Integer rows = 512;
        Integer columns = 512;
        String transferSyntax = EXPLICIT_LE;
        String charset = "ISO_IR 192";
        String blobKey;
        long blobSize = 524_288;
        String sha256 = "00".repeat(32);
        long datasetOffset = 332;
        String sourceAe = "MODALITY1";

        Builder patient(String id, String name) {
            patientId = id;
            patientName = name;
            return this;
        }

        Builder issuer(String v) {
            issuer = v;
            return this;
        }

        Builder birthDate(LocalDate v) {
            birthDate = v;
            return this;
        }

        Builder study(String uid) {
            studyUid = uid;
            return this;
        }

        Builder studyDate(LocalDate v) {
            studyDate = v;
            return this;
        }

        Builder studyTime(String v) {
            studyTime = v;
            return this;
        }

        Builder accession(String v) {
            accession = v;
            return this;
        }

        Builder studyDescription(String v) {
            studyDescription = v;
            return this;
        }

        Builder referringPhysician(String v) {
            referringPhysician = v;
            return this;
        }

        Builder series(String uid, String modality, Integer number) {
            seriesUid = uid;
            this.modality = modality;
            seriesNumber = number;
            return this;
        }

        Builder seriesDescription(String v) {
            seriesDescription = v;
            return this;
        }

        Builder sop(String uid, String sopClass, Integer number) {
            sopUid = uid;
            this.sopClass = sopClass;
            instanceNumber = number;
            return this;
        }

        Builder sop(String uid) {
            sopUid = uid;
            return this;
        }

        Builder instanceNumber(Integer v) {
            instanceNumber = v;
            return this;
        }

        Builder frames(Integer v) {
            frames = v;
            return this;
        }

        Builder transferSyntax(String v) {
            transferSyntax = v;
            return this;
        }

        Builder blob(String key) {
            blobKey = key;
            return this;
        }

        IndexedInstance build() {
            return new IndexedInstance(patientId, issuer, patientName, birthDate, sex,
                    studyUid, studyDate, studyTime, accession, studyId, studyDescription, referringPhysician,
                    seriesUid, modality, seriesNumber, seriesDescription, bodyPart,
                    sopUid, sopClass, instanceNumber, frames, rows, columns, transferSyntax, charset,
                    blobKey != null ? blobKey : "blobs/" + sopUid, blobSize, sha256, datasetOffset, sourceAe);
        }
    }
}
