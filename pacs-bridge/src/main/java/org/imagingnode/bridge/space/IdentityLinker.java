package org.imagingnode.bridge.space;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.imagingnode.bridge.dicom.DicomDataset;
import org.imagingnode.bridge.dicom.Tag;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.stereotype.Component;

/**
 * Ingest's side of the patient space: links the local patient of each received object to the national
 * identity its data set names (see {@link PatientSpace#linkFromDataset}). The outcome for a given local
 * patient and claim never changes once recorded (links are not moved by ingest), so it is remembered and
 * the objects of a study after the first cost nothing.
 */
@Component
@EnableConfigurationProperties(SpaceProperties.class)
public class IdentityLinker {
    private static final int MEMORY = 10_000;

    private final PatientSpace space;
    private final NationalIdExtractor extractor;
    private final Map<String, PatientSpace.LinkOutcome> done = new ConcurrentHashMap<>();

    public IdentityLinker(PatientSpace space, SpaceProperties props) {
        this.space = space;
        this.extractor = new NationalIdExtractor(props.nationalIssuers());
    }

    /**
     * Links (or records for reconciliation) the patient of a data set; returns what happened, or null when
     * the data set names no national identity. Throws when the database is unavailable.
     */
    public PatientSpace.LinkOutcome link(DicomDataset header, String studyUid, String source) {
        List<NationalId> named = extractor.extract(header);
        if (named.isEmpty()) {
            return null;
        }
        String pid = header.getString(Tag.PatientID);
        String issuer = header.getString(Tag.IssuerOfPatientID);
        String key = pid + '\u0000' + issuer + '\u0000' + named;
        PatientSpace.LinkOutcome known = done.get(key);
        if (known != null) {
            return known;
        }
        PatientSpace.LinkOutcome outcome = space.linkFromDataset(pid, issuer, named, studyUid, source);
        if (done.size() > MEMORY) {
            done.clear();
        }
        done.put(key, outcome);
        return outcome;
    }
}
