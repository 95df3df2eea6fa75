package org.imagingnode.bridge.dimse;

import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.imagingnode.bridge.dicom.DicomDataset;
import org.imagingnode.bridge.dicom.Tag;
import org.imagingnode.bridge.index.Condition;
import org.imagingnode.bridge.index.IndexAttribute;
import org.imagingnode.bridge.index.IndexQuery;
import org.imagingnode.bridge.index.IndexRow;
import org.imagingnode.bridge.index.MatchingKeys;
import org.imagingnode.bridge.index.QueryLevel;

/** Translates C-FIND/C-MOVE/C-GET identifiers into index queries, and index rows into identifiers. */
final class Identifiers {
    private static final DateTimeFormatter DA = DateTimeFormatter.BASIC_ISO_DATE;
    /** Real identifiers are a few hundred bytes; a UID list of 1000 studies is about 65 KB. */
    static final int MAX_IDENTIFIER_BYTES = 256 * 1024;

    private Identifiers() {
    }

    /** The identifier could not be turned into a query; the message is fit for ErrorComment. */
    static final class BadIdentifierException extends Exception {
        final Integer offendingTag;

        BadIdentifierException(String message, Integer offendingTag) {
            super(message);
            this.offendingTag = offendingTag;
        }
    }

    static QueryLevel level(DicomDataset identifier, String abstractSyntax) throws BadIdentifierException {
        QueryLevel level;
        try {
            level = QueryLevel.parse(identifier.getString(Tag.QueryRetrieveLevel));
        } catch (IllegalArgumentException e) {
            throw new BadIdentifierException("missing or invalid QueryRetrieveLevel", Tag.QueryRetrieveLevel);
        }
        if (level == QueryLevel.PATIENT && !SopClasses.isPatientRoot(abstractSyntax)) {
            throw new BadIdentifierException("PATIENT level needs the Patient Root model", Tag.QueryRetrieveLevel);
        }
        return level;
    }

    /** A C-FIND query: every known attribute in the identifier is a return key, and a matching key if it has a value. */
    static IndexQuery query(DicomDataset identifier, QueryLevel level) throws BadIdentifierException {
        List<Condition> conditions = new ArrayList<>();
        Set<IndexAttribute> returns = new LinkedHashSet<>();
        for (int tag : identifier.tags()) {
            IndexAttribute attribute = IndexAttribute.forTag(tag).orElse(null);
            if (attribute == null || !answerableAt(attribute, level)) {
                continue;
            }
            returns.add(attribute);
            if (attribute.kind() == IndexAttribute.Kind.COUNT || identifier.isSequence(tag)) {
                continue;
            }
            try {
                MatchingKeys.parse(attribute, identifier.getRawString(tag)).ifPresent(conditions::add);
            } catch (IllegalArgumentException e) {
                throw new BadIdentifierException(e.getMessage(), tag);
            }
        }
        return new IndexQuery(level, conditions, returns, 0, 0);
    }

    /** Retrieve keys: the unique keys (UIDs, PatientID) of the identifier at and above the level. */
    static List<Condition> retrieveKeys(DicomDataset identifier, QueryLevel level) throws BadIdentifierException {
        List<Condition> conditions = new ArrayList<>();
        List<IndexAttribute> keys = List.of(IndexAttribute.PatientID, IndexAttribute.StudyInstanceUID,
                IndexAttribute.SeriesInstanceUID, IndexAttribute.SOPInstanceUID);
        for (IndexAttribute key : keys) {
            if (key.level().ordinal() > level.ordinal()) {
                continue;
            }
            try {
                MatchingKeys.parse(key, identifier.getRawString(key.tag())).ifPresent(conditions::add);
            } catch (IllegalArgumentException e) {
                throw new BadIdentifierException(e.getMessage(), key.tag());
            }
        }
        boolean hasLevelKey = conditions.stream().anyMatch(c -> c.attribute().level() == level);
        if (!hasLevelKey) {
            throw new BadIdentifierException("retrieve at " + level + " level needs its unique key", null);
        }
        return conditions;
    }

    private static boolean answerableAt(IndexAttribute attribute, QueryLevel level) {
        return attribute.level().ordinal() <= level.ordinal();
    }

    /** The response identifier for one match: every key asked for, with its value or empty. */
    static DicomDataset response(DicomDataset identifier, IndexRow row, QueryLevel level, String retrieveAeTitle) {
        DicomDataset out = DicomDataset.newUtf8();
        for (int tag : identifier.tags()) {
            if (tag == Tag.SpecificCharacterSet || tag >>> 16 == 0x0002 || identifier.isSequence(tag)) {
                continue;
            }
            IndexAttribute attribute = IndexAttribute.forTag(tag).orElse(null);
            Object value = attribute == null ? null : row.get(attribute);
            out.putString(tag, encode(value));
        }
        for (IndexAttribute key : List.of(IndexAttribute.StudyInstanceUID, IndexAttribute.SeriesInstanceUID,
                IndexAttribute.SOPInstanceUID)) {
            if (key.level().ordinal() <= level.ordinal() && key.level() != QueryLevel.PATIENT) {
                out.putString(key.tag(), encode(row.get(key)));
            }
        }
        if (level == QueryLevel.PATIENT || identifier.contains(Tag.PatientID)) {
            out.putString(Tag.PatientID, encode(row.get(IndexAttribute.PatientID)));
        }
        out.putString(Tag.QueryRetrieveLevel, level.name());
        out.putString(Tag.RetrieveAETitle, retrieveAeTitle);
        return out;
    }

    private static String[] encode(Object value) {
        if (value == null) {
            return new String[0];
        }
        if (value instanceof LocalDate d) {
            return new String[] {d.format(DA)};
        }
        if (value instanceof List<?> list) {
            return list.stream().map(String::valueOf).toArray(String[]::new);
        }
        return new String[] {value.toString()};
    }

    /** The UIDs a retrieve key on {@code attribute} names (one, or a list); empty when it has none. */
    static List<String> uids(List<Condition> conditions, IndexAttribute attribute) {
        for (Condition c : conditions) {
            if (c.attribute() == attribute) {
                if (c instanceof Condition.SingleValue sv) {
                    return List.of(sv.value());
                }
                if (c instanceof Condition.UidList list) {
                    return list.uids();
                }
            }
        }
        return List.of();
    }

    /** The value of a single-value condition on {@code attribute}, for the audit trail; null if none. */
    static String singleValue(List<Condition> conditions, IndexAttribute attribute) {
        for (Condition c : conditions) {
            if (c instanceof Condition.SingleValue sv && sv.attribute() == attribute) {
                return sv.value();
            }
        }
        return null;
    }
}
