package org.imagingnode.bridge.dimse;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.imagingnode.bridge.dicom.DicomDataset;
import org.imagingnode.bridge.dicom.Part10;
import org.imagingnode.bridge.dicom.Tag;
import org.imagingnode.bridge.dicom.TransferSyntax;
import org.imagingnode.bridge.dimse.association.Association;
import org.imagingnode.bridge.dimse.association.AssociationParameters;
import org.imagingnode.bridge.dimse.association.Command;
import org.imagingnode.bridge.dimse.association.PresentationContext;

/**
 * Benchmark client: sends N study-level C-FIND queries by PatientID over one association and
 * prints the latency distribution (request sent to final response received), after a warm-up.
 * Usage: FindLatencyBench HOST PORT CALLING_AE CALLED_AE PATIENT_ID N
 */
public final class FindLatencyBench {
    private FindLatencyBench() {
    }

    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args[5]);
        AssociationParameters rq = new AssociationParameters(args[3], args[2],
                List.of(PresentationContext.proposed(1, SopClasses.STUDY_ROOT_FIND, List.of(TransferSyntax.EXPLICIT_VR_LE))),
                131072, Part10.IMPLEMENTATION_CLASS_UID, "BENCH", Map.of());
        DicomDataset identifier = DicomDataset.newUtf8();
        identifier.putString(Tag.QueryRetrieveLevel, "STUDY");
        identifier.putString(Tag.PatientID, args[4]);
        identifier.putString(Tag.StudyInstanceUID);
        identifier.putString(Tag.PatientName);
        identifier.putString(Tag.StudyDate);
        identifier.putString(Tag.ModalitiesInStudy);
        identifier.putString(Tag.NumberOfStudyRelatedInstances);
        byte[] encoded = identifier.encode(TransferSyntax.EXPLICIT_VR_LE);
        try (Association a = Association.connect(args[0], Integer.parseInt(args[1]), rq, 10000)) {
            int warmup = Math.min(200, n);
            long[] latencies = new long[n];
            int matches = 0;
            for (int i = -warmup; i < n; i++) {
                long t0 = System.nanoTime();
                Command c = Command.of(Command.C_FIND_RQ, true).put(Command.MessageID, (i & 0x7FFF) + 1)
                        .put(Command.AffectedSOPClassUID, SopClasses.STUDY_ROOT_FIND).put(Command.Priority, 0);
                a.send(1, c, out -> out.write(encoded));
                int found = 0;
                while (true) {
                    Association.Message m = a.receive();
                    if (m.command().getInt(Command.Status) != Status.PENDING) {
                        break;
                    }
                    found++;
                }
                if (i >= 0) {
                    latencies[i] = System.nanoTime() - t0;
                    matches = found;
                }
            }
            a.release();
            Arrays.sort(latencies);
            System.out.printf("cfind_queries=%d matches_per_query=%d p50_ms=%.3f p99_ms=%.3f max_ms=%.3f%n", n, matches,
                    latencies[n / 2] / 1e6, latencies[(int) (n * 0.99)] / 1e6, latencies[n - 1] / 1e6);
        }
    }
}
