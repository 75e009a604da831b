package io.raftline.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.raftline.kv.KvCommand;
import io.raftline.kv.KvEntry;
import io.raftline.kv.KvResult;
import io.raftline.kv.KvStateMachine;
import io.raftline.kv.TxnOp;
import io.raftline.node.NodeRequestException;
import io.raftline.node.NodeRequestException.Reason;
import io.raftline.node.ReadConsistency;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Forwarded requests and the leader's answers survive the trip between nodes unchanged. */
class ForwardCodecTest {

    private static final KvEntry ENTRY = new KvEntry("k/é", new byte[] {0, 1, (byte) 0xff}, 3, 9, 2);

    @Test
    void requestsRoundTrip() {
        KvCommand put = new KvCommand.Put("key", "v".getBytes(StandardCharsets.UTF_8), 7, "idem-1");
        assertThat(ForwardCodec.decodeRequest(ForwardCodec.write(put))).isEqualTo(new ForwardCodec.Request.Write(put));
        assertThat(ForwardCodec.decodeRequest(ForwardCodec.get("k/é", ReadConsistency.LEASE)))
                .isEqualTo(new ForwardCodec.Request.Get("k/é", ReadConsistency.LEASE));
        assertThat(ForwardCodec.decodeRequest(ForwardCodec.range("p", "p/é9", 50, ReadConsistency.LINEARIZABLE)))
                .isEqualTo(new ForwardCodec.Request.Range("p", "p/é9", 50, ReadConsistency.LINEARIZABLE));
        assertThat(ForwardCodec.decodeRequest(ForwardCodec.range("", "", 1, ReadConsistency.STALE)))
                .isEqualTo(new ForwardCodec.Request.Range("", "", 1, ReadConsistency.STALE));
        assertThat(ForwardCodec.decodeRequest(ForwardCodec.lookup(List.of("a", "k/é"), ReadConsistency.LEASE)))
                .isEqualTo(new ForwardCodec.Request.Lookup(List.of("a", "k/é"), ReadConsistency.LEASE));
        assertThat(ForwardCodec.decodeRequest(ForwardCodec.lookup(List.of(), ReadConsistency.LINEARIZABLE)))
                .isEqualTo(new ForwardCodec.Request.Lookup(List.of(), ReadConsistency.LINEARIZABLE));
        KvCommand incr = new KvCommand.Increment("counter", -5);
        assertThat(ForwardCodec.decodeRequest(ForwardCodec.write(incr))).isEqualTo(new ForwardCodec.Request.Write(incr));
        // A Redis MULTI's transaction that writes a key twice keeps its kind on the way to the leader.
        KvCommand multi = new KvCommand.Txn(List.of(), List.of(new TxnOp.Increment("c", 1),
                new TxnOp.PutIf(new TxnOp.Put("c", new byte[] {1}), TxnOp.PutIf.When.PRESENT)), List.of(), true);
        assertThat(ForwardCodec.decodeRequest(ForwardCodec.write(multi)))
                .isEqualTo(new ForwardCodec.Request.Write(multi));
        // And one holding an APPEND, a SETRANGE and an INCRBYFLOAT.
        KvCommand edits = new KvCommand.Txn(List.of(), List.of(new TxnOp.Edit(new KvCommand.Append("c", new byte[] {2})),
                new TxnOp.Edit(new KvCommand.SetRange("c", 3, new byte[] {4})), new TxnOp.Edit(
                        new KvCommand.IncrementByFloat("f", new java.math.BigDecimal("-1.5")))), List.of(), true);
        assertThat(ForwardCodec.decodeRequest(ForwardCodec.write(edits)))
                .isEqualTo(new ForwardCodec.Request.Write(edits));
    }

    @Test
    void answersRoundTrip() {
        for (KvResult r : List.of(new KvResult.Written(4), new KvResult.Deleted(1, 5),
                new KvResult.PreconditionFailed(3, 6), new KvResult.Rejected("bad", 7),
                new KvResult.TxnResult(true, List.of(new KvResult.PutDone(), new KvResult.DeleteDone(1),
                        new KvResult.GetDone(Optional.of(ENTRY)), new KvResult.GetDone(Optional.empty()),
                        new KvResult.IncrementDone(Long.MIN_VALUE, null),
                        new KvResult.IncrementDone(0, KvStateMachine.OVERFLOW), new KvResult.PutIfDone(true),
                        new KvResult.PutIfDone(false), new KvResult.EditDone(new KvResult.Spliced(1 << 20, 8)),
                        new KvResult.EditDone(new KvResult.FloatIncremented("10.5", 8)),
                        new KvResult.EditDone(new KvResult.Rejected(KvStateMachine.NOT_A_FLOAT, 8))), 8),
                new KvResult.TxnResult(false, List.of(), 9), new KvResult.Incremented(Long.MIN_VALUE, 10),
                new KvResult.Spliced(1 << 20, 12), new KvResult.FloatIncremented("-10.60000000000000001", 13),
                new KvResult.Renamed(true, 14), new KvResult.Renamed(false, 15),
                new KvResult.IdempotencyKeyReused("delete", 3, 11))) {
            assertThat(ForwardCodec.decodeResponse(ForwardCodec.result(new Served<>(r, 2)), KvResult.class))
                    .isEqualTo(new Served<>(r, 2));
        }
        Served<GetResult> found = ForwardCodec.decodeResponse(ForwardCodec.get(new Served<>(
                new GetResult(Optional.of(ENTRY), 12), 3)), GetResult.class);
        assertThat(found.servedBy()).isEqualTo(3);
        assertThat(found.value().entry()).contains(ENTRY);
        assertThat(found.value().appliedIndex()).isEqualTo(12);
        Served<RangeResult> range = ForwardCodec.decodeResponse(ForwardCodec.range(new Served<>(
                new RangeResult(List.of(ENTRY, ENTRY), true, 14), 1)), RangeResult.class);
        assertThat(range.value().entries()).containsExactly(ENTRY, ENTRY);
        assertThat(range.value().more()).isTrue();
        Served<LookupResult> lookup = ForwardCodec.decodeResponse(ForwardCodec.lookup(new Served<>(
                new LookupResult(List.of(Optional.empty(), Optional.of(ENTRY)), 41, 15), 2)), LookupResult.class);
        assertThat(lookup).isEqualTo(new Served<>(new LookupResult(List.of(Optional.empty(), Optional.of(ENTRY)),
                41, 15), 2));
    }

    @Test
    void theLeadersFailureComesBackAsItsOwnReason() {
        Buffer error = ForwardCodec.error(1, new NodeRequestException(Reason.OVERLOADED, 1, "too many"));
        assertThatThrownBy(() -> ForwardCodec.decodeResponse(error, KvResult.class))
                .isInstanceOfSatisfying(NodeRequestException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.OVERLOADED);
                    assertThat(e.leaderHint()).isEqualTo(1);
                    assertThat(e.getMessage()).isEqualTo("too many");
                });
    }

    @Test
    void garbageIsRefusedClearly() {
        assertThatThrownBy(() -> ForwardCodec.decodeRequest(Buffer.buffer("hello")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ForwardCodec.decodeRequest(Buffer.buffer(new byte[] {1, 2, 0, 0, 0, 0, 9})))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /** A listing's limit is checked where it arrives, as the APIs check theirs, not thrown on inside the node. */
    /**
     * A lookup's answer holds one entry per key named, so a key named many times would have the leader encode its
     * value as often: the forwarding endpoint takes a request of some MiB, room for 300,000 names of one 1 MiB value.
     * A node asks for each key once; a lookup naming one twice is refused.
     */
    @Test
    void aLookupNamingAKeyTwiceIsRefused() {
        assertThatThrownBy(() -> ForwardCodec.decodeRequest(ForwardCodec.lookup(List.of("a", "b", "a"),
                ReadConsistency.LINEARIZABLE))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("names key \"a\" twice");
    }

    @Test
    void aRangeLimitNoApiWouldSendIsRefused() {
        for (int limit : new int[] {0, -1, KvRequests.MAX_LIMIT + 1, Integer.MAX_VALUE}) {
            assertThatThrownBy(() -> ForwardCodec.decodeRequest(ForwardCodec.range("p/", "", limit,
                    ReadConsistency.LINEARIZABLE)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("range limit must be in 1..10000, was " + limit);
        }
        assertThat(ForwardCodec.decodeRequest(ForwardCodec.range("p/", "", KvRequests.MAX_LIMIT,
                ReadConsistency.LINEARIZABLE))).isInstanceOf(ForwardCodec.Request.Range.class);
    }

    private static final int MIB = 1024 * 1024;

    /** A key whose entry says it holds a value of {@code length} bytes but holds none: encoding its value throws. */
    private static Optional<KvEntry> valueless(String key, int length) {
        return Optional.of(KvEntry.withoutValue(key, length, 2, 5, 3));
    }

    @Test
    void lookupsAndListingsSayWhatTheyNeed() {
        Fetch values = Fetch.values(10 * MIB);
        assertThat(ForwardCodec.decodeRequest(ForwardCodec.lookup(List.of("a", "k/é"), ReadConsistency.LEASE,
                values))).isEqualTo(new ForwardCodec.Request.Lookup(List.of("a", "k/é"), ReadConsistency.LEASE,
                values, true));
        assertThat(ForwardCodec.decodeRequest(ForwardCodec.lookup(List.of("a"), ReadConsistency.LINEARIZABLE,
                Fetch.METADATA))).isEqualTo(new ForwardCodec.Request.Lookup(List.of("a"),
                ReadConsistency.LINEARIZABLE, Fetch.METADATA, true));
        // A node that asks for more than a leader sends is given at most that.
        assertThat(((ForwardCodec.Request.Lookup) ForwardCodec.decodeRequest(ForwardCodec.lookup(List.of("a"),
                ReadConsistency.LINEARIZABLE, new Fetch(true, Long.MAX_VALUE)))).fetch().maxValueBytes())
                .isEqualTo(KvRequests.MAX_LOOKUP_VALUE_BYTES);
        assertThat(ForwardCodec.decodeRequest(ForwardCodec.range("p", "p/1", 50, ReadConsistency.LINEARIZABLE,
                false))).isEqualTo(new ForwardCodec.Request.Range("p", "p/1", 50, ReadConsistency.LINEARIZABLE,
                false));
    }

    /**
     * The answer to a lookup that needs no value (EXISTS, TYPE, STRLEN, WATCH) carries the keys' lengths and
     * revisions, never their bytes: it is encoded from entries that hold no value at all, and is a few dozen bytes a
     * key whatever the values' size. Before, it carried every value: 100 MiB for an EXISTS of 100 keys of 1 MiB.
     */
    @Test
    void aLookupOfMetadataCarriesNoValue() {
        Buffer answer = ForwardCodec.lookup(new Served<>(new LookupResult(List.of(valueless("big", MIB),
                Optional.empty(), Optional.of(ENTRY)), 7, 20), 2), Fetch.METADATA);
        assertThat(answer.length()).isLessThan(200);
        LookupResult r = ForwardCodec.decodeResponse(answer, LookupResult.class).value();
        assertThat(r.valuesWithheld()).isFalse();
        assertThat(r.totalKeys()).isEqualTo(7);
        assertThat(r.appliedIndex()).isEqualTo(20);
        assertThat(r.entries().get(0)).hasValueSatisfying(e -> {
            assertThat(e.hasValue()).isFalse();
            assertThat(e.valueLength()).isEqualTo(MIB);
            assertThat(e.key()).isEqualTo("big");
            assertThat(List.of(e.createRevision(), e.modRevision(), e.version())).containsExactly(2L, 5L, 3L);
        });
        assertThat(r.entries().get(1)).isEmpty();
        assertThat(r.entries().get(2)).hasValueSatisfying(e -> {
            assertThat(e.valueLength()).isEqualTo(3);
            assertThat(e.modRevision()).isEqualTo(9);
        });
        assertThatThrownBy(() -> r.entries().get(0).get().value()).isInstanceOf(IllegalStateException.class);
    }

    /**
     * A lookup that needs the values gets them up to its bound; beyond it, the leader answers the lengths alone,
     * marked withheld, decided before any value is copied (these entries hold none: encoding one would throw), and
     * the follower refuses its client as the leader would (Redis's MGET limit).
     */
    @Test
    void aLookupWhoseValuesPassItsBoundGetsTheirLengthsOnly() {
        Served<LookupResult> small = new Served<>(new LookupResult(List.of(Optional.of(ENTRY)), 1, 3), 2);
        LookupResult carried = ForwardCodec.decodeResponse(ForwardCodec.lookup(small, Fetch.values(3)),
                LookupResult.class).value();
        assertThat(carried.valuesWithheld()).isFalse();
        assertThat(carried.entries()).containsExactly(Optional.of(ENTRY));

        List<Optional<KvEntry>> many = new java.util.ArrayList<>();
        for (int i = 0; i < 100; i++) {
            many.add(valueless("ex" + i, MIB));
        }
        Buffer answer = ForwardCodec.lookup(new Served<>(new LookupResult(many, 100, 4), 2),
                Fetch.values(64L * MIB));
        assertThat(answer.length()).isLessThan(100 * 64);
        LookupResult r = ForwardCodec.decodeResponse(answer, LookupResult.class).value();
        assertThat(r.valuesWithheld()).isTrue();
        assertThat(r.valueBytes()).isEqualTo(100L * MIB);
        assertThat(r.entries()).allSatisfy(e -> assertThat(e.get().hasValue()).isFalse());
        // One byte over a smaller bound is over it too.
        assertThat(ForwardCodec.decodeResponse(ForwardCodec.lookup(small, Fetch.values(2)), LookupResult.class)
                .value().valuesWithheld()).isTrue();
    }

    /**
     * A lookup of a node of before (op 4, every value wanted) is answered as before within
     * {@link KvRequests#MAX_LOOKUP_VALUE_BYTES}, and refused beyond it, before any value is encoded.
     */
    @Test
    void aLookupOfAnOlderNodeIsRefusedBeyondTheBound() {
        List<Optional<KvEntry>> many = new java.util.ArrayList<>();
        for (int i = 0; i < 65; i++) {
            many.add(valueless("ex" + i, MIB));
        }
        Buffer answer = ForwardCodec.lookup(new Served<>(new LookupResult(many, 65, 4), 2));
        assertThatThrownBy(() -> ForwardCodec.decodeResponse(answer, LookupResult.class))
                .isInstanceOfSatisfying(NodeRequestException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.PAYLOAD_TOO_LARGE))
                .hasMessageContaining("68157440 bytes");
        ForwardCodec.Request request = ForwardCodec.decodeRequest(ForwardCodec.lookup(List.of("a"),
                ReadConsistency.LINEARIZABLE));
        assertThat(((ForwardCodec.Request.Lookup) request).fetchSaid()).isFalse();
    }

    /** A listing of keys alone (KEYS, SCAN) carries no value either. */
    @Test
    void aListingOfKeysCarriesNoValue() {
        KvEntry big = KvEntry.withoutValue("big", MIB, 1, 1, 1);
        Buffer answer = ForwardCodec.range(new Served<>(new RangeResult(List.of(big, ENTRY), true, 14), 1), false);
        assertThat(answer.length()).isLessThan(200);
        RangeResult r = ForwardCodec.decodeResponse(answer, RangeResult.class).value();
        assertThat(r.entries()).extracting(KvEntry::key).containsExactly("big", "k/é");
        assertThat(r.entries()).extracting(KvEntry::valueLength).containsExactly(MIB, 3);
        assertThat(r.more()).isTrue();
        assertThat(r.appliedIndex()).isEqualTo(14);
    }

    /** Every answer is allocated at its exact size: the bytes written are the bytes counted. */
    @Test
    void answersAreAllocatedAtTheirSize() {
        KvEntry value = new KvEntry("v", new byte[MIB], 1, 2, 1);
        Buffer lookup = ForwardCodec.lookup(new Served<>(new LookupResult(List.of(Optional.of(value),
                Optional.empty()), 2, 3), 1), Fetch.values(2 * MIB));
        Buffer range = ForwardCodec.range(new Served<>(new RangeResult(List.of(value, ENTRY), false, 3), 1));
        for (Buffer b : List.of(lookup, range)) {
            io.netty.buffer.ByteBuf raw = ((io.vertx.core.internal.buffer.BufferInternal) b).getByteBuf();
            assertThat(raw.capacity()).as("capacity of an answer of %d bytes", b.length()).isEqualTo(b.length());
        }
    }
}
