package io.raftline.raft.sim;

import io.raftline.raft.CoreEvent;
import io.raftline.raft.Entry;
import io.raftline.raft.EntryType;
import io.raftline.raft.RaftConfig;
import io.raftline.raft.RaftCore;
import io.raftline.raft.ReadState;
import io.raftline.raft.Ready;
import io.raftline.raft.Snapshot;
import io.raftline.raft.SnapshotMetadata;
import io.raftline.raft.message.Message;
import io.raftline.raft.message.VoteRequest;
import io.raftline.raft.message.VoteResponse;
import io.raftline.raft.storage.Storage;
import io.raftline.storage.DurableStorage;
import io.raftline.storage.SimDisk;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * A test host for one core that persists through the real durable storage ({@link DurableStorage}: the WAL, the
 * snapshot files, recovery) over its own {@link SimDisk}, and handles Ready values the way the node verticle
 * does: persist, send, apply, advance. Crashing drops the core and applies the disk's crash model; restarting
 * re-opens the storage on the same disk (the recovery code production runs), checks what it recovered against
 * a {@link DurableLogModel} of what was durable, rebuilds the state machine from the snapshot and the committed
 * log (event sourcing) and builds a new core.
 *
 * <p>Two ways to persist:
 * <ul>
 * <li>{@link Persistence#IMMEDIATE} (scenario files): each Ready is written and fsynced at once, then its
 * messages sent, all in one call, and a crash is a process crash (the page cache survives). Scenario outputs
 * stay exactly what they were with an in-memory disk.
 * <li>{@link Persistence#DELAYED} (the simulator): as {@code RaftNodeVerticle} with {@code DurableLogStore}.
 * One WAL worker runs jobs in order: a Ready's write is issued at once and its fsync completes a random number
 * of ticks later, so a crash can fall between them; meanwhile the core keeps ticking and receiving, and no new
 * Ready is taken. What the core lets leave before the write (a leader's AppendEntries, heartbeats, snapshots and
 * TimeoutNow of a term already on its disk, answers to heartbeats) leaves at once; every other message (votes,
 * acknowledgements) only after the fsync. Compaction
 * writes its snapshot file on a second worker, then queues the WAL part (record, fsync, segment deletion) on the
 * WAL worker, then compacts the memory view. A storage error stops the node (fail-stop), which then counts as a
 * power cut of its machine.
 * </ul>
 */
public final class SimNode {

    /** What the host observed while handling Ready values, for scenario output and invariant checks. */
    public interface Observer {
        void event(int node, CoreEvent e);

        void applied(int node, Entry e, long hashAfter);

        void readState(int node, ReadState rs);

        void snapshotInstalled(int node, Snapshot s);

        /** The state machine was set to a snapshot's state (at a restart or an install). */
        default void stateRestored(int node, long index, long hash) {
        }

        /** Something worth a line in a failure trace (recoveries, storage faults). */
        default void note(int node, String text) {
        }
    }

    /** How the host persists a Ready (see the class comment). */
    public enum Persistence {
        IMMEDIATE, DELAYED
    }

    /**
     * Disk timing of one node in {@link Persistence#DELAYED} mode.
     *
     * @param maxFsyncTicks    an fsync completes 0..this many ticks after its write
     * @param maxSnapshotTicks writing a snapshot file takes 0..this many ticks
     * @param segmentBytes     WAL segment size (small segments exercise rolling and deleting them)
     */
    public record DiskTiming(int maxFsyncTicks, int maxSnapshotTicks, long segmentBytes) {
        /** Scenario timing: everything at once, segments large enough to never roll in a scenario. */
        public static final DiskTiming IMMEDIATE = new DiskTiming(0, 0, 1 << 20);
    }

    /** What the durable path did on this node, summed by the simulator. */
    public static final class Counters {
        public long recoveries;
        public long unsyncedWritesSurvived;
        public long tornTailsRepaired;
        public long tornSegmentsRemoved;
        public long replacedTailsDropped;
        public long snapshotRecordsRepaired;
        public long shadowRecoveries;
        public long failStops;
        public long crashesDuringRecovery;
        public long compactions;
        public long fsyncs;

        public void add(Counters o) {
            recoveries += o.recoveries;
            unsyncedWritesSurvived += o.unsyncedWritesSurvived;
            tornTailsRepaired += o.tornTailsRepaired;
            tornSegmentsRemoved += o.tornSegmentsRemoved;
            replacedTailsDropped += o.replacedTailsDropped;
            snapshotRecordsRepaired += o.snapshotRecordsRepaired;
            shadowRecoveries += o.shadowRecoveries;
            failStops += o.failStops;
            crashesDuringRecovery += o.crashesDuringRecovery;
            compactions += o.compactions;
            fsyncs += o.fsyncs;
        }

        @Override
        public String toString() {
            return String.format("recoveries-checked=%d shadow-recoveries-checked=%d unsynced-writes-survived=%d "
                    + "torn-tails-repaired=%d torn-segments-removed=%d replaced-tails-dropped=%d "
                    + "snapshot-records-repaired=%d fail-stops=%d crashes-in-recovery=%d compactions=%d fsyncs=%d",
                    recoveries, shadowRecoveries, unsyncedWritesSurvived, tornTailsRepaired, tornSegmentsRemoved,
                    replacedTailsDropped, snapshotRecordsRepaired, failStops, crashesDuringRecovery, compactions, fsyncs);
        }
    }

    /** A job of the WAL worker: started when it reaches the head of the queue, finished at {@code doneAt}. */
    private abstract static class WalJob {
        long doneAt = -1;
    }

    private static final class PersistJob extends WalJob {
        final Ready rd;
        final List<Message> late;

        PersistJob(Ready rd, List<Message> late) {
            this.rd = rd;
            this.late = late;
        }
    }

    private static final class CompactionRecordJob extends WalJob {
        final Snapshot snapshot;

        CompactionRecordJob(Snapshot snapshot) {
            this.snapshot = snapshot;
        }
    }

    private final RaftConfig config;
    private final SplittableRandom random;
    private final long snapshotEvery;
    private final Persistence persistence;
    private final DiskTiming timing;
    private final SimDisk disk;
    private final Path dataDir;
    private final DurableLogModel model = new DurableLogModel();
    private final Counters counters = new Counters();
    /** The storage of the current incarnation (of the last one while down: its view of the log). */
    private DurableStorage storage;
    private RaftCore core;
    /** The state machine: a hash chain over applied entries (index, term, data), and its index. */
    private long smHash;
    private long smIndex;
    private int incarnation;
    /** Ticks of real time since the last live core crashed ({@link #tickWhileDown}). */
    private long ticksDown;
    /** The highest term of a message this incarnation sent: what of its terms the others may have seen. */
    private long sentTerm;
    private long fsyncsOfDeadIncarnations;
    // DELAYED mode: the WAL worker's queue (head running), the snapshot-file worker's one job.
    private final ArrayDeque<WalJob> walQueue = new ArrayDeque<>();
    private boolean persistInFlight;
    /** Whether heartbeats and their answers made while a write is in flight leave at once (see the setter). */
    private boolean heartbeatsDuringWrites;
    private boolean compactionInFlight;
    private Snapshot snapshotFileJob;
    private long snapshotFileDoneAt;
    /** The simulated time of the current {@link #handleReady} call: when started jobs begin. */
    private long now;

    /** A node that persists {@link Persistence#IMMEDIATE immediately} (scenario files). */
    public SimNode(RaftConfig config, long seed, long snapshotEvery) {
        this(config, seed, snapshotEvery, Persistence.IMMEDIATE, DiskTiming.IMMEDIATE);
    }

    public SimNode(RaftConfig config, long seed, long snapshotEvery, Persistence persistence, DiskTiming timing) {
        this.config = config;
        this.random = new SplittableRandom(seed);
        this.snapshotEvery = snapshotEvery;
        this.persistence = persistence;
        this.timing = timing;
        // Seeded apart from the node's stream, so the cores draw what they drew before the disk existed.
        this.disk = new SimDisk(seed * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L);
        this.dataDir = Path.of("/node-" + config.id());
        if (!start(null)) {
            throw new AssertionError("node " + id() + " could not start on an empty disk");
        }
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

    /** The storage view the core reads (while down: the view of the last incarnation, not re-read from disk). */
    public Storage storage() {
        return storage;
    }

    /** This node's disk, to arm faults on. */
    public SimDisk disk() {
        return disk;
    }

    /** The commit index this node's disk is guaranteed to give back after a crash. */
    public long durableCommit() {
        return model.durableCommit();
    }

    /** The term this node's disk is guaranteed to give back after a crash. */
    public long durableTerm() {
        return model.durableTerm();
    }

    public Counters counters() {
        counters.fsyncs = fsyncsOfDeadIncarnations + (storage == null ? 0 : storage.fsyncs());
        return counters;
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

    /**
     * The highest term of any message this incarnation sent (0 while down or before its first message): a term that
     * went no further than its memory may be led again by its next incarnation, one it sent a message of may not.
     */
    public long sentTerm() {
        return core == null ? 0 : sentTerm;
    }

    // ------------------------------------------------------------------ crash and restart

    /**
     * A tick of real time passing while the node is down (nothing if it is up): counted, and told to the core of its
     * restart ({@link RaftCore#downFor}), as a real host knows when the node's previous life ended.
     */
    public void tickWhileDown() {
        if (core == null) {
            ticksDown++;
        }
    }

    /** A process crash: the core and all in-flight work are gone; what was written stays in the page cache. */
    public void crash() {
        crash(false);
    }

    /**
     * Crashes the node.
     *
     * @param powerCut whether the machine loses power too (unsynced writes and directory entries may be lost)
     */
    public void crash(boolean powerCut) {
        if (core != null) {
            ticksDown = 0; // a crash during recovery (no core) keeps counting from the live core's crash
        }
        core = null;
        walQueue.clear();
        persistInFlight = false;
        compactionInFlight = false;
        snapshotFileJob = null;
        if (storage != null) {
            fsyncsOfDeadIncarnations += storage.fsyncs();
        }
        if (disk.crashStruck() ? disk.armedCrashIsPowerCut() : powerCut) {
            disk.powerCut();
        } else {
            disk.processCrash();
        }
    }

    /** Restarts a crashed node from its disk; returns whether it is up (a crash may strike during recovery). */
    public boolean restart(Observer obs) {
        if (core != null) {
            return true;
        }
        return start(obs);
    }

    private boolean start(Observer obs) {
        List<String> notes = new ArrayList<>();
        DurableStorage recovered;
        try {
            recovered = DurableStorage.open(disk, dataDir, timing.segmentBytes(), notes::add);
        } catch (SimDisk.Crash crash) {
            counters.crashesDuringRecovery++;
            note(obs, "crashed during recovery (" + crash.getMessage() + ")");
            crash(false);
            return false;
        } catch (RuntimeException e) {
            throw new AssertionError("node " + id() + " cannot recover its storage: " + e + "\nrecovery notes: " + notes
                    + "\ndisk:\n" + disk.describe(), e);
        }
        storage = recovered;
        int survived;
        try {
            survived = model.checkRecovered(id(), storage);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\nrecovery notes: " + notes + "\ndisk:\n" + disk.describe(), e);
        }
        counters.recoveries++;
        counters.unsyncedWritesSurvived += survived;
        for (String n : notes) {
            if (n.contains("truncated torn tail")) {
                counters.tornTailsRepaired++;
            } else if (n.contains("removed torn segment")) {
                counters.tornSegmentsRemoved++;
            } else if (n.contains("belong to the log a received snapshot replaced")) {
                counters.replacedTailsDropped++;
            } else if (n.contains("replaced the log (its record was lost in a crash)")) {
                counters.snapshotRecordsRepaired++;
            }
        }
        if (incarnation > 0) {
            note(obs, "recovered " + DurableLogModel.LogState.of(storage).describe() + " (" + survived
                    + " unsynced writes survived)" + (notes.isEmpty() ? "" : "; recovery: " + notes));
        }
        incarnation++;
        sentTerm = 0;
        Snapshot s = storage.snapshot();
        restoreStateMachine(s);
        if (obs != null && !s.isEmpty()) {
            obs.stateRestored(id(), smIndex, smHash);
        }
        if (persistence == Persistence.IMMEDIATE) {
            // The core hands the committed entries back for applying, as the scenario files expect.
            core = new RaftCore(config, storage, random.split());
        } else {
            // As RaftNodeVerticle.boot: replay the committed log into the state machine, then start the core there.
            long to = Math.min(storage.hardState().commit(), storage.lastIndex());
            if (to > smIndex) {
                for (Entry e : storage.entries(smIndex + 1, to + 1, Long.MAX_VALUE)) {
                    applyEntry(e, obs);
                }
            }
            core = new RaftCore(config, storage, random.split(), smIndex);
        }
        core.downFor(ticksDown);
        return true;
    }

    private void note(Observer obs, String text) {
        if (obs != null) {
            obs.note(id(), text);
        }
    }

    // ------------------------------------------------------------------ Ready handling

    /**
     * Finishes the disk work due by {@code now}, then handles one Ready if there is one and the node may take it.
     *
     * @param now  the simulated time (ignored in {@link Persistence#IMMEDIATE} mode)
     * @param send where outgoing messages go
     * @return whether anything was done
     */
    public boolean handleReady(long now, Consumer<Message> sink, Observer obs) {
        Consumer<Message> send = m -> {
            // A PreVote, and a PreVote granted, carry the term the candidate would take, not one the sender has:
            // counted, a node that probed term t and then led t alone (sending nothing) before a crash was taken for
            // one whose leadership of t had left it (simulator seed 10260).
            boolean probe = m instanceof VoteRequest v && v.preVote()
                    || m instanceof VoteResponse r && r.preVote() && r.granted();
            if (!probe) {
                sentTerm = Math.max(sentTerm, m.term());
            }
            sink.accept(m);
        };
        if (persistence == Persistence.IMMEDIATE) {
            return handleReadyImmediately(send, obs);
        }
        this.now = now;
        boolean worked = runDiskWork(send, obs);
        if (core != null && persistInFlight && heartbeatsDuringWrites) {
            List<Message> early = core.takeMessagesBeforeDisk();
            early.forEach(send);
            worked |= !early.isEmpty();
        }
        if (core == null || persistInFlight || !core.hasReady()) {
            return worked;
        }
        Ready rd = core.ready();
        for (CoreEvent e : rd.events()) {
            obs.event(id(), e);
        }
        List<Message> late = sendLeaderMessagesEarly(rd, send);
        persistInFlight = true;
        walQueue.add(new PersistJob(rd, late));
        startWalJob(obs);
        runDiskWork(send, obs);
        return true;
    }

    /**
     * As the node's host does while a Ready is being written ({@code NodeHost}, {@link
     * io.raftline.raft.RaftCore#takeMessagesBeforeDisk}): heartbeats and answers to heartbeats the core made since
     * leave at once instead of waiting for the write. Off by default so the default schedules stay what they were.
     */
    public void sendHeartbeatsDuringWrites(boolean on) {
        heartbeatsDuringWrites = on;
    }

    /**
     * As the node's host does ({@code NodeHost.sendMessagesBeforeDisk}): what the core lets leave before the write
     * ({@link io.raftline.raft.RaftCore#mayLeaveBeforeDisk}) leaves now, the rest once the write is durable.
     */
    private List<Message> sendLeaderMessagesEarly(Ready rd, Consumer<Message> send) {
        if (rd.messages().isEmpty()) {
            return rd.messages();
        }
        List<Message> late = new ArrayList<>();
        for (Message m : rd.messages()) {
            if (core.mayLeaveBeforeDisk(m)) {
                send.accept(m);
            } else {
                late.add(m);
            }
        }
        return late;
    }

    /** Completes every disk job due by {@code now}, starting the next ones; returns whether any completed. */
    private boolean runDiskWork(Consumer<Message> send, Observer obs) {
        boolean any = false;
        boolean progress = true;
        while (progress && core != null) {
            progress = false;
            WalJob head = walQueue.peek();
            if (head != null && head.doneAt >= 0 && head.doneAt <= now) {
                walQueue.poll();
                finishWalJob(head, send, obs);
                startWalJob(obs);
                progress = true;
            } else if (snapshotFileJob != null && snapshotFileDoneAt <= now) {
                Snapshot s = snapshotFileJob;
                snapshotFileJob = null;
                writeSnapshotFile(s, obs);
                startWalJob(obs);
                progress = true;
            }
            any |= progress;
        }
        return any;
    }

    /** Starts the job at the head of the WAL queue if it is not running yet: issues its writes. */
    private void startWalJob(Observer obs) {
        WalJob job = walQueue.peek();
        if (job == null || job.doneAt >= 0 || core == null) {
            return;
        }
        storageCall(obs, () -> {
            if (job instanceof PersistJob p) {
                Ready rd = p.rd;
                if (rd.snapshot() != null) {
                    model.installing(rd.snapshot());
                    storage.writeSnapshot(rd.snapshot());
                    model.savedFile(rd.snapshot());
                    model.synced();
                }
                model.writing(rd.entries(), rd.hardState());
                storage.write(rd.entries(), rd.hardState(), false);
                job.doneAt = now + (rd.mustSync() ? random.nextInt(timing.maxFsyncTicks() + 1) : 0);
            } else {
                Snapshot s = ((CompactionRecordJob) job).snapshot;
                storage.recordCompaction(s);
                model.synced();
                job.doneAt = now + random.nextInt(timing.maxFsyncTicks() + 1);
            }
        });
    }

    private void finishWalJob(WalJob job, Consumer<Message> send, Observer obs) {
        if (job instanceof PersistJob p) {
            Ready rd = p.rd;
            if (rd.mustSync() && !storageCall(obs, () -> {
                storage.sync();
                model.synced();
            })) {
                return;
            }
            persistInFlight = false;
            storage.applyWritten(rd.snapshot(), rd.entries(), rd.hardState());
            if (rd.snapshot() != null) {
                checkShadowRecovery();
            }
            for (Message m : p.late) {
                send.accept(m);
            }
            applyReady(rd, obs);
        } else {
            Snapshot s = ((CompactionRecordJob) job).snapshot;
            storage.applyCompaction(s);
            compactionInFlight = false;
            counters.compactions++;
            note(obs, "compacted the log up to " + s.index());
            checkShadowRecovery();
        }
    }

    private void writeSnapshotFile(Snapshot s, Observer obs) {
        if (s.index() <= storage.snapshot().index()) {
            // A snapshot from the leader already covers it (RaftNodeVerticle.maybeSnapshot does the same).
            compactionInFlight = false;
            return;
        }
        if (storageCall(obs, () -> {
            model.savingFile(s);
            storage.writeSnapshotFile(s);
            model.savedFile(s);
        })) {
            note(obs, "snapshot file " + s.index() + "@" + s.term() + " written; its WAL record is queued");
            walQueue.add(new CompactionRecordJob(s));
        }
    }

    /**
     * Runs storage I/O. A power cut striking inside it crashes the node; an injected write or fsync failure makes
     * the storage fail and the node stop (fail-stop), which is a crash too. Any other failure is a bug.
     *
     * @return whether the I/O completed
     */
    private boolean storageCall(Observer obs, Runnable io) {
        long injectedBefore = disk.stats().failedWrites + disk.stats().failedFsyncs;
        try {
            io.run();
            return true;
        } catch (SimDisk.Crash crash) {
            note(obs, "CRASH in the middle of disk I/O (" + crash.getMessage() + ")");
            crash(false);
            return false;
        } catch (RuntimeException e) {
            if (disk.stats().failedWrites + disk.stats().failedFsyncs == injectedBefore) {
                throw e;
            }
            counters.failStops++;
            note(obs, "FAIL-STOP on an injected disk error: " + e.getMessage()
                    + (storage.failed() ? "" : " (the write-ahead log itself is still healthy)"));
            crash(true);
            return false;
        }
    }

    /**
     * Recovers a copy of the disk as it is now with the real recovery code and checks the result against the model,
     * as if the process crashed here. Run when a snapshot has just changed the log's shape (compaction, a snapshot
     * from the leader), where replaying the WAL is the most delicate: a replay bug shows up on the spot instead of
     * only if a restart happens to come before the next snapshot hides it.
     */
    private void checkShadowRecovery() {
        List<String> notes = new ArrayList<>();
        SimDisk copy = disk.copy();
        DurableStorage shadow;
        try {
            shadow = DurableStorage.open(copy, dataDir, timing.segmentBytes(), notes::add);
        } catch (RuntimeException e) {
            throw new AssertionError("node " + id() + " could not recover a copy of its disk taken now: " + e
                    + "\nrecovery notes: " + notes + "\ndisk:\n" + copy.describe(), e);
        }
        try {
            model.checkRecoverable(id(), shadow);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\nrecovery notes: " + notes + "\ndisk:\n" + copy.describe(), e);
        }
        counters.shadowRecoveries++;
    }

    /** IMMEDIATE mode: persist (fsynced) → send → apply → advance, all now. */
    private boolean handleReadyImmediately(Consumer<Message> send, Observer obs) {
        if (core == null || !core.hasReady()) {
            return false;
        }
        Ready rd = core.ready();
        for (CoreEvent e : rd.events()) {
            obs.event(id(), e);
        }
        if (rd.snapshot() != null) {
            model.installing(rd.snapshot());
            storage.writeSnapshot(rd.snapshot());
            model.savedFile(rd.snapshot());
            model.synced();
        }
        model.writing(rd.entries(), rd.hardState());
        storage.write(rd.entries(), rd.hardState(), rd.mustSync());
        if (rd.mustSync()) {
            model.synced();
        }
        storage.applyWritten(rd.snapshot(), rd.entries(), rd.hardState());
        for (Message m : rd.messages()) {
            send.accept(m);
        }
        applyReady(rd, obs);
        return true;
    }

    /** After the write is durable: install the snapshot, apply committed entries, serve reads, advance. */
    private void applyReady(Ready rd, Observer obs) {
        if (rd.snapshot() != null) {
            restoreStateMachine(rd.snapshot());
            obs.snapshotInstalled(id(), rd.snapshot());
            obs.stateRestored(id(), smIndex, smHash);
        }
        for (Entry e : rd.committedEntries()) {
            applyEntry(e, obs);
        }
        for (ReadState rs : rd.readStates()) {
            obs.readState(id(), rs);
        }
        core.advance(rd);
        maybeSnapshot();
    }

    private void applyEntry(Entry e, Observer obs) {
        if (e.index() != smIndex + 1) {
            throw new AssertionError("node " + id() + " applies " + e.index() + " after " + smIndex);
        }
        smHash = chain(smHash, e);
        smIndex = e.index();
        if (obs != null) {
            obs.applied(id(), e, smHash);
        }
    }

    // ------------------------------------------------------------------ compaction

    /** Takes a snapshot of the state machine and compacts the log if enough entries were applied. */
    private void maybeSnapshot() {
        if (snapshotEvery <= 0 || smIndex - storage.snapshot().index() < snapshotEvery || smIndex > storage.lastIndex()) {
            return;
        }
        if (persistence == Persistence.IMMEDIATE) {
            takeSnapshot();
        } else if (!compactionInFlight) {
            compactionInFlight = true;
            snapshotFileJob = stateSnapshot();
            // The snapshot worker is separate: its time does not hold back the WAL worker.
            snapshotFileDoneAt = now + random.nextInt(timing.maxSnapshotTicks() + 1);
        }
    }

    /** Snapshots at the applied index now and compacts, synchronously (scenario command {@code snapshot}). */
    public void takeSnapshot() {
        if (smIndex <= storage.snapshot().index() || smIndex > storage.lastIndex()) {
            return;
        }
        Snapshot s = stateSnapshot();
        model.savingFile(s);
        storage.compact(s);
        model.savedFile(s);
        model.synced();
        storage.applyCompaction(s);
        counters.compactions++;
    }

    private Snapshot stateSnapshot() {
        byte[] data = ByteBuffer.allocate(16).putLong(smIndex).putLong(smHash).array();
        // The membership at the snapshot's index: the CONFIG entries it covers are compacted away with the log.
        return new Snapshot(SnapshotMetadata.of(smIndex, storage.term(smIndex), core.membershipAt(smIndex)), data);
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
        h = h * 31 + (e.type() == EntryType.NOOP ? 7 : e.type() == EntryType.CONFIG ? 13 : 11);
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
