package org.imagingnode.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class BlobKeysTest {

    @ParameterizedTest
    @ValueSource(strings = {"a", "studies/1.2.840.10008.5.1.4/series/1.2.3/instance.dcm", "A-Z_a-z.0-9",
            "...", "a/.hidden", "x..y/..z", "-leading-dash"})
    void relativeSlashSeparatedNamesOfSafeCharactersAreValid(String key) {
        assertThat(BlobKeys.validate(key)).isSameAs(key);
    }

    @Test
    void keysOfExactlyTheMaximumLengthAreValid() {
        assertThat(BlobKeys.validate("k".repeat(512))).hasSize(512);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "/etc/passwd        | leading slash",
            "../x               | \"..\" segment",
            "a/../../b          | \"..\" segment",
            "a/./b              | \".\" segment",
            "a//b               | empty segment",
            "a/                 | empty segment",
            "a b                | ' '",
            "a\\b               | '\\'",
            "é                  | U+00E9",
            "~/x                | '~'",
    })
    void invalidKeysAreRejectedWithAMessageSayingWhy(String key, String reason) {
        assertThatThrownBy(() -> BlobKeys.validate(key))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(reason);
    }

    @Test
    void emptyNullAndTooLongKeysAreRejected() {
        assertThatThrownBy(() -> BlobKeys.validate("")).hasMessageContaining("empty");
        assertThatThrownBy(() -> BlobKeys.validate(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BlobKeys.validate("k".repeat(513))).hasMessageContaining("maximum is 512");
    }

    @Test
    void controlCharactersAreNotEchoedIntoTheMessage() {
        assertThatThrownBy(() -> BlobKeys.validate("a\nforged log line"))
                .hasMessageContaining("U+000A")
                .hasMessageNotContaining("\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "studies/", "studies/1.2", "a/b/.", "a/b/..", "x"})
    void prefixesMayEndInTheMiddleOfASegment(String prefix) {
        assertThat(BlobKeys.validatePrefix(prefix)).isEqualTo(prefix);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "/a", "../", "a//", "a/../b", "a b"})
    void prefixesNoValidKeyCanStartWithAreRejected(String prefix) {
        assertThatThrownBy(() -> BlobKeys.validatePrefix(prefix)).isInstanceOf(IllegalArgumentException.class);
    }
}
