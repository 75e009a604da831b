package io.raftline.node;

import io.raftline.raft.Entry;
import io.raftline.raft.HardState;
import io.raftline.raft.Membership;
import io.raftline.raft.Snapshot;
import io.raftline.raft.storage.Storage;
import io.vertx.core.Future;
import java.util.List;

/**
 * A {@link LogStore} that hands every call to a {@link MemoryLogStore} of its own, so that a test's store overrides
 * only what it changes (a disk that stalls, fails, is slow, or holds its compactions back) and keeps its data there.
 *
 * <p>{@link #compactionPressureBytes()} alone is not handed on: it keeps the interface's default, this store's own
 * {@link #stats()}, so that a store reporting other stats than its inner one's reports the pressure they give.
 */
abstract class ForwardingLogStore implements LogStore {

    /** The store that keeps the data: every call the subclass does not override goes to it. */
    protected final MemoryLogStore inner = new MemoryLogStore();

    @Override
    public Storage storage() {
        return inner.storage();
    }

    @Override
    public Future<Void> persist(Snapshot snapshot, List<Entry> entries, HardState hardState, boolean sync) {
        return inner.persist(snapshot, entries, hardState, sync);
    }

    @Override
    public Future<Void> compact(long index, Membership membership, byte[] data) {
        return inner.compact(index, membership, data);
    }

    @Override
    public Future<Void> recover() {
        return inner.recover();
    }

    @Override
    public boolean failed() {
        return inner.failed();
    }

    @Override
    public Future<Void> recordStateLost(String detail) {
        return inner.recordStateLost(detail);
    }

    @Override
    public boolean stateLostRecorded() {
        return inner.stateLostRecorded();
    }

    @Override
    public StorageStats stats() {
        return inner.stats();
    }

    @Override
    public Future<Void> close() {
        return inner.close();
    }
}
