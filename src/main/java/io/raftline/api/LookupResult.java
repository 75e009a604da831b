package io.raftline.api;

import io.raftline.kv.KvEntry;
import java.util.List;
import java.util.Optional;

/**
 * The answer to a read of several keys at one point of the log, with the number of keys in the store at that
 * point: what Redis's MGET, EXISTS and DBSIZE need, each from one linearizable read rather than one per key, so
 * that the keys are seen together as of one index.
 *
 * <p>Asked with {@link Fetch#METADATA}, an entry may hold no value ({@link KvEntry#hasValue()} false: read through
 * the leader; served here it holds it anyway, at no cost). Asked for values, every entry holds its value unless
 * {@link #valuesWithheld()}: the leader found more bytes of values than the read allowed and sent none.
 *
 * @param entries        one per key asked for, in order: the entry, or empty if the key does not exist
 * @param totalKeys      how many keys the store held at {@code appliedIndex} (on a sharded cluster, the sum over the
 *                       groups asked: every group only when no key was named, see
 *                       {@link KvRequests#lookup(List, io.raftline.node.ReadConsistency, boolean, Fetch)})
 * @param appliedIndex   the log index the read reflects
 * @param valuesWithheld whether the values were asked for but not sent, as they came to more than the read's
 *                       {@link Fetch#maxValueBytes()}: the entries then hold the value lengths only
 */
public record LookupResult(List<Optional<KvEntry>> entries, long totalKeys, long appliedIndex,
        boolean valuesWithheld) {

    /**
     * Copies the list.
     *
     * @param entries        the entries
     * @param totalKeys      keys in the store
     * @param appliedIndex   the index read
     * @param valuesWithheld whether the values were left out for their size
     */
    public LookupResult {
        entries = List.copyOf(entries);
    }

    /**
     * An answer whose entries are as read (values held, or not asked for).
     *
     * @param entries      the entries
     * @param totalKeys    keys in the store
     * @param appliedIndex the index read
     */
    public LookupResult(List<Optional<KvEntry>> entries, long totalKeys, long appliedIndex) {
        this(entries, totalKeys, appliedIndex, false);
    }

    /**
     * The bytes of the values of the entries found, each entry counted as often as it is listed.
     *
     * @return the sum of their {@link KvEntry#valueLength()}
     */
    public long valueBytes() {
        long bytes = 0;
        for (Optional<KvEntry> e : entries) {
            if (e.isPresent()) {
                bytes += e.get().valueLength();
            }
        }
        return bytes;
    }
}
