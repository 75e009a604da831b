package io.raftline.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class KvStateMachineTest {

    private final KvStateMachine kv = new KvStateMachine();

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private KvResult put(long index, String key, String value) {
        return kv.apply(index, KvCodec.encode(new KvCommand.Put(key, bytes(value))));
    }

    private KvResult cas(long index, String key, String value, long expectedRevision) {
        return kv.apply(index, KvCodec.encode(new KvCommand.Put(key, bytes(value), expectedRevision, null)));
    }

    private KvResult delete(long index, String key) {
        return kv.apply(index, KvCodec.encode(new KvCommand.Delete(key)));
    }

    private static KvStateMachine noopsUpTo(long index) {
        KvStateMachine m = new KvStateMachine();
        for (long i = 1; i <= index; i++) {
            m.applyNoop(i);
        }
        return m;
    }

    private KvResult incr(long index, String key, long delta) {
        return kv.apply(index, KvCodec.encode(new KvCommand.Increment(key, delta)));
    }

    @Test
    void incrementsCountFromZeroAndWriteDecimalText() {
        assertThat(incr(1, "n", 5)).isEqualTo(new KvResult.Incremented(5, 1));
        assertThat(incr(2, "n", -7)).isEqualTo(new KvResult.Incremented(-2, 2));
        assertThat(kv.get("n")).contains(new KvEntry("n", bytes("-2"), 1, 2, 2));
        assertThat(put(3, "m", "9223372036854775806")).isEqualTo(new KvResult.Written(3));
        assertThat(incr(4, "m", 1)).isEqualTo(new KvResult.Incremented(Long.MAX_VALUE, 4));
    }

    @Test
    void incrementsThatCannotApplyChangeNothing() {
        put(1, "m", String.valueOf(Long.MAX_VALUE));
        assertThat(incr(2, "m", 1)).isEqualTo(new KvResult.Rejected(KvStateMachine.OVERFLOW, 2));
        for (String notAnInteger : List.of("", "abc", " 1", "1 ", "+1", "01", "-0", "-", "1.5",
                "9223372036854775808", "-9223372036854775809", "123456789012345678901")) {
            KvStateMachine m = new KvStateMachine();
            m.apply(1, KvCodec.encode(new KvCommand.Put("t", bytes(notAnInteger))));
            assertThat(m.apply(2, KvCodec.encode(new KvCommand.Increment("t", 1)))).as("'%s'", notAnInteger)
                    .isEqualTo(new KvResult.Rejected(KvStateMachine.NOT_AN_INTEGER, 2));
            assertThat(m.get("t")).contains(new KvEntry("t", bytes(notAnInteger), 1, 1, 1));
            assertThat(m.lastApplied()).isEqualTo(2);
        }
    }

    private KvResult append(long index, String key, String suffix) {
        return kv.apply(index, KvCodec.encode(new KvCommand.Append(key, bytes(suffix))));
    }

    @Test
    void appendsGrowTheValueFromEmptyAndKeepTheKeysHistory() {
        assertThat(append(1, "s", "ab")).isEqualTo(new KvResult.Spliced(2, 1));
        assertThat(kv.get("s")).contains(new KvEntry("s", bytes("ab"), 1, 1, 1));
        assertThat(append(2, "s", "cd")).isEqualTo(new KvResult.Spliced(4, 2));
        assertThat(append(3, "s", "")).isEqualTo(new KvResult.Spliced(4, 3));
        assertThat(kv.get("s")).contains(new KvEntry("s", bytes("abcd"), 1, 3, 3));
        // An integer's text appended to stays a number an increment reads, as in Redis.
        incr(4, "n", 12);
        assertThat(append(5, "n", "3")).isEqualTo(new KvResult.Spliced(3, 5));
        assertThat(incr(6, "n", 1)).isEqualTo(new KvResult.Incremented(124, 6));
    }

    private KvResult setRange(long index, String key, int offset, String bytes) {
        return kv.apply(index, KvCodec.encode(new KvCommand.SetRange(key, offset, bytes(bytes))));
    }

    /** Redis's SETRANGE: zero bytes pad up to the offset, the bytes past the written range stay, growth as written. */
    @Test
    void aSetRangePadsWithZerosOverwritesInPlaceAndKeepsTheKeysHistory() {
        assertThat(kv.growth(new KvCommand.SetRange("s", 3, bytes("ab")))).isEqualTo(KvStateMachine.sizeOf("s", 5));
        assertThat(setRange(1, "s", 3, "ab")).isEqualTo(new KvResult.Spliced(5, 1));
        assertThat(kv.get("s")).contains(new KvEntry("s", new byte[] {0, 0, 0, 'a', 'b'}, 1, 1, 1));
        assertThat(kv.growth(new KvCommand.SetRange("s", 1, bytes("xy")))).isZero();
        assertThat(setRange(2, "s", 1, "xy")).isEqualTo(new KvResult.Spliced(5, 2));
        assertThat(kv.get("s")).contains(new KvEntry("s", new byte[] {0, 'x', 'y', 'a', 'b'}, 1, 2, 2));
        assertThat(setRange(3, "s", 4, "cd")).isEqualTo(new KvResult.Spliced(6, 3));
        assertThat(kv.get("s").orElseThrow().value()).isEqualTo(new byte[] {0, 'x', 'y', 'a', 'c', 'd'});
        // A range ending at the largest value is written; the command cannot name one past it.
        assertThat(setRange(4, "t", KvCommand.MAX_VALUE_BYTES - 1, "z")).isEqualTo(
                new KvResult.Spliced(KvCommand.MAX_VALUE_BYTES, 4));
        assertThatThrownBy(() -> new KvCommand.SetRange("t", KvCommand.MAX_VALUE_BYTES, bytes("z")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must end within");
        assertThatThrownBy(() -> new KvCommand.SetRange("t", -1, bytes("z"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new KvCommand.SetRange("t", 0, new byte[0])).isInstanceOf(IllegalArgumentException.class);
        // Watchers see a put of the whole new value.
        List<KvChange> changes = new java.util.ArrayList<>();
        kv.apply(5, KvCodec.encode(new KvCommand.SetRange("s", 0, bytes("A"))), changes);
        assertThat(changes).hasSize(1);
        assertThat(changes.get(0).entry().value()).isEqualTo(new byte[] {'A', 'x', 'y', 'a', 'c', 'd'});
    }

    private KvResult incrByFloat(long index, String key, String increment) {
        return kv.apply(index, KvCodec.encode(new KvCommand.IncrementByFloat(key,
                KvCommand.IncrementByFloat.parse(bytes(increment)))));
    }

    /** Redis's INCRBYFLOAT examples, and what it prints: 17 decimal places at most, no trailing zeros, no exponent. */
    @Test
    void floatIncrementsAddExactlyAndPrintAsRedisDoes() {
        kv.apply(1, KvCodec.encode(new KvCommand.Put("f", bytes("10.50"))));
        assertThat(incrByFloat(2, "f", "0.1")).isEqualTo(new KvResult.FloatIncremented("10.6", 2));
        assertThat(incrByFloat(3, "f", "-5")).isEqualTo(new KvResult.FloatIncremented("5.6", 3));
        assertThat(kv.get("f").orElseThrow().value()).isEqualTo(bytes("5.6"));
        assertThat(kv.get("f").orElseThrow().createRevision()).isEqualTo(1);
        kv.apply(4, KvCodec.encode(new KvCommand.Put("g", bytes("5.0e3"))));
        assertThat(incrByFloat(5, "g", "2.0e2")).isEqualTo(new KvResult.FloatIncremented("5200", 5));
        assertThat(incrByFloat(6, "absent", "0.1")).isEqualTo(new KvResult.FloatIncremented("0.1", 6));
        assertThat(incrByFloat(7, "absent", "-0.1")).isEqualTo(new KvResult.FloatIncremented("0", 7));
        assertThat(incrByFloat(8, "p", "0.000000000000000001")).as("below 17 places").isEqualTo(
                new KvResult.FloatIncremented("0", 8));
        assertThat(incrByFloat(9, "p", "1.234567890123456789")).isEqualTo(
                new KvResult.FloatIncremented("1.23456789012345679", 9));
        // An integer counter goes on with INCR after float increments that leave it whole.
        assertThat(incrByFloat(10, "n", "3e1")).isEqualTo(new KvResult.FloatIncremented("30", 10));
        assertThat(incr(11, "n", 1)).isEqualTo(new KvResult.Incremented(31, 11));
        // Sums keep 34 significant digits (decimal128): the 31 is below them, as it is below a long double's.
        assertThat(incrByFloat(12, "n", "1e4931")).isEqualTo(new KvResult.FloatIncremented("1" + "0".repeat(4931),
                12));
        assertThat(kv.get("n").orElseThrow().valueLength()).isEqualTo(4932);
        assertThat(incrByFloat(13, "d", "1234567890.123456789012345678901234567")).isEqualTo(
                new KvResult.FloatIncremented("1234567890.12345678901234568", 13));
    }

    /**
     * A zero of any exponent adds as 0. Kept with its text's scale, {@code 0e-999999999} made the sum with a nonzero
     * value scale it by 10^999999999: the committed entry held every replica's apply for good.
     */
    @Test
    void aZeroOfAnyExponentAddsAsZero() {
        put(1, "f", "1.5");
        put(2, "z", "0e-999999999");
        assertThat(KvCommand.IncrementByFloat.parse(bytes("0e-999999999")).scale()).isZero();
        assertThat(new KvCommand.IncrementByFloat("f", new java.math.BigDecimal("0E-999999999")).increment())
                .isEqualTo(java.math.BigDecimal.ZERO);
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(20), () -> {
            assertThat(incrByFloat(3, "f", "0e-999999999")).isEqualTo(new KvResult.FloatIncremented("1.5", 3));
            assertThat(incrByFloat(4, "z", "2.5")).isEqualTo(new KvResult.FloatIncremented("2.5", 4));
        });
        // An entry that carries such a zero (written before this was fixed) is refused alike on every replica.
        byte[] text = bytes("0E-999999999");
        byte[] entry = new byte[5 + text.length];
        entry[0] = 1;
        entry[1] = 9;
        entry[2] = 1;
        entry[3] = 'f';
        entry[4] = (byte) text.length;
        System.arraycopy(text, 0, entry, 5, text.length);
        assertThat(kv.apply(5, entry)).isInstanceOf(KvResult.Rejected.class);
        assertThat(kv.get("f").orElseThrow().value()).isEqualTo(bytes("1.5"));
    }

    /**
     * A float increment's growth is what applying it writes: its result can be 4,932 characters, which a fixed count of
     * 40 let a client write under any quota (a quota check uses growth).
     */
    @Test
    void aFloatIncrementGrowsTheDataByTheTextItWrites() {
        KvCommand.IncrementByFloat huge = new KvCommand.IncrementByFloat("n",
                KvCommand.IncrementByFloat.parse(bytes("1e4931")));
        long predicted = kv.growth(huge);
        long before = kv.dataBytes();
        assertThat(kv.apply(1, KvCodec.encode(huge))).isInstanceOf(KvResult.FloatIncremented.class);
        assertThat(kv.dataBytes() - before).isEqualTo(predicted).isEqualTo(KvStateMachine.sizeOf("n", 4932));
        put(2, "f", "1.5");
        KvCommand.IncrementByFloat quarter = new KvCommand.IncrementByFloat("f",
                KvCommand.IncrementByFloat.parse(bytes("0.25")));
        assertThat(kv.growth(quarter)).as("1.5 to 1.75").isEqualTo(1);
        put(3, "s", "abc");
        assertThat(kv.growth(new KvCommand.IncrementByFloat("s", java.math.BigDecimal.ONE))).as("refused").isZero();
    }

    /**
     * A number's text is read only if shorter than 5,120 bytes, as Redis reads it: its canonical text, which the log
     * carries, is then within the codec's bound. A 5,120-byte text was read, and its canonical text of 5,121 bytes made
     * every replica refuse the entry as malformed.
     */
    @Test
    void aFloatIncrementsTextFitsTheLogEntry() {
        String longest = "1".repeat(5113) + "e-9999";
        assertThat(longest).hasSize(5119);
        KvCommand.IncrementByFloat inc = new KvCommand.IncrementByFloat("f",
                KvCommand.IncrementByFloat.parse(bytes(longest)));
        // Read to 34 digits: 1.111...1E-4887, far within the bound (exact, it was 5,120 bytes).
        assertThat(inc.increment().toString()).isEqualTo("1." + "1".repeat(33) + "E-4887");
        assertThat(KvCodec.decode(KvCodec.encode(inc))).isEqualTo(inc);
        assertThat(KvCommand.IncrementByFloat.parse(bytes("1".repeat(5114) + "e-9999"))).as("5,120 bytes").isNull();
    }

    /**
     * A number's text is read to 34 digits in one pass over it: the same number, to its scale, as BigDecimal's reading
     * of the whole text then rounded, for texts of every shape (long ones, zeros around, signs, exponents), and the
     * same refusals.
     */
    @Test
    void aNumbersTextReadsAsBigDecimalWouldReadItThenRound() {
        Random random = new Random(20261207);
        String[] digitsOf = {"0", "00", "1", "5", "9", "05", "50", "99999", "0000000001", "1000000000"};
        for (int n = 0; n < 20_000; n++) {
            StringBuilder t = new StringBuilder();
            int shape = random.nextInt(4);
            if (random.nextInt(4) == 0) {
                t.append(random.nextBoolean() ? '-' : '+');
            }
            int parts = 1 + random.nextInt(shape == 3 ? 400 : 12);
            for (int p = 0; p < parts; p++) {
                t.append(random.nextInt(3) == 0 ? digitsOf[random.nextInt(digitsOf.length)]
                        : Integer.toString(random.nextInt(1_000_000)));
            }
            if (random.nextBoolean()) {
                t.insert(random.nextInt(t.length() + 1), '.');
            }
            if (random.nextInt(3) == 0) {
                t.append(random.nextBoolean() ? 'e' : 'E').append(random.nextInt(3) == 0 ? "-" : random.nextBoolean()
                        ? "+" : "").append(random.nextInt(shape == 0 ? 6000 : 60));
            }
            String text = t.toString();
            java.math.BigDecimal expected;
            try {
                expected = new java.math.BigDecimal(text).round(java.math.MathContext.DECIMAL128);
            } catch (NumberFormatException e) {
                expected = null;
            }
            java.math.BigDecimal read = KvCommand.IncrementByFloat.readRounded(bytes(text));
            if (expected != null && expected.signum() == 0) {
                assertThat(read).as(text).isNotNull();
                assertThat(read.signum()).as(text).isZero();
            } else {
                assertThat(read).as(text).isEqualTo(expected);
            }
        }
        for (String bad : List.of("", "+", "-", ".", "e5", "1e", "1e+", "1.2.3", "--1", "1e5e5", "1 ", "0x10")) {
            assertThat(KvCommand.IncrementByFloat.readRounded(bytes(bad))).as(bad).isNull();
        }
    }

    @Test
    void aFloatIncrementOfANonNumberOrBeyondTheRangeChangesNothing() {
        kv.apply(1, KvCodec.encode(new KvCommand.Put("s", bytes("abc"))));
        kv.apply(2, KvCodec.encode(new KvCommand.Put("big", bytes("9e4931"))));
        String before = kv.stateHashHex();
        assertThat(incrByFloat(3, "s", "1")).isEqualTo(new KvResult.Rejected(KvStateMachine.NOT_A_FLOAT, 3));
        assertThat(incrByFloat(4, "big", "1e4931")).isEqualTo(new KvResult.Rejected(KvStateMachine.NAN_OR_INFINITY,
                4));
        KvStateMachine reference = new KvStateMachine();
        reference.apply(1, KvCodec.encode(new KvCommand.Put("s", bytes("abc"))));
        reference.apply(2, KvCodec.encode(new KvCommand.Put("big", bytes("9e4931"))));
        reference.applyNoop(3);
        reference.applyNoop(4);
        assertThat(kv.stateHashHex()).isEqualTo(reference.stateHashHex()).isNotEqualTo(before);
        for (String notANumber : List.of("", " 1", "1 ", "inf", "nan", "0x1p3", "1e", "--1", "1e5000", "1e-5000",
                "1".repeat(5121))) {
            assertThat(KvCommand.IncrementByFloat.parse(bytes(notANumber))).as(notANumber).isNull();
        }
        for (String number : List.of("0", "-0", "+5", ".5", "5.", "1E3", "-1.5e-3", "1e4931", "1e-4931")) {
            assertThat(KvCommand.IncrementByFloat.parse(bytes(number))).as(number).isNotNull();
        }
    }

    @Test
    void anAppendPastTheLargestValueChangesNothing() {
        kv.apply(1, KvCodec.encode(new KvCommand.Put("big", new byte[KvCommand.MAX_VALUE_BYTES - 1])));
        assertThat(kv.growth(new KvCommand.Append("big", bytes("x")))).isEqualTo(1);
        assertThat(append(2, "big", "x")).isEqualTo(new KvResult.Spliced(KvCommand.MAX_VALUE_BYTES, 2));
        assertThat(kv.growth(new KvCommand.Append("big", bytes("y")))).as("refused when applied: no growth").isZero();
        KvResult refused = append(3, "big", "y");
        assertThat(refused).isInstanceOf(KvResult.Rejected.class);
        assertThat(((KvResult.Rejected) refused).reason()).startsWith(KvStateMachine.TOO_LONG_TO_APPEND)
                .contains("1048577 bytes");
        assertThat(kv.get("big").orElseThrow().modRevision()).isEqualTo(2);
        assertThat(kv.get("big").orElseThrow().valueLength()).isEqualTo(KvCommand.MAX_VALUE_BYTES);
        assertThat(kv.lastApplied()).isEqualTo(3);
    }

    @Test
    void integerTextFollowsRedisRules() {
        assertThat(KvCommand.Increment.parse(bytes("0"))).isZero();
        assertThat(KvCommand.Increment.parse(bytes("-9223372036854775808"))).isEqualTo(Long.MIN_VALUE);
        assertThat(KvCommand.Increment.parse(bytes("9223372036854775807"))).isEqualTo(Long.MAX_VALUE);
        assertThat(KvCommand.Increment.parse(bytes("-42"))).isEqualTo(-42);
        assertThat(KvCommand.Increment.parse(bytes("007"))).isNull();
    }

    @Test
    void aRewrittenKeyKeepsItsStoredKeyAndItsValueReadsLikeACopy() {
        put(1, "k", "first");
        String stored = kv.get("k").orElseThrow().key();
        kv.apply(2, KvCodec.encode(new KvCommand.Put(new String("k"), bytes("second"))));
        KvEntry entry = kv.get("k").orElseThrow();
        // The key's String of its first write stays: the decoded one of each later write is garbage at once.
        assertThat(entry.key()).isSameAs(stored);
        // The value is a range of the log entry's bytes: it reads, compares and hashes like a value of its own.
        KvEntry copied = new KvEntry("k", bytes("second"), 1, 2, 2);
        assertThat(entry).isEqualTo(copied).hasSameHashCodeAs(copied);
        assertThat(entry.valueLength()).isEqualTo(6);
        entry.value()[0] = 'X';
        assertThat(kv.get("k").orElseThrow().value()).isEqualTo(bytes("second"));
    }

    @Test
    void startsEmpty() {
        assertThat(kv.lastApplied()).isZero();
        assertThat(kv.size()).isZero();
        assertThat(kv.get("k")).isEmpty();
        assertThat(kv.range("", 10)).isEmpty();
        assertThat(kv.idempotencyCapacity()).isEqualTo(KvStateMachine.DEFAULT_IDEMPOTENCY_CAPACITY);
    }

    @Test
    void putCreatesThenUpdatesWithRevisionBookkeeping() {
        assertThat(put(1, "k", "v1")).isEqualTo(new KvResult.Written(1));
        assertThat(kv.get("k")).contains(new KvEntry("k", bytes("v1"), 1, 1, 1));

        kv.applyNoop(2);
        assertThat(put(3, "k", "v2")).isEqualTo(new KvResult.Written(3));
        assertThat(kv.get("k")).contains(new KvEntry("k", bytes("v2"), 1, 3, 2));
        assertThat(kv.lastApplied()).isEqualTo(3);
        assertThat(kv.size()).isEqualTo(1);
    }

    @Test
    void deleteRemovesAndRecreationStartsAFreshLife() {
        put(1, "k", "v1");
        put(2, "k", "v2");

        assertThat(delete(3, "k")).isEqualTo(new KvResult.Deleted(1, 3));
        assertThat(kv.get("k")).isEmpty();
        assertThat(kv.size()).isZero();

        put(4, "k", "v3");
        assertThat(kv.get("k")).contains(new KvEntry("k", bytes("v3"), 4, 4, 1));
    }

    @Test
    void aTransactionRunsOneBranchAtomicallyAtItsRevision() {
        put(1, "a", "x");
        put(2, "a", "y");
        put(3, "b", "1");
        KvCommand.Txn txn = new KvCommand.Txn(
                List.of(TxnCompare.value("a", TxnCompare.Op.EQUAL, bytes("y")),
                        TxnCompare.number("a", TxnCompare.Target.MOD_REVISION, TxnCompare.Op.EQUAL, 2),
                        TxnCompare.number("a", TxnCompare.Target.VERSION, TxnCompare.Op.GREATER, 1),
                        TxnCompare.number("c", TxnCompare.Target.VERSION, TxnCompare.Op.EQUAL, 0)),
                List.of(new TxnOp.Put("c", bytes("new")), new TxnOp.Get("c"), new TxnOp.Delete("b"),
                        new TxnOp.Delete("nope"), new TxnOp.Get("b")),
                List.of(new TxnOp.Get("a")));
        KvResult r = kv.apply(4, KvCodec.encode(txn));
        assertThat(r).isEqualTo(new KvResult.TxnResult(true, List.of(new KvResult.PutDone(),
                new KvResult.GetDone(java.util.Optional.of(new KvEntry("c", bytes("new"), 4, 4, 1))),
                new KvResult.DeleteDone(1), new KvResult.DeleteDone(0), new KvResult.GetDone(java.util.Optional.empty())),
                4));
        assertThat(kv.get("b")).isEmpty();
        assertThat(kv.lastApplied()).isEqualTo(4);

        // The same transaction again: "c" exists now, so the failure branch runs and nothing changes.
        String before = kv.capture().stateHashHex();
        KvResult again = kv.apply(5, txn);
        assertThat(again).isEqualTo(new KvResult.TxnResult(false, List.of(new KvResult.GetDone(
                java.util.Optional.of(new KvEntry("a", bytes("y"), 1, 2, 2)))), 5));
        assertThat(kv.get("c").orElseThrow().modRevision()).isEqualTo(4);
        // A value comparison of a missing key is false, whatever the operator.
        assertThat(((KvResult.TxnResult) kv.apply(6, new KvCommand.Txn(List.of(TxnCompare.value("zz",
                TxnCompare.Op.NOT_EQUAL, bytes("q"))), List.of(), List.of()))).succeeded()).isFalse();
        assertThat(before).isNotNull();
        // A branch that writes a key twice is refused when built.
        assertThatThrownBy(() -> new KvCommand.Txn(List.of(), List.of(new TxnOp.Put("k", bytes("1")),
                new TxnOp.Delete("k")), List.of())).hasMessageContaining("writes key 'k' twice");
    }

    /**
     * A transaction with repeated writes (a Redis MULTI's): each write of a key sees the ones before it; conditional
     * puts (SET NX, XX) are decided where they fall among the operations. The entry is one revision: each key it left
     * changed is one change (its last value), in the order the keys were first written, and its version grows by 1; a
     * key deleted and written again is created at this revision; one written and deleted, absent before, is no change.
     */
    @Test
    void aTransactionWithRepeatedWritesAppliesThemInOrderAsOneChangePerKey() {
        put(1, "k", "7");
        put(2, "d", "old");
        put(3, "gone", "x");
        KvCommand.Txn multi = new KvCommand.Txn(List.of(), List.of(
                new TxnOp.Increment("k", 1), new TxnOp.Increment("k", 1), new TxnOp.Get("k"),
                new TxnOp.Delete("d"), new TxnOp.PutIf(new TxnOp.Put("d", bytes("a")), TxnOp.PutIf.When.PRESENT),
                new TxnOp.PutIf(new TxnOp.Put("d", bytes("b")), TxnOp.PutIf.When.ABSENT),
                new TxnOp.PutIf(new TxnOp.Put("d", bytes("c")), TxnOp.PutIf.When.ABSENT),
                new TxnOp.Put("t", bytes("tmp")), new TxnOp.Get("t"), new TxnOp.Delete("t"),
                new TxnOp.PutIf(new TxnOp.Put("d", bytes("e")), TxnOp.PutIf.When.PRESENT),
                new TxnOp.Put("gone", bytes("y")), new TxnOp.Delete("gone")), List.of(), true);
        List<KvChange> changes = new java.util.ArrayList<>();
        KvResult r = kv.apply(4, KvCodec.encode(multi), changes);
        assertThat(r).isEqualTo(new KvResult.TxnResult(true, List.of(
                new KvResult.IncrementDone(8, null), new KvResult.IncrementDone(9, null),
                new KvResult.GetDone(java.util.Optional.of(new KvEntry("k", bytes("9"), 1, 4, 2))),
                new KvResult.DeleteDone(1), new KvResult.PutIfDone(false), new KvResult.PutIfDone(true),
                new KvResult.PutIfDone(false), new KvResult.PutDone(),
                new KvResult.GetDone(java.util.Optional.of(new KvEntry("t", bytes("tmp"), 4, 4, 1))),
                new KvResult.DeleteDone(1), new KvResult.PutIfDone(true), new KvResult.PutDone(),
                new KvResult.DeleteDone(1)), 4));
        assertThat(kv.get("k")).contains(new KvEntry("k", bytes("9"), 1, 4, 2));
        assertThat(kv.get("d")).as("deleted, then created again at this revision, then rewritten")
                .contains(new KvEntry("d", bytes("e"), 4, 4, 1));
        assertThat(kv.get("t")).isEmpty();
        assertThat(kv.get("gone")).isEmpty();
        assertThat(changes).containsExactly(
                new KvChange(4, 0, "k", new KvEntry("k", bytes("9"), 1, 4, 2)),
                new KvChange(4, 1, "d", new KvEntry("d", bytes("e"), 4, 4, 1)),
                new KvChange(4, 2, "gone", null));
        assertThat(kv.dataBytes()).isEqualTo(2 + 2);

        // The same state from a snapshot before it plus the entry, and from a replica replaying the whole log.
        KvStateMachine replica = new KvStateMachine();
        replica.apply(1, KvCodec.encode(new KvCommand.Put("k", bytes("7"))));
        replica.apply(2, KvCodec.encode(new KvCommand.Put("d", bytes("old"))));
        replica.apply(3, KvCodec.encode(new KvCommand.Put("gone", bytes("x"))));
        KvStateMachine restored = KvStateMachine.restore(replica.capture().toByteArray());
        assertThat(replica.apply(4, KvCodec.encode(multi))).isEqualTo(r);
        assertThat(restored.apply(4, KvCodec.encode(multi))).isEqualTo(r);
        assertThat(replica.stateHashHex()).isEqualTo(kv.stateHashHex());
        assertThat(restored.stateHashHex()).isEqualTo(kv.stateHashHex());
        assertThat(KvStateMachine.restore(kv.capture().toByteArray()).stateHashHex()).isEqualTo(kv.stateHashHex());

        // Growth: a key written several times counts its largest write once, not each write.
        KvCommand.Txn rewrites = new KvCommand.Txn(List.of(), List.of(new TxnOp.Put("n", new byte[100]),
                new TxnOp.Put("n", new byte[10]), new TxnOp.Put("n", new byte[100])), List.of(), true);
        assertThat(kv.growth(rewrites)).isEqualTo(101);
    }

    /**
     * Redis's APPEND, SETRANGE and INCRBYFLOAT inside MULTI: each applies as it does alone, seeing the transaction's
     * writes before it; one the state machine refuses (a value that is not a number, an append past the largest value)
     * answers its refusal and changes nothing while the others apply; the entry is one revision, one change per key.
     */
    @Test
    void aTransactionAppliesEditsInOrderAndAnswersEachOnesResult() {
        put(1, "s", "hello");
        put(2, "big", "");
        kv.apply(3, KvCodec.encode(new KvCommand.Put("big", new byte[KvCommand.MAX_VALUE_BYTES - 1])));
        KvCommand.Txn multi = new KvCommand.Txn(List.of(), List.of(
                new TxnOp.Edit(new KvCommand.Append("s", bytes(" world"))),
                new TxnOp.Edit(new KvCommand.SetRange("s", 6, bytes("W"))),
                new TxnOp.Get("s"),
                new TxnOp.Edit(new KvCommand.IncrementByFloat("f", new java.math.BigDecimal("10.5"))),
                new TxnOp.Edit(new KvCommand.IncrementByFloat("f", new java.math.BigDecimal("0.1"))),
                new TxnOp.Edit(new KvCommand.IncrementByFloat("s", java.math.BigDecimal.ONE)),
                new TxnOp.Edit(new KvCommand.Append("big", bytes("xy"))),
                new TxnOp.Edit(new KvCommand.SetRange("new", 2, bytes("z")))), List.of(), true);
        List<KvChange> changes = new java.util.ArrayList<>();
        KvResult r = kv.apply(4, KvCodec.encode(multi), changes);
        assertThat(r).isInstanceOfSatisfying(KvResult.TxnResult.class, t -> {
            assertThat(t.succeeded()).isTrue();
            assertThat(t.results()).hasSize(8);
            assertThat(t.results().get(0)).isEqualTo(new KvResult.EditDone(new KvResult.Spliced(11, 4)));
            assertThat(t.results().get(1)).isEqualTo(new KvResult.EditDone(new KvResult.Spliced(11, 4)));
            assertThat(t.results().get(2)).isEqualTo(new KvResult.GetDone(java.util.Optional.of(
                    new KvEntry("s", bytes("hello World"), 1, 4, 2))));
            assertThat(t.results().get(3)).isEqualTo(new KvResult.EditDone(new KvResult.FloatIncremented("10.5", 4)));
            assertThat(t.results().get(4)).isEqualTo(new KvResult.EditDone(new KvResult.FloatIncremented("10.6", 4)));
            assertThat(t.results().get(5)).isEqualTo(new KvResult.EditDone(new KvResult.Rejected(
                    KvStateMachine.NOT_A_FLOAT, 4)));
            assertThat(((KvResult.Rejected) ((KvResult.EditDone) t.results().get(6)).result()).reason())
                    .startsWith(KvStateMachine.TOO_LONG_TO_APPEND);
            assertThat(t.results().get(7)).isEqualTo(new KvResult.EditDone(new KvResult.Spliced(3, 4)));
        });
        assertThat(kv.get("s")).contains(new KvEntry("s", bytes("hello World"), 1, 4, 2));
        assertThat(kv.get("f")).contains(new KvEntry("f", bytes("10.6"), 4, 4, 1));
        assertThat(kv.get("new")).contains(new KvEntry("new", new byte[] {0, 0, 'z'}, 4, 4, 1));
        assertThat(kv.get("big").orElseThrow().valueLength()).as("refused: unchanged")
                .isEqualTo(KvCommand.MAX_VALUE_BYTES - 1);
        assertThat(changes).extracting(KvChange::key).containsExactly("s", "f", "new");

        // A replica replaying the log, and one from a snapshot before the entry, agree.
        KvStateMachine replica = new KvStateMachine();
        replica.apply(1, KvCodec.encode(new KvCommand.Put("s", bytes("hello"))));
        replica.apply(2, KvCodec.encode(new KvCommand.Put("big", bytes(""))));
        replica.apply(3, KvCodec.encode(new KvCommand.Put("big", new byte[KvCommand.MAX_VALUE_BYTES - 1])));
        KvStateMachine restored = KvStateMachine.restore(replica.capture().toByteArray());
        assertThat(replica.apply(4, KvCodec.encode(multi))).isEqualTo(r);
        assertThat(restored.apply(4, KvCodec.encode(multi))).isEqualTo(r);
        assertThat(restored.stateHashHex()).isEqualTo(kv.stateHashHex());
    }

    /**
     * RENAME moves the value and deletes the source at one revision, the target's history going on if it existed;
     * RENAMENX moves nothing when the target exists; a missing source is refused, a key renamed to itself stays.
     */
    @Test
    void aRenameMovesTheValueAndDeletesTheSource() {
        put(1, "src", "value");
        put(2, "dst", "old");
        put(3, "keep", "k");
        long before = kv.dataBytes();
        KvCommand.Rename rename = new KvCommand.Rename("src", "dst", false);
        long predicted = kv.growth(rename);
        List<KvChange> changes = new java.util.ArrayList<>();
        assertThat(kv.apply(4, KvCodec.encode(rename), changes)).isEqualTo(new KvResult.Renamed(true, 4));
        assertThat(kv.get("src")).isEmpty();
        assertThat(kv.get("dst")).contains(new KvEntry("dst", bytes("value"), 2, 4, 2));
        // "src" and its 5 bytes go; "dst" holds 5 bytes instead of 3.
        assertThat(kv.dataBytes() - before).isEqualTo(predicted).isEqualTo(-(3 + 5) + (5 - 3));
        assertThat(changes).containsExactly(new KvChange(4, 0, "dst", new KvEntry("dst", bytes("value"), 2, 4, 2)),
                new KvChange(4, 1, "src", null));
        // To a new key: created at this revision.
        assertThat(kv.apply(5, KvCodec.encode(new KvCommand.Rename("dst", "fresh", true))))
                .isEqualTo(new KvResult.Renamed(true, 5));
        assertThat(kv.get("fresh")).contains(new KvEntry("fresh", bytes("value"), 5, 5, 1));
        // RENAMENX onto an existing key, a missing source, a key to itself: nothing changes.
        assertThat(kv.apply(6, KvCodec.encode(new KvCommand.Rename("fresh", "keep", true))))
                .isEqualTo(new KvResult.Renamed(false, 6));
        assertThat(kv.apply(7, KvCodec.encode(new KvCommand.Rename("gone", "x", false))))
                .isEqualTo(new KvResult.Rejected(KvStateMachine.NO_SUCH_KEY, 7));
        assertThat(kv.apply(8, KvCodec.encode(new KvCommand.Rename("keep", "keep", false))))
                .isEqualTo(new KvResult.Renamed(true, 8));
        assertThat(kv.apply(9, KvCodec.encode(new KvCommand.Rename("keep", "keep", true))))
                .isEqualTo(new KvResult.Renamed(false, 9));
        assertThat(kv.growth(new KvCommand.Rename("fresh", "keep", true))).isZero();
        assertThat(kv.get("keep")).contains(new KvEntry("keep", bytes("k"), 3, 3, 1));
        assertThat(kv.get("fresh")).contains(new KvEntry("fresh", bytes("value"), 5, 5, 1));
        assertThat(KvStateMachine.restore(kv.capture().toByteArray()).stateHashHex()).isEqualTo(kv.stateHashHex());
    }

    /**
     * What a transaction's edits may grow the data by follows each key through the branch: two appends grow a value by
     * both, a set range extends what the branch wrote before it, and an increment by a float of a key the branch wrote
     * counts the longest sum there is.
     */
    @Test
    void aTransactionsGrowthFollowsItsEditsThroughTheBranch() {
        put(1, "a", "12345");
        KvCommand.Txn appends = new KvCommand.Txn(List.of(), List.of(
                new TxnOp.Edit(new KvCommand.Append("a", new byte[100])),
                new TxnOp.Edit(new KvCommand.Append("a", new byte[50]))), List.of(), true);
        long predicted = kv.growth(appends);
        assertThat(predicted).isEqualTo(150);
        long before = kv.dataBytes();
        kv.apply(2, KvCodec.encode(appends));
        assertThat(kv.dataBytes() - before).isEqualTo(predicted);
        KvCommand.Txn extended = new KvCommand.Txn(List.of(), List.of(new TxnOp.Put("b", new byte[10]),
                new TxnOp.Edit(new KvCommand.SetRange("b", 20, new byte[5]))), List.of(), true);
        assertThat(kv.growth(extended)).isEqualTo(KvStateMachine.sizeOf("b", 25));
        KvCommand.Txn sums = new KvCommand.Txn(List.of(), List.of(new TxnOp.Put("c", bytes("1")),
                new TxnOp.Edit(new KvCommand.IncrementByFloat("c", java.math.BigDecimal.ONE))), List.of(), true);
        assertThat(kv.growth(sums)).isEqualTo(KvStateMachine.sizeOf("c", KvCommand.IncrementByFloat.MAX_RESULT_TEXT));
        KvCommand.Txn sum = new KvCommand.Txn(List.of(), List.of(
                new TxnOp.Edit(new KvCommand.IncrementByFloat("d", new java.math.BigDecimal("2.5")))), List.of());
        assertThat(kv.growth(sum)).as("a key the branch did not write: its exact sum").isEqualTo(
                KvStateMachine.sizeOf("d", 3));
        // An increment leaves a short value where the bound counts 20 bytes: an append that would not fit after 20
        // bytes still applies after the real 1, and the bound must cover it (it counted the append as refused).
        KvCommand.Txn nearTheLimit = new KvCommand.Txn(List.of(), List.of(new TxnOp.Increment("e", 1),
                new TxnOp.Edit(new KvCommand.Append("e", new byte[KvCommand.MAX_VALUE_BYTES - 10]))), List.of(), true);
        long bound = kv.growth(nearTheLimit);
        long dataBefore = kv.dataBytes();
        kv.apply(3, KvCodec.encode(nearTheLimit));
        assertThat(kv.get("e").orElseThrow().valueLength()).isEqualTo(KvCommand.MAX_VALUE_BYTES - 9);
        assertThat(bound).isGreaterThanOrEqualTo(kv.dataBytes() - dataBefore);
    }

    /**
     * An entry of the etcd-like kind (op 4) that writes a key twice could never be proposed, and applies as it always
     * did: refused, nothing changed. Only the kind that says so (op 6) may.
     */
    @Test
    void aPlainTransactionEntryWritingAKeyTwiceIsStillRefused() {
        put(1, "k", "1");
        byte[] entry = KvCodec.encode(new KvCommand.Txn(List.of(), List.of(new TxnOp.Increment("k", 1),
                new TxnOp.Increment("k", 1)), List.of(), true));
        assertThat(entry[1]).isEqualTo((byte) 6);
        entry[1] = 4; // the same transaction as an entry of the plain kind
        KvResult r = kv.apply(2, entry);
        assertThat(r).isInstanceOf(KvResult.Rejected.class);
        assertThat(((KvResult.Rejected) r).reason()).contains("writes key 'k' twice");
        assertThat(kv.get("k")).contains(new KvEntry("k", bytes("1"), 1, 1, 1));
    }

    @Test
    void compareAndDeleteDeletesOnlyAtTheExpectedRevision() {
        put(1, "k", "v1");
        put(2, "k", "v2");
        String before = kv.stateHashHex();
        assertThat(kv.apply(3, new KvCommand.Delete("k", 1, null))).isEqualTo(new KvResult.PreconditionFailed(2, 3));
        assertThat(kv.apply(4, new KvCommand.Delete("k", 0, null))).isEqualTo(new KvResult.PreconditionFailed(2, 4));
        assertThat(kv.get("k")).isPresent();
        assertThat(kv.apply(5, new KvCommand.Delete("k", 2, null))).isEqualTo(new KvResult.Deleted(1, 5));
        assertThat(kv.get("k")).isEmpty();
        // "Must not exist" on a missing key holds: nothing to delete.
        assertThat(kv.apply(6, new KvCommand.Delete("k", 0, null))).isEqualTo(new KvResult.Deleted(0, 6));
        assertThat(kv.apply(7, new KvCommand.Delete("k", 5, null))).isEqualTo(new KvResult.PreconditionFailed(0, 7));
        assertThat(before).isNotEqualTo(kv.stateHashHex());
    }

    @Test
    void deletingAMissingKeyChangesNothingButTheAppliedIndex() {
        put(1, "a", "x");
        KvStateMachine reference = new KvStateMachine();
        reference.apply(1, new KvCommand.Put("a", bytes("x")));
        reference.applyNoop(2);

        assertThat(delete(2, "missing")).isEqualTo(new KvResult.Deleted(0, 2));
        assertThat(kv.lastApplied()).isEqualTo(2);
        assertThat(kv.stateHashHex()).isEqualTo(reference.stateHashHex());
    }

    @Test
    void mustNotExistSucceedsOnAbsentKeyAndFailsOnExistingKey() {
        assertThat(cas(1, "k", "first", KvCommand.MUST_NOT_EXIST)).isEqualTo(new KvResult.Written(1));
        assertThat(cas(2, "k", "second", KvCommand.MUST_NOT_EXIST))
                .isEqualTo(new KvResult.PreconditionFailed(1, 2));
        assertThat(kv.get("k")).contains(new KvEntry("k", bytes("first"), 1, 1, 1));
        assertThat(kv.lastApplied()).isEqualTo(2);
    }

    @Test
    void compareAndSetWritesOnlyOnMatchingModRevision() {
        put(1, "k", "v1");
        put(2, "k", "v2");

        assertThat(cas(3, "k", "stale", 1)).isEqualTo(new KvResult.PreconditionFailed(2, 3));
        assertThat(kv.get("k").orElseThrow().value()).isEqualTo(bytes("v2"));

        assertThat(cas(4, "k", "v3", 2)).isEqualTo(new KvResult.Written(4));
        assertThat(kv.get("k")).contains(new KvEntry("k", bytes("v3"), 1, 4, 3));
    }

    @Test
    void compareAndSetOnAbsentKeyReportsRevisionZero() {
        assertThat(cas(1, "k", "v", 7)).isEqualTo(new KvResult.PreconditionFailed(0, 1));
        assertThat(kv.get("k")).isEmpty();
    }

    @Test
    void failedPreconditionLeavesStateAsANoopWould() {
        put(1, "k", "v");
        cas(2, "k", "w", 99);

        KvStateMachine reference = new KvStateMachine();
        reference.apply(1, new KvCommand.Put("k", bytes("v")));
        reference.applyNoop(2);
        assertThat(kv.stateHashHex()).isEqualTo(reference.stateHashHex());
    }

    @Test
    void undecodableEntriesAreRejectedDeterministicallyWithoutChangingState() {
        put(1, "k", "v");

        KvResult result = kv.apply(2, new byte[] {1, 0});

        assertThat(result).isEqualTo(new KvResult.Rejected("unknown op code 0 at offset 1", 2));
        assertThat(kv.lastApplied()).isEqualTo(2);
        KvStateMachine reference = new KvStateMachine();
        reference.apply(1, new KvCommand.Put("k", bytes("v")));
        reference.applyNoop(2);
        assertThat(kv.stateHashHex()).isEqualTo(reference.stateHashHex());
    }

    /**
     * An entry a newer release wrote (an op this release does not know) is not skipped as a rejected one: the replicas
     * of that release apply it, and this one would hold another state from then on. Nothing is applied, and the same
     * index can be applied later (by the release that knows it).
     */
    @Test
    void anEntryOfANewerReleaseStopsTheStateMachineWithoutApplyingAnything() {
        put(1, "k", "v");
        String before = kv.stateHashHex();

        EntryFromNewerReleaseException stop = catchThrowableOfType(EntryFromNewerReleaseException.class,
                () -> kv.apply(2, new byte[] {1, (byte) 200, 1, 'k', 0}));

        assertThat(stop.index()).isEqualTo(2);
        assertThat(stop).hasMessage("the committed entry at index 2 was written by a newer Raftline release (unknown op"
                + " code 200 at offset 1): this release cannot apply it; run this node with the release the other members"
                + " run");
        assertThat(kv.lastApplied()).isEqualTo(1);
        assertThat(kv.stateHashHex()).isEqualTo(before);
        assertThat(kv.apply(2, KvCodec.encode(new KvCommand.Put("k", bytes("w"))))).isInstanceOf(KvResult.Written.class);
    }

    @Test
    void indexMustIncreaseStrictlyAndAStaleIndexChangesNothing() {
        put(5, "k", "v");
        String before = kv.stateHashHex();

        assertThatThrownBy(() -> put(5, "k", "again"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("index 5 must be greater than the last applied index 5");
        assertThatThrownBy(() -> kv.applyNoop(4)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> kv.apply(3, new byte[] {0})).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> new KvStateMachine().applyNoop(0)).isInstanceOf(IllegalStateException.class);
        assertThat(kv.stateHashHex()).isEqualTo(before);
    }

    @Test
    void applyingACommandEqualsApplyingItsEncoding() {
        KvStateMachine direct = new KvStateMachine();
        List<KvCommand> commands = List.of(
                new KvCommand.Put("a", bytes("1"), -1, "r1"),
                new KvCommand.Put("a", bytes("2"), 1, null),
                new KvCommand.Delete("b", "r2"),
                new KvCommand.Put("a", bytes("3"), 0, "r1"));
        long index = 1;
        for (KvCommand command : commands) {
            assertThat(direct.apply(index, command)).isEqualTo(kv.apply(index, KvCodec.encode(command)));
            index++;
        }
        assertThat(direct.stateHashHex()).isEqualTo(kv.stateHashHex());
    }

    @Test
    void rangeReturnsPrefixMatchesInUtf8OrderUpToTheLimit() {
        long i = 1;
        for (String key : List.of("b/2", "a", "b/10", "b/1", "b\uE000", "b/\uD83D\uDE00", "b/\uE000", "c", "b")) {
            put(i++, key, key);
        }

        assertThat(keys(kv.range("b/", 100))).containsExactly("b/1", "b/10", "b/2", "b/\uE000", "b/\uD83D\uDE00");
        assertThat(keys(kv.range("b/", 2))).containsExactly("b/1", "b/10");
        assertThat(keys(kv.range("", 100)))
                .containsExactly("a", "b", "b/1", "b/10", "b/2", "b/\uE000", "b/\uD83D\uDE00", "b\uE000", "c");
        assertThat(kv.range("b/", 0)).isEmpty();
        assertThat(kv.range("z", 10)).isEmpty();
        assertThat(keys(kv.range("c", 10))).containsExactly("c");
        assertThatThrownBy(() -> kv.range("", -1)).hasMessage("limit must be >= 0, not -1");
    }

    @Test
    void aCursorResumesAfterTheLastKeySeenInsideThePrefix() {
        long i = 1;
        for (String key : List.of("a", "b/1", "b/10", "b/2", "b/\uE000", "b/\uD83D\uDE00", "c")) {
            put(i++, key, key);
        }
        // Paging by two through b/ sees every key once, in order.
        assertThat(keys(kv.range("b/", "", 2))).containsExactly("b/1", "b/10");
        assertThat(keys(kv.range("b/", "b/10", 2))).containsExactly("b/2", "b/\uE000");
        assertThat(keys(kv.range("b/", "b/\uE000", 2))).containsExactly("b/\uD83D\uDE00");
        assertThat(kv.range("b/", "b/\uD83D\uDE00", 2)).isEmpty();
        // The cursor need not be a key; before the prefix it changes nothing, after it nothing is left.
        assertThat(keys(kv.range("b/", "b/15", 10))).containsExactly("b/2", "b/\uE000", "b/\uD83D\uDE00");
        assertThat(keys(kv.range("b/", "a", 10))).hasSize(5);
        assertThat(kv.range("b/", "c", 10)).isEmpty();
        assertThat(keys(kv.range("", "b/2", 10))).containsExactly("b/\uE000", "b/\uD83D\uDE00", "c");
        assertThat(keys(kv.capture().range("b/", "b/10", 1))).containsExactly("b/2");
    }

    @Test
    void readsReturnCopiesThatCannotChangeTheState() {
        put(1, "k", "v");
        kv.get("k").orElseThrow().value()[0] = 'X';
        kv.range("", 1).get(0).value()[0] = 'Y';

        assertThat(kv.get("k").orElseThrow().value()).isEqualTo(bytes("v"));
        assertThatThrownBy(() -> kv.range("", 1).clear()).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void equalStatesReachedByDifferentHistoriesHaveEqualHashes() {
        // kv inserts and deletes 100 keys first, so its trees were shaped by another history.
        long i = 1;
        for (int k = 0; k < 100; k++) {
            put(i++, "key" + k, "old");
        }
        for (int k = 99; k >= 0; k--) {
            delete(i++, "key" + k);
        }
        KvStateMachine quiet = noopsUpTo(i - 1);
        for (int k = 0; k < 50; k++) {
            String key = "key" + (k * 7 % 50);
            assertThat(put(i, key, "new")).isEqualTo(quiet.apply(i, new KvCommand.Put(key, bytes("new"))));
            i++;
        }

        assertThat(kv.stateHashHex()).isEqualTo(quiet.stateHashHex()).hasSize(64);
        assertThat(kv.stateHash()).isEqualTo(quiet.stateHash()).hasSize(32);
    }

    @Test
    void hashCoversAppliedIndexValuesRevisionsAndIdempotencyTable() {
        KvStateMachine base = new KvStateMachine();
        base.apply(1, new KvCommand.Put("k", bytes("v")));
        KvStateMachine laterIndex = new KvStateMachine();
        laterIndex.apply(1, new KvCommand.Put("k", bytes("v")));
        laterIndex.applyNoop(2);
        KvStateMachine otherValue = new KvStateMachine();
        otherValue.apply(1, new KvCommand.Put("k", bytes("w")));
        KvStateMachine otherRevision = new KvStateMachine();
        otherRevision.applyNoop(1);
        otherRevision.apply(2, new KvCommand.Put("k", bytes("v")));
        KvStateMachine withIdempotencyKey = new KvStateMachine();
        withIdempotencyKey.apply(1, new KvCommand.Put("k", bytes("v"), -1, "r"));
        KvStateMachine otherCapacity = new KvStateMachine(10);
        otherCapacity.apply(1, new KvCommand.Put("k", bytes("v")));
        // The same key, entry and recorded result, for another request (a create-only put): another fingerprint.
        KvStateMachine otherRequest = new KvStateMachine();
        otherRequest.apply(1, new KvCommand.Put("k", bytes("v"), KvCommand.MUST_NOT_EXIST, "r"));
        assertThat(otherRequest.get("k")).isEqualTo(withIdempotencyKey.get("k"));

        assertThat(List.of(base, laterIndex, otherValue, otherRevision, withIdempotencyKey, otherCapacity,
                        otherRequest))
                .extracting(KvStateMachine::stateHashHex)
                .doesNotHaveDuplicates();
    }

    private static List<String> keys(List<KvEntry> entries) {
        return entries.stream().map(KvEntry::key).toList();
    }

    /**
     * Point lookups go to a hash trie beside the sorted tree; a restored machine builds it from the snapshot's
     * entries and every write updates both. Against a model, with machines restored from snapshots in the
     * middle, every lookup, precondition and listing must agree.
     */
    @Test
    void pointLookupsAgreeWithTheSortedStateThroughWritesDeletesAndRestores() {
        Random random = new Random(7);
        KvStateMachine live = new KvStateMachine();
        TreeMap<String, String> model = new TreeMap<>();
        long index = 0;
        for (int round = 0; round < 4; round++) {
            for (int i = 0; i < 2_000; i++) {
                String key = "k" + random.nextInt(300);
                index++;
                int op = random.nextInt(4);
                if (op == 0) {
                    live.apply(index, new KvCommand.Delete(key));
                    model.remove(key);
                } else if (op == 1) {
                    long revision = live.get(key).map(KvEntry::modRevision).orElse(0L);
                    KvResult r = live.apply(index, new KvCommand.Put(key, bytes("c" + index), revision, null));
                    assertThat(r).isInstanceOf(KvResult.Written.class);
                    model.put(key, "c" + index);
                } else {
                    live.apply(index, new KvCommand.Put(key, bytes("v" + index)));
                    model.put(key, "v" + index);
                }
            }
            // A restored machine's first write must see the keys the snapshot holds.
            KvStateMachine restored = KvStateMachine.restore(live.capture().toByteArray());
            String existing = model.firstKey();
            long existingRevision = live.get(existing).orElseThrow().modRevision();
            assertThat(restored.apply(index + 1, new KvCommand.Put(existing, bytes("x"), existingRevision + 1, null)))
                    .isInstanceOf(KvResult.PreconditionFailed.class);
            live.applyNoop(index + 1);
            index++;
            for (KvStateMachine m : List.of(live, restored)) {
                for (int k = 0; k < 300; k++) {
                    String key = "k" + k;
                    assertThat(m.get(key).map(e -> new String(e.value(), StandardCharsets.UTF_8)).orElse(null))
                            .as("key %s after round %d", key, round).isEqualTo(model.get(key));
                }
                assertThat(m.size()).isEqualTo(model.size());
                List<String> listed = m.range("", Integer.MAX_VALUE).stream().map(KvEntry::key).toList();
                assertThat(listed).containsExactlyElementsOf(model.keySet());
            }
            assertThat(restored.stateHashHex()).isEqualTo(live.stateHashHex());
            // Go on with the restored machine every other round, so later rounds also write to a rebuilt index.
            live = round % 2 == 0 ? restored : live;
        }
    }
}
