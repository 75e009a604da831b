package io.raftline.api.resp;

import io.raftline.api.Fetch;
import io.raftline.api.KvRequests;
import io.raftline.api.LookupResult;
import io.raftline.api.RangeResult;
import io.raftline.api.Served;
import io.raftline.kv.KvCommand;
import io.raftline.kv.KvEntry;
import io.raftline.kv.KvResult;
import io.raftline.kv.KvStateMachine;
import io.raftline.kv.TxnCompare;
import io.raftline.kv.TxnOp;
import io.raftline.node.NodeRequestException;
import io.raftline.node.ReadConsistency;
import io.vertx.core.Future;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The key-value commands of the Redis protocol, each translated into the store's own requests through
 * {@link KvRequests}, so they follow the same rules as HTTP and gRPC: writes go through the leader and the log,
 * reads are linearizable, followers forward. Every command that writes several keys (MSET, DEL of many keys, SET
 * with XX or GET) is one transaction, one log entry, so it is atomic as in Redis; INCR and friends are applied in
 * the state machine ({@link KvCommand.Increment}) so every replica computes the same number.
 *
 * <p>What differs from Redis, and why (see {@code docs/redis.md}): keys are UTF-8 text of 1 to 1,024 bytes, as
 * everywhere in Raftline; there are no TTLs (a write asking for one is refused, never silently kept forever); a
 * multi-key write covers at most {@link KvCommand#MAX_TXN_ITEMS} keys, the size of one transaction.
 */
final class RespCommands {

    /** Keys one listing page of KEYS reads. */
    private static final int KEYS_PAGE = 1000;
    /** SCAN's default COUNT, as Redis's. */
    private static final int SCAN_DEFAULT_COUNT = 10;
    /** Largest SCAN COUNT honoured (a larger one is read as this). */
    private static final int SCAN_MAX_COUNT = 10_000;
    /**
     * Most key and value bytes in one write folded from a pipeline of SETs, whatever the request limit: a quarter of
     * the 64 MiB a message of the gRPC transport may carry, so an AppendEntries holding it has room for the entries
     * around it. More bytes per entry would gain nothing: what a fold saves is the cost of an entry, not of a byte.
     */
    static final long MAX_FOLD_BYTES = 16L * 1024 * 1024;

    /**
     * Most bytes of values in one MGET reply: what one batch of a connection's replies may hold (a pipeline's batch
     * holds at most one such read). Well above what a client reads at once, as the request limit is.
     */
    static final long MAX_REPLY_BYTES = 64L * 1024 * 1024;

    private final KvRequests requests;
    private final ScanCursors cursors;
    private final long maxFoldBytes;

    /**
     * Creates the commands of one node.
     *
     * @param requests        the node's request layer
     * @param cursors         the node's SCAN positions
     * @param maxRequestBytes most bytes of one request's arguments together: no write folded from a pipeline carries
     *                        more key and value bytes than one request (an MSET) may, nor {@link #MAX_FOLD_BYTES}
     */
    RespCommands(KvRequests requests, ScanCursors cursors, long maxRequestBytes) {
        this.requests = requests;
        this.cursors = cursors;
        this.maxFoldBytes = Math.min(maxRequestBytes, MAX_FOLD_BYTES);
    }

    // ---------------------------------------------------------------- reads

    Future<RespReply> get(RespSession s, List<byte[]> args) {
        return requests.get(key(args.get(1)), ReadConsistency.LINEARIZABLE, false)
                .map(r -> value(r.value().entry()));
    }

    /** A value's reply: a view of the bytes the entry holds (not a copy), or nil for a missing key. */
    private static RespReply value(Optional<KvEntry> entry) {
        return entry.<RespReply>map(e -> new RespReply.Bulk(e.valueView())).orElse(RespReply.NIL);
    }

    /**
     * Several plain {@code GET key} requests of one pipeline as one read of all their keys at one index: each GET is
     * linearizable at that point, which lies within all of their intervals (they were all sent before it, and none
     * is answered before it). One ReadIndex round instead of one per GET.
     *
     * @param gets the requests, each {@code [GET, key]}
     * @return one reply per request
     */
    Future<List<RespReply>> getMany(List<List<byte[]>> gets) {
        List<String> keys = new ArrayList<>(gets.size());
        for (List<byte[]> args : gets) {
            keys.add(key(args.get(1)));
        }
        return lookupValues(keys).map(RespCommands::values);
    }

    /**
     * The values of {@code keys} (a run of GETs), at most {@link #MAX_REPLY_BYTES} of them per read: on a follower a
     * read whose values come to more is answered by the leader without them (it encodes no value above the bound,
     * {@link Fetch}), and is read again in parts of at most that many bytes (by the lengths that answer gave), one
     * after the other, each part at an index no older than the one before, as GETs run one by one would be read.
     */
    private Future<LookupResult> lookupValues(List<String> keys) {
        return lookup(keys, Fetch.values(MAX_REPLY_BYTES)).compose(r -> r.valuesWithheld()
                ? inParts(keys, r.entries(), 0, new ArrayList<>(keys.size()), r)
                : Future.succeededFuture(r));
    }

    private Future<LookupResult> inParts(List<String> keys, List<Optional<KvEntry>> sizes, int from,
            List<Optional<KvEntry>> read, LookupResult last) {
        if (from == keys.size()) {
            return Future.succeededFuture(new LookupResult(read, last.totalKeys(), last.appliedIndex()));
        }
        int to = from;
        long bytes = 0;
        // At least one key a part: a value is at most 1 MiB, well under the bound.
        while (to < keys.size() && (to == from || bytes + length(sizes.get(to)) <= MAX_REPLY_BYTES)) {
            bytes += length(sizes.get(to));
            to++;
        }
        int end = to;
        // A part whose values grew meanwhile past the bound is split again, by its new lengths.
        return lookupValues(keys.subList(from, end)).compose(r -> {
            read.addAll(r.entries());
            return inParts(keys, sizes, end, read, r);
        });
    }

    private static long length(Optional<KvEntry> entry) {
        return entry.map(e -> (long) e.valueLength()).orElse(0L);
    }

    private static List<RespReply> values(LookupResult r) {
        List<RespReply> values = new ArrayList<>(r.entries().size());
        for (Optional<KvEntry> e : r.entries()) {
            values.add(value(e));
        }
        return values;
    }

    /**
     * MGET: the values, each key in its place. The reply is built whole before it is written, and a key may be named
     * many times: 16,000 names of one 1 MiB value are a request of 64 KB and a reply of 16 GiB, which the node tried to
     * build in one buffer. A reply of more than {@link #MAX_REPLY_BYTES} of values is refused, naming the limit.
     */
    Future<RespReply> mget(RespSession s, List<byte[]> args) {
        // On a follower the leader sends no value if they come to more than the limit (the lengths only), so the
        // refusal is the same through any node and costs the leader no encoding of them.
        return lookup(keys(args, 1, args.size(), 1), Fetch.values(MAX_REPLY_BYTES)).map(r -> {
            long bytes = r.valueBytes();
            if (bytes > MAX_REPLY_BYTES || r.valuesWithheld()) {
                throw new RespError("ERR MGET reply of " + bytes + " bytes of values is larger than the limit of "
                        + MAX_REPLY_BYTES + " bytes (a key named twice counts twice): read fewer keys at a time");
            }
            return new RespReply.Array(values(r));
        });
    }

    Future<RespReply> exists(RespSession s, List<byte[]> args) {
        return lookup(keys(args, 1, args.size(), 1), Fetch.METADATA)
                .map(r -> new RespReply.Int(r.entries().stream().filter(Optional::isPresent).count()));
    }

    /**
     * GETRANGE key start end: the bytes of the value from {@code start} to {@code end}, both included, an offset below
     * 0 counting from the end, clipped to the value as Redis clips them (empty when nothing is left).
     */
    Future<RespReply> getrange(RespSession s, List<byte[]> args) {
        long start = integer(args.get(2));
        long end = integer(args.get(3));
        return requests.get(key(args.get(1)), ReadConsistency.LINEARIZABLE, false)
                .map(r -> range(r.value().entry(), start, end));
    }

    private static RespReply range(Optional<KvEntry> entry, long start, long end) {
        if (entry.isEmpty()) {
            return new RespReply.Bulk(new byte[0]);
        }
        long length = entry.get().valueLength();
        long from = start < 0 ? Math.max(0, length + start) : start;
        long to = end < 0 ? Math.max(0, length + end) : Math.min(end, length - 1);
        if (length == 0 || from > to || (start < 0 && end < 0 && start > end)) {
            return new RespReply.Bulk(new byte[0]);
        }
        byte[] value = entry.get().value();
        return new RespReply.Bulk(java.util.Arrays.copyOfRange(value, (int) from, (int) to + 1));
    }

    /**
     * An integer argument (GETRANGE's offsets, SETRANGE's), or Redis's error for one that is not: read by Redis's rule
     * ({@link #parseLong}), as every other command's. {@code Long.parseLong} took {@code +1}, {@code 007} and digits
     * of other scripts ({@code GETRANGE k ١ 2}), which Redis refuses.
     */
    private static long integer(byte[] word) {
        return parseLong(word, "ERR value is not an integer or out of range");
    }

    /**
     * GETEX key [PERSIST]: the value, as GET; PERSIST changes nothing (no key has a time to live), and an option that
     * sets one (EX, PX, EXAT, PXAT) is refused with the reason, as SET's are.
     */
    Future<RespReply> getex(RespSession s, List<byte[]> args) {
        getexOptions(args);
        return get(s, args);
    }

    private static void getexOptions(List<byte[]> args) {
        if (args.size() == 3 && upper(args.get(2)).equals("PERSIST")) {
            return;
        }
        if (args.size() > 2) {
            String option = upper(args.get(2));
            if (List.of("EX", "PX", "EXAT", "PXAT").contains(option)) {
                throw new RespError("ERR expiry is not supported: Raftline keys do not expire (GETEX without"
                        + " EX/PX/EXAT/PXAT)");
            }
            throw new RespError("ERR syntax error");
        }
    }

    /**
     * TYPE key: {@code string} for a key that exists (every value is a string here), {@code none} for a missing one, as
     * Redis answers; browsers of a key space (RedisInsight, redis-cli's {@code --bigkeys}) ask it of every key.
     */
    Future<RespReply> type(RespSession s, List<byte[]> args) {
        return metadata(key(args.get(1))).map(RespCommands::typeOf);
    }

    /**
     * What is known of one key without its value (its length, its revisions), read as GET reads it: TYPE, STRLEN,
     * TTL and PERSIST need no more, and on a follower a GET carries the whole value from the leader.
     */
    private Future<Optional<KvEntry>> metadata(String key) {
        return lookup(List.of(key), Fetch.METADATA).map(r -> r.entries().get(0));
    }

    private static RespReply typeOf(Optional<KvEntry> entry) {
        return new RespReply.Simple(entry.isPresent() ? "string" : "none");
    }

    /** STRLEN key: the value's length in bytes, 0 for a missing key. */
    Future<RespReply> strlen(RespSession s, List<byte[]> args) {
        return metadata(key(args.get(1))).map(RespCommands::strlenOf);
    }

    private static RespReply strlenOf(Optional<KvEntry> entry) {
        return new RespReply.Int(entry.map(KvEntry::valueLength).orElse(0));
    }

    /**
     * TTL and PTTL key: -1 for a key that exists (Raftline keys do not expire), -2 for a missing one, as Redis answers;
     * clients and tools ask it before they decide whether to set an expiry.
     */
    Future<RespReply> ttl(RespSession s, List<byte[]> args) {
        return metadata(key(args.get(1))).map(RespCommands::ttlOf);
    }

    private static RespReply ttlOf(Optional<KvEntry> entry) {
        return new RespReply.Int(entry.isPresent() ? -1 : -2);
    }

    /** EXPIRE and its kind, PERSIST's opposite: refused with the reason (keys do not expire), naming the command. */
    Future<RespReply> expire(RespSession s, List<byte[]> args) {
        throw new RespError("ERR expiry is not supported: Raftline keys do not expire ("
                + upper(args.get(0)) + " is refused; TTL answers -1 for every key that exists)");
    }

    /** PERSIST key: 0, as Redis answers for a key without an expiry (every key here); the key is checked as any. */
    Future<RespReply> persist(RespSession s, List<byte[]> args) {
        return metadata(key(args.get(1))).map(r -> new RespReply.Int(0));
    }

    /**
     * What MEMORY USAGE adds to a key's and its value's bytes: an estimate of what the store spends on an entry besides
     * them (the entry object with its revisions, the key's String, the arrays' headers, and the key's place in the
     * state machine's two maps, by key and in key order).
     */
    static final int ENTRY_OVERHEAD_BYTES = 200;

    /**
     * MEMORY USAGE key [SAMPLES count]: the bytes a key takes in the store, an estimate as Redis's is: its key's and
     * value's bytes plus {@link #ENTRY_OVERHEAD_BYTES}; nil for a missing key. A linearizable read. {@code redis-cli
     * --memkeys} asks it of every key (SAMPLES is taken and changes nothing: a value is one string, none is sampled).
     * Other MEMORY subcommands are refused.
     */
    Future<RespReply> memory(RespSession s, List<byte[]> args) {
        if (!"USAGE".equals(upper(args.get(1)))) {
            throw new RespError("ERR unknown subcommand '" + text(args.get(1)) + "'. Try MEMORY USAGE.");
        }
        if (args.size() < 3) {
            throw arity("memory|usage");
        }
        for (int i = 3; i < args.size(); i += 2) {
            if (i + 1 >= args.size() || !"SAMPLES".equals(upper(args.get(i)))) {
                throw new RespError("ERR syntax error");
            }
            parseLong(args.get(i + 1), "ERR value is not an integer or out of range");
        }
        long keyBytes = args.get(2).length;
        return requests.get(key(args.get(2)), ReadConsistency.LINEARIZABLE, false).map(r -> r.value().entry()
                .<RespReply>map(e -> new RespReply.Int(keyBytes + e.valueLength() + ENTRY_OVERHEAD_BYTES))
                .orElse(RespReply.NIL));
    }

    Future<RespReply> dbsize(RespSession s, List<byte[]> args) {
        return lookup(List.of(), Fetch.METADATA).map(r -> new RespReply.Int(r.totalKeys()));
    }

    /**
     * KEYS: every matching key, reading the store page by page from the pattern's literal prefix on. The reply is built
     * whole before it is written, as an MGET's, and is bounded as one: a {@code KEYS *} over millions of keys went on
     * reading and holding every key, without limit, in the node's memory. Beyond {@link #MAX_REPLY_BYTES} of keys it is
     * refused, naming the limit and SCAN, and no further page is read.
     */
    Future<RespReply> keys(RespSession s, List<byte[]> args) {
        Glob glob = Glob.of(text(args.get(1)));
        List<RespReply> out = new ArrayList<>();
        return keysFrom(glob, "", out, 0).map(v -> new RespReply.Array(out));
    }

    private Future<Void> keysFrom(Glob glob, String startAfter, List<RespReply> out, long bytesBefore) {
        return range(glob.literalPrefix(), startAfter, KEYS_PAGE).compose(r -> {
            long bytes = bytesBefore;
            for (KvEntry e : r.entries()) {
                if (glob.matches(e.key())) {
                    RespReply.Bulk key = RespReply.Bulk.of(e.key());
                    bytes += key.bytes().remaining();
                    if (bytes > MAX_REPLY_BYTES) {
                        out.clear();
                        return Future.failedFuture(new RespError("ERR KEYS reply of more than " + MAX_REPLY_BYTES
                                + " bytes of keys is larger than the limit: list them with SCAN, a page at a time"));
                    }
                    out.add(key);
                }
            }
            if (!r.more()) {
                return Future.succeededFuture();
            }
            return keysFrom(glob, r.entries().get(r.entries().size() - 1).key(), out, bytes);
        });
    }

    /** SCAN cursor [MATCH pattern] [COUNT n] [TYPE type]: a page of keys in key order and the next cursor. */
    Future<RespReply> scan(RespSession s, List<byte[]> args) {
        long cursor = parseLong(args.get(1), "ERR invalid cursor");
        String startAfter = "";
        if (cursor != 0) {
            startAfter = cursors.position(cursor);
            if (startAfter == null) {
                throw new RespError("ERR invalid cursor: this node does not know cursor " + cursor
                        + " (cursors are valid on the node that returned them, for its most recent scans)");
            }
        }
        Glob match = null;
        int count = SCAN_DEFAULT_COUNT;
        boolean stringsOnly = true;
        for (int i = 2; i < args.size(); i += 2) {
            String option = upper(args.get(i));
            if (i + 1 >= args.size()) {
                throw new RespError("ERR syntax error");
            }
            switch (option) {
                case "MATCH" -> match = Glob.of(text(args.get(i + 1)));
                case "COUNT" -> {
                    long n = parseLong(args.get(i + 1), "ERR value is not an integer or out of range");
                    if (n < 1) {
                        throw new RespError("ERR syntax error");
                    }
                    count = (int) Math.min(n, SCAN_MAX_COUNT);
                }
                case "TYPE" -> stringsOnly = "string".equalsIgnoreCase(text(args.get(i + 1)));
                default -> throw new RespError("ERR syntax error");
            }
        }
        Glob glob = match;
        boolean anyOfType = stringsOnly;
        String prefix = glob == null ? "" : glob.literalPrefix();
        return range(prefix, startAfter, count).map(r -> {
            List<RespReply> keys = new ArrayList<>();
            for (KvEntry e : r.entries()) {
                if (anyOfType && (glob == null || glob.matches(e.key()))) {
                    keys.add(RespReply.Bulk.of(e.key()));
                }
            }
            long next = r.more() && anyOfType ? cursors.save(r.entries().get(r.entries().size() - 1).key()) : 0;
            return new RespReply.Array(List.of(RespReply.Bulk.of(Long.toString(next)), new RespReply.Array(keys)));
        });
    }

    // ---------------------------------------------------------------- writes

    /**
     * SET's options after the key and value.
     *
     * @param nx  write only if the key is absent
     * @param xx  write only if it exists
     * @param get answer the key's old value
     */
    private record SetOptions(boolean nx, boolean xx, boolean get) {

        /**
         * The options of {@code SET key value [NX | XX] [GET] [KEEPTTL]}; expiry options are refused (keys do not
         * expire), and KEEPTTL changes nothing (there is no time to live to keep).
         */
        static SetOptions of(List<byte[]> args) {
            boolean nx = false;
            boolean xx = false;
            boolean get = false;
            for (int i = 3; i < args.size(); i++) {
                switch (upper(args.get(i))) {
                    case "NX" -> nx = true;
                    case "XX" -> xx = true;
                    case "GET" -> get = true;
                    // Keeping the key's time to live is keeping none: no key has one.
                    case "KEEPTTL" -> { }
                    case "EX", "PX", "EXAT", "PXAT" -> throw new RespError("ERR expiry is not supported:"
                            + " Raftline keys do not expire (SET without EX/PX/EXAT/PXAT)");
                    default -> throw new RespError("ERR syntax error");
                }
            }
            if (nx && xx) {
                throw new RespError("ERR syntax error");
            }
            return new SetOptions(nx, xx, get);
        }
    }

    /** SET key value [NX | XX] [GET]; expiry options are refused (Raftline keys do not expire). */
    Future<RespReply> set(RespSession s, List<byte[]> args) {
        String key = key(args.get(1));
        byte[] value = value(args.get(2));
        SetOptions options = SetOptions.of(args);
        boolean nx = options.nx();
        boolean xx = options.xx();
        boolean get = options.get();
        if (!xx && !get) {
            KvCommand.Put put = KvCommand.Put.taking(key, value, nx ? KvCommand.MUST_NOT_EXIST
                    : KvCommand.UNCONDITIONAL, null);
            return write(put).map(r -> r instanceof KvResult.PreconditionFailed ? RespReply.NIL : RespReply.OK);
        }
        // XX or GET: one transaction compares the key's existence and reads the old value in the same entry.
        List<TxnCompare> compares = nx || xx
                ? List.of(TxnCompare.number(key, TxnCompare.Target.VERSION, nx ? TxnCompare.Op.EQUAL
                        : TxnCompare.Op.GREATER, 0))
                : List.of();
        List<TxnOp> success = get ? List.of(new TxnOp.Get(key), TxnOp.Put.taking(key, value))
                : List.of(TxnOp.Put.taking(key, value));
        List<TxnOp> failure = get ? List.of(new TxnOp.Get(key)) : List.of();
        boolean returnOld = get;
        return write(new KvCommand.Txn(compares, success, failure)).map(r -> {
            KvResult.TxnResult t = expect(r, KvResult.TxnResult.class);
            if (returnOld) {
                Optional<KvEntry> old = ((KvResult.GetDone) t.results().get(0)).entry();
                return value(old);
            }
            return t.succeeded() ? RespReply.OK : RespReply.NIL;
        });
    }

    /**
     * Several plain {@code SET key value} requests of one pipeline as one transaction per Raft group: one log entry
     * instead of one each. Atomic where Redis would apply them one after the other, which no client can tell apart
     * (nothing runs between them either way), and it is what makes a pipeline of writes fast. A key set twice in a
     * fold is written once, with the last value: the earlier value would be overwritten within the same entry,
     * unseen by any read, so it gets no revision and no watch event of its own.
     *
     * <p>A fold carries at most {@link KvCommand#MAX_TXN_ITEMS} keys and no more key and value bytes than one request
     * may (see the constructor): a longer run of large values is split into several writes, each of a size the
     * leader's forwarding endpoint and the Raft transports take, written one after the other.
     *
     * <p>On a sharded cluster one transaction may only touch the keys of one group, so the SETs are folded group by
     * group (each group's SETs in the order sent) and the groups' writes run at once: SETs of different groups are
     * independent commands, as they are on the different hash slots of a Redis Cluster. Each SET's reply is its own
     * group's outcome, in request order.
     *
     * @param sets the requests, each {@code [SET, key, value]}
     * @return one reply per request; never failed (a failed write is the error reply of each of its SETs)
     * @throws RespError if a key or value is invalid (before anything is written)
     */
    Future<List<RespReply>> setMany(List<List<byte[]>> sets) {
        // Everything is checked before anything is written, so a bad request can be run alone for its own reply.
        Map<Integer, List<Integer>> byGroup = new LinkedHashMap<>();
        List<String> keys = new ArrayList<>(sets.size());
        List<byte[]> values = new ArrayList<>(sets.size());
        for (int i = 0; i < sets.size(); i++) {
            String key = key(sets.get(i).get(1));
            keys.add(key);
            values.add(value(sets.get(i).get(2)));
            byGroup.computeIfAbsent(requests.groupOf(key), g -> new ArrayList<>()).add(i);
        }
        RespReply[] replies = new RespReply[sets.size()];
        List<Future<Void>> groups = new ArrayList<>(byGroup.size());
        for (List<Integer> run : byGroup.values()) {
            groups.add(setFolds(run, keys, values, replies));
        }
        return Future.join(groups).transform(v -> Future.succeededFuture(List.of(replies)));
    }

    /**
     * The SETs of one group ({@code run}, indexes into the pipeline in the order sent) as transactions of at most
     * {@link KvCommand#MAX_TXN_ITEMS} keys and {@link #maxFoldBytes} key and value bytes, written one after the
     * other, each filling its SETs' replies.
     */
    private Future<Void> setFolds(List<Integer> run, List<String> keys, List<byte[]> values, RespReply[] replies) {
        Future<Void> previous = Future.succeededFuture();
        int from = 0;
        while (from < run.size()) {
            Map<String, byte[]> last = new LinkedHashMap<>();
            int to = from;
            long bytes = 0;
            while (to < run.size()) {
                String key = keys.get(run.get(to));
                long size = (long) key.getBytes(StandardCharsets.UTF_8).length + values.get(run.get(to)).length;
                boolean fits = (last.size() < KvCommand.MAX_TXN_ITEMS || last.containsKey(key))
                        && bytes + size <= maxFoldBytes;
                if (!fits && to > from) {
                    break; // a SET alone always goes: the parser already bounded its request
                }
                last.put(key, values.get(run.get(to)));
                bytes += size;
                to++;
            }
            List<Integer> fold = run.subList(from, to);
            // Like a SET alone, a fold of one is a plain put; each fold is written once the one before is answered
            // (whatever its outcome, as Redis runs each command of a pipeline), so the group sees them in order.
            previous = previous.transform(v -> write(fold.size() == 1
                    ? new KvCommand.Put(keys.get(fold.get(0)), values.get(fold.get(0)), KvCommand.UNCONDITIONAL, null)
                    : new KvCommand.Txn(List.of(), puts(last), List.of())).transform(ar -> {
                        RespReply reply = ar.succeeded() ? RespReply.OK : error(ar.cause(), false);
                        for (int i : fold) {
                            replies[i] = reply;
                        }
                        return Future.<Void>succeededFuture();
                    }));
            from = to;
        }
        return previous;
    }

    private static List<TxnOp> puts(Map<String, byte[]> values) {
        List<TxnOp> puts = new ArrayList<>(values.size());
        values.forEach((k, v) -> puts.add(TxnOp.Put.taking(k, v))); // each argument is an array of its own
        return puts;
    }

    Future<RespReply> mset(RespSession s, List<byte[]> args) {
        List<TxnOp> puts = msetPuts("mset", args);
        requireTxnSize("MSET", puts.size());
        return write(new KvCommand.Txn(List.of(), puts, List.of())).map(r -> RespReply.OK);
    }

    /**
     * MSET's (or MSETNX's) pairs as puts, the last value of a key given twice winning, as in Redis; a key without its
     * value is the wrong number of arguments of {@code command}, named as Redis names it.
     */
    private static List<TxnOp> msetPuts(String command, List<byte[]> args) {
        if (args.size() % 2 != 1) {
            throw arity(command);
        }
        Map<String, byte[]> last = new LinkedHashMap<>();
        for (int i = 1; i < args.size(); i += 2) {
            last.put(key(args.get(i)), value(args.get(i + 1)));
        }
        return puts(last);
    }

    /**
     * MSETNX key value [key value ...]: sets every key if none of them exists (1), or none (0): one transaction that
     * compares each key's absence and writes them all in the same log entry.
     */
    Future<RespReply> msetnx(RespSession s, List<byte[]> args) {
        List<TxnOp> puts = msetPuts("msetnx", args);
        requireTxnSize("MSETNX", puts.size());
        List<TxnCompare> absent = new ArrayList<>(puts.size());
        for (TxnOp put : puts) {
            absent.add(TxnCompare.number(((TxnOp.Put) put).key(), TxnCompare.Target.VERSION, TxnCompare.Op.EQUAL, 0));
        }
        return write(new KvCommand.Txn(absent, puts, List.of()))
                .map(r -> new RespReply.Int(expect(r, KvResult.TxnResult.class).succeeded() ? 1 : 0));
    }

    /**
     * APPEND key suffix: the value's new length. {@link KvCommand.Append}, applied in the state machine: the old value
     * is read and the new one written in the same step of the log, whatever else writes the key. A value that would
     * grow past 1 MiB is refused with Redis's words and the key stays as it was.
     */
    Future<RespReply> append(RespSession s, List<byte[]> args) {
        return write(new KvCommand.Append(key(args.get(1)), value(args.get(2)))).map(RespCommands::editReply);
    }

    /**
     * The reply to an APPEND, a SETRANGE or an INCRBYFLOAT, alone or in a transaction: the value's new length, the new
     * number's text, or the state machine's refusal in Redis's words.
     */
    private static RespReply editReply(KvResult.OpResult r) {
        return editReply(((KvResult.EditDone) r).result());
    }

    private static RespReply editReply(KvResult r) {
        if (r instanceof KvResult.Spliced spliced) {
            return new RespReply.Int(spliced.length());
        }
        if (r instanceof KvResult.FloatIncremented inc) {
            return new RespReply.Bulk(inc.value().getBytes(StandardCharsets.US_ASCII));
        }
        return new RespReply.Error(unexpected(r));
    }

    /**
     * SETRANGE key offset value: the value's new length. {@link KvCommand.SetRange}, applied in the state machine as an
     * append is: the value, padded with zero bytes up to the offset (an absent key counts as empty), gets the bytes
     * there. Checked as Redis checks it: a negative offset is out of range; an empty value writes nothing and answers
     * the value's length, read linearizably (0 for an absent key, which it does not create); a range ending past
     * 1 MiB is refused with nothing written.
     */
    Future<RespReply> setrange(RespSession s, List<byte[]> args) {
        String key = key(args.get(1));
        byte[] bytes = value(args.get(3));
        int offset = setRangeOffset(args.get(2), bytes.length);
        if (bytes.length == 0) {
            return metadata(key).map(RespCommands::strlenOf);
        }
        return write(new KvCommand.SetRange(key, offset, bytes)).map(RespCommands::editReply);
    }

    /**
     * SETRANGE's offset, checked as Redis checks it: a negative one is out of range, and a range of {@code length}
     * bytes there must end within a value's largest size (unless it writes nothing).
     */
    private static int setRangeOffset(byte[] argument, int length) {
        long offset = integer(argument);
        if (offset < 0) {
            throw new RespError("ERR offset is out of range");
        }
        if (length > 0 && offset > KvCommand.MAX_VALUE_BYTES - length) {
            // Compared so that no sum overflows (an offset near 2^63 wrapped to a negative end, and on to a nonsense
            // refusal of offset -1); two longs of 0 or more add up within an unsigned one.
            throw new RespError("ERR " + KvStateMachine.TOO_LONG_TO_APPEND + " ("
                    + Long.toUnsignedString(offset + length) + " bytes; a value holds at most "
                    + KvCommand.MAX_VALUE_BYTES + ")");
        }
        return (int) Math.min(offset, KvCommand.MAX_VALUE_BYTES);
    }

    /**
     * INCRBYFLOAT key increment: the new value as a bulk string. {@link KvCommand.IncrementByFloat}, applied in the
     * state machine in exact decimal arithmetic and written as Redis prints it (17 decimal places at most, no trailing
     * zeros, no exponent: {@code 10.5} then {@code 0.1} gives {@code 10.6}); a value or an increment that is not a
     * number gets Redis's {@code ERR value is not a valid float}, a sum beyond a {@code long double}'s range its
     * {@code ERR increment would produce NaN or Infinity}, with nothing written.
     */
    Future<RespReply> incrbyfloat(RespSession s, List<byte[]> args) {
        return write(incrementByFloat(args)).map(RespCommands::editReply);
    }

    /** INCRBYFLOAT's command; an increment that is not a number is refused with Redis's words. */
    private static KvCommand.IncrementByFloat incrementByFloat(List<byte[]> args) {
        java.math.BigDecimal increment = KvCommand.IncrementByFloat.parse(args.get(2));
        if (increment == null) {
            throw new RespError("ERR " + KvStateMachine.NOT_A_FLOAT);
        }
        return new KvCommand.IncrementByFloat(key(args.get(1)), increment);
    }

    /**
     * RENAME and RENAMENX source target: {@code OK} (RENAMENX: 1, or 0 when the target exists and nothing moved).
     * {@link KvCommand.Rename}, applied in the state machine: the source's value is read and both keys written in the
     * same step of the log, whatever else writes them; the target's old value, if any, is overwritten (RENAME). A
     * missing source gets Redis's {@code ERR no such key}. On a sharded cluster both keys must be in one Raft group
     * ({@code CROSSSLOT}), as in a Redis cluster. Not inside MULTI: a transaction's operation writes one key.
     */
    Future<RespReply> rename(RespSession s, List<byte[]> args) {
        boolean onlyIfAbsent = upper(args.get(0)).equals("RENAMENX");
        return write(new KvCommand.Rename(key(args.get(1)), key(args.get(2)), onlyIfAbsent)).map(r -> {
            boolean renamed = expect(r, KvResult.Renamed.class).renamed();
            return onlyIfAbsent ? new RespReply.Int(renamed ? 1 : 0) : RespReply.OK;
        });
    }

    /** SETNX key value: 1 if the key was absent and is now set, 0 if it existed (nothing written). */
    Future<RespReply> setnx(RespSession s, List<byte[]> args) {
        KvCommand.Put put = KvCommand.Put.taking(key(args.get(1)), value(args.get(2)), KvCommand.MUST_NOT_EXIST, null);
        return write(put).map(r -> new RespReply.Int(r instanceof KvResult.PreconditionFailed ? 0 : 1));
    }

    /**
     * GETSET key value and GETDEL key: the old value (nil for a missing key), read in the same log entry as the write
     * or the delete (one transaction of a get and the write, the form SET ... GET has always had).
     */
    Future<RespReply> getAndWrite(RespSession s, List<byte[]> args) {
        RespTransaction.Queued command = inTransaction(text(args.get(0)).toLowerCase(Locale.ROOT), args);
        return write(new KvCommand.Txn(List.of(), command.ops(), List.of()))
                .map(r -> command.reply().apply(expect(r, KvResult.TxnResult.class).results()));
    }

    /** DEL and UNLINK key...: how many of the keys existed; one delete, or one transaction for several keys. */
    Future<RespReply> del(RespSession s, List<byte[]> args) {
        if (args.size() == 2) {
            return write(new KvCommand.Delete(key(args.get(1))))
                    .map(r -> new RespReply.Int(expect(r, KvResult.Deleted.class).deleted()));
        }
        List<TxnOp> deletes = delDeletes(args);
        requireTxnSize(upper(args.get(0)), deletes.size());
        return write(new KvCommand.Txn(List.of(), deletes, List.of()))
                .map(r -> deletedCount(expect(r, KvResult.TxnResult.class).results()));
    }

    /** DEL's keys as deletes, each once (DEL k k deletes one key). */
    private static List<TxnOp> delDeletes(List<byte[]> args) {
        List<TxnOp> deletes = new ArrayList<>();
        for (String key : keys(args, 1, args.size(), 1).stream().distinct().toList()) {
            deletes.add(new TxnOp.Delete(key));
        }
        return deletes;
    }

    /** DEL's reply: how many of the deletes found their key. */
    private static RespReply deletedCount(List<KvResult.OpResult> results) {
        return new RespReply.Int(results.stream().mapToInt(o -> ((KvResult.DeleteDone) o).deleted()).sum());
    }

    Future<RespReply> incr(RespSession s, List<byte[]> args) {
        return increment(args.get(1), delta("incr", args));
    }

    Future<RespReply> decr(RespSession s, List<byte[]> args) {
        return increment(args.get(1), delta("decr", args));
    }

    Future<RespReply> incrby(RespSession s, List<byte[]> args) {
        return increment(args.get(1), delta("incrby", args));
    }

    Future<RespReply> decrby(RespSession s, List<byte[]> args) {
        return increment(args.get(1), delta("decrby", args));
    }

    /** What INCR, DECR, INCRBY or DECRBY ({@code name}, arity checked) adds to its key. */
    private static long delta(String name, List<byte[]> args) {
        switch (name) {
            case "incr":
                return 1;
            case "decr":
                return -1;
            case "incrby":
                return parseLong(args.get(2), "ERR value is not an integer or out of range");
            default:
                long delta = parseLong(args.get(2), "ERR value is not an integer or out of range");
                if (delta == Long.MIN_VALUE) {
                    throw new RespError("ERR decrement would overflow");
                }
                return -delta;
        }
    }

    private Future<RespReply> increment(byte[] key, long delta) {
        return write(new KvCommand.Increment(key(key), delta)).map(r -> {
            if (r instanceof KvResult.Incremented inc) {
                return new RespReply.Int(inc.value());
            }
            return new RespReply.Error(r instanceof KvResult.Rejected rej ? "ERR " + rej.reason() : r.wire());
        });
    }

    /** The number of keys this node's replica holds now, without consensus (INFO's keyspace section). */
    Future<Long> localKeyCount() {
        return requests.lookup(List.of(), ReadConsistency.STALE, false, Fetch.METADATA)
                .map(r -> r.value().totalKeys());
    }

    // ---------------------------------------------------------------- helpers

    /**
     * The result as the type the command gives when it is applied, or the refusal it is instead (a rejected entry)
     * as the client's error: never a cast that fails with a ClassCastException.
     */
    private static <R extends KvResult> R expect(KvResult r, Class<R> type) {
        if (type.isInstance(r)) {
            return type.cast(r);
        }
        throw new RespError(unexpected(r));
    }

    /** The client's error for a result other than the command's: a rejected entry's reason in Redis's words. */
    private static String unexpected(KvResult r) {
        return r instanceof KvResult.Rejected rej ? "ERR " + rej.reason()
                : r.wire().startsWith("ERR ") ? r.wire() : "ERR unexpected result " + r;
    }

    // ---------------------------------------------------------------- MULTI ... EXEC

    /**
     * A transaction begun by MULTI, holding at most the key and value bytes one request may carry.
     *
     * @return the transaction
     */
    RespTransaction transaction() {
        return new RespTransaction(maxFoldBytes);
    }

    /** The commands a transaction holds, as its refusal of any other names them. */
    static final String IN_TRANSACTION = "GET, GETEX, GETRANGE, MGET, EXISTS, STRLEN, TYPE, TTL, PTTL, SET (with NX,"
            + " XX, GET), SETNX, GETSET, GETDEL, MSET, DEL, UNLINK, INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT, APPEND,"
            + " SETRANGE, PING and ECHO";

    /**
     * A command sent between MULTI and EXEC, as operations of the transaction EXEC will propose. The commands whose
     * effect is a read, a write, an increment, an edit or a delete of named keys can (a key may be written by several
     * of them, each seeing the ones before it, as in Redis); listings (KEYS, SCAN, DBSIZE) cannot. An increment of a
     * value that is not a number, or an append past a value's largest size, answers its error in EXEC's array and
     * leaves that key alone, and a SET NX or XX whose key is not in the state it needs answers nil and writes nothing,
     * while the transaction's other commands apply (Redis does not roll back either).
     *
     * @param name the command's name, lower case
     * @param args the command's words, its name first; arity checked
     * @return the queued command
     * @throws RespError if a transaction cannot hold it, or an argument is invalid
     */
    RespTransaction.Queued inTransaction(String name, List<byte[]> args) {
        long bytes = 0;
        for (int i = 1; i < args.size(); i++) {
            bytes += args.get(i).length;
        }
        switch (name) {
            case "get": {
                return new RespTransaction.Queued(List.of(new TxnOp.Get(key(args.get(1)))), bytes,
                        r -> value(((KvResult.GetDone) r.get(0)).entry()));
            }
            case "mget":
            case "exists": {
                List<TxnOp> gets = new ArrayList<>();
                for (String key : keys(args, 1, args.size(), 1)) {
                    gets.add(new TxnOp.Get(key));
                }
                return new RespTransaction.Queued(gets, bytes, name.equals("mget")
                        ? r -> new RespReply.Array(r.stream().map(o -> value(((KvResult.GetDone) o).entry())).toList())
                        : r -> new RespReply.Int(r.stream().filter(o -> ((KvResult.GetDone) o).entry().isPresent())
                                .count()));
            }
            case "set": {
                String key = key(args.get(1));
                TxnOp.Put put = TxnOp.Put.taking(key, value(args.get(2)));
                SetOptions options = SetOptions.of(args);
                // NX and XX are checked where the write falls among the transaction's operations, after the ones
                // before it: a comparison of the transaction would be evaluated before all of them.
                TxnOp write = options.nx() ? new TxnOp.PutIf(put, TxnOp.PutIf.When.ABSENT)
                        : options.xx() ? new TxnOp.PutIf(put, TxnOp.PutIf.When.PRESENT) : put;
                if (options.get()) {
                    return new RespTransaction.Queued(List.of(new TxnOp.Get(key), write), bytes,
                            r -> value(((KvResult.GetDone) r.get(0)).entry()));
                }
                return new RespTransaction.Queued(List.of(write), bytes,
                        r -> r.get(0) instanceof KvResult.PutIfDone done && !done.written() ? RespReply.NIL
                                : RespReply.OK);
            }
            case "setnx": {
                TxnOp write = new TxnOp.PutIf(TxnOp.Put.taking(key(args.get(1)), value(args.get(2))),
                        TxnOp.PutIf.When.ABSENT);
                return new RespTransaction.Queued(List.of(write), bytes,
                        r -> new RespReply.Int(((KvResult.PutIfDone) r.get(0)).written() ? 1 : 0));
            }
            case "getset":
            case "getdel": {
                String key = key(args.get(1));
                TxnOp write = name.equals("getset") ? TxnOp.Put.taking(key, value(args.get(2))) : new TxnOp.Delete(key);
                return new RespTransaction.Queued(List.of(new TxnOp.Get(key), write), bytes,
                        r -> value(((KvResult.GetDone) r.get(0)).entry()));
            }
            case "getrange": {
                long start = integer(args.get(2));
                long end = integer(args.get(3));
                return new RespTransaction.Queued(List.of(new TxnOp.Get(key(args.get(1)))), bytes,
                        r -> range(((KvResult.GetDone) r.get(0)).entry(), start, end));
            }
            case "getex": {
                getexOptions(args);
                return new RespTransaction.Queued(List.of(new TxnOp.Get(key(args.get(1)))), bytes,
                        r -> value(((KvResult.GetDone) r.get(0)).entry()));
            }
            case "strlen": {
                return new RespTransaction.Queued(List.of(new TxnOp.Get(key(args.get(1)))), bytes,
                        r -> strlenOf(((KvResult.GetDone) r.get(0)).entry()));
            }
            case "type": {
                return new RespTransaction.Queued(List.of(new TxnOp.Get(key(args.get(1)))), bytes,
                        r -> typeOf(((KvResult.GetDone) r.get(0)).entry()));
            }
            case "ttl":
            case "pttl": {
                return new RespTransaction.Queued(List.of(new TxnOp.Get(key(args.get(1)))), bytes,
                        r -> ttlOf(((KvResult.GetDone) r.get(0)).entry()));
            }
            case "mset": {
                return new RespTransaction.Queued(msetPuts("mset", args), bytes, r -> RespReply.OK);
            }
            case "del":
            case "unlink": {
                return new RespTransaction.Queued(delDeletes(args), bytes, RespCommands::deletedCount);
            }
            case "incr":
            case "decr":
            case "incrby":
            case "decrby": {
                return new RespTransaction.Queued(List.of(new TxnOp.Increment(key(args.get(1)), delta(name, args))),
                        bytes, r -> {
                            KvResult.IncrementDone done = (KvResult.IncrementDone) r.get(0);
                            return done.error() == null ? new RespReply.Int(done.value())
                                    : new RespReply.Error("ERR " + done.error());
                        });
            }
            case "append": {
                TxnOp edit = new TxnOp.Edit(new KvCommand.Append(key(args.get(1)), value(args.get(2))));
                return new RespTransaction.Queued(List.of(edit), bytes, r -> editReply(r.get(0)));
            }
            case "setrange": {
                String key = key(args.get(1));
                byte[] written = value(args.get(3));
                int offset = setRangeOffset(args.get(2), written.length);
                if (written.length == 0) {
                    // Nothing written, as alone: the value's length at that point of the transaction.
                    return new RespTransaction.Queued(List.of(new TxnOp.Get(key)), bytes,
                            r -> strlenOf(((KvResult.GetDone) r.get(0)).entry()));
                }
                TxnOp edit = new TxnOp.Edit(new KvCommand.SetRange(key, offset, written));
                return new RespTransaction.Queued(List.of(edit), bytes, r -> editReply(r.get(0)));
            }
            case "incrbyfloat": {
                TxnOp edit = new TxnOp.Edit(incrementByFloat(args));
                return new RespTransaction.Queued(List.of(edit), bytes, r -> editReply(r.get(0)));
            }
            case "ping": {
                if (args.size() > 2) {
                    throw arity("ping");
                }
                RespReply pong = args.size() == 2 ? new RespReply.Bulk(args.get(1)) : new RespReply.Simple("PONG");
                return new RespTransaction.Queued(List.of(), bytes, r -> pong);
            }
            case "echo": {
                RespReply echoed = new RespReply.Bulk(args.get(1));
                return new RespTransaction.Queued(List.of(), bytes, r -> echoed);
            }
            default:
                throw new RespError("ERR " + name.toUpperCase(Locale.ROOT) + " cannot run inside MULTI on Raftline: a"
                        + " transaction is one log entry of reads, writes, increments, edits and deletes of named keys,"
                        + " and holds "
                        + IN_TRANSACTION);
        }
    }

    /**
     * EXEC: the transaction's commands as one transaction, one log entry (linearizable, atomic); an array of their
     * replies, in order, or the null array if a watched key was written since WATCH read it (nothing is then
     * applied). A transaction of PINGs and ECHOs alone, or of nothing, with no key watched, writes nothing.
     *
     * @param tx      the transaction
     * @param watched the keys WATCH read, with their revisions
     * @return the replies
     */
    Future<RespReply> exec(RespTransaction tx, Map<String, Long> watched) {
        List<TxnOp> ops = tx.operations();
        if (ops.isEmpty() && watched.isEmpty()) {
            return Future.succeededFuture(new RespReply.Array(tx.replies(List.of())));
        }
        // Each watched key must still be at the revision WATCH read: the comparisons and the commands are one entry,
        // so no write can come in between.
        List<TxnCompare> unchanged = new ArrayList<>(watched.size());
        watched.forEach((key, revision) -> unchanged.add(TxnCompare.number(key, TxnCompare.Target.MOD_REVISION,
                TxnCompare.Op.EQUAL, revision)));
        // A key written by several commands needs the transaction kind that allows it (a log entry of its own kind,
        // which nodes from before 2026-12-06 cannot apply, as they cannot a SET NX or XX's conditional put; one holding
        // an APPEND, SETRANGE or INCRBYFLOAT is of a kind of 2026-12-07, KvCodec.opOf); any other transaction is written
        // as before.
        return write(new KvCommand.Txn(unchanged, ops, List.of(), KvCommand.Txn.writesAKeyTwice(ops))).map(r -> {
            KvResult.TxnResult t = expect(r, KvResult.TxnResult.class);
            return t.succeeded() ? new RespReply.Array(tx.replies(t.results())) : RespReply.NIL_ARRAY;
        });
    }

    /**
     * WATCH: reads the keys' revisions (linearizable), to be compared by the next EXEC. A key watched already keeps
     * the revision it was first read at, as Redis watches a key from its first WATCH.
     *
     * @param s    the connection's state
     * @param args {@code WATCH key [key ...]}
     * @return OK once read
     */
    Future<RespReply> watch(RespSession s, List<byte[]> args) {
        List<String> keys = keys(args, 1, args.size(), 1);
        long more = keys.stream().distinct().filter(k -> !s.watched().containsKey(k)).count();
        if (s.watched().size() + more > KvCommand.MAX_TXN_ITEMS) {
            throw new RespError("ERR WATCH of more than " + KvCommand.MAX_TXN_ITEMS + " keys: a transaction compares"
                    + " at most that many");
        }
        return lookup(keys, Fetch.METADATA).map(r -> {
            for (int i = 0; i < keys.size(); i++) {
                s.watched().putIfAbsent(keys.get(i), r.entries().get(i).map(KvEntry::modRevision).orElse(0L));
            }
            return RespReply.OK;
        });
    }

    private Future<KvResult> write(KvCommand command) {
        return requests.write(command, false).map(Served::value);
    }

    private Future<LookupResult> lookup(List<String> keys, Fetch fetch) {
        return requests.lookup(keys, ReadConsistency.LINEARIZABLE, false, fetch).map(Served::value);
    }

    /** A page of keys, without their values: KEYS and SCAN use the keys alone. */
    private Future<RangeResult> range(String prefix, String startAfter, int limit) {
        return requests.range(prefix, startAfter, limit, ReadConsistency.LINEARIZABLE, false, false)
                .map(Served::value);
    }

    private static void requireTxnSize(String command, int keys) {
        if (keys > KvCommand.MAX_TXN_ITEMS) {
            throw tooManyKeys(command, keys);
        }
    }

    /**
     * The refusal of a multi-key write of more keys than one transaction holds.
     *
     * @param command the command, as the client named it
     * @param keys    how many keys it names
     * @return the error
     */
    static RespError tooManyKeys(String command, long keys) {
        return new RespError("ERR " + command + " of " + keys + " keys: Raftline writes at most "
                + KvCommand.MAX_TXN_ITEMS + " keys in one atomic command (one log entry)");
    }

    /** The keys at {@code from}, {@code from + step}, ... before {@code to}. */
    private static List<String> keys(List<byte[]> args, int from, int to, int step) {
        List<String> keys = new ArrayList<>();
        for (int i = from; i < to; i += step) {
            keys.add(key(args.get(i)));
        }
        return keys;
    }

    /**
     * A key as the store keeps it: UTF-8 text of 1 to {@link KvCommand#MAX_KEY_BYTES} bytes.
     *
     * @throws RespError naming the rule the key breaks
     */
    static String key(byte[] bytes) {
        String key;
        try {
            key = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new RespError("ERR invalid key: Raftline keys are UTF-8 text, and this one is not valid UTF-8");
        }
        try {
            return KvCommand.validateKey(key);
        } catch (IllegalArgumentException e) {
            throw new RespError("ERR invalid key: " + e.getMessage());
        }
    }

    private static byte[] value(byte[] bytes) {
        try {
            return KvCommand.validateValue(bytes);
        } catch (IllegalArgumentException e) {
            throw new RespError("ERR invalid value: " + e.getMessage());
        }
    }

    static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    static String upper(byte[] bytes) {
        return text(bytes).toUpperCase(Locale.ROOT);
    }

    /** A signed 64-bit decimal argument, by Redis's rules. */
    static long parseLong(byte[] bytes, String error) {
        Long n = KvCommand.Increment.parse(bytes);
        if (n == null) {
            throw new RespError(error);
        }
        return n;
    }

    static RespError arity(String command) {
        return new RespError("ERR wrong number of arguments for '" + command + "' command");
    }

    /** Reasons for which the request certainly did nothing, so a client may simply retry. */
    private static final Set<NodeRequestException.Reason> NOT_APPLIED = Set.of(NodeRequestException.Reason.NOT_LEADER,
            NodeRequestException.Reason.NO_LEADER, NodeRequestException.Reason.OVERLOADED,
            NodeRequestException.Reason.NODE_PAUSED, NodeRequestException.Reason.NODE_DOWN,
            NodeRequestException.Reason.PROPOSAL_DROPPED,
            NodeRequestException.Reason.STATE_LOST, NodeRequestException.Reason.NOT_MEMBER);

    /**
     * Whether a read refused for {@code reason} may simply be asked again: every refusal of a node that is not the
     * request's own fault, a 503 ({@code node_down}, {@code leadership_lost}, {@code leader_unreachable}, ...) or a
     * 504 ({@code timeout}). A read changes nothing whatever became of it. Not a client error (4xx: a cross-group
     * request, a payload too large, a release mismatch, which asking again does not change), nor
     * {@code leader_refused} (502, which asking again does not change either), nor {@code quota_exceeded}, which a read
     * does not get. Until 2026-12-08 only a 503 was, so a read that timed out (504) was answered as a write that might
     * still be applied ({@code ERR timeout: ... (a write may still be applied)}).
     */
    static boolean retryableRead(NodeRequestException.Reason reason) {
        return reason.httpStatus() == 503 || reason.httpStatus() == 504;
    }

    /**
     * Why a read did not complete, in words about a read: the node's own message when it says nothing of writes (a
     * timeout or a lost connection forwarded to the leader is described for the write it might have been: "a write
     * may still be applied"), else what the reason means for a read.
     */
    private static String readFailure(NodeRequestException e) {
        String message = String.valueOf(e.getMessage());
        String lower = message.toLowerCase(Locale.ROOT);
        if (!lower.contains("write") && !lower.contains("applied")) {
            return message;
        }
        String leader = e.leaderHint() != 0 ? "the leader (node " + e.leaderHint() + ")" : "the leader";
        String why = switch (e.reason()) {
            case TIMEOUT -> "the read got no answer within the request timeout";
            case LEADER_UNREACHABLE -> leader + " could not be reached, or failed on the read";
            case NODE_DOWN -> "the node is down";
            case LEADERSHIP_LOST -> "leadership changed before the read was confirmed";
            default -> "the node could not serve the read";
        };
        return why + "; a read changes nothing: retry";
    }

    /**
     * The error reply for a failed command. A node's refusal keeps its code in the message ({@code not_leader},
     * {@code timeout}, ...) under the error code {@code TRYAGAIN} when retrying is safe (nothing was applied, or
     * the command only reads and the refusal is not its own fault: {@link #retryableRead}), else {@code ERR}: a
     * write that timed out may still be applied.
     *
     * @param t        the failure
     * @param readOnly whether the command only reads
     * @return the reply
     */
    static RespReply error(Throwable t, boolean readOnly) {
        if (t instanceof RespError e) {
            return new RespReply.Error(e.getMessage());
        }
        if (t instanceof NodeRequestException e && e.reason() == NodeRequestException.Reason.QUOTA_EXCEEDED) {
            // Redis's answer to a write beyond maxmemory, which clients know.
            return new RespReply.Error("OOM " + e.reason().code() + ": " + e.getMessage());
        }
        if (t instanceof NodeRequestException e && e.reason() == NodeRequestException.Reason.CROSS_GROUP) {
            // Redis Cluster's answer to a multi-key command over several hash slots, which clients know.
            return new RespReply.Error("CROSSSLOT " + e.reason().code() + ": " + e.getMessage());
        }
        if (t instanceof NodeRequestException e) {
            if (readOnly && retryableRead(e.reason())) {
                return new RespReply.Error("TRYAGAIN " + e.reason().code() + ": " + readFailure(e));
            }
            if (NOT_APPLIED.contains(e.reason())) {
                return new RespReply.Error("TRYAGAIN " + e.reason().code() + ": " + e.getMessage());
            }
            return new RespReply.Error("ERR " + e.reason().code() + ": " + e.getMessage());
        }
        if (t instanceof IllegalArgumentException e) {
            return new RespReply.Error("ERR " + e.getMessage());
        }
        return new RespReply.Error("ERR internal error: " + t);
    }
}
