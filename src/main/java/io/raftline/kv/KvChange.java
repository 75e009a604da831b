package io.raftline.kv;

/**
 * One change an applied log entry made to the key-value state: a key written (with its new entry) or deleted.
 * Watchers receive these in log order; a transaction makes several changes at one revision, in the order of its
 * operations.
 *
 * @param revision the log index of the entry that made the change
 * @param seq      its position among the changes of that entry (0 but for a transaction's later changes): with the
 *                 revision, where a resumed watch goes on
 * @param key      the key
 * @param entry    the key's entry after a write, or null for a delete
 */
public record KvChange(long revision, int seq, String key, KvEntry entry) {

    /** A write. */
    static KvChange put(KvEntry entry, int seq) {
        return new KvChange(entry.modRevision(), seq, entry.key(), entry);
    }

    /** A delete at {@code revision}. */
    static KvChange delete(String key, long revision, int seq) {
        return new KvChange(revision, seq, key, null);
    }

    /**
     * Whether this change deletes the key.
     *
     * @return true for a delete
     */
    public boolean deleted() {
        return entry == null;
    }
}
