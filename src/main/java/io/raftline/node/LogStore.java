package io.raftline.node;

import io.raftline.raft.Entry;
import io.raftline.raft.HardState;
import io.raftline.raft.Membership;
import io.raftline.raft.Snapshot;
import io.raftline.raft.storage.Storage;
import io.vertx.core.Future;
import java.util.List;

/**
 * The node's "disk": what survives a crash. The core reads it through {@link #storage()}; the node writes it
 * while handling a Ready and when it compacts the log.
 *
 * <p>This is the seam for durable storage. Writes return a {@link Future} so that an implementation can
 * append to a WAL and fsync on a worker thread while the event loop goes on: the Ready loop waits for the
 * future before sending, applying and advancing, and never blocks. {@link MemoryLogStore} completes at once.
 * Futures may complete on any thread; the node hops back to its own context.
 */
public interface LogStore {

    /**
     * The read view the core is built on. It must reflect every write whose future has completed.
     *
     * @return the storage
     */
    Storage storage();

    /**
     * Persists the parts of a Ready, in this order: snapshot, entries (overwriting a conflicting suffix),
     * hard state.
     *
     * @param snapshot  a snapshot received from the leader, or null
     * @param entries   entries to append (may be empty)
     * @param hardState the new hard state, or null if unchanged
     * @param sync      whether the write must be durable (fsync) before the future completes
     * @return completes once written; a failure makes the node stop (fail-stop)
     */
    Future<Void> persist(Snapshot snapshot, List<Entry> entries, HardState hardState, boolean sync);

    /**
     * Records a snapshot of the state machine at {@code index} and discards the log entries it covers.
     *
     * @param index  applied index the snapshot was taken at (still in the log)
     * @param membership the membership in effect at that index ({@code RaftCore.membershipAt(index)})
     * @param data       the serialized state machine
     * @return completes once the snapshot is stored
     */
    Future<Void> compact(long index, Membership membership, byte[] data);

    /**
     * Called when the node restarts after a crash, before it rebuilds its core: a durable store re-reads its
     * files exactly as a restarted process would. An in-memory store has nothing to do.
     *
     * @return completes once {@link #storage()} shows what was recovered
     */
    default Future<Void> recover() {
        return Future.succeededFuture();
    }

    /**
     * Whether a write failed and the store accepts nothing more; the node must not acknowledge anything.
     *
     * @return true after a storage failure
     */
    default boolean failed() {
        return false;
    }

    /**
     * Records, durably, that this node lost state it had acknowledged (see
     * {@link io.raftline.raft.RaftCore#stateLost()}), so that a restart does not forget it.
     *
     * @param detail what was found, for the operator
     * @return completes once recorded
     */
    Future<Void> recordStateLost(String detail);

    /**
     * Whether {@link #recordStateLost} was called, in this life or an earlier one of the same storage.
     *
     * @return true if the node is known to have lost state
     */
    boolean stateLostRecorded();

    /**
     * Counters for the status API.
     *
     * @return what the store has done so far
     */
    default StorageStats stats() {
        return StorageStats.MEMORY;
    }

    /**
     * Bytes of log on disk that a snapshot of this node's state machine could free; past half of
     * {@code max_log_size_bytes} the node takes a snapshot before its intervals say so. A store of its own reports its
     * size; a group's share of a node's shared log reports the whole log while that group holds entries in its oldest
     * segment, and nothing otherwise (its snapshot would free nothing).
     *
     * @return bytes
     */
    default long compactionPressureBytes() {
        return stats().walBytes();
    }

    /**
     * Releases files and threads when the node is undeployed.
     *
     * @return completes once closed
     */
    default Future<Void> close() {
        return Future.succeededFuture();
    }
}
