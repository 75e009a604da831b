package io.raftline.node;

import io.raftline.raft.Entry;
import io.raftline.raft.HardState;
import io.raftline.raft.Membership;
import io.raftline.raft.Snapshot;
import io.raftline.raft.storage.MemoryStorage;
import io.raftline.raft.storage.Storage;
import io.vertx.core.Future;
import java.util.List;

/**
 * A {@link LogStore} in memory: the stand-in for a disk until the durable WAL exists. It outlives a node
 * crash (the node drops its core and state machine but keeps this object), so a restarted node recovers
 * exactly what it had persisted, which is what a real disk would give it. Writes complete at once.
 */
public final class MemoryLogStore implements LogStore {

    private final MemoryStorage storage = new MemoryStorage();
    private volatile boolean stateLost;

    @Override
    public Storage storage() {
        return storage;
    }

    @Override
    public Future<Void> persist(Snapshot snapshot, List<Entry> entries, HardState hardState, boolean sync) {
        if (snapshot != null) {
            storage.applySnapshot(snapshot);
        }
        storage.append(entries);
        if (hardState != null) {
            storage.setHardState(hardState);
        }
        return Future.succeededFuture();
    }

    @Override
    public Future<Void> compact(long index, Membership membership, byte[] data) {
        storage.createSnapshotAndCompact(index, membership, data);
        return Future.succeededFuture();
    }

    @Override
    public Future<Void> recordStateLost(String detail) {
        stateLost = true;
        return Future.succeededFuture();
    }

    @Override
    public boolean stateLostRecorded() {
        return stateLost;
    }
}
