package io.raftline.kv;

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
 * @param key            the key
 * @param value          the stored bytes
 * @param createRevision index of the put that created the key
 * @param modRevision    index of the latest put
 * @param version        number of puts since creation, at least 1
 */
public record KvEntry(String key, byte[] value, long createRevision, long modRevision, long version) {

    /**
     * Entries in the order listings return them: by key, in Unicode code point order (the order of the keys' UTF-8
     * bytes). What merges listings of several Raft groups into one page.
     */
    public static final java.util.Comparator<KvEntry> KEY_ORDER = java.util.Comparator.comparing(KvEntry::key,
            Utf8.CODE_POINT_ORDER);

    /**
     * Validates every field and copies the value.
     *
     * @param key the key
     * @param value the value bytes, copied
     * @param createRevision index of the creating put
     * @param modRevision index of the latest put
     * @param version number of puts since creation
     */
    public KvEntry {
        KvCommand.validateKey(key);
        value = KvCommand.validateValue(value).clone();
        if (createRevision < 1 || modRevision < createRevision) {
            throw new IllegalArgumentException("revisions must satisfy 1 <= createRevision ("
                    + createRevision + ") <= modRevision (" + modRevision + ")");
        }
        if (version < 1) {
            throw new IllegalArgumentException("version must be >= 1, not " + version);
        }
    }

    /**
     * Returns a copy of the value.
     *
     * @return the value bytes
     */
    @Override
    public byte[] value() {
        return value.clone();
    }

    /** The value without a copy, for this package, which never mutates it. */
    byte[] sharedValue() {
        return value;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KvEntry e
                && key.equals(e.key)
                && Arrays.equals(value, e.value)
                && createRevision == e.createRevision
                && modRevision == e.modRevision
                && version == e.version;
    }

    @Override
    public int hashCode() {
        return Objects.hash(key, Arrays.hashCode(value), createRevision, modRevision, version);
    }

    @Override
    public String toString() {
        return "KvEntry[key=" + key + ", value=" + Bytes.preview(value)
                + ", createRevision=" + createRevision + ", modRevision=" + modRevision
                + ", version=" + version + "]";
    }
}
