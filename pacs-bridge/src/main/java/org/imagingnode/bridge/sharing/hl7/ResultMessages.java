package org.imagingnode.bridge.sharing.hl7;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import ca.uhn.hl7v2.HL7Exception;
import ca.uhn.hl7v2.model.Varies;
import ca.uhn.hl7v2.model.v25.group.ORU_R01_OBSERVATION;
import ca.uhn.hl7v2.model.v25.group.ORU_R01_ORDER_OBSERVATION;
import ca.uhn.hl7v2.model.v25.group.ORU_R01_PATIENT_RESULT;
import ca.uhn.hl7v2.model.v25.message.ORU_R01;
import ca.uhn.hl7v2.model.v25.segment.OBR;
import ca.uhn.hl7v2.util.Terser;

/**
 * Reads what a report result (ORU^R01, any HL7 v2 version, parsed into v2.5 structures) says about studies: for
 * each order (OBR), its result status and the study it concerns. The study is named, first match wins, by:
 * <ol>
 *   <li>a Study Instance UID: an OBX of the order whose OBX-3.1 is {@code 110180} ("Study Instance UID", DCM) or
 *       {@code 113014} ("Study", DCM), value OBX-5.1; or ZDS-1.1 (the IHE Radiology Z-segment) when the message has
 *       one order;</li>
 *   <li>an accession number: OBR-18 (Placer Field 1, IHE Radiology), else OBR-3.1 (Filler Order Number), else
 *       ORC-3.1.</li>
 * </ol>
 */
final class ResultMessages {
    /** OBX-3 codes whose value is the Study Instance UID. */
    static final Set<String> STUDY_UID_CODES = Set.of("110180", "113014");
    /** Result statuses (OBR-25) of a validated report: final, corrected. */
    static final Set<String> VALIDATED = Set.of("F", "C");

    /** One order of the message: its OBR-25 and the study it names (either may be null). */
    record Order(int number, String resultStatus, String studyUid, String accessionNumber) {
        boolean validated() {
            return resultStatus != null && VALIDATED.contains(resultStatus);
        }
    }

    private ResultMessages() {
    }

    static List<Order> orders(ORU_R01 message) throws HL7Exception {
        List<ORU_R01_ORDER_OBSERVATION> groups = new ArrayList<>();
        for (ORU_R01_PATIENT_RESULT patient : message.getPATIENT_RESULTAll()) {
            groups.addAll(patient.getORDER_OBSERVATIONAll());
        }
        String zds = groups.size() == 1 ? blankToNull(zds1(message)) : null;
        List<Order> orders = new ArrayList<>();
        for (ORU_R01_ORDER_OBSERVATION group : groups) {
            OBR obr = group.getOBR();
            String uid = null;
            for (ORU_R01_OBSERVATION observation : group.getOBSERVATIONAll()) {
                var obx = observation.getOBX();
                String code = obx.getObx3_ObservationIdentifier().getCe1_Identifier().getValue();
                if (uid == null && code != null && STUDY_UID_CODES.contains(code.strip())
                        && obx.getObx5_ObservationValueReps() > 0) {
                    uid = firstComponent(obx.getObx5_ObservationValue(0));
                }
            }
            String accession = first(obr.getObr18_PlacerField1().getValue(),
                    obr.getObr3_FillerOrderNumber().getEi1_EntityIdentifier().getValue(),
                    group.getORC().getOrc3_FillerOrderNumber().getEi1_EntityIdentifier().getValue());
            orders.add(new Order(orders.size() + 1, blankToNull(obr.getObr25_ResultStatus().getValue()),
                    uid != null ? uid : zds, accession));
        }
        return orders;
    }

    /** ZDS-1.1 wherever the parser put the Z-segment; null when there is none. */
    private static String zds1(ORU_R01 message) {
        try {
            return new Terser(message).get("/.ZDS-1-1");
        } catch (HL7Exception | RuntimeException e) {
            return null;
        }
    }

    private static String firstComponent(Varies value) throws HL7Exception {
        String encoded = value.getData().encode();
        int cut = encoded.indexOf('^');
        return blankToNull(cut < 0 ? encoded : encoded.substring(0, cut));
    }

    private static String first(String... values) {
        for (String v : values) {
            if (blankToNull(v) != null) {
                return v.strip();
            }
        }
        return null;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }
}
