package org.imagingnode.bridge.dimse.association;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CommandTest {

    @Test
    void encodesAndDecodesEveryValueType() {
        Command c = Command.of(Command.C_MOVE_RSP, false)
                .put(Command.AffectedSOPClassUID, "1.2.840.10008.5.1.4.1.2.2.2")
                .put(Command.MessageIDBeingRespondedTo, 65535)
                .put(Command.Status, 0xA801)
                .put(Command.OffendingElement, 0x0020000D)
                .put(Command.ErrorComment, "odd");
        Command back = Command.decode(c.encode());
        assertThat(back.field()).isEqualTo(Command.C_MOVE_RSP);
        assertThat(back.hasDataSet()).isFalse();
        assertThat(back.getString(Command.AffectedSOPClassUID)).isEqualTo("1.2.840.10008.5.1.4.1.2.2.2");
        assertThat(back.getInt(Command.MessageIDBeingRespondedTo)).isEqualTo(65535);
        assertThat(back.getInt(Command.Status)).isEqualTo(0xA801);
        assertThat(back.getInt(Command.OffendingElement)).isEqualTo(0x0020000D);
        assertThat(back.getString(Command.ErrorComment)).isEqualTo("odd");
    }

    @Test
    void encodingIsEvenLengthWithAGroupLengthFirst() {
        byte[] b = Command.of(Command.C_ECHO_RQ, false).put(Command.AffectedSOPClassUID, "1.2.840.10008.1.1")
                .put(Command.MessageID, 1).encode();
        assertThat(b.length % 2).isZero();
        int groupLength = (b[8] & 0xFF) | (b[9] & 0xFF) << 8 | (b[10] & 0xFF) << 16 | (b[11] & 0xFF) << 24;
        assertThat(groupLength).isEqualTo(b.length - 12);
    }

    @Test
    void rejectsAnElementThatOverrunsTheCommandSet() {
        byte[] b = Command.of(Command.C_ECHO_RQ, false).encode();
        b[16] = (byte) 0x7F; // length of the first element after the group length
        assertThatThrownBy(() -> Command.decode(b)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anErrorCommentIsCutToItsSixtyFourCharacters() {
        Command c = Command.of(Command.C_STORE_RSP, false).putError("x".repeat(100), 0x0020000D);
        Command back = Command.decode(c.encode());
        assertThat(back.getString(Command.ErrorComment)).hasSize(64);
        assertThat(back.getInt(Command.OffendingElement)).isEqualTo(0x0020000D);
        assertThat(Command.of(Command.C_STORE_RSP, false).putError(null, null).getString(Command.ErrorComment)).isNull();
    }
}
