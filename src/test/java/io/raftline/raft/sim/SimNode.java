package io.raftline.raft.sim;

import io.raftline.raft.CoreEvent;
import io.raftline.raft.Entry;
import io.raftline.raft.EntryType;
import io.raftline.raft.RaftConfig;
import io.raftline.raft.RaftCore;
import io.raftline.raft.ReadState;
import io.raftline.raft.Ready;
import io.raftline.raft.Snapshot;
import io.raftline.raft.message.Message;
import io.raftline.raft.storage.MemoryStorage;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * A test host for one core: it handles Ready values the way the real node verticle does (persist, send,
 * apply, advance) against a {@link MemoryStorage} that plays the disk. Crashing drops the core and with it
 * everything not persisted; restarting rebuilds the core and the state machine from the "disk" alone
 * (snapshot + log replay), which is exactly the event-sourcing recovery path.
 */
public final class SimNode {

    /** What the host observed while handling Ready values, for scenario output and invariant checks. */
    public interface Observer {
        void event(int node, CoreEvent e);

        void applied(int node, Entry e, long hashAfter);

        void readState(int node, ReadState rs);

        void snapshotInstalled(int node, Snapshot s);
    }

    private final RaftConfig config;
    private final SplittableRandom random;
    private final MemoryStorage disk = new MemoryStorage();
    private final long snapshotEvery;
    private RaftCore core;
    /** The state machine: a hash chain over applied entries (index, term, data), and its index. */
    private long smHash;
    private long smIndex;
    private int incarnation;

    public SimNode(RaftConfig config, long seed, long snapshotEvery) {
        this.config = config;
        this.random = new SplittableRandom(seed);
        this.snapshotEvery = snapshotEvery;
        start();
    }

    private void start() {
        Snapshot s = disk.snapshot();
        restoreStateMachine(s);
        core = new RaftCore(config, disk, random.split());
        incarnation++;
    }

    public int id() {
        return config.id();
    }

    public boolean up() {
        return core != null;
    }

    /** The live core; throws if crashed. */
    public RaftCore core() {
        if (core == null) {
            throw new IllegalStateException("node " + id() + " is down");
        }
        return core;
    }

    public MemoryStorage disk() {
        return disk;
    }

    public long stateHash() {
        return smHash;
    }

    public long stateIndex() {
        return smIndex;
    }

    public int incarnation() {
        return incarnation;
    }

    /** Loses everything not on disk. */
    public void crash() {
        core = null;
    }

    public void restart() {
        if (core == null) {
            start();
        }
    }

    /**
     * Handles one Ready if there is one; returns whether it did.
     *
     * @param send where outgoing messages go (after persisting, as the contract requires)
     */
    public boolean handleReady(Consumer<Message> send, Observer obs) {
        if (core == null || !core.hasReady()) {
            return false;
        }
        Ready rd = core.ready();
        for (CoreEvent e : rd.events()) {
            obs.event(id(), e);
        }
        // 1. persist
        if (rd.snapshot() != null) {
            disk.applySnapshot(rd.snapshot());
        }
        disk.append(rd.entries());
        if (rd.hardState() != null) {
            disk.setHardState(rd.hardState());
        }
        // 2. send
        for (Message m : rd.messages()) {
            send.accept(m);
        }
        // 3. apply
        if (rd.snapshot() != null) {
            restoreStateMachine(rd.snapshot());
            obs.snapshotInstalled(id(), rd.snapshot());
        }
        for (Entry e : rd.committedEntries()) {
            if (e.index() != smIndex + 1) {
                throw new AssertionError("node " + id() + " applies " + e.index() + " after " + smIndex);
            }
            smHash = chain(smHash, e);
            smIndex = e.index();
            obs.applied(id(), e, smHash);
        }
        for (ReadState rs : rd.readStates()) {
            obs.readState(id(), rs);
        }
        core.advance(rd);
        maybeSnapshot();
        return true;
    }

    /** Takes a snapshot of the state machine and compacts the disk log if enough entries were applied. */
    private void maybeSnapshot() {
        if (snapshotEvery > 0 && smIndex - disk.snapshot().index() >= snapshotEvery && smIndex <= disk.lastIndex()) {
            takeSnapshot();
        }
    }

    /** Snapshots at the applied index now (scenario command {@code snapshot}). */
    public void takeSnapshot() {
        if (smIndex > disk.snapshot().index()) {
            disk.createSnapshotAndCompact(smIndex, config.members(), encodeState());
        }
    }

    private byte[] encodeState() {
        return ByteBuffer.allocate(16).putLong(smIndex).putLong(smHash).array();
    }

    private void restoreStateMachine(Snapshot s) {
        if (s.isEmpty()) {
            smIndex = 0;
            smHash = 0;
            return;
        }
        ByteBuffer b = ByteBuffer.wrap(s.data());
        smIndex = b.getLong();
        smHash = b.getLong();
        if (smIndex != s.index()) {
            throw new AssertionError("snapshot data is at " + smIndex + " but metadata says " + s.index());
        }
    }

    /** The state machine's transition: an order-sensitive hash of every applied entry. */
    public static long chain(long hash, Entry e) {
        long h = hash * 0x9E3779B97F4A7C15L + e.index();
        h = h * 31 + e.term();
        h = h * 31 + (e.type() == EntryType.NOOP ? 7 : 11);
        for (byte b : e.data()) {
            h = h * 131 + b;
        }
        return h ^ (h >>> 29);
    }

    /** The entries this node's core holds, for invariant checks. */
    public List<Entry> logEntries() {
        RaftCore c = core();
        long first = c.log().firstIndex();
        long last = c.log().lastIndex();
        return last < first ? new ArrayList<>() : c.log().entries(first, Long.MAX_VALUE);
    }
}
