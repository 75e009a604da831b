package io.raftline.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class KvCodecTest {

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] hex(String hex) {
        byte[] out = new byte[hex.length() / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
        }
        return out;
    }

    /** Pins format version 1: changing these bytes breaks logs already on disk. */
    @Test
    void encodingIsStableAcrossReleases() {
        assertThat(KvCodec.encode(new KvCommand.Put("k", bytes("v"))))
                .isEqualTo(hex("0101016b00000176"));
        assertThat(KvCodec.encode(new KvCommand.Put("ab", bytes("xyz"), 300, "id")))
                .isEqualTo(hex("0101026162036964ad020378797a"));
        assertThat(KvCodec.encode(new KvCommand.Delete("k", null)))
                .isEqualTo(hex("0102016b00"));
        assertThat(KvCodec.encode(new KvCommand.Delete("k", "r")))
                .isEqualTo(hex("0102016b0272"));
        // Compare-and-delete is op 3; an unconditional delete stays op 2, byte for byte.
        assertThat(KvCodec.encode(new KvCommand.Delete("k", 300, null)))
                .isEqualTo(hex("0103016b00ad02"));
        assertThat(KvCodec.encode(new KvCommand.Delete("k", KvCommand.UNCONDITIONAL, "r")))
                .isEqualTo(hex("0102016b0272"));
        // Op 3 without a condition would decode to what op 2 encodes: refused, so every command has one encoding.
        assertThatThrownBy(() -> KvCodec.decode(hex("0103016b0000"))).isInstanceOf(KvFormatException.class)
                .hasMessageContaining("expected revision out of range for a compare-and-delete");
    }

    @Test
    void transactionsRoundTripAndRefuseTruncation() {
        KvCommand.Txn txn = new KvCommand.Txn(
                List.of(TxnCompare.value("a", TxnCompare.Op.LESS, bytes("v")),
                        TxnCompare.number("b", TxnCompare.Target.CREATE_REVISION, TxnCompare.Op.NOT_EQUAL, 300)),
                List.of(new TxnOp.Put("a", bytes("w")), new TxnOp.Delete("b"), new TxnOp.Get("c"),
                        new TxnOp.Increment("d", -300), new TxnOp.Increment("e", Long.MIN_VALUE)),
                List.of(new TxnOp.Get("a")));
        byte[] encoded = KvCodec.encode(txn);
        assertThat(KvCodec.decode(encoded)).isEqualTo(txn);
        assertThat(encoded).startsWith(hex("01040200020161017602010162ac02"));
        for (int length = 0; length < encoded.length; length++) {
            byte[] truncated = Arrays.copyOf(encoded, length);
            assertThatThrownBy(() -> KvCodec.decode(truncated)).isInstanceOf(KvFormatException.class);
        }
        KvCommand.Txn empty = new KvCommand.Txn(List.of(), List.of(), List.of());
        assertThat(KvCodec.encode(empty)).isEqualTo(hex("0104000000"));
        assertThat(KvCodec.decode(hex("0104000000"))).isEqualTo(empty);
        // An increment in a branch: kind 4, the key, the delta zigzagged (1 as 02, -1 as 01).
        KvCommand.Txn increments = new KvCommand.Txn(List.of(), List.of(new TxnOp.Increment("k", 1)),
                List.of(new TxnOp.Increment("k", -1)));
        assertThat(KvCodec.encode(increments)).isEqualTo(hex("010400" + "0104016b02" + "0104016b01"));
        assertThat(KvCodec.decode(hex("010400" + "0104016b02" + "0104016b01"))).isEqualTo(increments);
        // An unknown operation kind or comparison target is named, not a crash.
        assertThatThrownBy(() -> KvCodec.decode(hex("010400010901616200"))).isInstanceOf(KvFormatException.class)
                .hasMessageContaining("unknown transaction operation 9");
        assertThatThrownBy(() -> KvCodec.decode(hex("01040109000161020000"))).isInstanceOf(KvFormatException.class)
                .hasMessageContaining("unknown comparison target 9");
        // A branch writing a key twice is not a valid entry either.
        assertThatThrownBy(() -> KvCodec.decode(hex("0104000202016b02016b00"))).isInstanceOf(KvFormatException.class)
                .hasMessageContaining("twice");
    }

    /**
     * A transaction that may write a key twice (a Redis MULTI's) is op 6, the body as op 4's; a conditional put is
     * operation kind 5: the key, the condition (0 absent, 1 present), the value. Op 4 keeps refusing a key written
     * twice, so an entry of it decodes as it always did.
     */
    @Test
    void aTransactionWithRepeatedWritesIsOp6AndAConditionalPutKind5() {
        KvCommand.Txn multi = new KvCommand.Txn(List.of(), List.of(
                new TxnOp.PutIf(new TxnOp.Put("k", bytes("a")), TxnOp.PutIf.When.ABSENT),
                new TxnOp.Increment("k", 1),
                new TxnOp.PutIf(new TxnOp.Put("k", bytes("b")), TxnOp.PutIf.When.PRESENT)), List.of(), true);
        String body = "00" + "03" + "05016b000161" + "04016b02" + "05016b010162" + "00";
        assertThat(KvCodec.encode(multi)).isEqualTo(hex("0106" + body));
        assertThat(KvCodec.decode(hex("0106" + body))).isEqualTo(multi);
        byte[] encoded = KvCodec.encode(multi);
        for (int length = 0; length < encoded.length; length++) {
            byte[] truncated = Arrays.copyOf(encoded, length);
            assertThatThrownBy(() -> KvCodec.decode(truncated)).isInstanceOf(KvFormatException.class);
        }
        assertThatThrownBy(() -> KvCodec.decode(hex("0104" + body))).isInstanceOf(KvFormatException.class)
                .hasMessageContaining("writes key 'k' twice");
        assertThatThrownBy(() -> new KvCommand.Txn(List.of(), multi.success(), List.of()))
                .hasMessageContaining("writes key 'k' twice");
        // Without repeated writes, a conditional put is an operation of an op 4 transaction like any other.
        KvCommand.Txn once = new KvCommand.Txn(List.of(), List.of(multi.success().get(0)), List.of());
        assertThat(KvCodec.encode(once)).isEqualTo(hex("0104000105016b00016100"));
        assertThat(KvCodec.decode(hex("0104000105016b00016100"))).isEqualTo(once);
        assertThat(KvCodec.decode(hex("0106000105016b00016100")))
                .isEqualTo(new KvCommand.Txn(List.of(), once.success(), List.of(), true));
        assertThatThrownBy(() -> KvCodec.decode(hex("0106000105016b02016100"))).isInstanceOf(KvFormatException.class)
                .hasMessage("unknown put condition 2 at offset 7");
    }

    /**
     * A transaction holding an edit (Redis's APPEND, SETRANGE or INCRBYFLOAT inside MULTI) is op 10: a flags byte (1:
     * repeated writes), then the body as op 4's, with operation kinds 6 (append), 7 (set range) and 8 (increment by a
     * float), each field as in the command of its own. Nodes that know only ops up to 9 stop at it rather than skip it,
     * and the release gate asks for op 10 ({@link KvCodec#opOf}).
     */
    @Test
    void aTransactionHoldingAnEditIsOp10() {
        KvCommand.Txn multi = new KvCommand.Txn(List.of(), List.of(
                new TxnOp.Edit(new KvCommand.Append("k", bytes("ab"))),
                new TxnOp.Edit(new KvCommand.SetRange("k", 300, bytes("c"))),
                new TxnOp.Get("k"),
                new TxnOp.Edit(new KvCommand.IncrementByFloat("f", new java.math.BigDecimal("0.5")))), List.of(), true);
        String body = "00" + "04" + "06016b026162" + "07016bac020163" + "03016b" + "08016603302e35" + "00";
        assertThat(KvCodec.encode(multi)).isEqualTo(hex("010a01" + body));
        assertThat(KvCodec.decode(hex("010a01" + body))).isEqualTo(multi);
        assertThat(KvCodec.opOf(multi)).isEqualTo(KvCodec.OP_TXN_EDITS).isEqualTo(10);
        byte[] encoded = KvCodec.encode(multi);
        for (int length = 0; length < encoded.length; length++) {
            byte[] truncated = Arrays.copyOf(encoded, length);
            assertThatThrownBy(() -> KvCodec.decode(truncated)).isInstanceOf(KvFormatException.class);
        }
        // Without repeated writes: flags 0, and a key written twice refused as in op 4.
        KvCommand.Txn once = new KvCommand.Txn(List.of(), List.of(multi.success().get(0)), List.of());
        assertThat(KvCodec.encode(once)).isEqualTo(hex("010a00000106016b02616200"));
        assertThat(KvCodec.decode(hex("010a00000106016b02616200"))).isEqualTo(once);
        assertThatThrownBy(() -> KvCodec.decode(hex("010a00" + body))).isInstanceOf(KvFormatException.class)
                .hasMessageContaining("writes key 'k' twice");
        // Every encoding has one meaning: no edit outside op 10, no op 10 without one.
        assertThatThrownBy(() -> KvCodec.decode(hex("0106" + body))).isInstanceOf(KvFormatException.class)
                .satisfies(e -> assertThat(((KvFormatException) e).fromNewerRelease()).isFalse())
                .hasMessage("transaction operation 6 outside a transaction of op 10 at offset 4");
        assertThatThrownBy(() -> KvCodec.decode(hex("010a00000103016b00"))).isInstanceOf(KvFormatException.class)
                .hasMessage("a transaction of op 10 holds no append, set range or increment by float at offset 3");
        // What a later release may add is named as such: another flag, another operation kind.
        assertThatThrownBy(() -> KvCodec.decode(hex("010a02" + body))).isInstanceOf(KvFormatException.class)
                .satisfies(e -> assertThat(((KvFormatException) e).fromNewerRelease()).isTrue())
                .hasMessageContaining("unknown transaction flags 2");
        assertThatThrownBy(() -> KvCodec.decode(hex("010a00000109016b00"))).isInstanceOf(KvFormatException.class)
                .satisfies(e -> assertThat(((KvFormatException) e).fromNewerRelease()).isTrue())
                .hasMessageContaining("unknown transaction operation 9");
        // A field refused alone is refused in a transaction: a set range writing nothing, a non-canonical number.
        assertThatThrownBy(() -> KvCodec.decode(hex("010a00000107016b000000"))).isInstanceOf(KvFormatException.class)
                .hasMessageContaining("writes none");
        assertThatThrownBy(() -> KvCodec.decode(hex("010a000001080166042e35303000")))
                .isInstanceOf(KvFormatException.class).hasMessageContaining("canonical");
        assertThatThrownBy(() -> new TxnOp.Edit(new KvCommand.Increment("k", 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not an edit of a value");
    }

    /** A rename is op 11: the source, the target, a flags byte (1: only if the target is absent). */
    @Test
    void aRenameIsOp11() {
        assertThat(KvCodec.encode(new KvCommand.Rename("a", "bc", false))).isEqualTo(hex("010b016102626300"));
        assertThat(KvCodec.decode(hex("010b016102626301"))).isEqualTo(new KvCommand.Rename("a", "bc", true));
        assertThat(KvCodec.opOf(new KvCommand.Rename("a", "b", false))).isEqualTo(11).isEqualTo(KvCodec.HIGHEST_OP);
        byte[] encoded = hex("010b016102626301");
        for (int length = 0; length < encoded.length; length++) {
            byte[] truncated = Arrays.copyOf(encoded, length);
            assertThatThrownBy(() -> KvCodec.decode(truncated)).isInstanceOf(KvFormatException.class);
        }
        assertThatThrownBy(() -> KvCodec.decode(hex("010b01610262630100"))).isInstanceOf(KvFormatException.class)
                .hasMessageContaining("trailing");
        assertThatThrownBy(() -> KvCodec.decode(hex("010b00026263" + "00"))).isInstanceOf(KvFormatException.class);
        assertThatThrownBy(() -> KvCodec.decode(hex("010b016102626302"))).isInstanceOf(KvFormatException.class)
                .satisfies(e -> assertThat(((KvFormatException) e).fromNewerRelease()).isTrue())
                .hasMessageContaining("unknown rename flags 2");
    }

    @Test
    void roundTripsEdgeValues() {
        List<KvCommand> commands = List.of(
                new KvCommand.Put("k", new byte[0], KvCommand.MUST_NOT_EXIST, null),
                new KvCommand.Put("k", bytes("v"), Long.MAX_VALUE, "i"),
                new KvCommand.Put("\uD83D\uDE00\u00E9\u20AC", new byte[KvCommand.MAX_VALUE_BYTES], 1, "\u00FF"),
                new KvCommand.Put("x".repeat(KvCommand.MAX_KEY_BYTES), new byte[200], 127, "y".repeat(256)),
                new KvCommand.Delete("x".repeat(KvCommand.MAX_KEY_BYTES), "z".repeat(KvCommand.MAX_IDEMPOTENCY_KEY_BYTES)));

        for (KvCommand command : commands) {
            assertThat(KvCodec.decode(KvCodec.encode(command))).isEqualTo(command);
        }
    }

    /** A set range: key, offset, bytes; at least one byte, ending within the largest value, or refused. */
    @Test
    void setRangesEncodeTheirKeyOffsetAndBytes() {
        assertThat(KvCodec.encode(new KvCommand.SetRange("k", 300, bytes("ab")))).isEqualTo(hex("0108016bac02026162"));
        for (KvCommand range : List.of(new KvCommand.SetRange("k", 0, bytes("x")),
                new KvCommand.SetRange("k", KvCommand.MAX_VALUE_BYTES - 1, bytes("x")),
                new KvCommand.SetRange("k", 0, new byte[KvCommand.MAX_VALUE_BYTES]))) {
            assertThat(KvCodec.decode(KvCodec.encode(range))).isEqualTo(range);
        }
        assertThatThrownBy(() -> KvCodec.decode(hex("0108016b00016162")))
                .hasMessage("1 trailing bytes after the command at offset 7");
        // Past the largest value, or nothing written: no command names such a range, and no entry holds one.
        assertThatThrownBy(() -> KvCodec.decode(hex("0108016bffff3f0261" + "62")))
                .hasMessage("a set range of 2 bytes at offset 1048575 does not end within 1048576 bytes or writes none"
                        + " at offset 4");
        assertThatThrownBy(() -> KvCodec.decode(hex("0108016b0000")))
                .hasMessageStartingWith("a set range of 0 bytes at offset 0");
        assertThat(catchThrowableOfType(KvFormatException.class, () -> KvCodec.decode(hex("0108016b0000")))
                .fromNewerRelease()).isFalse();
    }

    /** An increment by a float: the key, then the number as BigDecimal writes it; other spellings are refused. */
    @Test
    void floatIncrementsEncodeTheirNumberCanonically() {
        KvCommand inc = new KvCommand.IncrementByFloat("k", new java.math.BigDecimal("-1.5E+3"));
        assertThat(KvCodec.encode(inc)).isEqualTo(hex("0109016b07" + "2d312e3545" + "2b33"));
        assertThat(KvCodec.decode(KvCodec.encode(inc))).isEqualTo(inc);
        // The same number at another scale is another command, as BigDecimal writes it.
        assertThat(KvCodec.decode(hex("0109016b05" + "2d31353030")))
                .isEqualTo(new KvCommand.IncrementByFloat("k", new java.math.BigDecimal("-1500")));
        assertThatThrownBy(() -> KvCodec.decode(hex("0109016b02" + "2b35")))
                .hasMessage("increment is not a number in its canonical form at offset 4");
        assertThatThrownBy(() -> KvCodec.decode(hex("0109016b03" + "696e66")))
                .hasMessage("increment is not a number in its canonical form at offset 4");
        assertThatThrownBy(() -> new KvCommand.IncrementByFloat("k", new java.math.BigDecimal("1e5000")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void everyTruncationOfAValidEncodingIsRejected() {
        for (KvCommand command : List.of(
                new KvCommand.Put("key", bytes("value"), 1L << 40, "idem"),
                new KvCommand.Delete("key", "idem"),
                new KvCommand.Delete("key", 42, "idem"),
                new KvCommand.Delete("key", null),
                new KvCommand.Increment("key", -300),
                new KvCommand.Append("key", bytes("suffix")),
                new KvCommand.SetRange("key", 1000, bytes("bytes")),
                new KvCommand.IncrementByFloat("key", new java.math.BigDecimal("12.5")))) {
            byte[] full = KvCodec.encode(command);
            for (int length = 0; length < full.length; length++) {
                byte[] truncated = Arrays.copyOf(full, length);
                KvFormatException e = catchThrowableOfType(KvFormatException.class, () -> KvCodec.decode(truncated));
                assertThat(e).as("prefix of length %d", length).isNotNull();
                assertThat(e.getMessage()).startsWith("truncated");
                assertThat(e.offset()).isBetween(0L, (long) length);
            }
        }
    }

    @Test
    void incrementsEncodeTheirDeltaAsAZigZagVarint() {
        assertThat(KvCodec.encode(new KvCommand.Increment("k", 1))).isEqualTo(hex("0105016b02"));
        assertThat(KvCodec.encode(new KvCommand.Increment("k", -1))).isEqualTo(hex("0105016b01"));
        for (long delta : new long[] {0, 1, -1, 63, -64, 64, Long.MAX_VALUE, Long.MIN_VALUE}) {
            KvCommand inc = new KvCommand.Increment("k", delta);
            assertThat(KvCodec.decode(KvCodec.encode(inc))).isEqualTo(inc);
        }
        assertThatThrownBy(() -> KvCodec.decode(hex("0105016b0200"))).hasMessage("1 trailing bytes after the command at offset 5");
    }

    @Test
    void appendsEncodeTheirKeyAndSuffix() {
        assertThat(KvCodec.encode(new KvCommand.Append("k", bytes("ab")))).isEqualTo(hex("0107016b026162"));
        for (byte[] suffix : List.of(new byte[0], bytes("x"), new byte[KvCommand.MAX_VALUE_BYTES])) {
            KvCommand append = new KvCommand.Append("k", suffix);
            assertThat(KvCodec.decode(KvCodec.encode(append))).isEqualTo(append);
        }
        assertThatThrownBy(() -> KvCodec.decode(hex("0107016b01610a")))
                .hasMessage("1 trailing bytes after the command at offset 6");
        // A suffix longer than a value may be is refused as a value is, before anything is read of it.
        assertThatThrownBy(() -> KvCodec.decode(hex("0107016b818040")))
                .hasMessageStartingWith("suffix length 1048577 exceeds the maximum 1048576");
    }

    @Test
    void unknownVersionAndOpCodeAreNamed() {
        assertThatThrownBy(() -> KvCodec.decode(hex("0201016b00")))
                .isInstanceOf(KvFormatException.class)
                .hasMessage("unknown format version 2 (this codec reads version 1) at offset 0");
        assertThatThrownBy(() -> KvCodec.decode(hex("01c8016b00")))
                .hasMessage("unknown op code 200 at offset 1");
        assertThatThrownBy(() -> KvCodec.decode(new byte[0]))
                .hasMessage("truncated: input ends before the format version at offset 0");
    }

    /**
     * What a later release may add (a format version, an op, a transaction operation, a comparison, a put condition
     * above those known) is told apart from malformed bytes: the state machine stops at the one and skips the other.
     */
    @Test
    void whatALaterReleaseMayAddIsToldApartFromMalformedBytes() {
        for (String newer : List.of("0201016b00", "01c8016b00", "01ff016b00", "010400010901616200",
                "01040109000161020000", "0106000105016b02016100")) {
            assertThat(catchThrowableOfType(KvFormatException.class, () -> KvCodec.decode(hex(newer)))
                    .fromNewerRelease()).as(newer).isTrue();
        }
        for (String malformed : List.of("", "0001016b00", "0100016b00", "0102016b00ffff", "010400010001616200",
                "010281006b00", "0104000202016b02016b00")) {
            assertThat(catchThrowableOfType(KvFormatException.class, () -> KvCodec.decode(hex(malformed)))
                    .fromNewerRelease()).as(malformed).isFalse();
        }
    }

    @Test
    void trailingBytesAreRejected() {
        assertThatThrownBy(() -> KvCodec.decode(hex("0102016b00ffff")))
                .hasMessage("2 trailing bytes after the command at offset 5");
    }

    @Test
    void nonMinimalAndOverflowingVarintsAreRejected() {
        assertThatThrownBy(() -> KvCodec.decode(hex("010281006b00")))
                .hasMessage("varint for key length is not minimally encoded at offset 2");
        assertThatThrownBy(() -> KvCodec.decode(hex("0101016100ffffffffffffffffff0200")))
                .hasMessage("varint for expected revision overflows 64 bits at offset 5");
        // 2^64 - 1 as expectedRevision+1 would be revision 2^64 - 2: out of range.
        assertThatThrownBy(() -> KvCodec.decode(hex("0101016100ffffffffffffffffff0100")))
                .hasMessage("expected revision out of range at offset 5");
    }

    @Test
    void lengthsBeyondTheLimitsAreRejectedBeforeReading() {
        assertThatThrownBy(() -> KvCodec.decode(hex("010281" + "08")))
                .hasMessage("key length 1025 exceeds the maximum 1024 at offset 2");
        assertThatThrownBy(() -> KvCodec.decode(hex("0102016b8202")))
                .hasMessage("idempotency key length 257 exceeds the maximum 256 at offset 4");
        assertThatThrownBy(() -> KvCodec.decode(hex("0102ffffffffffffffffff01")))
                .hasMessage("key length 18446744073709551615 exceeds the maximum 1024 at offset 2");
        assertThatThrownBy(() -> KvCodec.decode(hex("0101016b0000818040")))
                .hasMessage("value length 1048577 exceeds the maximum 1048576 at offset 6");
        assertThatThrownBy(() -> KvCodec.decode(hex("0102056b00")))
                .hasMessage("truncated: key needs 5 bytes but only 2 remain at offset 3");
        // An idempotency key length beyond a long's sign bit (found by KvCodecProperties on 2026-12-03: it was
        // compared signed, read as a negative int, and thrown on inside the UTF-8 decoder).
        assertThatThrownBy(() -> KvCodec.decode(hex("0102016bffffffffffffffffff01")))
                .isInstanceOf(KvFormatException.class)
                .hasMessage("idempotency key length 18446744073709551614 exceeds the maximum 256 at offset 4");
    }

    @Test
    void emptyTextAndMalformedUtf8AreRejected() {
        assertThatThrownBy(() -> KvCodec.decode(hex("01020000")))
                .hasMessage("key is empty at offset 3");
        assertThatThrownBy(() -> KvCodec.decode(hex("0102016b01")))
                .hasMessage("idempotency key is empty at offset 4");
        assertThatThrownBy(() -> KvCodec.decode(hex("010201ff00")))
                .hasMessage("key is not valid UTF-8 at offset 3");
        // An encoded surrogate (CESU-8) and an overlong '/' are not UTF-8 either.
        assertThatThrownBy(() -> KvCodec.decode(hex("010203eda08000"))).isInstanceOf(KvFormatException.class);
        assertThatThrownBy(() -> KvCodec.decode(hex("010202c0af00"))).isInstanceOf(KvFormatException.class);
        assertThatThrownBy(() -> KvCodec.decode(hex("0102016b03c328")))
                .hasMessage("idempotency key is not valid UTF-8 at offset 5");
    }

    /** The first 8 bytes, big-endian, of the SHA-256 of {@code bytes}: the fingerprint's definition, computed apart. */
    private static long sha256Prefix(byte[] bytes) throws Exception {
        return java.nio.ByteBuffer.wrap(java.security.MessageDigest.getInstance("SHA-256").digest(bytes)).getLong();
    }

    /** Pins the fingerprint: idempotency records keep it in snapshots, so it must never change for a command. */
    @Test
    void theFingerprintIsTheSha256OfTheEncodingWithoutTheIdempotencyKeyAndIsStable() throws Exception {
        // printf '\x01\x01\x01\x61\x00\x00\x01\x31' | sha256sum: 06f239ba3ceb1334...
        assertThat(KvCodec.fingerprint(new KvCommand.Put("a", bytes("1"), KvCommand.UNCONDITIONAL, "K")))
                .isEqualTo(0x06f239ba3ceb1334L);
        List<KvCommand.SingleKey> commands = List.of(
                new KvCommand.Put("a", bytes("1"), KvCommand.UNCONDITIONAL, "K"),
                new KvCommand.Put("\u00e9t\u00e9", new byte[300], 300, "id"),
                new KvCommand.Put("k", new byte[0], KvCommand.MUST_NOT_EXIST, null),
                new KvCommand.Delete("k", "r"),
                new KvCommand.Delete("k", 300, null),
                new KvCommand.Delete("k", KvCommand.MUST_NOT_EXIST, "r"));
        for (KvCommand.SingleKey c : commands) {
            KvCommand.SingleKey unnamed = c instanceof KvCommand.Put p
                    ? new KvCommand.Put(p.key(), p.value(), p.expectedRevision(), null)
                    : new KvCommand.Delete(c.key(), c.expectedRevision(), null);
            assertThat(KvCodec.fingerprint(c)).as("%s", c).isEqualTo(sha256Prefix(KvCodec.encode(unnamed)));
            // A decoded put views its value inside the entry's bytes, after the key: the same fingerprint.
            assertThat(KvCodec.fingerprint((KvCommand.SingleKey) KvCodec.decode(KvCodec.encode(c))))
                    .as("decoded %s", c).isEqualTo(KvCodec.fingerprint(c));
        }
    }

    @Test
    void theFingerprintTellsEveryPartOfTheRequestButItsName() {
        KvCommand.Put put = new KvCommand.Put("a", bytes("1"), KvCommand.UNCONDITIONAL, "K");
        List<KvCommand.SingleKey> others = List.of(
                new KvCommand.Put("b", bytes("1"), KvCommand.UNCONDITIONAL, "K"),
                new KvCommand.Put("a", bytes("2"), KvCommand.UNCONDITIONAL, "K"),
                new KvCommand.Put("a", bytes("1"), KvCommand.MUST_NOT_EXIST, "K"),
                new KvCommand.Put("a", bytes("1"), 1, "K"),
                new KvCommand.Put("a", new byte[0], KvCommand.UNCONDITIONAL, "K"),
                new KvCommand.Delete("a", "K"),
                new KvCommand.Delete("a", KvCommand.MUST_NOT_EXIST, "K"),
                new KvCommand.Delete("a", 1, "K"));
        List<Long> prints = new java.util.ArrayList<>();
        prints.add(KvCodec.fingerprint(put));
        others.forEach(c -> prints.add(KvCodec.fingerprint(c)));
        assertThat(prints).doesNotHaveDuplicates();
        assertThat(KvCodec.fingerprint(new KvCommand.Put("a", bytes("1"), KvCommand.UNCONDITIONAL, "other")))
                .isEqualTo(KvCodec.fingerprint(put));
        assertThat(KvCodec.fingerprint(new KvCommand.Put("a", bytes("1"), KvCommand.UNCONDITIONAL, null)))
                .isEqualTo(KvCodec.fingerprint(put));
    }
}
