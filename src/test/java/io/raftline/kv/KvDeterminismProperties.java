package io.raftline.kv;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;

/**
 * Event sourcing, checked: the state is a function of the applied log alone, whichever replica
 * applies it, and whether it starts from scratch or from a snapshot taken part-way.
 */
class KvDeterminismProperties {

    /** One committed log entry: {@code data == null} is a no-op; {@code gap} skips indexes. */
    record LogEntry(int gap, byte[] data) {
        @Override
        public String toString() {
            return "+" + gap + (data == null ? " noop" : " " + describe(data));
        }

        private static String describe(byte[] data) {
            try {
                return KvCodec.decode(data).toString();
            } catch (KvFormatException e) {
                return "garbage " + Arrays.toString(data);
            }
        }
    }

    @Provide
    static Arbitrary<List<LogEntry>> logs() {
        Arbitrary<String> keys = Arbitraries.of("a", "b", "c", "d", "e");
        Arbitrary<String> idempotencyKeys = Arbitraries.of("r1", "r2", "r3", "r4", "r5", "r6").injectNull(0.5);
        Arbitrary<Long> revisions = Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.just(KvCommand.UNCONDITIONAL)),
                Tuple.of(2, Arbitraries.just(KvCommand.MUST_NOT_EXIST)),
                Tuple.of(3, Arbitraries.longs().between(1, 40)));
        Arbitrary<byte[]> values = Arbitraries.bytes().array(byte[].class).ofMaxSize(8);
        Arbitrary<byte[]> puts = Combinators.combine(keys, values, revisions, idempotencyKeys)
                .as((k, v, r, i) -> KvCodec.encode(new KvCommand.Put(k, v, r, i)));
        Arbitrary<byte[]> deletes = Combinators.combine(keys, revisions, idempotencyKeys)
                .as((k, r, i) -> KvCodec.encode(new KvCommand.Delete(k, r, i)));
        Arbitrary<TxnCompare> compares = Arbitraries.oneOf(
                Combinators.combine(keys, Arbitraries.of(TxnCompare.Op.class), values)
                        .as((k, o, v) -> TxnCompare.value(k, o, v)),
                Combinators.combine(keys, Arbitraries.of(TxnCompare.Target.MOD_REVISION,
                        TxnCompare.Target.CREATE_REVISION, TxnCompare.Target.VERSION), Arbitraries.of(TxnCompare.Op.class),
                        Arbitraries.longs().between(0, 40)).as(TxnCompare::number));
        Arbitrary<Long> deltas = Arbitraries.oneOf(Arbitraries.longs().between(-5, 5),
                Arbitraries.of(Long.MAX_VALUE, Long.MIN_VALUE));
        Arbitrary<String> floatTexts = Arbitraries.of("0.1", "-0.25", "1e3", "2.5E-18", "-7", "123456789.123456789");
        // Redis's APPEND, SETRANGE and INCRBYFLOAT inside MULTI.
        Arbitrary<TxnOp> edits = Arbitraries.oneOf(
                Combinators.combine(keys, values).as((k, v) -> new TxnOp.Edit(new KvCommand.Append(k, v))),
                Combinators.combine(keys, Arbitraries.integers().between(0, 12), values.filter(v -> v.length > 0))
                        .as((k, o, v) -> new TxnOp.Edit(new KvCommand.SetRange(k, o, v))),
                Combinators.combine(keys, floatTexts).as((k, d) -> new TxnOp.Edit(new KvCommand.IncrementByFloat(k,
                        new java.math.BigDecimal(d)))));
        Arbitrary<TxnOp> ops = Arbitraries.oneOf(Combinators.combine(keys, values).as(TxnOp.Put::new),
                keys.map(TxnOp.Delete::new), keys.map(TxnOp.Get::new),
                Combinators.combine(keys, deltas).as(TxnOp.Increment::new),
                Combinators.combine(keys, values, Arbitraries.of(TxnOp.PutIf.When.class))
                        .as((k, v, w) -> new TxnOp.PutIf(new TxnOp.Put(k, v), w)), edits);
        Arbitrary<List<TxnOp>> branches = ops.list().ofMaxSize(4).filter(KvDeterminismProperties::oneWritePerKey);
        Arbitrary<byte[]> txns = Combinators.combine(compares.list().ofMaxSize(3), branches, branches)
                .as((c, s, f) -> KvCodec.encode(new KvCommand.Txn(c, s, f)));
        // A Redis MULTI's transaction: a branch may write a key several times (over few keys, so it often does).
        Arbitrary<List<TxnOp>> repeating = ops.list().ofMaxSize(8);
        Arbitrary<byte[]> multis = Combinators.combine(compares.list().ofMaxSize(2), repeating, repeating)
                .as((c, s, f) -> KvCodec.encode(new KvCommand.Txn(c, s, f, true)));
        Arbitrary<byte[]> increments = Combinators.combine(keys, deltas)
                .as((k, d) -> KvCodec.encode(new KvCommand.Increment(k, d)));
        Arbitrary<byte[]> appends = Combinators.combine(keys, values)
                .as((k, v) -> KvCodec.encode(new KvCommand.Append(k, v)));
        Arbitrary<byte[]> renames = Combinators.combine(keys, keys, Arbitraries.of(true, false))
                .as((s, t, nx) -> KvCodec.encode(new KvCommand.Rename(s, t, nx)));
        // Malformed bytes, skipped as rejected by every replica alike. Bytes that name what a newer release may add (a
        // version or op above those known) stop a replica instead (KvStateMachineTest): here they are made malformed,
        // half of them behind a known version and op so that the decoding goes further in.
        Arbitrary<byte[]> setRanges = Combinators.combine(keys, Arbitraries.integers().between(0, 12),
                values.filter(v -> v.length > 0)).as((k, o, v) -> KvCodec.encode(new KvCommand.SetRange(k, o, v)));
        Arbitrary<byte[]> floatIncrements = Combinators.combine(keys, floatTexts).as((k, d) -> KvCodec.encode(
                new KvCommand.IncrementByFloat(k, new java.math.BigDecimal(d))));
        Arbitrary<byte[]> garbage = Combinators.combine(Arbitraries.bytes().array(byte[].class).ofMaxSize(12),
                Arbitraries.integers().between(0, 2 * KvCodec.OP_APPEND)).as((bytes, op) -> {
                    if (op > 0 && op <= KvCodec.OP_APPEND && bytes.length >= 2) {
                        bytes[0] = KvCodec.FORMAT_VERSION;
                        bytes[1] = op.byteValue();
                    }
                    return newer(bytes) ? malformed(bytes) : bytes;
                });
        // A few fixed requests under two idempotency keys: retries of the same request, and other requests reusing
        // its key (another key, value, condition or kind), which random commands seldom are.
        Arbitrary<byte[]> reuses = Arbitraries.<KvCommand>of(
                new KvCommand.Put("a", new byte[] {1}, KvCommand.UNCONDITIONAL, "q1"),
                new KvCommand.Put("b", new byte[] {1}, KvCommand.UNCONDITIONAL, "q1"),
                new KvCommand.Put("a", new byte[] {2}, KvCommand.UNCONDITIONAL, "q1"),
                new KvCommand.Put("a", new byte[] {1}, KvCommand.MUST_NOT_EXIST, "q1"),
                new KvCommand.Delete("a", "q1"),
                new KvCommand.Delete("c", "q2"),
                new KvCommand.Delete("d", "q2"),
                new KvCommand.Delete("c", 3, "q2"),
                new KvCommand.Put("c", new byte[0], 3, "q2")).map(KvCodec::encode);
        Arbitrary<byte[]> data = Arbitraries.frequencyOf(
                Tuple.of(6, puts), Tuple.of(3, deletes), Tuple.of(2, txns), Tuple.of(2, multis),
                Tuple.of(2, increments), Tuple.of(2, appends), Tuple.of(2, setRanges), Tuple.of(2, floatIncrements),
                Tuple.of(2, renames),
                Tuple.of(2, reuses),
                Tuple.of(1, Arbitraries.just(null)),
                Tuple.of(1, garbage));
        Arbitrary<Integer> gaps = Arbitraries.frequencyOf(
                Tuple.of(8, Arbitraries.just(1)), Tuple.of(2, Arbitraries.integers().between(2, 3)));
        return Combinators.combine(gaps, data).as(LogEntry::new).list().ofMaxSize(120);
    }

    @Property(tries = 300)
    void replicasFedTheSameLogAgreeOnEveryResultAndTheHash(
            @ForAll("logs") List<LogEntry> log, @ForAll @IntRange(max = 4) int capacity) {
        KvStateMachine first = new KvStateMachine(capacity);
        KvStateMachine second = new KvStateMachine(capacity);

        List<KvResult> firstResults = replay(first, log, 0);
        List<KvResult> secondResults = replay(second, log, 0);

        assertThat(secondResults).isEqualTo(firstResults);
        assertThat(second.stateHashHex()).isEqualTo(first.stateHashHex());
        assertThat(second.capture().toByteArray()).isEqualTo(first.capture().toByteArray());
    }

    @Property(tries = 300)
    void snapshotThenReplayOfTheRestEqualsFullReplay(
            @ForAll("logs") List<LogEntry> log, @ForAll @IntRange(max = 4) int capacity,
            @ForAll @IntRange(max = 1000) int cut) {
        int k = log.isEmpty() ? 0 : cut % (log.size() + 1);
        KvStateMachine full = new KvStateMachine(capacity);
        List<KvResult> fullResults = replay(full, log, 0);

        KvStateMachine prefix = new KvStateMachine(capacity);
        replay(prefix, log.subList(0, k), 0);
        byte[] snapshot = prefix.capture().toByteArray();
        KvStateMachine resumed = KvStateMachine.restore(snapshot);
        assertThat(resumed.stateHashHex()).isEqualTo(prefix.stateHashHex());
        assertThat(resumed.capture().toByteArray()).isEqualTo(snapshot);

        List<KvResult> rest = replay(resumed, log.subList(k, log.size()), prefix.lastApplied());

        assertThat(rest).isEqualTo(fullResults.subList(fullResults.size() - rest.size(), fullResults.size()));
        assertThat(resumed.stateHashHex()).isEqualTo(full.stateHashHex());
        assertThat(resumed.lastApplied()).isEqualTo(full.lastApplied());
    }

    /** The machine agrees, entry by entry, with a naive model built on TreeMap and LinkedHashMap. */
    @Property(tries = 300)
    void behavesLikeASimpleModel(@ForAll("logs") List<LogEntry> log, @ForAll @IntRange(max = 4) int capacity) {
        KvStateMachine kv = new KvStateMachine(capacity);
        Model model = new Model(capacity);
        long index = 0;
        for (LogEntry entry : log) {
            index += entry.gap();
            if (entry.data() == null) {
                kv.applyNoop(index);
                continue;
            }
            assertThat(kv.apply(index, entry.data())).as("entry %d", index).isEqualTo(model.apply(index, entry.data()));
        }
        assertThat(kv.range("", Integer.MAX_VALUE)).containsExactlyElementsOf(model.entries.values());
        assertThat(kv.size()).isEqualTo(model.entries.size());
        assertThat(KvStateMachine.restore(kv.capture().toByteArray()).range("", Integer.MAX_VALUE))
                .containsExactlyElementsOf(model.entries.values());
    }

    /** Replays {@code log} after {@code startIndex}; returns the command results (no-ops add none). */
    private static List<KvResult> replay(KvStateMachine kv, List<LogEntry> log, long startIndex) {
        List<KvResult> results = new ArrayList<>();
        long index = startIndex;
        for (LogEntry entry : log) {
            index += entry.gap();
            if (entry.data() == null) {
                kv.applyNoop(index);
            } else {
                results.add(kv.apply(index, entry.data()));
            }
        }
        return results;
    }

    /** The specification in its most obvious form: no persistence, no cleverness. */
    private static final class Model {
        final TreeMap<String, KvEntry> entries = new TreeMap<>();
        final LinkedHashMap<String, KvResult> remembered = new LinkedHashMap<>();
        /** The request that first used each remembered key. */
        final java.util.HashMap<String, KvCommand> firstRequest = new java.util.HashMap<>();
        final int capacity;

        Model(int capacity) {
            this.capacity = capacity;
        }

        KvResult apply(long index, byte[] data) {
            KvCommand command;
            try {
                command = KvCodec.decode(data);
            } catch (KvFormatException e) {
                return new KvResult.Rejected(e.getMessage(), index);
            }
            String idem = command.idempotencyKey();
            if (idem != null && remembered.containsKey(idem)) {
                // A key names one request: the same request (equal commands: same kind, key, precondition and
                // value, and the same key) gets the first answer, any other a refusal that changes nothing.
                KvResult first = remembered.get(idem);
                KvCommand request = firstRequest.get(idem);
                if (request.equals(command)) {
                    return first;
                }
                return new KvResult.IdempotencyKeyReused(request instanceof KvCommand.Delete ? "delete" : "put",
                        first.revision(), index);
            }
            KvResult result = command instanceof KvCommand.Put put ? put(index, put)
                    : command instanceof KvCommand.Delete d ? delete(index, d)
                    : command instanceof KvCommand.Increment inc ? increment(index, inc)
                    : command instanceof KvCommand.Txn t ? txn(index, t)
                    : command instanceof KvCommand.Rename r ? rename(index, r)
                    : edit(index, command);
            if (idem != null && capacity > 0) {
                remembered.put(idem, result);
                firstRequest.put(idem, command);
                if (remembered.size() > capacity) {
                    String oldest = remembered.keySet().iterator().next();
                    remembered.remove(oldest);
                    firstRequest.remove(oldest);
                }
            }
            return result;
        }

        private KvResult put(long index, KvCommand.Put put) {
            KvEntry old = entries.get(put.key());
            long actual = old == null ? 0 : old.modRevision();
            if (put.expectedRevision() != -1 && put.expectedRevision() != actual) {
                return new KvResult.PreconditionFailed(actual, index);
            }
            entries.put(put.key(), new KvEntry(put.key(), put.value(),
                    old == null ? index : old.createRevision(), index, version(old, index)));
            return new KvResult.Written(index);
        }

        /** RENAME restated: the target takes the source's value, then the source goes. */
        private KvResult rename(long index, KvCommand.Rename r) {
            KvEntry source = entries.get(r.source());
            if (source == null) {
                return new KvResult.Rejected(KvStateMachine.NO_SUCH_KEY, index);
            }
            KvEntry target = entries.get(r.target());
            if (r.source().equals(r.target()) || r.onlyIfAbsent() && target != null) {
                return new KvResult.Renamed(!r.onlyIfAbsent(), index);
            }
            entries.put(r.target(), new KvEntry(r.target(), source.value(),
                    target == null ? index : target.createRevision(), index, version(target, index)));
            entries.remove(r.source());
            return new KvResult.Renamed(true, index);
        }

        /** An APPEND, a SETRANGE or an INCRBYFLOAT, alone or in a transaction. */
        private KvResult edit(long index, KvCommand command) {
            return command instanceof KvCommand.Append app ? append(index, app)
                    : command instanceof KvCommand.SetRange range ? setRange(index, range)
                    : incrementByFloat(index, (KvCommand.IncrementByFloat) command);
        }

        /** APPEND restated: the old bytes, then the suffix, refused past the largest value. */
        private KvResult append(long index, KvCommand.Append app) {
            KvEntry old = entries.get(app.key());
            java.io.ByteArrayOutputStream joined = new java.io.ByteArrayOutputStream();
            joined.writeBytes(old == null ? new byte[0] : old.value());
            joined.writeBytes(app.suffix());
            if (joined.size() > KvCommand.MAX_VALUE_BYTES) {
                return new KvResult.Rejected(KvStateMachine.TOO_LONG_TO_APPEND, index);
            }
            entries.put(app.key(), new KvEntry(app.key(), joined.toByteArray(),
                    old == null ? index : old.createRevision(), index, version(old, index)));
            return new KvResult.Spliced(joined.size(), index);
        }

        /** SETRANGE restated: the old bytes padded with zeros to the range's end, then the range written over. */
        private KvResult setRange(long index, KvCommand.SetRange range) {
            KvEntry old = entries.get(range.key());
            byte[] before = old == null ? new byte[0] : old.value();
            byte[] after = Arrays.copyOf(before, Math.max(before.length, range.offset() + range.bytes().length));
            for (int i = 0; i < range.bytes().length; i++) {
                after[range.offset() + i] = range.bytes()[i];
            }
            entries.put(range.key(), new KvEntry(range.key(), after, old == null ? index : old.createRevision(), index,
                    version(old, index)));
            return new KvResult.Spliced(after.length, index);
        }

        /**
         * INCRBYFLOAT restated: the value read with a regular expression, the sum rounded to 17 places and its zeros
         * trimmed by hand (the magnitudes here stay far inside the range).
         */
        private KvResult incrementByFloat(long index, KvCommand.IncrementByFloat inc) {
            KvEntry old = entries.get(inc.key());
            String text = old == null ? "0" : new String(old.value(), java.nio.charset.StandardCharsets.ISO_8859_1);
            if (!text.matches("[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?")) {
                return new KvResult.Rejected(KvStateMachine.NOT_A_FLOAT, index);
            }
            String sum = new java.math.BigDecimal(text).add(inc.increment())
                    .setScale(17, java.math.RoundingMode.HALF_EVEN).toPlainString();
            if (sum.contains(".")) {
                sum = sum.replaceAll("0+$", "").replaceAll("\\.$", "");
            }
            if (sum.equals("-0")) {
                sum = "0";
            }
            entries.put(inc.key(), new KvEntry(inc.key(), sum.getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                    old == null ? index : old.createRevision(), index, version(old, index)));
            return new KvResult.FloatIncremented(sum, index);
        }

        /** INCRBY restated with BigInteger and a regular expression. */
        private KvResult increment(long index, KvCommand.Increment inc) {
            KvResult.IncrementDone done = increment(index, inc.key(), inc.delta());
            return done.error() == null ? new KvResult.Incremented(done.value(), index)
                    : new KvResult.Rejected(done.error(), index);
        }

        private KvResult.IncrementDone increment(long index, String key, long delta) {
            KvEntry old = entries.get(key);
            String text = old == null ? "0" : new String(old.value(), java.nio.charset.StandardCharsets.ISO_8859_1);
            if (!text.matches("0|-?[1-9][0-9]{0,18}")
                    || new java.math.BigInteger(text).bitLength() > 63) {
                return new KvResult.IncrementDone(0, KvStateMachine.NOT_AN_INTEGER);
            }
            java.math.BigInteger sum = new java.math.BigInteger(text).add(java.math.BigInteger.valueOf(delta));
            if (sum.bitLength() > 63) {
                return new KvResult.IncrementDone(0, KvStateMachine.OVERFLOW);
            }
            entries.put(key, new KvEntry(key, sum.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                    old == null ? index : old.createRevision(), index, version(old, index)));
            return new KvResult.IncrementDone(sum.longValue(), null);
        }

        private KvResult delete(long index, KvCommand.Delete d) {
            KvEntry old = entries.get(d.key());
            long actual = old == null ? 0 : old.modRevision();
            if (d.expectedRevision() != -1 && d.expectedRevision() != actual) {
                return new KvResult.PreconditionFailed(actual, index);
            }
            return new KvResult.Deleted(entries.remove(d.key()) == null ? 0 : 1, index);
        }

        /** The transaction rules restated on a plain map: all comparisons first, then one branch in order. */
        private KvResult txn(long index, KvCommand.Txn t) {
            boolean ok = t.compares().stream().allMatch(c -> {
                KvEntry e = entries.get(c.key());
                if (c.target() == TxnCompare.Target.VALUE) {
                    if (e == null) {
                        return false;
                    }
                    int cmp = java.util.Arrays.compareUnsigned(e.value(), c.value());
                    return test(c.op(), cmp);
                }
                long actual = e == null ? 0 : c.target() == TxnCompare.Target.MOD_REVISION ? e.modRevision()
                        : c.target() == TxnCompare.Target.CREATE_REVISION ? e.createRevision() : e.version();
                return test(c.op(), Long.compare(actual, c.number()));
            });
            List<KvResult.OpResult> results = new java.util.ArrayList<>();
            for (TxnOp op : ok ? t.success() : t.failure()) {
                KvEntry old = entries.get(op.key());
                if (op instanceof TxnOp.Put p) {
                    entries.put(p.key(), new KvEntry(p.key(), p.value(), old == null ? index : old.createRevision(),
                            index, version(old, index)));
                    results.add(new KvResult.PutDone());
                } else if (op instanceof TxnOp.PutIf p) {
                    boolean written = p.when() == TxnOp.PutIf.When.ABSENT ? old == null : old != null;
                    if (written) {
                        entries.put(p.key(), new KvEntry(p.key(), p.put().value(), old == null ? index
                                : old.createRevision(), index, version(old, index)));
                    }
                    results.add(new KvResult.PutIfDone(written));
                } else if (op instanceof TxnOp.Delete) {
                    entries.remove(op.key());
                    results.add(new KvResult.DeleteDone(old == null ? 0 : 1));
                } else if (op instanceof TxnOp.Increment inc) {
                    results.add(increment(index, inc.key(), inc.delta()));
                } else if (op instanceof TxnOp.Edit edit) {
                    results.add(new KvResult.EditDone(edit(index, edit.command())));
                } else {
                    results.add(new KvResult.GetDone(java.util.Optional.ofNullable(old)));
                }
            }
            return new KvResult.TxnResult(ok, results, index);
        }

        /**
         * A key's version after a write at {@code index}: 1 for a new key, else one more, unless the same entry wrote
         * it already (a transaction with repeated writes is one revision, one change per key).
         */
        private static long version(KvEntry old, long index) {
            return old == null ? 1 : old.modRevision() == index ? old.version() : old.version() + 1;
        }

        private static boolean test(TxnCompare.Op op, int cmp) {
            return switch (op) {
                case EQUAL -> cmp == 0;
                case NOT_EQUAL -> cmp != 0;
                case LESS -> cmp < 0;
                case GREATER -> cmp > 0;
            };
        }
    }

    private static boolean oneWritePerKey(List<TxnOp> ops) {
        java.util.Set<String> written = new java.util.HashSet<>();
        return ops.stream().filter(op -> !(op instanceof TxnOp.Get)).allMatch(op -> written.add(op.key()));
    }

    private static boolean newer(byte[] bytes) {
        try {
            KvCodec.decode(bytes);
            return false;
        } catch (KvFormatException e) {
            return e.fromNewerRelease();
        }
    }

    /** The same bytes under format version 0, which no release writes. */
    private static byte[] malformed(byte[] bytes) {
        bytes[0] = 0;
        return bytes;
    }
}
