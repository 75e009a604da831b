package io.raftline.kv;

import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;

/**
 * An immutable point-in-time view of a {@link KvStateMachine}, and the snapshot file format.
 *
 * <p>Raft compacts its log by snapshotting the state machine. {@link KvStateMachine#capture()}
 * is O(1) because the state lives in persistent (path-copying) trees: the snapshot keeps the
 * current roots while the owner thread goes on applying into new ones. So the owner captures,
 * hands the snapshot to another thread, and that thread runs {@link #writeTo} without any lock.
 *
 * <h2>Format version 3</h2>
 * All integers are big-endian and fixed-width; text is UTF-8.
 * <pre>
 * magic          4 bytes  "RLKV"
 * version        u8       3 (1 and 2 are still read)
 * lastApplied    i64      index of the last applied entry (0 for an empty machine)
 * idemCapacity   i32      idempotency table capacity (part of the replicated state)
 * entryCount     i32      number of keys, then that many entries in code point order of key:
 *   keyLen       i32      1..1024
 *   key          keyLen bytes
 *   createRev    i64
 *   modRev       i64      createRev &lt;= modRev &lt;= lastApplied
 *   version      i64      1..(modRev - createRev + 1)
 *   valueLen     i32      0..1048576
 *   value        valueLen bytes
 * idemCount      i32      0..idemCapacity, then that many records, oldest first:
 *   idemKeyLen   i32      1..256
 *   idemKey      idemKeyLen bytes, unique
 *   resultType   u8       1 = Written (of a put), 2 = Deleted (of a delete), 4 = PreconditionFailed of a put,
 *                         5 = PreconditionFailed of a delete, 3 = PreconditionFailed of either (read from version 1)
 *   [deleted]    u8       Deleted only: 0 or 1
 *   [actualRev]  i64      PreconditionFailed only: 0..revision-1
 *   revision     i64      strictly increasing, 1..lastApplied
 *   hasPrint     u8       1: the request's fingerprint follows; 0: the record has none (read from version 1 or 2;
 *                         always 0 for result type 3)
 *   [fingerprint] i64     hasPrint 1 only: {@link KvCodec#fingerprint} of the request the record answered
 * crc32c         u32      CRC-32C of every byte above
 * </pre>
 * Version 2 is the same but for the fingerprint: its records end with their revision. A table read from it answers
 * a request of a record's kind with the record's result whatever the request's key, value or precondition, as version
 * 2 did; records made afterwards have a fingerprint, and a request reusing their key that is not the same request
 * is refused ({@link KvResult.IdempotencyKeyReused}). Version 1 is version 2 but for the result types: it knew only
 * 1, 2 and 3, and its type 3 did not say which kind of request failed its precondition. A table read from it answers
 * such a record to a retry of either kind, as version 1 did; every other record says its kind, so that a request of
 * the other kind reusing its key is refused.
 *
 * <p>The reader ({@link #readFrom(InputStream)}) checks every field, the order of keys, the
 * checksum and that nothing follows it, and reports any corruption as a
 * {@link KvFormatException} with the offset where it was detected.
 *
 * <p>{@link #stateHash()} is the SHA-256 of the same bytes without the checksum, so equal
 * states have equal hashes and a snapshot round trip preserves the hash.
 */
public final class KvSnapshot {

    static final byte[] MAGIC = "RLKV".getBytes(StandardCharsets.US_ASCII);
    static final int FORMAT_VERSION = 3;
    /** The first format, still read: its failed preconditions do not say which kind of request they answered. */
    static final int FORMAT_VERSION_1 = 1;
    /** The second format, still read: its records do not keep the fingerprint of the request they answered. */
    static final int FORMAT_VERSION_2 = 2;
    static final int RESULT_WRITTEN = 1;
    static final int RESULT_DELETED = 2;
    /** A failed precondition of either kind of request (from a version-1 snapshot). */
    static final int RESULT_PRECONDITION_FAILED = 3;
    static final int RESULT_PUT_PRECONDITION_FAILED = 4;
    static final int RESULT_DELETE_PRECONDITION_FAILED = 5;

    private final long lastApplied;
    /** Every key, mapped to itself, in code point order. */
    private final PersistentSortedMap<String, String> sortedKeys;
    /** Every entry, by key. */
    private final PersistentHashMap<String, KvEntry> byKey;
    private final IdempotencyTable idempotency;
    /** Bytes of every key (UTF-8) and value, as {@link KvStateMachine#dataBytes()} counts them, or -1 if not known. */
    private final long dataBytes;

    /** A state read from a snapshot file, from its entries in key order: both indexes are built, O(n). */
    KvSnapshot(long lastApplied, List<KvEntry> sorted, IdempotencyTable idempotency, long dataBytes) {
        this(lastApplied, sortedKeysOf(sorted), byKeyOf(sorted), idempotency, dataBytes);
    }

    /**
     * A state captured from a live machine, whose hash index holds an entry for exactly the keys of the sorted keys;
     * {@code dataBytes} is what the machine counts (-1 if it has not counted yet).
     */
    KvSnapshot(long lastApplied, PersistentSortedMap<String, String> sortedKeys,
               PersistentHashMap<String, KvEntry> byKey, IdempotencyTable idempotency, long dataBytes) {
        this.lastApplied = lastApplied;
        this.sortedKeys = sortedKeys;
        this.byKey = byKey;
        this.idempotency = idempotency;
        this.dataBytes = dataBytes;
    }

    private static PersistentSortedMap<String, String> sortedKeysOf(List<KvEntry> sorted) {
        List<String> keys = new ArrayList<>(sorted.size());
        for (KvEntry e : sorted) {
            keys.add(e.key());
        }
        return PersistentSortedMap.ofSorted(Utf8.CODE_POINT_ORDER, keys, keys);
    }

    private static PersistentHashMap<String, KvEntry> byKeyOf(List<KvEntry> sorted) {
        PersistentHashMap<String, KvEntry> index = PersistentHashMap.empty();
        for (KvEntry e : sorted) {
            index = index.put(e.key(), e);
        }
        return index;
    }

    /**
     * Reads and fully validates a snapshot, consuming {@code in} to its end. The stream is not
     * closed.
     *
     * @param in the snapshot bytes, exactly as {@link #writeTo} wrote them
     * @return the snapshot
     * @throws KvFormatException if the bytes are corrupt, truncated, followed by more bytes or
     *                           of an unknown format version
     * @throws IOException       if reading the stream fails
     */
    public static KvSnapshot readFrom(InputStream in) throws IOException {
        return new SnapshotReader(in).read();
    }

    /**
     * Reads and fully validates a snapshot held in memory.
     *
     * @param snapshot the snapshot bytes
     * @return the snapshot
     * @throws KvFormatException if the bytes are not a valid snapshot
     */
    public static KvSnapshot readFrom(byte[] snapshot) {
        try {
            return readFrom(new ByteArrayInputStream(snapshot));
        } catch (IOException e) {
            throw new UncheckedIOException("unexpected I/O error reading from memory", e);
        }
    }

    /**
     * Returns the index of the last entry applied before the capture.
     *
     * @return the applied index
     */
    public long lastApplied() {
        return lastApplied;
    }

    /**
     * Returns the number of keys in the snapshot.
     *
     * @return the key count
     */
    public int size() {
        return sortedKeys.size();
    }

    /**
     * Writes the snapshot in the format described above. Safe to call from any thread, any
     * number of times; the stream is flushed but not closed.
     *
     * @param out where to write
     * @throws IOException if writing fails
     */
    public void writeTo(OutputStream out) throws IOException {
        Objects.requireNonNull(out, "out");
        CRC32C crc = new CRC32C();
        DataOutputStream body = new DataOutputStream(
                new BufferedOutputStream(new CheckedOutputStream(out, crc), 1 << 16));
        writeBody(new StreamBody(body));
        body.flush();
        DataOutputStream trailer = new DataOutputStream(out);
        trailer.writeInt((int) crc.getValue());
        trailer.flush();
    }

    /**
     * Returns the snapshot as a byte array, exactly as {@link #writeTo} writes it.
     *
     * <p>What a node hands to its storage when it takes a snapshot. The size is computed first and the bytes written
     * into one array of exactly that size: growing a buffer by doubling and copying the result out (as a {@link
     * ByteArrayOutputStream} does) allocated about three times the snapshot, in arrays large enough to go straight to
     * G1's old generation, at every snapshot of a busy node.
     *
     * <p>The size comes from the count the state machine keeps ({@link KvStateMachine#dataBytes()}) instead of a
     * first walk over every key, and the body is written in one walk, straight into the array. At 100,000 keys of 256
     * bytes that took a snapshot from 155 to 133 ms on the development machine with the heap as the applies left it,
     * from 52 to 34 ms once G1 had moved the tree's nodes together: the walk is mostly waiting for memory, a cache miss
     * per node, key and value.
     *
     * @return the serialized snapshot
     */
    public byte[] toByteArray() {
        long size = serializedSize();
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("a snapshot of " + size + " bytes does not fit in one array");
        }
        byte[] out = new byte[(int) size];
        ArrayBody sink = new ArrayBody(out);
        try {
            writeBody(sink);
        } catch (IOException e) {
            throw new UncheckedIOException("unexpected I/O error writing to memory", e);
        }
        int body = out.length - 4;
        if (sink.pos != body) {
            throw new IllegalStateException("snapshot body computed as " + body + " bytes, written as " + sink.pos);
        }
        CRC32C crc = new CRC32C();
        crc.update(out, 0, body);
        int c = (int) crc.getValue();
        out[body] = (byte) (c >>> 24);
        out[body + 1] = (byte) (c >>> 16);
        out[body + 2] = (byte) (c >>> 8);
        out[body + 3] = (byte) c;
        return out;
    }

    /** The bytes {@link #writeTo} writes: the body of {@link #writeBody} and the checksum. */
    private long serializedSize() {
        long size = MAGIC.length + 1 + 8 + 4 + 4;
        // Each entry: key length, key, three revisions, value length, value.
        size += (long) ENTRY_FIXED_BYTES * sortedKeys.size() + (dataBytes >= 0 ? dataBytes : countDataBytes(sortedKeys, byKey));
        size += 4;
        for (Iterator<Map.Entry<String, IdempotencyTable.Recorded>> it = idempotency.fifo(); it.hasNext(); ) {
            Map.Entry<String, IdempotencyTable.Recorded> record = it.next();
            size += 4 + Utf8.encodedLength(record.getKey()) + resultSize(record.getValue().result())
                    + 1 + (record.getValue().fingerprint().isPresent() ? 8 : 0);
        }
        return size + 4;
    }

    /** Bytes of every key (UTF-8) and value of a state: what {@link KvStateMachine#dataBytes()} counts. */
    static long countDataBytes(PersistentSortedMap<String, String> sortedKeys, PersistentHashMap<String, KvEntry> byKey) {
        long[] total = {0};
        sortedKeys.forEachValue(key -> total[0] += KvStateMachine.sizeOf(key, byKey.get(key).valueLength()));
        return total[0];
    }

    /** Bytes of key space the snapshot holds, or -1 if it was captured before its machine counted them. */
    long dataBytes() {
        return dataBytes;
    }

    /** Where {@link #writeBody} writes: one format, written into an array or a stream. */
    private interface Body {
        void u8(int v) throws IOException;

        void i32(int v) throws IOException;

        void i64(long v) throws IOException;

        void bytes(byte[] b, int off, int len) throws IOException;

        /** The text's UTF-8 length as an i32, then its UTF-8 bytes. */
        void text(String s) throws IOException;
    }

    /** The body into a fixed array; writing past its end is a bug in {@link #serializedSize}. */
    private static final class ArrayBody implements Body {
        private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
        private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
        private final byte[] out;
        private int pos;

        ArrayBody(byte[] out) {
            this.out = out;
        }

        @Override
        public void u8(int v) {
            out[pos++] = (byte) v;
        }

        @Override
        public void i32(int v) {
            INT.set(out, pos, v);
            pos += 4;
        }

        @Override
        public void i64(long v) {
            LONG.set(out, pos, v);
            pos += 8;
        }

        @Override
        public void bytes(byte[] b, int off, int len) {
            System.arraycopy(b, off, out, pos, len);
            pos += len;
        }

        @Override
        public void text(String s) {
            // Keys are mostly ASCII: copied char by char behind the length, without String.getBytes's array.
            int start = pos + 4;
            int p = start;
            for (int i = 0, n = s.length(); i < n; i++) {
                char c = s.charAt(i);
                if (c >= 0x80) {
                    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
                    i32(utf8.length);
                    bytes(utf8, 0, utf8.length);
                    return;
                }
                out[p++] = (byte) c;
            }
            i32(p - start);
            pos = p;
        }
    }

    /** The body into a stream (a file, a digest). */
    private static final class StreamBody implements Body {
        private final DataOutputStream out;

        StreamBody(DataOutputStream out) {
            this.out = out;
        }

        @Override
        public void u8(int v) throws IOException {
            out.writeByte(v);
        }

        @Override
        public void i32(int v) throws IOException {
            out.writeInt(v);
        }

        @Override
        public void i64(long v) throws IOException {
            out.writeLong(v);
        }

        @Override
        public void bytes(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void text(String s) throws IOException {
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            out.writeInt(utf8.length);
            out.write(utf8);
        }
    }

    /**
     * Returns a SHA-256 digest of the state: the applied index, every entry in key order and the
     * idempotency table in FIFO order. Equal states give equal hashes on every replica.
     *
     * @return 32 bytes
     */
    public byte[] stateHash() {
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform must provide SHA-256", e);
        }
        DataOutputStream body = new DataOutputStream(new BufferedOutputStream(
                new DigestOutputStream(OutputStream.nullOutputStream(), sha256), 1 << 16));
        try {
            writeBody(new StreamBody(body));
            body.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("unexpected I/O error hashing in memory", e);
        }
        return sha256.digest();
    }

    /**
     * Returns {@link #stateHash()} as lower-case hex, for logs and comparisons.
     *
     * @return 64 hex digits
     */
    public String stateHashHex() {
        return Bytes.hex(stateHash());
    }

    /**
     * Returns the entry for {@code key} in this state; any thread may call it.
     *
     * @param key the key
     * @return the entry, or empty if the key does not exist
     */
    public Optional<KvEntry> get(String key) {
        return Optional.ofNullable(byKey.get(Objects.requireNonNull(key, "key")));
    }

    /**
     * Returns up to {@code limit} entries whose key starts with {@code prefix}, in code point order of key; the
     * same as {@link KvStateMachine#range} on the state this snapshot captured.
     *
     * @param prefix the key prefix; {@code ""} selects every key
     * @param limit  the most entries to return, at least 0
     * @return an immutable list
     */
    public List<KvEntry> range(String prefix, int limit) {
        return KvStateMachine.rangeOf(sortedKeys, byKey, prefix, "", limit);
    }

    /**
     * Like {@link #range(String, int)}, only keys that sort after {@code startAfter} (a listing cursor).
     *
     * @param prefix     the key prefix
     * @param startAfter the last key already seen, or {@code ""}
     * @param limit      the most entries to return
     * @return an immutable list
     */
    public List<KvEntry> range(String prefix, String startAfter, int limit) {
        return KvStateMachine.rangeOf(sortedKeys, byKey, prefix, startAfter, limit);
    }

    PersistentHashMap<String, KvEntry> byKey() {
        return byKey;
    }

    PersistentSortedMap<String, String> sortedKeys() {
        return sortedKeys;
    }

    IdempotencyTable idempotency() {
        return idempotency;
    }

    /** Written for each key: key length, three revisions, value length (the key and the value besides). */
    private static final int ENTRY_FIXED_BYTES = 4 + 3 * 8 + 4;

    private void writeBody(Body out) throws IOException {
        out.bytes(MAGIC, 0, MAGIC.length);
        out.u8(FORMAT_VERSION);
        out.i64(lastApplied);
        out.i32(idempotency.capacity());
        out.i32(sortedKeys.size());
        sortedKeys.<IOException>forEachValue(key -> {
            KvEntry entry = byKey.get(key);
            out.text(entry.key());
            out.i64(entry.createRevision());
            out.i64(entry.modRevision());
            out.i64(entry.version());
            out.i32(entry.valueLength());
            out.bytes(entry.valueArray(), entry.valueOffset(), entry.valueLength());
        });
        out.i32(idempotency.size());
        for (Iterator<Map.Entry<String, IdempotencyTable.Recorded>> it = idempotency.fifo(); it.hasNext(); ) {
            Map.Entry<String, IdempotencyTable.Recorded> record = it.next();
            out.text(record.getKey());
            writeResult(out, record.getValue());
        }
    }

    private static void writeResult(Body out, IdempotencyTable.Recorded record) throws IOException {
        KvResult result = record.result();
        if (result instanceof KvResult.Written) {
            out.u8(RESULT_WRITTEN);
        } else if (result instanceof KvResult.Deleted d) {
            out.u8(RESULT_DELETED);
            out.u8(d.deleted());
        } else if (result instanceof KvResult.PreconditionFailed p) {
            out.u8(switch (record.use()) {
                case PUT -> RESULT_PUT_PRECONDITION_FAILED;
                case DELETE -> RESULT_DELETE_PRECONDITION_FAILED;
                case PUT_OR_DELETE -> RESULT_PRECONDITION_FAILED;
            });
            out.i64(p.actualRevision());
        } else {
            throw new IllegalStateException("the idempotency table never records " + result);
        }
        out.i64(result.revision());
        if (record.fingerprint().isPresent()) {
            out.u8(1);
            out.i64(record.fingerprint().getAsLong());
        } else {
            out.u8(0);
        }
    }

    /** The bytes {@link #writeResult} writes for {@code result}, without the fingerprint. */
    private static int resultSize(KvResult result) {
        if (result instanceof KvResult.Written) {
            return 1 + 8;
        } else if (result instanceof KvResult.Deleted) {
            return 1 + 1 + 8;
        } else if (result instanceof KvResult.PreconditionFailed) {
            return 1 + 8 + 8;
        }
        throw new IllegalStateException("the idempotency table never records " + result);
    }
}
