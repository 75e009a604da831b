package io.raftline.api.resp;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.api.GetResult;
import io.raftline.api.KvRequests;
import io.raftline.api.LeaderLink;
import io.raftline.api.LookupResult;
import io.raftline.api.RangeResult;
import io.raftline.api.Served;
import io.raftline.kv.KvCommand;
import io.raftline.kv.KvEntry;
import io.raftline.kv.KvResult;
import io.raftline.kv.TxnOp;
import io.raftline.node.RaftNode;
import io.raftline.node.ReadConsistency;
import io.vertx.core.Future;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The key-value commands of the Redis protocol as the writes they make, on a follower whose every write goes to the
 * leader: what each command would put in the log, seen as the forwarded commands.
 */
class RespCommandsTest {

    /** The follower's id and the leader it knows. */
    private static final int SELF = 1;
    private static final int LEADER = 2;

    /** The writes forwarded to the leader, each answered as written. */
    private final List<KvCommand> forwarded = new ArrayList<>();

    private final LeaderLink leaderLink = new LeaderLink() {
        @Override
        public Future<Served<KvResult>> write(int leader, int group, KvCommand command) {
            forwarded.add(command);
            return Future.succeededFuture(new Served<>(new KvResult.Written(forwarded.size()), leader));
        }

        @Override
        public Future<Served<GetResult>> get(int leader, int group, String key, ReadConsistency consistency) {
            throw new UnsupportedOperationException("these tests only write");
        }

        @Override
        public Future<Served<RangeResult>> range(int leader, int group, String prefix, String startAfter, int limit,
                ReadConsistency consistency, boolean values) {
            // A store of keys "key-000000...", numbered 0 to rangeKeys - 1, each of KEY_BYTES bytes.
            ranges++;
            int from = startAfter.isEmpty() ? 0 : Integer.parseInt(startAfter.substring(4, 10)) + 1;
            int to = Math.min(rangeKeys, from + limit);
            List<KvEntry> page = new ArrayList<>();
            for (int i = from; i < to; i++) {
                page.add(new KvEntry(rangeKey(i), new byte[0], 1, 1, 1));
            }
            return Future.succeededFuture(new Served<>(new RangeResult(page, to < rangeKeys, 1), leader));
        }

        @Override
        public Future<Served<LookupResult>> lookup(int leader, int group, List<String> keys,
                ReadConsistency consistency, io.raftline.api.Fetch fetch) {
            // As the leader answers (ForwardCodec.lookup): the values only if asked for and within the bound.
            lookups.add(keys);
            fetches.add(fetch);
            List<Optional<KvEntry>> entries = new ArrayList<>();
            for (String key : keys) {
                entries.add(Optional.ofNullable(stored.get(key)));
            }
            LookupResult read = new LookupResult(entries, stored.size(), 1);
            boolean withheld = fetch.values() && read.valueBytes() > fetch.maxValueBytes();
            if (!fetch.values() || withheld) {
                entries = entries.stream().map(e -> e.map(entry -> KvEntry.withoutValue(entry.key(),
                        entry.valueLength(), entry.createRevision(), entry.modRevision(), entry.version()))).toList();
            }
            return Future.succeededFuture(new Served<>(new LookupResult(entries, stored.size(), 1, withheld), leader));
        }
    };

    /** How many keys the leader's listing holds, and how many pages it was asked for. */
    private int rangeKeys;
    private int ranges;
    private static final int KEY_BYTES = 1000;

    private static String rangeKey(int i) {
        String n = String.format("key-%06d-", i);
        return n + "x".repeat(KEY_BYTES - n.length());
    }

    /** What the leader holds for the reads forwarded to it, and the keys each lookup asked it for. */
    private final Map<String, KvEntry> stored = new HashMap<>();
    private final List<List<String>> lookups = new ArrayList<>();
    private final List<io.raftline.api.Fetch> fetches = new ArrayList<>();

    private static RaftNode follower() {
        return StubFollower.of(SELF, LEADER);
    }

    private static List<byte[]> set(String key, int valueBytes) {
        return List.of("SET".getBytes(StandardCharsets.UTF_8), key.getBytes(StandardCharsets.UTF_8),
                new byte[valueBytes]);
    }

    /** The keys each forwarded write puts. */
    private List<List<String>> putKeys() {
        List<List<String>> keys = new ArrayList<>();
        for (KvCommand c : forwarded) {
            if (c instanceof KvCommand.Put put) {
                keys.add(List.of(put.key()));
            } else {
                keys.add(((KvCommand.Txn) c).success().stream().map(op -> ((TxnOp.Put) op).key()).toList());
            }
        }
        return keys;
    }

    @Test
    void aPipelineOfLargeSetsIsFoldedIntoWritesNoLargerThanOneRequest() {
        int maxRequestBytes = 1_000_000;
        RespCommands kv = new RespCommands(new KvRequests(follower(), leaderLink), new ScanCursors(10),
                maxRequestBytes);
        // 400 KB values, each SET 400,002 bytes of key and value: two fit under the request limit, three do not.
        List<List<byte[]>> sets = List.of(set("k1", 400_000), set("k2", 400_000), set("k3", 400_000),
                set("k4", 400_000), set("k5", 400_000));
        List<RespReply> replies = kv.setMany(sets).result();
        assertThat(replies).containsExactly(RespReply.OK, RespReply.OK, RespReply.OK, RespReply.OK, RespReply.OK);
        assertThat(putKeys()).containsExactly(List.of("k1", "k2"), List.of("k3", "k4"), List.of("k5"));
    }

    /**
     * EXEC proposes the kind of transaction that may write a key twice only when one does: any other goes as before
     * (a log entry nodes from before that kind apply), and its SET NX / XX are conditional puts among its operations.
     */
    @Test
    void execProposesRepeatedWritesOnlyWhenAKeyIsWrittenTwice() {
        RespCommands kv = new RespCommands(new KvRequests(follower(), leaderLink), new ScanCursors(10), 1_000_000);
        RespTransaction once = kv.transaction();
        once.add(kv.inTransaction("set", words("SET", "a", "1", "NX")));
        once.add(kv.inTransaction("incr", words("INCR", "b")));
        once.add(kv.inTransaction("get", words("GET", "a")));
        once.add(kv.inTransaction("set", words("SET", "c", "2", "XX", "GET")));
        kv.exec(once, Map.of());
        RespTransaction twice = kv.transaction();
        twice.add(kv.inTransaction("incr", words("INCR", "b")));
        twice.add(kv.inTransaction("incr", words("INCR", "b")));
        kv.exec(twice, Map.of());
        assertThat(forwarded).containsExactly(
                new KvCommand.Txn(List.of(), List.of(
                        new TxnOp.PutIf(new TxnOp.Put("a", bytes("1")), TxnOp.PutIf.When.ABSENT),
                        new TxnOp.Increment("b", 1), new TxnOp.Get("a"), new TxnOp.Get("c"),
                        new TxnOp.PutIf(new TxnOp.Put("c", bytes("2")), TxnOp.PutIf.When.PRESENT)), List.of(), false),
                new KvCommand.Txn(List.of(), List.of(new TxnOp.Increment("b", 1), new TxnOp.Increment("b", 1)),
                        List.of(), true));
    }

    private static List<byte[]> words(String... words) {
        List<byte[]> out = new ArrayList<>();
        for (String w : words) {
            out.add(bytes(w));
        }
        return out;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aPipelineOfSmallSetsIsOneWrite() {
        RespCommands kv = new RespCommands(new KvRequests(follower(), leaderLink), new ScanCursors(10), 1_000_000);
        List<List<byte[]>> sets = new ArrayList<>();
        for (int i = 0; i < RespConnection.MAX_BATCH; i++) {
            sets.add(set("k" + (i % 100), 100));
        }
        assertThat(kv.setMany(sets).result()).hasSize(RespConnection.MAX_BATCH).containsOnly(RespReply.OK);
        assertThat(forwarded).hasSize(1);
        assertThat(putKeys().get(0)).hasSize(100);
    }

    /**
     * A multi-key read of one large value named many times: the request is small (16,000 keys of 3 bytes) but its
     * reply would be 16,000 copies of 1 MiB. The follower asks the leader for each key once (the leader encoded and
     * sent the value 16,000 times, a 16 GiB answer), and the reply, built whole before it is written, is refused
     * naming the limit instead of the node building 16 GiB in one buffer; nothing of it is sent.
     */
    @Test
    void aMultiKeyReadOfOneLargeValueNamedManyTimesIsRefusedNamingTheLimit() {
        stored.put("big", new KvEntry("big", new byte[1 << 20], 1, 1, 1));
        RespCommands kv = new RespCommands(new KvRequests(follower(), leaderLink), new ScanCursors(10), 1_000_000);
        List<byte[]> mget = new ArrayList<>();
        mget.add("MGET".getBytes(StandardCharsets.UTF_8));
        for (int i = 0; i < 16_000; i++) {
            mget.add("big".getBytes(StandardCharsets.UTF_8));
        }
        RespReply reply = kv.mget(null, mget).otherwise(t -> RespCommands.error(t, true)).result();
        assertThat(lookups).as("keys the leader was asked for").containsExactly(List.of("big"));
        assertThat(reply).isInstanceOf(RespReply.Error.class);
        assertThat(((RespReply.Error) reply).text()).startsWith("ERR MGET").contains(
                String.valueOf(RespCommands.MAX_REPLY_BYTES));
        // A read within the limit is answered, each key in its place.
        List<byte[]> few = List.of("MGET".getBytes(StandardCharsets.UTF_8), "big".getBytes(StandardCharsets.UTF_8),
                "none".getBytes(StandardCharsets.UTF_8), "big".getBytes(StandardCharsets.UTF_8));
        RespReply answered = kv.mget(null, few).result();
        assertThat(answered).isEqualTo(new RespReply.Array(List.of(new RespReply.Bulk(new byte[1 << 20]),
                RespReply.NIL, new RespReply.Bulk(new byte[1 << 20]))));
    }

    /**
     * KEYS builds its whole reply before writing it, as MGET does, and read on while it grew: {@code KEYS *} over a
     * store of millions of keys held all of them. Beyond {@link RespCommands#MAX_REPLY_BYTES} of keys it is refused
     * naming the limit and SCAN, and the listing stops there (at the 67,109th key of 1,000 bytes, on the 68th page).
     */
    @Test
    void keysOverMoreThanAReplysWorthOfKeysIsRefusedAndStopsReading() {
        rangeKeys = 100_000;
        RespCommands kv = new RespCommands(new KvRequests(follower(), leaderLink), new ScanCursors(10), 1_000_000);
        List<byte[]> keys = List.of("KEYS".getBytes(StandardCharsets.UTF_8), "*".getBytes(StandardCharsets.UTF_8));
        RespReply reply = kv.keys(null, keys).otherwise(t -> RespCommands.error(t, true)).result();
        assertThat(reply).isInstanceOf(RespReply.Error.class);
        assertThat(((RespReply.Error) reply).text()).startsWith("ERR KEYS").contains(
                String.valueOf(RespCommands.MAX_REPLY_BYTES)).contains("SCAN");
        assertThat(ranges).as("pages read").isEqualTo((int) (RespCommands.MAX_REPLY_BYTES / KEY_BYTES / 1000 + 1));
        // A store within the limit is listed whole.
        rangeKeys = 2_500;
        ranges = 0;
        RespReply listed = kv.keys(null, keys).result();
        assertThat(((RespReply.Array) listed).items()).hasSize(2_500);
        assertThat(ranges).isEqualTo(3);
    }

    /**
     * The commands that need no value ask the leader for none: a follower's EXISTS of 100 keys of 1 MiB had the leader
     * encode and send 100 MiB. They answer from the lengths and revisions alone (the leader's entries here hold no
     * value: reading one would throw).
     */
    @Test
    void commandsThatNeedNoValueAskTheLeaderForNone() {
        for (int i = 0; i < 3; i++) {
            stored.put("m" + i, new KvEntry("m" + i, new byte[1 << 20], 1, 4 + i, 1));
        }
        RespCommands kv = new RespCommands(new KvRequests(follower(), leaderLink), new ScanCursors(10), 1_000_000);
        assertThat(kv.exists(null, words("EXISTS", "m0", "m1", "none", "m2", "m0")).result())
                .isEqualTo(new RespReply.Int(4));
        assertThat(kv.type(null, words("TYPE", "m1")).result()).isEqualTo(new RespReply.Simple("string"));
        assertThat(kv.type(null, words("TYPE", "none")).result()).isEqualTo(new RespReply.Simple("none"));
        assertThat(kv.strlen(null, words("STRLEN", "m2")).result()).isEqualTo(new RespReply.Int(1 << 20));
        assertThat(kv.ttl(null, words("TTL", "m2")).result()).isEqualTo(new RespReply.Int(-1));
        assertThat(kv.ttl(null, words("PTTL", "none")).result()).isEqualTo(new RespReply.Int(-2));
        assertThat(kv.persist(null, words("PERSIST", "m0")).result()).isEqualTo(new RespReply.Int(0));
        assertThat(kv.setrange(null, words("SETRANGE", "m0", "0", "")).result()).isEqualTo(new RespReply.Int(1 << 20));
        RespSession session = new RespSession(1, "test", true);
        assertThat(kv.watch(session, words("WATCH", "m1", "none")).result()).isEqualTo(RespReply.OK);
        assertThat(session.watched()).isEqualTo(Map.of("m1", 5L, "none", 0L));
        assertThat(fetches).hasSize(9).containsOnly(io.raftline.api.Fetch.METADATA);
    }

    /**
     * A run of GETs whose values come to more than {@link RespCommands#MAX_REPLY_BYTES}: the leader sends the lengths
     * only, and the follower reads them again in parts within the bound, in order, and answers every GET.
     */
    @Test
    void aRunOfGetsLargerThanOneAnswerIsReadInParts() {
        List<List<byte[]>> gets = new ArrayList<>();
        for (int i = 0; i < 70; i++) {
            byte[] value = new byte[1 << 20];
            value[0] = (byte) i;
            stored.put("g" + i, new KvEntry("g" + i, value, 1, 1, 1));
            gets.add(words("GET", "g" + i));
        }
        RespCommands kv = new RespCommands(new KvRequests(follower(), leaderLink), new ScanCursors(10), 1_000_000);
        List<RespReply> replies = kv.getMany(gets).result();
        assertThat(replies).hasSize(70);
        for (int i = 0; i < 70; i++) {
            byte[] expected = new byte[1 << 20];
            expected[0] = (byte) i;
            assertThat(replies.get(i)).as("GET g%d", i).isEqualTo(new RespReply.Bulk(expected));
        }
        assertThat(lookups).extracting(List::size).containsExactly(70, 64, 6);
        assertThat(fetches).containsOnly(io.raftline.api.Fetch.values(RespCommands.MAX_REPLY_BYTES));
    }
}
