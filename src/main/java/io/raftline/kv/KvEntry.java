package io.raftline.kv;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * One key as stored by the state machine, with the bookkeeping that makes compare-and-set and
 * change tracking possible.
 *
 * <p>Revisions are Raft log indexes: {@code createRevision} is the index of the put that created
 * the key (since it last did not exist), {@code modRevision} the index of its latest put, and
 * {@code version} counts the puts since creation. The value is copied in and out, so an entry
 * handed to a reader can never change the replicated state.
 *
 * <p>Inside this package an entry may instead <em>share</em> its value with the log entry that wrote it
 * ({@link #sharing}): the value is then a range of the command's bytes, which the in-memory log holds anyway until a
 * snapshot compacts it. Under a steady write load every value written since the last young collection is still
 * live when the collection runs (in the key space and in the log), so a separate copy of it doubled what each pause
 * had to copy; one array per write halves the bytes a write keeps alive (docs/performance.md). Nothing mutates
 * either array after it is built, so sharing is safe.
 *
 * <p>It was a record; it is a class because a record's components are its fields, and a shared value is three
 * fields (array, offset, length) behind one accessor.
 *
 * <p>An entry may also be one {@linkplain #withoutValue without its value}: the key, the value's length and the
 * revisions, what a follower gets from the leader for a read that needs no value (Redis's EXISTS, TYPE, STRLEN,
 * WATCH, KEYS: a forwarded EXISTS of 100 keys of 1 MiB moved 100 MiB for 100 bits). Such an entry never reaches the
 * state machine; asking it for its value bytes is a bug, and throws.
 */
public final class KvEntry {

    /**
     * Entries in the order listings return them: by key, in Unicode code point order (the order of the keys' UTF-8
     * bytes). What merges listings of several Raft groups into one page.
     */
    public static final java.util.Comparator<KvEntry> KEY_ORDER = java.util.Comparator.comparing(KvEntry::key,
            Utf8.CODE_POINT_ORDER);

    private final String key;
    private final byte[] bytes;
    private final int offset;
    private final int length;
    private final long createRevision;
    private final long modRevision;
    private final long version;

    /**
     * Validates every field and copies the value.
     *
     * @param key the key
     * @param value the value bytes, copied
     * @param createRevision index of the creating put
     * @param modRevision index of the latest put
     * @param version number of puts since creation
     */
    public KvEntry(String key, byte[] value, long createRevision, long modRevision, long version) {
        this(KvCommand.validateKey(key), KvCommand.validateValue(value).clone(), 0, value.length, createRevision,
                modRevision, version);
    }

    private KvEntry(String key, byte[] bytes, int offset, int length, long createRevision, long modRevision,
                    long version) {
        if (createRevision < 1 || modRevision < createRevision) {
            throw new IllegalArgumentException("revisions must satisfy 1 <= createRevision ("
                    + createRevision + ") <= modRevision (" + modRevision + ")");
        }
        if (version < 1) {
            throw new IllegalArgumentException("version must be >= 1, not " + version);
        }
        this.key = key;
        this.bytes = bytes;
        this.offset = offset;
        this.length = length;
        this.createRevision = createRevision;
        this.modRevision = modRevision;
        this.version = version;
    }

    /**
     * An entry whose value is {@code bytes[offset, offset + length)}, not copied: for values taken from a command
     * that was already validated (a decoded log entry). The caller gives up the right to change those bytes.
     */
    static KvEntry sharing(String key, byte[] bytes, int offset, int length, long createRevision, long modRevision,
                           long version) {
        java.util.Objects.checkFromIndexSize(offset, length, bytes.length);
        return new KvEntry(key, bytes, offset, length, createRevision, modRevision, version);
    }

    /**
     * An entry that tells about a key and its value but does not hold the value's bytes ({@link #hasValue()} false):
     * {@link #valueLength()} and the revisions are the key's, and every accessor of the bytes throws.
     *
     * @param key            the key
     * @param valueLength    the value's length in bytes
     * @param createRevision index of the creating put
     * @param modRevision    index of the latest put
     * @param version        number of puts since creation
     * @return the entry
     * @throws IllegalArgumentException if a field is invalid
     */
    public static KvEntry withoutValue(String key, int valueLength, long createRevision, long modRevision,
            long version) {
        if (valueLength < 0 || valueLength > KvCommand.MAX_VALUE_BYTES) {
            throw new IllegalArgumentException("value length must be in 0.." + KvCommand.MAX_VALUE_BYTES + ", was "
                    + valueLength);
        }
        return new KvEntry(KvCommand.validateKey(key), null, 0, valueLength, createRevision, modRevision, version);
    }

    /**
     * Whether this entry holds its value's bytes: false for one built {@link #withoutValue}.
     *
     * @return whether {@link #value()} may be asked
     */
    public boolean hasValue() {
        return bytes != null;
    }

    /** The value's bytes, or the bug of asking an entry that does not hold them. */
    private byte[] bytes() {
        if (bytes == null) {
            throw new IllegalStateException("the entry of key \"" + key + "\" was read without its value ("
                    + length + " bytes)");
        }
        return bytes;
    }

    /**
     * Returns the key.
     *
     * @return the key
     */
    public String key() {
        return key;
    }

    /**
     * Returns a copy of the value.
     *
     * @return the value bytes
     */
    public byte[] value() {
        return Arrays.copyOfRange(bytes(), offset, offset + length);
    }

    /**
     * The value, read-only and not copied: what a reply that writes a large value a piece at a time holds (a copy
     * per GET held a pipeline's worth of copies of a value for a client that did not read them).
     *
     * @return a read-only view of the value's bytes, from position 0
     */
    public ByteBuffer valueView() {
        return ByteBuffer.wrap(bytes(), offset, length).slice().asReadOnlyBuffer();
    }

    /**
     * Returns the value's size.
     *
     * @return bytes
     */
    public int valueLength() {
        return length;
    }

    /**
     * Returns the index of the put that created the key.
     *
     * @return the create revision
     */
    public long createRevision() {
        return createRevision;
    }

    /**
     * Returns the index of the key's latest put.
     *
     * @return the mod revision
     */
    public long modRevision() {
        return modRevision;
    }

    /**
     * Returns the number of puts since the key was created.
     *
     * @return at least 1
     */
    public long version() {
        return version;
    }

    /** Compares the value with {@code other} as unsigned bytes, without a copy. */
    int compareValue(byte[] other) {
        return Arrays.compareUnsigned(bytes(), offset, offset + length, other, 0, other.length);
    }

    /**
     * Copies the value into {@code dst} at {@code at}, without an intermediate array: for a node's watch history,
     * which keeps changes in a few large arrays rather than as objects of their own.
     *
     * @param dst the array
     * @param at  where the value's first byte goes
     */
    public void copyValueTo(byte[] dst, int at) {
        System.arraycopy(bytes(), offset, dst, at, length);
    }

    /** The array holding the value (from {@link #valueOffset()}, {@link #valueLength()} bytes): read, never written. */
    byte[] valueArray() {
        return bytes();
    }

    /** Where the value starts in {@link #valueArray()}. */
    int valueOffset() {
        return offset;
    }

    /** The value read as an integer for INCR, without a copy. */
    Long integerValue() {
        return KvCommand.Increment.parse(bytes(), offset, length);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KvEntry e
                && key.equals(e.key)
                && hasValue() == e.hasValue() && length == e.length
                && (!hasValue() || Arrays.equals(bytes, offset, offset + length, e.bytes, e.offset, e.offset + e.length))
                && createRevision == e.createRevision
                && modRevision == e.modRevision
                && version == e.version;
    }

    @Override
    public int hashCode() {
        return Objects.hash(key, hasValue() ? Bytes.hashCode(bytes, offset, length) : length, createRevision, modRevision,
                version);
    }

    @Override
    public String toString() {
        return "KvEntry[key=" + key + ", value="
                + (hasValue() ? Bytes.preview(value()) : "(" + length + " bytes, not read)")
                + ", createRevision=" + createRevision + ", modRevision=" + modRevision
                + ", version=" + version + "]";
    }
}
