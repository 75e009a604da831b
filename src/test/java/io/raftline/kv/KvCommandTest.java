package io.raftline.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class KvCommandTest {

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void putsWithEqualContentAreEqualEvenWithDistinctArrays() {
        KvCommand.Put a = new KvCommand.Put("k", bytes("v"), 3, "req-1");
        KvCommand.Put b = new KvCommand.Put("k", bytes("v"), 3, "req-1");

        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(a).isNotEqualTo(new KvCommand.Put("k", bytes("w"), 3, "req-1"));
        assertThat(a).isNotEqualTo(new KvCommand.Put("k", bytes("v"), 4, "req-1"));
        assertThat(a).isNotEqualTo(new KvCommand.Put("k", bytes("v"), 3, null));
        assertThat(a.toString()).contains("key=k", "value=76", "expectedRevision=3", "idempotencyKey=req-1");
    }

    @Test
    void putValueCannotBeChangedFromOutside() {
        byte[] value = bytes("abc");
        KvCommand.Put put = new KvCommand.Put("k", value);
        value[0] = 'X';
        put.value()[1] = 'Y';

        assertThat(put.value()).isEqualTo(bytes("abc"));
    }

    @Test
    void aPutTakingItsValueValidatesLikeTheConstructorAndEncodesTheSame() {
        KvCommand.Put taken = KvCommand.Put.taking("k", bytes("abc"), 3, "req-1");
        KvCommand.Put copied = new KvCommand.Put("k", bytes("abc"), 3, "req-1");
        assertThat(taken).isEqualTo(copied).hasSameHashCodeAs(copied);
        assertThat(KvCodec.encode(taken)).isEqualTo(KvCodec.encode(copied));
        assertThat(KvCodec.decode(KvCodec.encode(taken))).isEqualTo(copied);
        assertThatThrownBy(() -> KvCommand.Put.taking("k", new byte[KvCommand.MAX_VALUE_BYTES + 1], -1, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("more than the maximum");
        assertThatThrownBy(() -> KvCommand.Put.taking("", bytes("v"), -1, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> KvCommand.Put.taking("k", bytes("v"), -2, null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void longValuesArePreviewedInToString() {
        KvCommand.Put put = new KvCommand.Put("k", new byte[100]);

        assertThat(put.toString()).contains("...(100 bytes)").hasSizeLessThan(120);
    }

    @Test
    void shortConstructorsAreUnconditionalWithoutIdempotencyKey() {
        assertThat(new KvCommand.Put("k", bytes("v")))
                .isEqualTo(new KvCommand.Put("k", bytes("v"), KvCommand.UNCONDITIONAL, null));
        assertThat(new KvCommand.Delete("k")).isEqualTo(new KvCommand.Delete("k", null));
    }

    @Test
    void keyMustBeNonEmptyWellFormedAndAtMostMaxBytes() {
        assertThatThrownBy(() -> KvCommand.validateKey("")).hasMessage("key must not be empty");
        assertThatThrownBy(() -> KvCommand.validateKey(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> KvCommand.validateKey("a\uD800b"))
                .hasMessage("key contains an unpaired surrogate");
        assertThatThrownBy(() -> KvCommand.validateKey("\uDC00"))
                .hasMessage("key contains an unpaired surrogate");

        String ascii = "a".repeat(KvCommand.MAX_KEY_BYTES);
        assertThat(KvCommand.validateKey(ascii)).isSameAs(ascii);
        assertThatThrownBy(() -> KvCommand.validateKey(ascii + "a"))
                .hasMessage("key is 1025 bytes in UTF-8, more than the maximum 1024");
        // 342 three-byte characters = 1026 bytes though only 342 chars.
        assertThatThrownBy(() -> KvCommand.validateKey("\u20AC".repeat(342)))
                .isInstanceOf(IllegalArgumentException.class);
        // A surrogate pair is one four-byte code point: 256 of them are exactly 1024 bytes.
        assertThat(KvCommand.validateKey("\uD83D\uDE00".repeat(256))).hasSize(512);
    }

    @Test
    void idempotencyKeyMayBeNullButNotEmptyOrTooLong() {
        assertThat(KvCommand.validateIdempotencyKey(null)).isNull();
        assertThatThrownBy(() -> KvCommand.validateIdempotencyKey(""))
                .hasMessage("idempotency key must not be empty");
        assertThat(KvCommand.validateIdempotencyKey("x".repeat(KvCommand.MAX_IDEMPOTENCY_KEY_BYTES)))
                .hasSize(KvCommand.MAX_IDEMPOTENCY_KEY_BYTES);
        assertThatThrownBy(() -> KvCommand.validateIdempotencyKey("x".repeat(KvCommand.MAX_IDEMPOTENCY_KEY_BYTES + 1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void constructorsApplyTheSameRules() {
        assertThatThrownBy(() -> new KvCommand.Put("", bytes("v"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new KvCommand.Delete("k", "")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new KvCommand.Put("k", null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new KvCommand.Put("k", new byte[KvCommand.MAX_VALUE_BYTES + 1]))
                .hasMessage("value is 1048577 bytes, more than the maximum 1048576");
        assertThatThrownBy(() -> new KvCommand.Put("k", bytes("v"), -2, null))
                .hasMessage("expectedRevision must be -1, 0 or a positive revision, not -2");
        assertThat(new KvCommand.Put("k", new byte[0], Long.MAX_VALUE, null).expectedRevision())
                .isEqualTo(Long.MAX_VALUE);
    }
}
