package io.raftline.api;

import io.raftline.kv.KvCodec;
import io.raftline.kv.KvCommand;
import io.raftline.kv.KvEntry;
import io.raftline.kv.KvResult;
import io.raftline.node.NodeRequestException;
import io.raftline.node.ReadConsistency;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The binary form of a request a follower forwards to the leader and of the leader's answer: compact (the
 * write is the same {@link KvCodec} bytes that go into the log) and independent of the protocol the client
 * spoke. Big-endian; strings are UTF-8 with an {@code i32} length.
 *
 * <pre>
 * request  = u8 version(2) | u8 op | u8 consistency | op payload
 *            op 1 write: the KvCodec bytes of the command | op 2 get: key | op 3 range: i32 limit, prefix,
 *            startAfter (version 2; version 1 had no cursor) | op 4 lookup: i32 n, n × key (added in version 2:
 *            an older leader refuses it as unknown) | op 5 lookup of what a command needs: u8 values (0 or 1),
 *            i64 maxValueBytes, i32 n, n × key | op 6 listing of keys: i32 limit, prefix, startAfter (ops 5 and 6 added
 *            on 2026-12-08 without a new version, as op 4 was: a leader of before refuses them as unknown, 400, which
 *            the follower reports as leader_refused; a node of since sends no op 4 and answers one as before, its
 *            values bounded)
 * response = u8 version(2) | u8 kind | i32 servedBy | kind payload
 *            kind 1 result: u8 type, fields (type 5 transaction: u8 succeeded, i64 revision, i32 n, n × (u8 kind:
 *            1 put | 2 delete, i32 deleted | 3 get, u8 found, [entry] | 4 increment, i64 value, u8 failed,
 *            [error] | 5 conditional put, u8 written); type 6 increment: i64 value, i64 revision;
 *            type 7 idempotency key reused by another kind of request: firstUse, i64 firstRevision, i64 revision) |
 *            kind 2 get: i64 applied, u8 found, [entry]
 *            kind 3 range: i64 applied, u8 more, i32 n, n × entry | kind 4 lookup: i64 applied, i64 total keys, i32 n,
 *            n × (u8 found, [entry]) | kind 5 (answers op 5): i64 applied, i64 total keys, u8 carried: 1 values,
 *            0 none (not asked, or withheld: more than maxValueBytes), u8 withheld, i32 n,
 *            n × (u8 found, [entry if carried, else meta]) | kind 6 (answers op 6): i64 applied, u8 more, i32 n,
 *            n × meta | kind 9 error: code, i32 leaderHint, message
 * entry    = key, i32 n, n value bytes, i64 createRevision, i64 modRevision, i64 version
 * meta     = key, i32 value length, i64 createRevision, i64 modRevision, i64 version
 * </pre>
 *
 * <p>An answer is encoded into a buffer of its exact size, counted before anything is copied (it grew by doubling, a
 * 100 MiB answer copied about twice over on the leader's event loop), and an answer that would carry more values than
 * its request allows carries none ({@link KvRequests#MAX_LOOKUP_VALUE_BYTES}): nothing decides its size but the
 * request's bound.
 */
public final class ForwardCodec {

    static final byte VERSION = 2;
    static final byte OP_WRITE = 1;
    static final byte OP_GET = 2;
    static final byte OP_RANGE = 3;
    static final byte OP_LOOKUP = 4;
    static final byte OP_LOOKUP_FETCH = 5;
    static final byte OP_RANGE_KEYS = 6;
    static final byte KIND_RESULT = 1;
    static final byte KIND_GET = 2;
    static final byte KIND_RANGE = 3;
    static final byte KIND_LOOKUP = 4;
    static final byte KIND_LOOKUP_FETCH = 5;
    static final byte KIND_RANGE_KEYS = 6;
    static final byte KIND_ERROR = 9;

    private ForwardCodec() {
    }

    /** A decoded forwarded request. */
    public sealed interface Request {
        /** A write. @param command the command */
        record Write(KvCommand command) implements Request {
        }

        /** A read of one key. @param key the key @param consistency how fresh */
        record Get(String key, ReadConsistency consistency) implements Request {
        }

        /**
         * A prefix listing. @param prefix the prefix @param startAfter the cursor ("" for the first page)
         * @param limit most entries @param consistency how fresh @param values whether the entries carry their values
         * (op 3), or the keys and their metadata only (op 6)
         */
        record Range(String prefix, String startAfter, int limit, ReadConsistency consistency, boolean values)
                implements Request {

            /** A listing with values (op 3). */
            public Range(String prefix, String startAfter, int limit, ReadConsistency consistency) {
                this(prefix, startAfter, limit, consistency, true);
            }
        }

        /**
         * A read of several keys and the key count. @param keys the keys @param consistency how fresh @param fetch
         * what it needs of each entry @param fetchSaid whether the request said so (op 5; answered in kind 5), or was
         * an op 4 of a node of before 2026-12-08 that wants every value (answered in kind 4, or refused as too large)
         */
        record Lookup(List<String> keys, ReadConsistency consistency, Fetch fetch, boolean fetchSaid)
                implements Request {

            /** An op 4 lookup: every value, answered in kind 4. */
            public Lookup(List<String> keys, ReadConsistency consistency) {
                this(keys, consistency, Fetch.values(KvRequests.MAX_LOOKUP_VALUE_BYTES), false);
            }
        }
    }

    // ---------------------------------------------------------------- requests

    /** Encodes a write to forward. */
    public static Buffer write(KvCommand command) {
        return header(OP_WRITE, ReadConsistency.LINEARIZABLE).appendBytes(KvCodec.encode(command));
    }

    /** Encodes a read of one key to forward. */
    public static Buffer get(String key, ReadConsistency consistency) {
        return string(header(OP_GET, consistency), key);
    }

    /** Encodes a prefix listing with values to forward (op 3). */
    public static Buffer range(String prefix, String startAfter, int limit, ReadConsistency consistency) {
        return range(prefix, startAfter, limit, consistency, true);
    }

    /** Encodes a prefix listing to forward: with values (op 3), or of keys and their metadata (op 6). */
    public static Buffer range(String prefix, String startAfter, int limit, ReadConsistency consistency,
            boolean values) {
        return string(string(header(values ? OP_RANGE : OP_RANGE_KEYS, consistency).appendInt(limit), prefix),
                startAfter);
    }

    /**
     * Encodes a read of several keys (and the key count) as a node of before 2026-12-08 forwarded it (op 4): every
     * value wanted. What tests of a leader's answer to such a node use; a node sends {@link #lookup(List,
     * ReadConsistency, Fetch)}.
     */
    public static Buffer lookup(List<String> keys, ReadConsistency consistency) {
        Buffer b = header(OP_LOOKUP, consistency).appendInt(keys.size());
        for (String key : keys) {
            string(b, key);
        }
        return b;
    }

    /** Encodes a read of several keys (and the key count) to forward, saying what it needs of them (op 5). */
    public static Buffer lookup(List<String> keys, ReadConsistency consistency, Fetch fetch) {
        Buffer b = header(OP_LOOKUP_FETCH, consistency).appendByte((byte) (fetch.values() ? 1 : 0))
                .appendLong(fetch.maxValueBytes()).appendInt(keys.size());
        for (String key : keys) {
            string(b, key);
        }
        return b;
    }

    private static Buffer header(byte op, ReadConsistency consistency) {
        return Buffer.buffer().appendByte(VERSION).appendByte(op).appendByte((byte) consistency.ordinal());
    }

    /**
     * Decodes a forwarded request.
     *
     * @param b the bytes
     * @return the request
     * @throws IllegalArgumentException if they are not one
     */
    public static Request decodeRequest(Buffer b) {
        try {
            if (b.length() < 3 || b.getByte(0) != VERSION) {
                throw new IllegalArgumentException("not a forwarded request of version " + VERSION);
            }
            ReadConsistency consistency = ReadConsistency.values()[b.getByte(2)];
            Reader r = new Reader(b, 3);
            return switch (b.getByte(1)) {
                case OP_WRITE -> new Request.Write(KvCodec.decode(b.getBytes(3, b.length())));
                case OP_GET -> new Request.Get(r.string(), consistency);
                case OP_RANGE, OP_RANGE_KEYS -> {
                    int limit = r.i32();
                    if (limit < 1 || limit > KvRequests.MAX_LIMIT) {
                        // Only nodes send these, but a request that no API would build is refused, not served.
                        throw new IllegalArgumentException("range limit must be in 1.." + KvRequests.MAX_LIMIT
                                + ", was " + limit);
                    }
                    String prefix = r.string();
                    yield new Request.Range(prefix, r.string(), limit, consistency, b.getByte(1) == OP_RANGE);
                }
                case OP_LOOKUP, OP_LOOKUP_FETCH -> {
                    Fetch fetch = Fetch.values(KvRequests.MAX_LOOKUP_VALUE_BYTES);
                    boolean said = b.getByte(1) == OP_LOOKUP_FETCH;
                    if (said) {
                        int values = r.u8();
                        long max = r.i64();
                        if (values > 1 || max < 0) {
                            throw new IllegalArgumentException("bad lookup fetch " + values + ", " + max);
                        }
                        fetch = values == 1 ? Fetch.values(max) : Fetch.METADATA;
                    }
                    int n = r.i32();
                    if (n < 0 || n > b.length()) {
                        throw new IllegalArgumentException("bad key count " + n);
                    }
                    List<String> keys = new ArrayList<>(n);
                    Set<String> seen = new HashSet<>();
                    for (int i = 0; i < n; i++) {
                        String key = r.string();
                        // The answer holds one entry per name: a key named again would be encoded again (300,000
                        // names of one 1 MiB value fit in a request). A node asks for each key once (KvRequests).
                        if (!seen.add(key)) {
                            throw new IllegalArgumentException("a forwarded lookup names key \"" + key + "\" twice;"
                                    + " each key is asked for once");
                        }
                        keys.add(key);
                    }
                    yield new Request.Lookup(keys, consistency, fetch, said);
                }
                default -> throw new IllegalArgumentException("unknown forwarded operation " + b.getByte(1));
            };
        } catch (IndexOutOfBoundsException | io.raftline.kv.KvFormatException e) {
            throw new IllegalArgumentException("malformed forwarded request: " + e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------- responses

    /** Encodes a write's result. */
    public static Buffer result(Served<KvResult> s) {
        Buffer b = sized(resultSize(s.value())).appendByte(VERSION).appendByte(KIND_RESULT).appendInt(s.servedBy());
        KvResult r = s.value();
        if (r instanceof KvResult.Written w) {
            return b.appendByte((byte) 1).appendLong(w.revision());
        } else if (r instanceof KvResult.Deleted d) {
            return b.appendByte((byte) 2).appendInt(d.deleted()).appendLong(d.revision());
        } else if (r instanceof KvResult.PreconditionFailed p) {
            return b.appendByte((byte) 3).appendLong(p.actualRevision()).appendLong(p.revision());
        } else if (r instanceof KvResult.TxnResult t) {
            b.appendByte((byte) 5).appendByte((byte) (t.succeeded() ? 1 : 0)).appendLong(t.revision())
                    .appendInt(t.results().size());
            for (KvResult.OpResult op : t.results()) {
                if (op instanceof KvResult.PutDone) {
                    b.appendByte((byte) 1);
                } else if (op instanceof KvResult.PutIfDone putIf) {
                    b.appendByte((byte) 5).appendByte((byte) (putIf.written() ? 1 : 0));
                } else if (op instanceof KvResult.DeleteDone d) {
                    b.appendByte((byte) 2).appendInt(d.deleted());
                } else if (op instanceof KvResult.IncrementDone inc) {
                    b.appendByte((byte) 4).appendLong(inc.value()).appendByte((byte) (inc.error() == null ? 0 : 1));
                    if (inc.error() != null) {
                        string(b, inc.error());
                    }
                } else if (op instanceof KvResult.EditDone edit) {
                    // The edit's own result, at the transaction's revision: its kind as a write's result has it.
                    b.appendByte((byte) 6);
                    if (edit.result() instanceof KvResult.Spliced spliced) {
                        b.appendByte((byte) 8).appendLong(spliced.length());
                    } else if (edit.result() instanceof KvResult.FloatIncremented inc) {
                        string(b.appendByte((byte) 9), inc.value());
                    } else {
                        string(b.appendByte((byte) 4), ((KvResult.Rejected) edit.result()).reason());
                    }
                } else {
                    Optional<KvEntry> e = ((KvResult.GetDone) op).entry();
                    b.appendByte((byte) 3).appendByte((byte) (e.isPresent() ? 1 : 0));
                    e.ifPresent(entry -> entry(b, entry));
                }
            }
            return b;
        } else if (r instanceof KvResult.Incremented inc) {
            return b.appendByte((byte) 6).appendLong(inc.value()).appendLong(inc.revision());
        } else if (r instanceof KvResult.Spliced app) {
            return b.appendByte((byte) 8).appendLong(app.length()).appendLong(app.revision());
        } else if (r instanceof KvResult.FloatIncremented inc) {
            return string(b.appendByte((byte) 9), inc.value()).appendLong(inc.revision());
        } else if (r instanceof KvResult.Renamed renamed) {
            return b.appendByte((byte) 10).appendByte((byte) (renamed.renamed() ? 1 : 0)).appendLong(renamed.revision());
        } else if (r instanceof KvResult.IdempotencyKeyReused reused) {
            return string(b.appendByte((byte) 7), reused.firstUse()).appendLong(reused.firstRevision())
                    .appendLong(reused.revision());
        } else if (r instanceof KvResult.Rejected rej) {
            return string(b.appendByte((byte) 4), rej.reason()).appendLong(rej.revision());
        }
        // Every result type is encoded above; one added without a case here must not fail on the event loop.
        return string(b.appendByte((byte) 4), "the leader cannot forward a result of type "
                + r.getClass().getSimpleName()).appendLong(r.revision());
    }

    /**
     * About the bytes a write's result takes: exact but for its strings (counted at three bytes a char), so the buffer
     * is allocated once, not grown by doubling (a transaction's reads carry up to 128 values).
     */
    private static long resultSize(KvResult r) {
        long size = 64;
        if (r instanceof KvResult.TxnResult t) {
            for (KvResult.OpResult op : t.results()) {
                size += 16;
                if (op instanceof KvResult.GetDone get && get.entry().isPresent()) {
                    KvEntry e = get.entry().get();
                    size += 3L * e.key().length() + e.valueLength() + 32;
                } else if (op instanceof KvResult.IncrementDone inc && inc.error() != null) {
                    size += 3L * inc.error().length() + 4;
                } else if (op instanceof KvResult.EditDone edit) {
                    size += edit.result() instanceof KvResult.Rejected rej ? 3L * rej.reason().length() + 4
                            : edit.result() instanceof KvResult.FloatIncremented inc ? 3L * inc.value().length() + 4
                            : 0;
                }
            }
        } else if (r instanceof KvResult.Rejected rej) {
            size += 3L * rej.reason().length();
        } else if (r instanceof KvResult.IdempotencyKeyReused reused) {
            size += 3L * reused.firstUse().length();
        } else if (r instanceof KvResult.FloatIncremented inc) {
            size += 3L * inc.value().length();
        }
        return size;
    }

    /** Encodes a read of one key. */
    public static Buffer get(Served<GetResult> s) {
        Optional<KvEntry> e = s.value().entry();
        byte[] key = e.map(entry -> utf8(entry.key())).orElse(null);
        Buffer b = sized(2 + 4 + 8 + 1 + (key == null ? 0 : entrySize(key, e.get(), true))).appendByte(VERSION)
                .appendByte(KIND_GET).appendInt(s.servedBy()).appendLong(s.value().appliedIndex());
        b.appendByte((byte) (e.isPresent() ? 1 : 0));
        if (key != null) {
            entry(b, key, e.get(), true);
        }
        return b;
    }

    /** Encodes a listing with values (kind 3). */
    public static Buffer range(Served<RangeResult> s) {
        return range(s, true);
    }

    /**
     * Encodes a listing: with values (kind 3, the answer to op 3), or of keys and their metadata (kind 6, op 6).
     *
     * @param s      the listing
     * @param values whether to carry the values
     * @return the answer
     */
    public static Buffer range(Served<RangeResult> s, boolean values) {
        List<KvEntry> entries = s.value().entries();
        byte[][] keys = new byte[entries.size()][];
        long size = 2 + 4 + 8 + 1 + 4;
        for (int i = 0; i < keys.length; i++) {
            keys[i] = utf8(entries.get(i).key());
            size += entrySize(keys[i], entries.get(i), values);
        }
        Buffer b = sized(size).appendByte(VERSION).appendByte(values ? KIND_RANGE : KIND_RANGE_KEYS)
                .appendInt(s.servedBy()).appendLong(s.value().appliedIndex())
                .appendByte((byte) (s.value().more() ? 1 : 0)).appendInt(entries.size());
        for (int i = 0; i < keys.length; i++) {
            entry(b, keys[i], entries.get(i), values);
        }
        return b;
    }

    /**
     * Encodes a read of several keys for a node of before 2026-12-08 (kind 4, the answer to op 4: every value), or,
     * when the values found come to more than {@link KvRequests#MAX_LOOKUP_VALUE_BYTES}, the refusal
     * {@code payload_too_large}, decided before any value is copied.
     */
    public static Buffer lookup(Served<LookupResult> s) {
        long valueBytes = distinctValueBytes(s.value());
        if (valueBytes > KvRequests.MAX_LOOKUP_VALUE_BYTES) {
            return error(s.servedBy(), new NodeRequestException(NodeRequestException.Reason.PAYLOAD_TOO_LARGE,
                    s.servedBy(), tooLarge(valueBytes, KvRequests.MAX_LOOKUP_VALUE_BYTES)));
        }
        List<Optional<KvEntry>> entries = s.value().entries();
        byte[][] keys = keys(entries);
        long size = 2 + 4 + 8 + 8 + 4 + entries.size();
        for (int i = 0; i < keys.length; i++) {
            size += keys[i] == null ? 0 : entrySize(keys[i], entries.get(i).get(), true);
        }
        Buffer b = sized(size).appendByte(VERSION).appendByte(KIND_LOOKUP).appendInt(s.servedBy())
                .appendLong(s.value().appliedIndex()).appendLong(s.value().totalKeys()).appendInt(entries.size());
        for (int i = 0; i < keys.length; i++) {
            b.appendByte((byte) (keys[i] == null ? 0 : 1));
            if (keys[i] != null) {
                entry(b, keys[i], entries.get(i).get(), true);
            }
        }
        return b;
    }

    /**
     * Encodes a read of several keys as its request asked (kind 5, the answer to op 5): the entries with their values
     * if it wants them and they come to at most its bound (and {@link KvRequests#MAX_LOOKUP_VALUE_BYTES}), each key
     * counted once; otherwise the keys' metadata alone, marked withheld when values were asked for. The bound is
     * checked on the value lengths, before anything is encoded; the buffer is allocated once, at its exact size.
     *
     * @param s     the leader's read
     * @param fetch what the request asked for
     * @return the answer
     */
    public static Buffer lookup(Served<LookupResult> s, Fetch fetch) {
        boolean withheld = fetch.values() && distinctValueBytes(s.value())
                > Math.min(fetch.maxValueBytes(), KvRequests.MAX_LOOKUP_VALUE_BYTES);
        boolean values = fetch.values() && !withheld;
        List<Optional<KvEntry>> entries = s.value().entries();
        byte[][] keys = keys(entries);
        long size = 2 + 4 + 8 + 8 + 1 + 1 + 4 + entries.size();
        for (int i = 0; i < keys.length; i++) {
            size += keys[i] == null ? 0 : entrySize(keys[i], entries.get(i).get(), values);
        }
        Buffer b = sized(size).appendByte(VERSION).appendByte(KIND_LOOKUP_FETCH).appendInt(s.servedBy())
                .appendLong(s.value().appliedIndex()).appendLong(s.value().totalKeys())
                .appendByte((byte) (values ? 1 : 0)).appendByte((byte) (withheld ? 1 : 0)).appendInt(entries.size());
        for (int i = 0; i < keys.length; i++) {
            b.appendByte((byte) (keys[i] == null ? 0 : 1));
            if (keys[i] != null) {
                entry(b, keys[i], entries.get(i).get(), values);
            }
        }
        return b;
    }

    /** The bytes of the values found, each key counted once (the keys of a forwarded lookup are distinct). */
    private static long distinctValueBytes(LookupResult r) {
        return r.valueBytes();
    }

    /** Why an answer of {@code bytes} of values is not sent. */
    static String tooLarge(long bytes, long max) {
        return "the values of the keys read come to " + bytes + " bytes, more than the " + max
                + " one answer of the leader carries: read fewer keys at a time";
    }

    /** The UTF-8 bytes of each entry's key, null for a key not found. */
    private static byte[][] keys(List<Optional<KvEntry>> entries) {
        byte[][] keys = new byte[entries.size()][];
        for (int i = 0; i < keys.length; i++) {
            Optional<KvEntry> e = entries.get(i);
            keys[i] = e.isPresent() ? utf8(e.get().key()) : null;
        }
        return keys;
    }

    /** A buffer that holds {@code size} bytes without growing. */
    private static Buffer sized(long size) {
        if (size > Integer.MAX_VALUE - 64) {
            // Not reached: what decides an answer's size is bounded well below (values by the request's bound).
            throw new IllegalStateException("a forwarded answer of " + size + " bytes");
        }
        return Buffer.buffer((int) size);
    }

    /** Encodes a failure of the leader's node. */
    public static Buffer error(int servedBy, NodeRequestException e) {
        Buffer b = string(Buffer.buffer().appendByte(VERSION).appendByte(KIND_ERROR).appendInt(servedBy),
                e.reason().code());
        return string(b.appendInt(e.leaderHint()), String.valueOf(e.getMessage()));
    }

    /**
     * Decodes the leader's answer: a {@link Served} value, or throws the leader's {@link NodeRequestException}.
     *
     * @param b    the bytes
     * @param type the expected result class ({@link KvResult}, {@link GetResult} or {@link RangeResult})
     * @param <T>  that class
     * @return the answer
     */
    public static <T> Served<T> decodeResponse(Buffer b, Class<T> type) {
        if (b.length() < 6 || b.getByte(0) != VERSION) {
            throw new IllegalArgumentException("not a forwarded answer of version " + VERSION);
        }
        byte kind = b.getByte(1);
        int servedBy = b.getInt(2);
        Reader r = new Reader(b, 6);
        Object value = switch (kind) {
            case KIND_RESULT -> switch (r.u8()) {
                case 1 -> new KvResult.Written(r.i64());
                case 2 -> new KvResult.Deleted(r.i32(), r.i64());
                case 3 -> new KvResult.PreconditionFailed(r.i64(), r.i64());
                case 4 -> new KvResult.Rejected(r.string(), r.i64());
                case 5 -> {
                    boolean succeeded = r.u8() == 1;
                    long revision = r.i64();
                    int n = r.i32();
                    if (n < 0 || n > io.raftline.kv.KvCommand.MAX_TXN_ITEMS) {
                        throw new IllegalArgumentException("bad transaction result count " + n);
                    }
                    List<KvResult.OpResult> ops = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        ops.add(switch (r.u8()) {
                            case 1 -> new KvResult.PutDone();
                            case 2 -> new KvResult.DeleteDone(r.i32());
                            case 3 -> new KvResult.GetDone(r.u8() == 1 ? Optional.of(r.entry()) : Optional.empty());
                            case 4 -> {
                                long incremented = r.i64();
                                yield new KvResult.IncrementDone(incremented, r.u8() == 1 ? r.string() : null);
                            }
                            case 5 -> new KvResult.PutIfDone(r.u8() == 1);
                            case 6 -> new KvResult.EditDone(switch (r.u8()) {
                                case 8 -> new KvResult.Spliced(r.i64(), revision);
                                case 9 -> new KvResult.FloatIncremented(r.string(), revision);
                                case 4 -> new KvResult.Rejected(r.string(), revision);
                                default -> throw new IllegalArgumentException("unknown edit result kind");
                            });
                            default -> throw new IllegalArgumentException("unknown transaction result kind");
                        });
                    }
                    yield new KvResult.TxnResult(succeeded, ops, revision);
                }
                case 6 -> new KvResult.Incremented(r.i64(), r.i64());
                case 7 -> new KvResult.IdempotencyKeyReused(r.string(), r.i64(), r.i64());
                case 8 -> new KvResult.Spliced(r.i64(), r.i64());
                case 9 -> new KvResult.FloatIncremented(r.string(), r.i64());
                case 10 -> new KvResult.Renamed(r.u8() == 1, r.i64());
                default -> throw new IllegalArgumentException("unknown result type");
            };
            case KIND_GET -> {
                long applied = r.i64();
                yield new GetResult(r.u8() == 1 ? Optional.of(r.entry()) : Optional.empty(), applied);
            }
            case KIND_RANGE, KIND_RANGE_KEYS -> {
                long applied = r.i64();
                boolean more = r.u8() == 1;
                int n = r.i32();
                List<KvEntry> entries = new ArrayList<>(Math.min(n, 1024));
                for (int i = 0; i < n; i++) {
                    entries.add(kind == KIND_RANGE ? r.entry() : r.meta());
                }
                yield new RangeResult(entries, more, applied);
            }
            case KIND_LOOKUP_FETCH -> {
                long applied = r.i64();
                long total = r.i64();
                boolean values = r.u8() == 1;
                boolean withheld = r.u8() == 1;
                int n = r.i32();
                if (n < 0 || n > b.length()) {
                    throw new IllegalArgumentException("bad entry count " + n);
                }
                List<Optional<KvEntry>> entries = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    entries.add(r.u8() == 1 ? Optional.of(values ? r.entry() : r.meta()) : Optional.empty());
                }
                yield new LookupResult(entries, total, applied, withheld);
            }
            case KIND_LOOKUP -> {
                long applied = r.i64();
                long total = r.i64();
                int n = r.i32();
                if (n < 0 || n > b.length()) {
                    throw new IllegalArgumentException("bad entry count " + n);
                }
                List<Optional<KvEntry>> entries = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    entries.add(r.u8() == 1 ? Optional.of(r.entry()) : Optional.empty());
                }
                yield new LookupResult(entries, total, applied);
            }
            case KIND_ERROR -> {
                String code = r.string();
                int hint = r.i32();
                throw new NodeRequestException(NodeRequestException.Reason.fromCode(code)
                        .orElse(NodeRequestException.Reason.LEADER_UNREACHABLE), hint, r.string());
            }
            default -> throw new IllegalArgumentException("unknown answer kind " + kind);
        };
        return new Served<>(type.cast(value), servedBy);
    }

    private static void entry(Buffer b, KvEntry e) {
        entry(b, utf8(e.key()), e, true);
    }

    /** Writes an entry (with its value) or its meta (without), the key already in UTF-8. */
    private static void entry(Buffer b, byte[] key, KvEntry e, boolean value) {
        b.appendInt(key.length).appendBytes(key).appendInt(e.valueLength());
        if (value) {
            b.appendBytes(e.value());
        }
        b.appendLong(e.createRevision()).appendLong(e.modRevision()).appendLong(e.version());
    }

    /** The bytes {@link #entry(Buffer, byte[], KvEntry, boolean)} writes. */
    private static long entrySize(byte[] key, KvEntry e, boolean value) {
        return 4 + key.length + 4 + (value ? e.valueLength() : 0) + 24;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static Buffer string(Buffer b, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        return b.appendInt(bytes.length).appendBytes(bytes);
    }

    /** Reads fields in order. */
    private static final class Reader {
        private final Buffer b;
        private int pos;

        Reader(Buffer b, int pos) {
            this.b = b;
            this.pos = pos;
        }

        int u8() {
            return b.getByte(pos++) & 0xff;
        }

        int i32() {
            int v = b.getInt(pos);
            pos += 4;
            return v;
        }

        long i64() {
            long v = b.getLong(pos);
            pos += 8;
            return v;
        }

        byte[] bytes() {
            int n = i32();
            if (n < 0 || n > b.length() - pos) {
                throw new IllegalArgumentException("bad length " + n);
            }
            byte[] out = b.getBytes(pos, pos + n);
            pos += n;
            return out;
        }

        String string() {
            return new String(bytes(), StandardCharsets.UTF_8);
        }

        KvEntry entry() {
            return new KvEntry(string(), bytes(), i64(), i64(), i64());
        }

        KvEntry meta() {
            String key = string();
            int length = i32();
            return KvEntry.withoutValue(key, length, i64(), i64(), i64());
        }
    }
}
