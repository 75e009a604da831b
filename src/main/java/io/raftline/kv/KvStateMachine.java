package io.raftline.kv;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The key-value store that a Raft node builds by applying committed log entries in order.
 *
 * <p>It is event-sourced and deterministic: its state is a pure function of the sequence of
 * {@code (index, bytes)} applied since the last snapshot, so every replica that applies the same
 * committed log holds byte-identical state, returns identical {@link KvResult}s and has the same
 * {@link #stateHash()}. Revisions are the Raft log indexes of the entries that wrote them.
 *
 * <p>Semantics of each entry:
 * <ul>
 *   <li>{@link KvCommand.Put}: writes unless its compare-and-set precondition fails
 *       ({@link KvResult.Written} or {@link KvResult.PreconditionFailed}).</li>
 *   <li>{@link KvCommand.Delete}: removes the key; a missing key yields
 *       {@code Deleted(0, index)} and changes nothing.</li>
 *   <li>Bytes that do not decode: skipped with {@link KvResult.Rejected}, state unchanged, so
 *       replicas stay in lockstep even if a bad entry got committed. Bytes that name an operation this release does
 *       not know ({@link KvFormatException#fromNewerRelease()}) are not skipped: a newer release wrote them, and the
 *       replicas that run it apply them; skipping would set this replica apart for good. Applying them throws
 *       {@link EntryFromNewerReleaseException} and applies nothing.</li>
 *   <li>A command whose idempotency key is already in the table is not applied again; the
 *       result first recorded for it is returned (whatever it was, including a failed
 *       precondition or a delete of nothing), provided it is the same request: the same kind (a put or a delete),
 *       key, precondition and value, as its fingerprint ({@link KvCodec#fingerprint}) tells. Any other request is
 *       refused with {@link KvResult.IdempotencyKeyReused} and changes nothing (a record read from a snapshot of
 *       format 1 or 2 has no fingerprint, and answers any request of its kind, as before). Clients must therefore
 *       use a fresh key per logical request. The table keeps at most {@link #idempotencyCapacity()} keys and evicts
 *       the oldest first, and forgets a key 1,000,000 log entries after it was first applied (an age in log
 *       entries, so every replica forgets it at the same index).</li>
 * </ul>
 * Every entry, including no-ops and rejected ones, advances {@link #lastApplied()}.
 *
 * <p>Not thread-safe: one owner thread applies and reads. {@link #capture()} is O(1) and the
 * returned {@link KvSnapshot} may be written by any thread while the owner keeps applying.
 *
 * <p>The state is held in two persistent maps (so a capture of both stays O(1)): a hash trie of the entries, for the
 * point lookups every read and every write makes (see {@link PersistentHashMap} for why), and a sorted tree of the
 * keys alone, for ordered listings and snapshots. The tree changes only when a key is created or deleted: a write
 * to an existing key, most writes of a store in use, replaces its entry in the trie and leaves the tree as it is,
 * instead of copying a path of about 17 tree nodes (a cache miss each on a large map) to put the new entry there
 * ({@code KvApplyBenchmark} and docs/performance.md).
 */
public final class KvStateMachine {

    /** Why an increment of a value that is not a 64-bit decimal integer changed nothing (Redis's words). */
    public static final String NOT_AN_INTEGER = "value is not an integer or out of range";

    /** Why an increment whose sum leaves the 64-bit range changed nothing (Redis's words). */
    public static final String OVERFLOW = "increment or decrement would overflow";

    /** Why an increment by a float of a value that is not a number changed nothing (Redis's words). */
    public static final String NOT_A_FLOAT = "value is not a valid float";

    /** Why an increment by a float whose sum leaves a {@code long double}'s range changed nothing (Redis's words). */
    public static final String NAN_OR_INFINITY = "increment would produce NaN or Infinity";

    /** Why a rename of a missing key changed nothing (Redis's words). */
    public static final String NO_SUCH_KEY = "no such key";

    /** Why an append is refused when the value would grow past {@link KvCommand#MAX_VALUE_BYTES} (Redis's words). */
    public static final String TOO_LONG_TO_APPEND = "string exceeds maximum allowed size";

    /** Idempotency keys remembered by default. */
    public static final int DEFAULT_IDEMPOTENCY_CAPACITY = 100_000;

    /** Every key, each mapped to itself, in code point order. */
    private PersistentSortedMap<String, String> sortedKeys;
    /** Every entry, by key: the same keys as {@link #sortedKeys}. */
    private PersistentHashMap<String, KvEntry> byKey;
    private IdempotencyTable idempotency;
    private long lastApplied;
    /** Where the entry being applied reports its changes, during {@link #apply(long, byte[], List)} only. */
    private List<KvChange> changeSink;
    /** Changes made so far by the entry being applied: the position of the next one. */
    private int emitted;
    /**
     * While a transaction with repeated writes applies: each key it writes, in the order first written, and whether
     * the key existed before the transaction. Its writes are then told as one change per key, at its end; null
     * otherwise.
     */
    private Map<String, Boolean> coalescing;
    /**
     * Bytes of every key (UTF-8) and value held, kept up to date; -1 only for a machine made from a snapshot that
     * did not know it (counted when first asked). Snapshots size their file from it instead of walking every key.
     */
    private long dataBytes;

    /** Creates an empty machine with the default idempotency capacity. */
    public KvStateMachine() {
        this(DEFAULT_IDEMPOTENCY_CAPACITY);
    }

    /**
     * Creates an empty machine. The capacity is replicated state: every replica must use the
     * same one, and it is kept in snapshots.
     *
     * @param idempotencyCapacity idempotency keys to remember, 0 to remember none
     */
    public KvStateMachine(int idempotencyCapacity) {
        this(0, PersistentSortedMap.empty(Utf8.CODE_POINT_ORDER), PersistentHashMap.empty(),
                IdempotencyTable.empty(idempotencyCapacity), 0);
    }

    /**
     * Creates an empty machine whose idempotency keys are forgotten {@code idempotencyMaxAge} entries after their
     * first application (tests of the age bound; the product uses the default, a constant of the state machine).
     */
    KvStateMachine(int idempotencyCapacity, long idempotencyMaxAge) {
        this(0, PersistentSortedMap.empty(Utf8.CODE_POINT_ORDER), PersistentHashMap.empty(),
                IdempotencyTable.empty(idempotencyCapacity, idempotencyMaxAge), 0);
    }

    private KvStateMachine(long lastApplied, PersistentSortedMap<String, String> sortedKeys,
                           PersistentHashMap<String, KvEntry> byKey, IdempotencyTable idempotency, long dataBytes) {
        this.lastApplied = lastApplied;
        this.sortedKeys = sortedKeys;
        this.byKey = byKey;
        this.idempotency = idempotency;
        this.dataBytes = dataBytes;
    }

    /**
     * Creates a machine holding exactly the captured state, in O(1).
     *
     * @param snapshot a captured or restored snapshot
     * @return a new, independent machine
     */
    public static KvStateMachine fromSnapshot(KvSnapshot snapshot) {
        return new KvStateMachine(snapshot.lastApplied(), snapshot.sortedKeys(), snapshot.byKey(), snapshot.idempotency(),
                snapshot.dataBytes());
    }

    /**
     * Reads, validates and installs a snapshot written by {@link KvSnapshot#writeTo}.
     *
     * @param in the snapshot, read to its end and not closed
     * @return a machine holding the snapshot's state
     * @throws KvFormatException if the snapshot is corrupt or of an unknown format version
     * @throws IOException       if reading fails
     */
    public static KvStateMachine restore(InputStream in) throws IOException {
        return fromSnapshot(KvSnapshot.readFrom(in));
    }

    /**
     * Reads, validates and installs a snapshot held in memory.
     *
     * @param snapshot the snapshot bytes
     * @return a machine holding the snapshot's state
     * @throws KvFormatException if the snapshot is corrupt or of an unknown format version
     */
    public static KvStateMachine restore(byte[] snapshot) {
        return fromSnapshot(KvSnapshot.readFrom(snapshot));
    }

    /**
     * Applies the committed log entry at {@code index}, whose data is an encoded command.
     *
     * @param index   the entry's log index, greater than {@link #lastApplied()}
     * @param command the entry's data, as written by {@link KvCodec#encode}
     * @return the result; {@link KvResult.Rejected} if the data does not decode
     * @throws IllegalStateException if {@code index} is not greater than {@link #lastApplied()}
     * @throws EntryFromNewerReleaseException if the data names an operation only a newer release knows (nothing is
     *                                        applied)
     */
    public KvResult apply(long index, byte[] command) {
        return apply(index, command, null);
    }

    /**
     * Applies the committed log entry at {@code index} and adds every change it makes to {@code changes}, in order
     * (what watchers are told).
     *
     * @param index   the entry's log index, greater than {@link #lastApplied()}
     * @param command the entry's data
     * @param changes receives the changes, or null
     * @return the result
     */
    public KvResult apply(long index, byte[] command, List<KvChange> changes) {
        changeSink = changes;
        try {
            return applyBytes(index, command);
        } finally {
            changeSink = null;
        }
    }

    private KvResult applyBytes(long index, byte[] command) {
        Objects.requireNonNull(command, "command");
        requireNext(index);
        KvCommand decoded;
        try {
            decoded = KvCodec.decode(command);
        } catch (KvFormatException e) {
            if (e.fromNewerRelease()) {
                throw new EntryFromNewerReleaseException(index, e);
            }
            lastApplied = index;
            return new KvResult.Rejected(e.getMessage(), index);
        }
        return applyDecoded(index, decoded);
    }

    /**
     * Applies an already decoded command at {@code index}; same as applying its encoding.
     *
     * @param index   the entry's log index, greater than {@link #lastApplied()}
     * @param command the command
     * @return the result
     * @throws IllegalStateException if {@code index} is not greater than {@link #lastApplied()}
     */
    public KvResult apply(long index, KvCommand command) {
        Objects.requireNonNull(command, "command");
        requireNext(index);
        return applyDecoded(index, command);
    }

    /**
     * Records that the entry at {@code index} carried no command (a leader's no-op, a
     * configuration change), so that {@link #lastApplied()} keeps up with the log.
     *
     * @param index the entry's log index, greater than {@link #lastApplied()}
     * @throws IllegalStateException if {@code index} is not greater than {@link #lastApplied()}
     */
    public void applyNoop(long index) {
        requireNext(index);
        lastApplied = index;
    }

    /**
     * Returns the entry for {@code key}.
     *
     * @param key the key
     * @return the entry, or empty if the key does not exist
     */
    public Optional<KvEntry> get(String key) {
        return Optional.ofNullable(byKey.get(Objects.requireNonNull(key, "key")));
    }

    /**
     * Returns up to {@code limit} entries whose key starts with {@code prefix}, in code point
     * order of key (the same as UTF-8 byte order).
     *
     * @param prefix the key prefix; {@code ""} selects every key
     * @param limit  the most entries to return, at least 0
     * @return an immutable list
     */
    public List<KvEntry> range(String prefix, int limit) {
        return rangeOf(sortedKeys, byKey, prefix, "", limit);
    }

    /**
     * Like {@link #range(String, int)}, resuming after {@code startAfter}: only keys that sort after it (a cursor,
     * the last key of the previous page).
     *
     * @param prefix     the key prefix; {@code ""} selects every key
     * @param startAfter the last key already seen, or {@code ""} to start at the prefix
     * @param limit      the most entries to return, at least 0
     * @return an immutable list
     */
    public List<KvEntry> range(String prefix, String startAfter, int limit) {
        return rangeOf(sortedKeys, byKey, prefix, startAfter, limit);
    }

    /** The range query of {@link #range} and {@link KvSnapshot#range}, on one state. */
    static List<KvEntry> rangeOf(PersistentSortedMap<String, String> sortedKeys, PersistentHashMap<String, KvEntry> byKey,
            String prefix, String startAfter, int limit) {
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(startAfter, "startAfter");
        if (limit < 0) {
            throw new IllegalArgumentException("limit must be >= 0, not " + limit);
        }
        List<KvEntry> out = new ArrayList<>(Math.min(limit, Math.min(sortedKeys.size(), 1024)));
        boolean resume = !startAfter.isEmpty() && Utf8.CODE_POINT_ORDER.compare(startAfter, prefix) >= 0;
        Iterator<Map.Entry<String, String>> it = sortedKeys.iteratorFrom(resume ? startAfter : prefix);
        while (out.size() < limit && it.hasNext()) {
            String key = it.next().getKey();
            if (!key.startsWith(prefix)) {
                break;
            }
            if (resume && key.equals(startAfter)) {
                continue;
            }
            out.add(byKey.get(key));
        }
        return List.copyOf(out);
    }

    /**
     * Returns the number of keys.
     *
     * @return the key count
     */
    public int size() {
        return byKey.size();
    }

    /**
     * Returns the index of the last applied entry, 0 if none.
     *
     * @return the applied index
     */
    public long lastApplied() {
        return lastApplied;
    }

    /**
     * Returns how many idempotency keys this machine remembers at most.
     *
     * @return the capacity
     */
    public int idempotencyCapacity() {
        return idempotency.capacity();
    }

    /**
     * Captures the current state in O(1). The snapshot never changes, whatever is applied
     * afterwards, and may be handed to another thread.
     *
     * @return the snapshot
     */
    public KvSnapshot capture() {
        return new KvSnapshot(lastApplied, sortedKeys, byKey, idempotency, dataBytes);
    }

    /**
     * Returns the SHA-256 digest of the state; see {@link KvSnapshot#stateHash()}. O(n).
     *
     * @return 32 bytes
     */
    public byte[] stateHash() {
        return capture().stateHash();
    }

    /**
     * Returns {@link #stateHash()} as lower-case hex.
     *
     * @return 64 hex digits
     */
    public String stateHashHex() {
        return capture().stateHashHex();
    }

    private void requireNext(long index) {
        if (index <= lastApplied) {
            throw new IllegalStateException(
                    "index " + index + " must be greater than the last applied index " + lastApplied);
        }
    }

    private KvResult applyDecoded(long index, KvCommand command) {
        emitted = 0;
        String idempotencyKey = command.idempotencyKey();
        idempotency = idempotency.expire(index);
        IdempotencyTable.Recorded earlier = idempotencyKey == null ? null : idempotency.lookup(idempotencyKey);
        IdempotencyTable.Use use = command instanceof KvCommand.Delete ? IdempotencyTable.Use.DELETE
                : IdempotencyTable.Use.PUT;
        // Only puts and deletes carry an idempotency key (a transaction or an increment has none).
        long fingerprint = idempotencyKey == null || idempotency.capacity() == 0 ? 0
                : KvCodec.fingerprint((KvCommand.SingleKey) command);
        if (earlier != null) {
            lastApplied = index;
            if (earlier.answers(use, fingerprint)) {
                return earlier.result();
            }
            return new KvResult.IdempotencyKeyReused(earlier.use().word(), earlier.result().revision(), index);
        }
        KvResult result;
        if (command instanceof KvCommand.Put put) {
            result = put(index, put);
        } else if (command instanceof KvCommand.Delete delete) {
            result = delete(index, delete);
        } else if (command instanceof KvCommand.Increment increment) {
            result = increment(index, increment);
        } else if (command instanceof KvCommand.Txn txn) {
            result = txn(index, txn);
        } else if (command instanceof KvCommand.Rename rename) {
            result = rename(index, rename);
        } else {
            result = edit(index, command);
        }
        if (idempotencyKey != null) {
            idempotency = idempotency.record(idempotencyKey, use, fingerprint, result);
        }
        lastApplied = index;
        return result;
    }

    private KvResult put(long index, KvCommand.Put put) {
        KvEntry current = byKey.get(put.key());
        long actual = current == null ? 0 : current.modRevision();
        long expected = put.expectedRevision();
        if (expected != KvCommand.UNCONDITIONAL && expected != actual) {
            return new KvResult.PreconditionFailed(actual, index);
        }
        // An existing key keeps its String: the decoded one is garbage at once instead of living on in the maps (the
        // ordered index keeps the String the key was created with).
        KvEntry next = current == null
                ? put.entry(put.key(), index, index, 1)
                : put.entry(current.key(), current.createRevision(), index, current.version() + 1);
        index(current, next);
        emit(KvChange.put(next, emitted));
        return new KvResult.Written(index);
    }

    /**
     * Redis's RENAME and RENAMENX, deterministically: the target gets the source's value (a new key, or a write over
     * the existing one, whose history goes on), then the source is deleted; watchers see the target's put, then the
     * source's delete, at one revision. A missing source, or for RENAMENX an existing target, changes nothing; a key
     * renamed to itself neither.
     */
    private KvResult rename(long index, KvCommand.Rename rename) {
        KvEntry source = byKey.get(rename.source());
        if (source == null) {
            return new KvResult.Rejected(NO_SUCH_KEY, index);
        }
        KvEntry target = byKey.get(rename.target());
        if (rename.source().equals(rename.target()) || rename.onlyIfAbsent() && target != null) {
            return new KvResult.Renamed(!rename.onlyIfAbsent(), index);
        }
        writeValue(index, rename.target(), target, source.value());
        unindex(source);
        emit(KvChange.delete(source.key(), index, emitted));
        return new KvResult.Renamed(true, index);
    }

    /** Applies an append, a set range or an increment by a float, alone or in a transaction ({@link TxnOp.Edit}). */
    private KvResult edit(long index, KvCommand command) {
        if (command instanceof KvCommand.Append append) {
            return append(index, append);
        }
        if (command instanceof KvCommand.SetRange range) {
            return setRange(index, range);
        }
        return incrementByFloat(index, (KvCommand.IncrementByFloat) command);
    }

    /**
     * Redis's APPEND, deterministically: the key's value (empty if absent) followed by the suffix, or, for a value
     * that would grow past {@link KvCommand#MAX_VALUE_BYTES}, the same refusal on every replica and nothing changed.
     */
    private KvResult append(long index, KvCommand.Append append) {
        KvEntry current = byKey.get(append.key());
        int length = current == null ? 0 : current.valueLength();
        long grown = (long) length + append.suffix().length;
        if (grown > KvCommand.MAX_VALUE_BYTES) {
            return new KvResult.Rejected(TOO_LONG_TO_APPEND + " (" + grown + " bytes; a value holds at most "
                    + KvCommand.MAX_VALUE_BYTES + ")", index);
        }
        return splice(index, append.key(), current, length, append.suffix());
    }

    /**
     * Redis's SETRANGE, deterministically: the key's value (empty if absent), padded with zero bytes up to the offset,
     * with the bytes written there. The command's range ends within {@link KvCommand#MAX_VALUE_BYTES}, so nothing is
     * refused.
     */
    private KvResult setRange(long index, KvCommand.SetRange range) {
        return splice(index, range.key(), byKey.get(range.key()), range.offset(), range.bytes());
    }

    /**
     * Writes {@code bytes} into the value of {@code key} ({@code current}, null if absent) at {@code offset}, which is
     * at most past its end by the zero bytes that then pad it; the new value is at most {@link KvCommand#MAX_VALUE_BYTES}.
     */
    private KvResult splice(long index, String key, KvEntry current, int offset, byte[] bytes) {
        int length = current == null ? 0 : current.valueLength();
        byte[] value = new byte[Math.max(length, offset + bytes.length)];
        if (current != null) {
            current.copyValueTo(value, 0);
        }
        System.arraycopy(bytes, 0, value, offset, bytes.length);
        writeValue(index, key, current, value);
        return new KvResult.Spliced(value.length, index);
    }

    /**
     * Writes {@code value} under {@code key} at {@code index}, over {@code current} (null if absent), for the operations
     * that compute a key's new value in the state machine (increments, appends, set ranges): an existing key keeps its
     * String (the ordered index holds that one) and create revision, and its version grows; watchers see a put.
     */
    private void writeValue(long index, String key, KvEntry current, byte[] value) {
        KvEntry next = current == null
                ? new KvEntry(key, value, index, index, 1)
                : new KvEntry(current.key(), value, current.createRevision(), index, nextVersion(current, index));
        index(current, next);
        emit(KvChange.put(next, emitted));
    }

    /** Redis's INCRBY, deterministically: the same state and command give the same number or the same refusal. */
    private KvResult increment(long index, KvCommand.Increment inc) {
        KvResult.IncrementDone done = increment(index, inc.key(), inc.delta());
        return done.error() == null ? new KvResult.Incremented(done.value(), index)
                : new KvResult.Rejected(done.error(), index);
    }

    /**
     * Redis's INCRBYFLOAT, deterministically: exact decimal arithmetic on the same state and command gives the same
     * text or the same refusal on every replica.
     */
    private KvResult incrementByFloat(long index, KvCommand.IncrementByFloat inc) {
        KvEntry current = byKey.get(inc.key());
        FloatSum sum = floatSum(current, inc);
        if (sum.refusal() != null) {
            return new KvResult.Rejected(sum.refusal(), index);
        }
        String text = sum.text();
        byte[] value = text.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        writeValue(index, inc.key(), current, value);
        return new KvResult.FloatIncremented(text, index);
    }

    /** What an increment by a float writes: the new value's text, or why it changes nothing (the other is null). */
    private record FloatSum(String text, String refusal) {
    }

    /** The sum of {@code current}'s number (0 if absent) and the increment, as applying it writes it. */
    private static FloatSum floatSum(KvEntry current, KvCommand.IncrementByFloat inc) {
        java.math.BigDecimal before = current == null ? java.math.BigDecimal.ZERO
                : KvCommand.IncrementByFloat.parse(current.value());
        if (before == null) {
            return new FloatSum(null, NOT_A_FLOAT);
        }
        java.math.BigDecimal after = before.add(inc.increment(), KvCommand.IncrementByFloat.PRECISION);
        if (!KvCommand.IncrementByFloat.inRange(after) && after.abs().compareTo(java.math.BigDecimal.ONE) > 0) {
            // Too large for a long double: Redis's sum is infinite. A sum too small for one (two close numbers near the
            // bottom of the range) is 0 at 17 decimal places, as Redis's is.
            return new FloatSum(null, NAN_OR_INFINITY);
        }
        return new FloatSum(KvCommand.IncrementByFloat.format(after), null);
    }

    /** Adds {@code delta} to the integer under {@code key} at {@code index}, or says why not (nothing changed). */
    private KvResult.IncrementDone increment(long index, String key, long delta) {
        KvEntry current = byKey.get(key);
        Long before = current == null ? Long.valueOf(0) : current.integerValue();
        if (before == null) {
            return new KvResult.IncrementDone(0, NOT_AN_INTEGER);
        }
        long after;
        try {
            after = Math.addExact(before, delta);
        } catch (ArithmeticException e) {
            return new KvResult.IncrementDone(0, OVERFLOW);
        }
        byte[] text = Long.toString(after).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        writeValue(index, key, current, text);
        return new KvResult.IncrementDone(after, null);
    }

    /**
     * Evaluates every comparison against the state before the transaction, then runs one branch in order; a read
     * sees the branch's earlier writes. Deterministic: it depends on the state and the command only.
     *
     * <p>A transaction with repeated writes (a Redis MULTI's) may write a key several times; each write sees the ones
     * before it, but the entry is one revision, and what it shows the world is the key's state at its end, as for any
     * entry: one change per key it left changed (a write, with the key's last value, or a delete if the key existed
     * before and not after), in the order the keys were first written, and the key's version grows by 1, however many
     * times it was written (a key deleted and written again is created at this revision, version 1). So an entry's
     * changes never name a key twice and a version always counts the revisions that wrote the key, as for entries
     * that write each key once.
     */
    private KvResult txn(long index, KvCommand.Txn txn) {
        boolean succeeded = true;
        for (TxnCompare c : txn.compares()) {
            if (!c.holds(byKey.get(c.key()))) {
                succeeded = false;
                break;
            }
        }
        List<KvResult.OpResult> results = new ArrayList<>();
        Map<String, Boolean> written = txn.repeatedWrites() ? new LinkedHashMap<>() : null;
        coalescing = written;
        try {
            for (TxnOp op : succeeded ? txn.success() : txn.failure()) {
                KvEntry current = byKey.get(op.key());
                if (written != null && !(op instanceof TxnOp.Get)) {
                    written.putIfAbsent(op.key(), current != null);
                }
                if (op instanceof TxnOp.Put put) {
                    txnPut(index, current, put);
                    results.add(new KvResult.PutDone());
                } else if (op instanceof TxnOp.PutIf putIf) {
                    boolean holds = putIf.holds(current);
                    if (holds) {
                        txnPut(index, current, putIf.put());
                    }
                    results.add(new KvResult.PutIfDone(holds));
                } else if (op instanceof TxnOp.Delete) {
                    if (current != null) {
                        unindex(current);
                        emit(KvChange.delete(op.key(), index, emitted));
                    }
                    results.add(new KvResult.DeleteDone(current == null ? 0 : 1));
                } else if (op instanceof TxnOp.Increment inc) {
                    results.add(increment(index, inc.key(), inc.delta()));
                } else if (op instanceof TxnOp.Edit edit) {
                    results.add(new KvResult.EditDone(edit(index, edit.command())));
                } else {
                    results.add(new KvResult.GetDone(Optional.ofNullable(current)));
                }
            }
        } finally {
            coalescing = null;
        }
        if (written != null) {
            written.forEach((key, existed) -> {
                KvEntry last = byKey.get(key);
                if (last != null && last.modRevision() == index) {
                    emit(KvChange.put(last, emitted));
                } else if (last == null && existed) {
                    emit(KvChange.delete(key, index, emitted));
                }
            });
        }
        return new KvResult.TxnResult(succeeded, results, index);
    }

    /** A transaction's write of {@code put} over {@code current} (null: absent). */
    private void txnPut(long index, KvEntry current, TxnOp.Put put) {
        KvEntry next = current == null ? put.entry(put.key(), index, index, 1)
                : put.entry(current.key(), current.createRevision(), index, nextVersion(current, index));
        index(current, next);
        emit(KvChange.put(next, emitted));
    }

    /**
     * The version of a key written at {@code index} over {@code current}: one more, unless the same entry wrote it
     * already (a transaction with repeated writes), which counts as one write.
     */
    private static long nextVersion(KvEntry current, long index) {
        return current.modRevision() == index ? current.version() : current.version() + 1;
    }

    /** The size {@link #dataBytes()} counts for one entry: its key in UTF-8 and its value. */
    static long sizeOf(String key, int valueBytes) {
        return Utf8.encodedLength(key) + (long) valueBytes;
    }

    /** Puts {@code next} in place of {@code current} (null: a new key, which the sorted keys gain). */
    private void index(KvEntry current, KvEntry next) {
        if (current == null) {
            sortedKeys = sortedKeys.put(next.key(), next.key());
        }
        byKey = byKey.put(next.key(), next);
        accountReplace(current, next);
    }

    /** Removes {@code current}'s key. */
    private void unindex(KvEntry current) {
        sortedKeys = sortedKeys.remove(current.key());
        byKey = byKey.remove(current.key());
        accountReplace(current, null);
    }

    private void accountReplace(KvEntry before, KvEntry after) {
        if (dataBytes >= 0) {
            dataBytes += (after == null ? 0 : sizeOf(after.key(), after.valueLength()))
                    - (before == null ? 0 : sizeOf(before.key(), before.valueLength()));
        }
    }

    /**
     * The bytes the key space holds: every key (UTF-8) and value, what a quota bounds. Replicated state: replicas at
     * the same applied index agree. O(1), but for a machine made from a snapshot that did not know it: its first call
     * counts every entry.
     *
     * @return bytes of keys and values
     */
    public long dataBytes() {
        if (dataBytes < 0) {
            dataBytes = KvSnapshot.countDataBytes(sortedKeys, byKey);
        }
        return dataBytes;
    }

    /** How much the data grows when {@code key}'s value becomes {@code length} bytes long (less if it shrinks). */
    private long resized(String key, int length) {
        KvEntry current = byKey.get(key);
        return sizeOf(key, length) - (current == null ? 0 : sizeOf(current.key(), current.valueLength()));
    }

    /**
     * How much a command would grow {@link #dataBytes()} if it were applied now, assuming every write in it happens
     * (a transaction's puts, whichever branch; an increment's value at its longest; comparisons and preconditions are
     * not evaluated): an upper bound, so a
     * quota check with it never lets the key space grow past the quota by this command. Deletes count 0, and so does a
     * command whose idempotency key the table holds: it writes nothing (a retry is answered with the first result,
     * any other use of the key is refused), and a quota check must not refuse a retry of a write that was applied.
     * The record may be forgotten (evicted or expired) before the command applies; it then applies as a new write,
     * as writes already in flight do past a quota check.
     *
     * @param command the command
     * @return bytes, possibly negative (a put that shrinks a value)
     */
    public long growth(KvCommand command) {
        String idempotencyKey = command.idempotencyKey();
        if (idempotencyKey != null && idempotency.lookup(idempotencyKey) != null) {
            return 0;
        }
        if (command instanceof KvCommand.Put put) {
            return resized(put.key(), put.valueLength());
        }
        if (command instanceof KvCommand.Append || command instanceof KvCommand.SetRange
                || command instanceof KvCommand.IncrementByFloat) {
            // Counted as the first write of its key in a transaction's branch: over the value as it is now, an
            // increment by a float at the text it would write (up to 4,950 characters: a fixed 40 let a client fill
            // the store far past its quota). One refused when applied keeps the value's length and counts 0: near the
            // store's limit the client then hears that reason (an append too long, not a float), not that it is full.
            TxnOp.Edit edit = new TxnOp.Edit(command);
            KvEntry current = byKey.get(edit.key());
            return resized(edit.key(), lengthAfter(edit, current == null ? 0 : current.valueLength(), current, false));
        }
        if (command instanceof KvCommand.Increment inc) {
            // The new value is a decimal long: at most 20 bytes.
            return resized(inc.key(), 20);
        }
        if (command instanceof KvCommand.Rename rename) {
            // The target takes the source's value and the source goes: the key space shrinks or grows by the keys'
            // difference, less the target's old value; nothing if nothing moves.
            KvEntry source = byKey.get(rename.source());
            KvEntry target = byKey.get(rename.target());
            if (source == null || rename.source().equals(rename.target()) || rename.onlyIfAbsent() && target != null) {
                return 0;
            }
            return resized(rename.target(), source.valueLength()) - sizeOf(source.key(), source.valueLength());
        }
        if (command instanceof KvCommand.Txn txn) {
            long grow = 0;
            for (List<TxnOp> branch : List.of(txn.success(), txn.failure())) {
                // Each write counts against its key's size before the transaction, a conditional put as if it were
                // made; a key written several times (a Redis MULTI's transaction) ends as its last write left it, so
                // the largest of its writes bounds it. An edit's length follows the branch's earlier writes of its key
                // (two appends grow a value by both), each at its longest.
                Map<String, Long> byWrittenKey = new HashMap<>();
                Map<String, Integer> lengths = new HashMap<>();
                for (TxnOp op : branch) {
                    if (op instanceof TxnOp.Get) {
                        continue;
                    }
                    KvEntry current = byKey.get(op.key());
                    int before = lengths.getOrDefault(op.key(), current == null ? 0 : current.valueLength());
                    int after = lengthAfter(op, before, current, lengths.containsKey(op.key()));
                    lengths.put(op.key(), after);
                    long more = Math.max(0, sizeOf(op.key(), after)
                            - (current == null ? 0 : sizeOf(current.key(), current.valueLength())));
                    byWrittenKey.merge(op.key(), more, Math::max);
                }
                grow = Math.max(grow, byWrittenKey.values().stream().mapToLong(Long::longValue).sum());
            }
            return grow;
        }
        return 0;
    }

    /**
     * The longest a key's value can be after a transaction's {@code op}, when it was at most {@code before} bytes long
     * just before it ({@code current}: its entry before the transaction, null if absent; {@code written}: whether the
     * branch wrote it earlier). An operation refused when applied changes nothing.
     */
    private static int lengthAfter(TxnOp op, int before, KvEntry current, boolean written) {
        if (op instanceof TxnOp.Put put) {
            return put.valueLength();
        }
        if (op instanceof TxnOp.PutIf putIf) {
            return Math.max(before, putIf.put().valueLength());
        }
        if (op instanceof TxnOp.Delete) {
            return 0;
        }
        if (op instanceof TxnOp.Increment) {
            return Math.max(before, KvCommand.Increment.MAX_INTEGER_TEXT);
        }
        KvCommand edit = ((TxnOp.Edit) op).command();
        if (edit instanceof KvCommand.Append append) {
            long grown = (long) before + append.suffix().length;
            if (written) {
                // The value may be shorter than before says (an increment, a conditional put): then the append may
                // apply where it would not at before's length. Whichever, the value ends within the largest one.
                return (int) Math.min(grown, KvCommand.MAX_VALUE_BYTES);
            }
            return grown > KvCommand.MAX_VALUE_BYTES ? before : (int) grown;
        }
        if (edit instanceof KvCommand.SetRange range) {
            return range.lengthOver(before);
        }
        if (written) {
            // What the branch wrote before is not known here: the longest sum there is.
            return Math.max(before, KvCommand.IncrementByFloat.MAX_RESULT_TEXT);
        }
        FloatSum sum = floatSum(current, (KvCommand.IncrementByFloat) edit);
        return sum.text() == null ? before : sum.text().length();
    }

    private void emit(KvChange change) {
        if (coalescing != null) {
            return; // told once per key when the transaction ends
        }
        emitted++;
        if (changeSink != null) {
            changeSink.add(change);
        }
    }

    private KvResult delete(long index, KvCommand.Delete delete) {
        KvEntry current = byKey.get(delete.key());
        long expected = delete.expectedRevision();
        if (expected != KvCommand.UNCONDITIONAL && expected != (current == null ? 0 : current.modRevision())) {
            return new KvResult.PreconditionFailed(current == null ? 0 : current.modRevision(), index);
        }
        if (current == null) {
            return new KvResult.Deleted(0, index);
        }
        unindex(current);
        emit(KvChange.delete(delete.key(), index, emitted));
        return new KvResult.Deleted(1, index);
    }
}
