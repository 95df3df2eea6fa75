package org.imagingnode.bridge.space;

import java.time.Duration;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Patient space settings (prefix {@code node.space}).
 *
 * @param nationalIssuers     OIDs of the assigning authorities whose identifiers are national identities
 *                            (default: French INS-NIR {@code 1.2.250.1.213.1.4.8}); a PatientID in the data set,
 *                            or an item of its OtherPatientIDsSequence, issued by one of them links the study's
 *                            local patient to that person
 * @param organisation        this site's organisation identifier (e.g. a FINESS number): professionals whose
 *                            {@code organisation} claim matches see the studies not linked to any person, and may
 *                            use the reconciliation (identity link) API
 * @param breakGlassDuration  how long an emergency access lasts (default 4 h, at most 24 h)
 * @param shareLinkMaxLifetime longest share link a patient may create (default 30 days); default lifetime 7 days
 */
@ConfigurationProperties("node.space")
public record SpaceProperties(List<String> nationalIssuers, String organisation, Duration breakGlassDuration,
        Duration shareLinkMaxLifetime) {
    public static final String INS_NIR = "1.2.250.1.213.1.4.8";

    public SpaceProperties {
        nationalIssuers = nationalIssuers == null || nationalIssuers.isEmpty() ? List.of(INS_NIR)
                : nationalIssuers.stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
        organisation = organisation == null || organisation.isBlank() ? null : organisation.strip();
        breakGlassDuration = breakGlassDuration == null ? Duration.ofHours(4) : breakGlassDuration;
        if (breakGlassDuration.isNegative() || breakGlassDuration.isZero()
                || breakGlassDuration.compareTo(Duration.ofHours(24)) > 0) {
            throw new IllegalArgumentException("node.space.break-glass-duration must be positive and at most 24h");
        }
        shareLinkMaxLifetime = shareLinkMaxLifetime == null ? Duration.ofDays(30) : shareLinkMaxLifetime;
    }

    public static SpaceProperties defaults() {
        return new SpaceProperties(null, null, null, null);
    }

    /** The issuer assumed for a patient claim that names none: the first national issuer. */
    public String defaultIssuer() {
        return nationalIssuers.get(0);
    }
}
