package io.raftline.api;

import io.raftline.kv.KvEntry;
import java.util.List;
import java.util.Optional;

/**
 * The answer to a read of several keys at one point of the log, with the number of keys in the store at that
 * point: what Redis's MGET, EXISTS and DBSIZE need, each from one linearizable read rather than one per key, so
 * that the keys are seen together as of one index.
 *
 * @param entries      one per key asked for, in order: the entry, or empty if the key does not exist
 * @param totalKeys    how many keys the store held at {@code appliedIndex} (on a sharded cluster, the sum over the
 *                     groups asked: every group only when no key was named, see
 *                     {@link KvRequests#lookup(List, io.raftline.node.ReadConsistency, boolean)})
 * @param appliedIndex the log index the read reflects
 */
public record LookupResult(List<Optional<KvEntry>> entries, long totalKeys, long appliedIndex) {

    /**
     * Copies the list.
     *
     * @param entries      the entries
     * @param totalKeys    keys in the store
     * @param appliedIndex the index read
     */
    public LookupResult {
        entries = List.copyOf(entries);
    }
}
