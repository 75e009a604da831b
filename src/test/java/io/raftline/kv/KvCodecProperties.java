package io.raftline.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

class KvCodecProperties {

    @Provide
    static Arbitrary<KvCommand> commands() {
        Arbitrary<String> keys = Arbitraries.strings().all().ofMinLength(1).ofMaxLength(40)
                .filter(s -> Utf8.encodedLength(s) > 0);
        Arbitrary<String> idempotencyKeys = Arbitraries.strings().alpha().numeric().ofMinLength(1).ofMaxLength(20)
                .injectNull(0.3);
        Arbitrary<byte[]> values = Arbitraries.bytes().array(byte[].class).ofMaxSize(300);
        Arbitrary<Long> revisions = Arbitraries.oneOf(
                Arbitraries.of(-1L, 0L, 1L, 127L, 128L, Long.MAX_VALUE - 1, Long.MAX_VALUE),
                Arbitraries.longs().between(-1, Long.MAX_VALUE));
        Arbitrary<KvCommand> puts = Combinators.combine(keys, values, revisions, idempotencyKeys)
                .as(KvCommand.Put::new);
        Arbitrary<KvCommand> deletes = Combinators.combine(keys, revisions, idempotencyKeys)
                .as(KvCommand.Delete::new);
        Arbitrary<KvCommand> increments = Combinators.combine(keys, Arbitraries.longs()).as(KvCommand.Increment::new);
        // Redis's MULTI: transactions that may write a key twice and hold edits, each kind of operation.
        Arbitrary<TxnOp> ops = Arbitraries.oneOf(
                Combinators.combine(keys, values).as(TxnOp.Put::new), keys.map(TxnOp.Get::new),
                keys.map(TxnOp.Delete::new), Combinators.combine(keys, Arbitraries.longs()).as(TxnOp.Increment::new),
                Combinators.combine(keys, values).as((k, v) -> new TxnOp.Edit(new KvCommand.Append(k, v))),
                Combinators.combine(keys, Arbitraries.integers().between(0, 1 << 19), values.filter(v -> v.length > 0))
                        .as((k, o, v) -> new TxnOp.Edit(new KvCommand.SetRange(k, o, v))),
                Combinators.combine(keys, Arbitraries.bigDecimals().between(new java.math.BigDecimal("-1e30"),
                        new java.math.BigDecimal("1e30")).ofScale(12)).as((k, d) -> new TxnOp.Edit(
                                new KvCommand.IncrementByFloat(k, d))));
        Arbitrary<KvCommand> multis = Combinators.combine(ops.list().ofMaxSize(5), ops.list().ofMaxSize(3))
                .as((s, f) -> new KvCommand.Txn(List.of(), s, f, true));
        return Arbitraries.oneOf(puts, deletes, increments, multis);
    }

    @Property(tries = 500)
    void decodeInvertsEncode(@ForAll("commands") KvCommand command) {
        assertThat(KvCodec.decode(KvCodec.encode(command))).isEqualTo(command);
    }

    @Property(tries = 2000)
    void garbageOnlyEverThrowsKvFormatException(@ForAll @Size(max = 64) byte[] garbage) {
        assertDecodesCanonicallyOrRefuses(garbage);
    }

    /** Garbage that starts like a valid command reaches deeper into the decoder. */
    @Property(tries = 2000)
    void garbageAfterAValidHeaderOnlyEverThrowsKvFormatException(
            @ForAll @Size(max = 40) byte[] tail, @ForAll boolean put) {
        byte[] input = new byte[tail.length + 2];
        input[0] = KvCodec.FORMAT_VERSION;
        input[1] = (byte) (put ? KvCodec.OP_PUT : KvCodec.OP_DELETE);
        System.arraycopy(tail, 0, input, 2, tail.length);
        assertDecodesCanonicallyOrRefuses(input);
    }

    @Property(tries = 1000)
    void corruptedEncodingsDecodeCanonicallyOrAreRefused(
            @ForAll("commands") KvCommand command, @ForAll int position, @ForAll byte replacement) {
        byte[] bytes = KvCodec.encode(command);
        bytes[Math.floorMod(position, bytes.length)] = replacement;
        assertDecodesCanonicallyOrRefuses(bytes);
    }

    @Property(tries = 300)
    void everyTruncationIsRefused(@ForAll("commands") KvCommand command) {
        byte[] full = KvCodec.encode(command);
        for (int length = 0; length < full.length; length++) {
            byte[] prefix = Arrays.copyOf(full, length);
            assertThat(catchThrowable(() -> KvCodec.decode(prefix))).isInstanceOf(KvFormatException.class);
        }
    }

    /** Either the bytes are refused cleanly, or they are the one encoding of what they decode to. */
    private static void assertDecodesCanonicallyOrRefuses(byte[] input) {
        KvCommand decoded;
        try {
            decoded = KvCodec.decode(input);
        } catch (KvFormatException e) {
            assertThat(e.getMessage()).isNotBlank();
            assertThat(e.offset()).isBetween(0L, (long) input.length);
            return;
        }
        assertThat(KvCodec.encode(decoded)).isEqualTo(input);
    }
}
