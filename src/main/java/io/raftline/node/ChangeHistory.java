package io.raftline.node;

import io.raftline.kv.KvChange;
import io.raftline.kv.KvEntry;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The recent changes a node applied, in log order, so that a watcher can start from a past revision or resume after
 * a reconnect without a gap. It is rebuilt at start from the log entries after the snapshot, and bounded by a count
 * and a size: when it is full the oldest whole revisions go, and a watcher asking for them is told the oldest
 * revision still held (HTTP 410), as etcd answers a watch on a compacted revision. Confined to the node's thread.
 *
 * <p>The changes are kept serialized, one after the other, in a few large arrays ({@link #CHUNK_BYTES} each), not
 * as the {@link KvChange} objects the state machine made. Those objects (and the values they share with the log
 * entries) would otherwise live as long as the history holds them, some seconds under load, which is the worst
 * lifetime for a generational collector: every young collection copies what is still held of what was allocated
 * since the last one, and under a write load the history was a third of each pause (docs/performance.md, twentieth
 * round). A chunk is one object whatever it holds, allocated once and recycled; on the default heap it is large
 * enough for G1 to place it outside the young generation at once. Reading the past back (a watch from an old
 * revision) decodes new objects, which is rare and bounded by the history's size.
 */
final class ChangeHistory {

    /** The size of one chunk of serialized changes (a change larger than this gets a chunk of its own). */
    static final int CHUNK_BYTES = 1 << 20;
    /** Chunks kept for reuse once the oldest changes leave them. */
    private static final int SPARE_CHUNKS = 2;
    /**
     * A record's fixed part: its length (int), revision (long), position in its revision (int), create revision,
     * mod revision and version (longs), key length (int) and value length (int, -1 for a delete).
     */
    static final int HEADER_BYTES = 4 + 8 + 4 + 8 + 8 + 8 + 4 + 4;
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private final int maxChanges;
    private final long maxBytes;
    private final int chunkBytes;
    private final ArrayDeque<Chunk> chunks = new ArrayDeque<>();
    private final ArrayDeque<byte[]> spare = new ArrayDeque<>();
    /** Where the oldest held record starts in the first chunk. */
    private int head;
    private int count;
    private long bytes;
    /** Every change at a revision at or above this one is held (or was never made). */
    private long firstRevision;

    /**
     * @param firstRevision the first revision the history will hold (the node's applied index + 1 at start)
     * @param maxChanges    most changes held
     * @param maxBytes      most bytes held (the changes as serialized: keys, values and a header of
     *                      {@link #HEADER_BYTES} each)
     */
    ChangeHistory(long firstRevision, int maxChanges, long maxBytes) {
        this(firstRevision, maxChanges, maxBytes, CHUNK_BYTES);
    }

    ChangeHistory(long firstRevision, int maxChanges, long maxBytes, int chunkBytes) {
        this.firstRevision = firstRevision;
        this.maxChanges = maxChanges;
        this.maxBytes = maxBytes;
        this.chunkBytes = chunkBytes;
    }

    /** The oldest revision whose changes are all held. */
    long firstRevision() {
        return firstRevision;
    }

    /** Changes held. */
    int size() {
        return count;
    }

    /** Bytes of serialized changes held (what {@code maxBytes} bounds). */
    long bytes() {
        return bytes;
    }

    /** Appends the changes of one applied entry, dropping the oldest revisions beyond the bounds. */
    void add(List<KvChange> applied) {
        for (KvChange c : applied) {
            append(c);
        }
        while (count > 0 && (count > maxChanges || bytes > maxBytes)) {
            long dropped = revisionAtHead();
            while (count > 0 && revisionAtHead() == dropped) {
                dropHead();
            }
            firstRevision = dropped + 1;
        }
    }

    /**
     * The held changes from position {@code (revision, skip)} on whose key starts with {@code prefix}: every change
     * at a later revision, and those at {@code revision} from position {@code skip} ({@link KvChange#seq()}) on.
     */
    List<KvChange> from(long revision, int skip, String prefix) {
        List<KvChange> out = new ArrayList<>();
        // The records of a revision can spill from one chunk into the next: start in the last chunk that begins
        // before it, and skip what precedes it there.
        Chunk start = null;
        for (Chunk c : chunks) {
            if (start == null || c.firstRevision < revision) {
                start = c;
            }
        }
        boolean started = false;
        for (Iterator<Chunk> it = chunks.iterator(); it.hasNext(); ) {
            Chunk c = it.next();
            if (c == start) {
                started = true;
            }
            if (!started) {
                continue;
            }
            for (int at = c == chunks.peekFirst() ? head : 0; at < c.end; at += intAt(c.data, at)) {
                long rev = longAt(c.data, at + 4);
                int seq = intAt(c.data, at + 12);
                if (rev > revision || rev == revision && seq >= skip) {
                    KvChange change = decode(c.data, at, rev, seq, prefix);
                    if (change != null) {
                        out.add(change);
                    }
                }
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- records

    private void append(KvChange c) {
        byte[] key = c.key().getBytes(StandardCharsets.UTF_8);
        KvEntry e = c.entry();
        int valueLength = e == null ? -1 : e.valueLength();
        int size = HEADER_BYTES + key.length + Math.max(0, valueLength);
        Chunk tail = chunks.peekLast();
        if (tail == null || tail.data.length - tail.end < size) {
            tail = new Chunk(take(size), c.revision());
            chunks.addLast(tail);
        }
        byte[] d = tail.data;
        int at = tail.end;
        putInt(d, at, size);
        putLong(d, at + 4, c.revision());
        putInt(d, at + 12, c.seq());
        putLong(d, at + 16, e == null ? 0 : e.createRevision());
        putLong(d, at + 24, e == null ? 0 : e.modRevision());
        putLong(d, at + 32, e == null ? 0 : e.version());
        putInt(d, at + 40, key.length);
        putInt(d, at + 44, valueLength);
        System.arraycopy(key, 0, d, at + HEADER_BYTES, key.length);
        if (e != null) {
            e.copyValueTo(d, at + HEADER_BYTES + key.length);
        }
        tail.end += size;
        count++;
        bytes += size;
    }

    /** The change of the record at {@code at}, or null if its key does not start with {@code prefix}. */
    private static KvChange decode(byte[] d, int at, long revision, int seq, String prefix) {
        int keyLength = intAt(d, at + 40);
        int valueLength = intAt(d, at + 44);
        String key = new String(d, at + HEADER_BYTES, keyLength, StandardCharsets.UTF_8);
        if (!key.startsWith(prefix)) {
            return null;
        }
        if (valueLength < 0) {
            return new KvChange(revision, seq, key, null);
        }
        int from = at + HEADER_BYTES + keyLength;
        byte[] value = java.util.Arrays.copyOfRange(d, from, from + valueLength);
        return new KvChange(revision, seq, key,
                new KvEntry(key, value, longAt(d, at + 16), longAt(d, at + 24), longAt(d, at + 32)));
    }

    private long revisionAtHead() {
        return longAt(chunks.getFirst().data, head + 4);
    }

    private void dropHead() {
        Chunk first = chunks.getFirst();
        int size = intAt(first.data, head);
        head += size;
        count--;
        bytes -= size;
        if (head >= first.end) {
            chunks.removeFirst();
            head = 0;
            if (first.data.length == chunkBytes && spare.size() < SPARE_CHUNKS) {
                spare.addLast(first.data);
            }
        }
    }

    private byte[] take(int size) {
        if (size > chunkBytes) {
            return new byte[size];
        }
        byte[] reused = spare.pollFirst();
        return reused != null ? reused : new byte[chunkBytes];
    }

    /** One array of records, filled from the start; {@code firstRevision} is that of its first record. */
    private static final class Chunk {
        final byte[] data;
        final long firstRevision;
        int end;

        Chunk(byte[] data, long firstRevision) {
            this.data = data;
            this.firstRevision = firstRevision;
        }
    }

    private static void putInt(byte[] d, int at, int v) {
        INT.set(d, at, v);
    }

    private static void putLong(byte[] d, int at, long v) {
        LONG.set(d, at, v);
    }

    private static int intAt(byte[] d, int at) {
        return (int) INT.get(d, at);
    }

    private static long longAt(byte[] d, int at) {
        return (long) LONG.get(d, at);
    }
}
