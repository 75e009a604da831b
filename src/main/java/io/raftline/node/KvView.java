package io.raftline.node;

import io.raftline.kv.KvEntry;
import io.raftline.kv.KvSnapshot;
import io.raftline.kv.KvStateMachine;
import java.util.List;
import java.util.Optional;

/**
 * A read-only, immutable view of a node's key-value state at one applied index. A read completes with a
 * view rather than a value so that the caller can look up what it needs on its own thread: taking the view
 * is O(1) (the state lives in persistent maps, captured as a {@link KvSnapshot}) and it never changes afterwards.
 */
public final class KvView {

    private final KvSnapshot state;

    KvView(KvStateMachine live) {
        this.state = live.capture();
    }

    /**
     * The entry for a key.
     *
     * @param key the key
     * @return the entry, or empty if absent
     */
    public Optional<KvEntry> get(String key) {
        return state.get(key);
    }

    /**
     * Entries whose key starts with a prefix, in key order.
     *
     * @param prefix the prefix ("" for all)
     * @param limit  most entries returned
     * @return the entries
     */
    public List<KvEntry> range(String prefix, int limit) {
        return state.range(prefix, limit);
    }

    /**
     * Entries whose key starts with a prefix and sorts after {@code startAfter}, in key order: the next page of a
     * listing.
     *
     * @param prefix     the prefix ("" for all)
     * @param startAfter the last key of the previous page, or "" for the first
     * @param limit      most entries returned
     * @return the entries
     */
    public List<KvEntry> range(String prefix, String startAfter, int limit) {
        return state.range(prefix, startAfter, limit);
    }

    /**
     * How many keys the state holds.
     *
     * @return the key count
     */
    public int size() {
        return state.size();
    }

    /**
     * The captured state itself (immutable), for a backup of the whole state at {@link #appliedIndex()}.
     *
     * @return the snapshot
     */
    public KvSnapshot snapshot() {
        return state;
    }

    /**
     * The log index this view reflects.
     *
     * @return the applied index
     */
    public long appliedIndex() {
        return state.lastApplied();
    }

    /**
     * A digest of the whole state, equal on replicas at the same index.
     *
     * @return 64 hex digits
     */
    public String stateHashHex() {
        return state.stateHashHex();
    }
}
