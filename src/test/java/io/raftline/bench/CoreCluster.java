package io.raftline.bench;

import io.raftline.raft.Entry;
import io.raftline.raft.EntryType;
import io.raftline.raft.RaftConfig;
import io.raftline.raft.RaftCore;
import io.raftline.raft.Ready;
import io.raftline.raft.Role;
import io.raftline.raft.message.Message;
import io.raftline.raft.storage.MemoryStorage;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Three {@link RaftCore}s in one thread with {@link MemoryStorage} and no I/O: the host loop of the node
 * (persist the Ready's entries and hard state, send its messages, apply its committed entries, advance) with the
 * network replaced by a list that is delivered in rounds. Messages sent in one round reach their peers in the next.
 *
 * <p>A client keeps {@code inFlight} proposals outstanding at the leader: whenever the leader applies some, it
 * proposes as many new ones ({@link RaftCore#proposeAll}, one batch). Every proposal carries its sequence number in
 * its first 8 bytes; each node checks it applies them exactly once and in order, and keeps a hash chain of what it
 * applied so {@link #drainAndCheck} can tell that the three state machines saw the same log.
 *
 * <p>Wall-clock ticks ({@link RaftConfig#tickMs()}) keep heartbeats and CheckQuorum running as in a node. Storage is
 * compacted now and then (snapshots without data) so a long run does not keep every entry in memory.
 *
 * <p>Used by {@link CoreThroughputBenchmark} and checked by {@code CoreClusterTest}. Not thread-safe.
 */
final class CoreCluster {

    static final List<Integer> MEMBERS = List.of(1, 2, 3);
    static final int VALUE_BYTES = 256;
    private static final byte[] NO_DATA = new byte[0];

    /** One node: its core, its "disk" and its state machine (a hash chain over applied entries). */
    static final class Node {
        final int id;
        final MemoryStorage storage = new MemoryStorage();
        final RaftCore core;
        long appliedIndex;
        long hash;
        /** Sequence number of the next proposal this node must apply. */
        long nextSeq;

        Node(RaftConfig config, long seed) {
            this.id = config.id();
            this.core = new RaftCore(config, storage, new SplittableRandom(seed));
        }

        void apply(Entry e) {
            if (e.index() != appliedIndex + 1) {
                throw new IllegalStateException("node " + id + " applies " + e.index() + " after " + appliedIndex);
            }
            long seq = -1;
            if (e.type() == EntryType.NORMAL) {
                seq = readSeq(e.data());
                if (seq != nextSeq) {
                    throw new IllegalStateException("node " + id + " applies proposal " + seq + " at index "
                            + e.index() + ", expected proposal " + nextSeq);
                }
                nextSeq++;
            }
            appliedIndex = e.index();
            long h = (hash ^ (e.index() * 0x9E3779B97F4A7C15L) ^ (e.term() << 48) ^ seq) * 0xBF58476D1CE4E5B9L;
            hash = h ^ (h >>> 31);
        }
    }

    private final Node[] nodes;
    private final int inFlight;
    private final long compactEvery;
    private final long keepEntries;
    private final long tickNanos;
    private final byte[] template = new byte[VALUE_BYTES];
    private ArrayList<Message> network = new ArrayList<>();
    private ArrayList<Message> delivering = new ArrayList<>();
    private Node leader;
    private long leaderTerm;
    private boolean proposing;
    private boolean ticking;
    private long nextTickAt;
    /** Proposals made so far; proposal {@code i} carries sequence number {@code i}. */
    private long proposed;
    private long lastCompaction;
    private long compactions;
    /** Committed proposals the current {@link #runUntilCommitted} call waits for (carried across calls). */
    private long target;

    /**
     * @param inFlight     proposals kept outstanding at the leader
     * @param compactEvery compact the three logs every this many applied entries
     * @param keepEntries  entries kept below the slowest node's applied index when compacting (more than a
     *                     follower can lag, so the leader never has to send a snapshot)
     */
    CoreCluster(int inFlight, long compactEvery, long keepEntries) {
        if (inFlight < 1 || keepEntries <= inFlight) {
            throw new IllegalArgumentException("inFlight " + inFlight + ", keepEntries " + keepEntries);
        }
        this.inFlight = inFlight;
        this.compactEvery = compactEvery;
        this.keepEntries = keepEntries;
        this.nodes = new Node[MEMBERS.size()];
        RaftConfig first = null;
        for (int id : MEMBERS) {
            RaftConfig config = RaftConfig.builder(id, MEMBERS).build();
            first = first == null ? config : first;
            nodes[id - 1] = new Node(config, 42L * id);
        }
        this.tickNanos = first.tickMs() * 1_000_000L;
        for (int i = 0; i < VALUE_BYTES; i++) {
            template[i] = (byte) ('a' + i % 26);
        }
    }

    CoreCluster(int inFlight) {
        this(inFlight, 100_000, Math.max(10_000, 4L * inFlight));
    }

    /** Node 1 campaigns; returns once it leads and its no-op entry is applied everywhere. */
    void electLeader() {
        nodes[0].core.campaign();
        drain();
        for (Node n : nodes) {
            if (n.core.role() == Role.LEADER) {
                leader = n;
            }
        }
        if (leader == null || leader.appliedIndex < 1) {
            throw new IllegalStateException("no leader elected: " + describe());
        }
        leaderTerm = leader.core.term();
        ticking = true;
        proposing = true;
        nextTickAt = System.nanoTime() + tickNanos;
    }

    /** Runs until {@code count} more proposals are applied at the leader; returns how many are applied in total. */
    long runUntilCommitted(long count) {
        target += count;
        while (leader.nextSeq < target) {
            if (!round()) {
                throw new IllegalStateException("stalled at " + leader.nextSeq + " committed proposals: " + describe());
            }
            if (leader.appliedIndex - lastCompaction >= compactEvery) {
                compact();
            }
        }
        return leader.nextSeq;
    }

    /** Proposals applied at the leader so far. */
    long committed() {
        return leader.nextSeq;
    }

    long compactions() {
        return compactions;
    }

    /**
     * Stops proposing, lets everything in flight commit and reach every node, then checks that nothing went wrong:
     * the leader kept its term, every proposal was applied exactly once and in order on all three nodes, their state
     * machines agree, and the logs they still hold are the same.
     *
     * @return a one-line summary
     */
    String drainAndCheck() {
        proposing = false;
        ticking = false;
        drain();
        if (leader.core.role() != Role.LEADER || leader.core.term() != leaderTerm) {
            throw new IllegalStateException("leadership changed during the run: " + describe());
        }
        if (proposed == 0 || leader.nextSeq != proposed) {
            throw new IllegalStateException(proposed + " proposed but " + leader.nextSeq + " applied at the leader");
        }
        long commit = leader.core.log().committed();
        for (Node n : nodes) {
            if (n.appliedIndex != commit || n.nextSeq != proposed || n.hash != leader.hash) {
                throw new IllegalStateException("node " + n.id + " differs from the leader: " + describe());
            }
        }
        long lo = 0;
        long hi = Long.MAX_VALUE;
        for (Node n : nodes) {
            lo = Math.max(lo, n.storage.firstIndex());
            hi = Math.min(hi, n.storage.lastIndex());
        }
        if (hi != commit) {
            throw new IllegalStateException("logs end at " + hi + ", commit is " + commit + ": " + describe());
        }
        for (long i = lo; i <= hi; i++) {
            long t = nodes[0].storage.term(i);
            for (Node n : nodes) {
                if (n.storage.term(i) != t) {
                    throw new IllegalStateException("logs differ at " + i + ": " + describe());
                }
            }
        }
        return String.format("checked: %,d proposals committed and applied once, in order, on all 3 nodes (index %,d,"
                + " term %d, %d compactions, logs identical over %d..%d)", proposed, commit, leaderTerm, compactions,
                lo, hi);
    }

    // ------------------------------------------------------------------ the host loop

    /** One round: every node handles its Ready values, then the messages they sent are delivered. */
    private boolean round() {
        boolean worked = false;
        if (ticking) {
            long now = System.nanoTime();
            if (now >= nextTickAt) {
                nextTickAt = now + tickNanos;
                for (Node n : nodes) {
                    n.core.tick();
                }
            }
        }
        for (Node n : nodes) {
            while (true) {
                if (proposing && n == leader) {
                    topUp();
                }
                if (!n.core.hasReady()) {
                    break;
                }
                handleReady(n);
                worked = true;
            }
        }
        if (!network.isEmpty()) {
            ArrayList<Message> batch = network;
            network = delivering;
            delivering = batch;
            for (Message m : batch) {
                nodes[m.to() - 1].core.step(m);
            }
            batch.clear();
            worked = true;
        }
        return worked;
    }

    /** As the node verticle: persist, send, apply, advance (no fsync, no wire: all in memory). */
    private void handleReady(Node n) {
        Ready rd = n.core.ready();
        if (rd.snapshot() != null) {
            throw new IllegalStateException("node " + n.id + " was sent a snapshot: keepEntries is too small");
        }
        n.storage.append(rd.entries());
        if (rd.hardState() != null) {
            n.storage.setHardState(rd.hardState());
        }
        network.addAll(rd.messages());
        for (Entry e : rd.committedEntries()) {
            n.apply(e);
        }
        n.core.advance(rd);
    }

    /** Proposes as many new entries as were applied since the last top-up, so {@code inFlight} stay outstanding. */
    private void topUp() {
        int want = (int) (inFlight - (proposed - leader.nextSeq));
        if (want <= 0) {
            return;
        }
        List<byte[]> batch = new ArrayList<>(want);
        for (int i = 0; i < want; i++) {
            batch.add(payload(proposed++));
        }
        leader.core.proposeAll(batch);
    }

    private byte[] payload(long seq) {
        byte[] b = template.clone();
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (seq >>> (56 - 8 * i));
        }
        return b;
    }

    static long readSeq(byte[] b) {
        long seq = 0;
        for (int i = 0; i < 8; i++) {
            seq = (seq << 8) | (b[i] & 0xff);
        }
        return seq;
    }

    private void drain() {
        for (int i = 0; i < 100_000; i++) {
            if (!round()) {
                return;
            }
        }
        throw new IllegalStateException("cluster did not quiesce: " + describe());
    }

    /** Snapshots (without data: the benchmark's state machine is a hash) and compacts every node's storage. */
    private void compact() {
        lastCompaction = leader.appliedIndex;
        long slowest = Long.MAX_VALUE;
        for (Node n : nodes) {
            slowest = Math.min(slowest, n.appliedIndex);
        }
        long to = slowest - keepEntries;
        if (to <= 0) {
            return;
        }
        for (Node n : nodes) {
            n.storage.createSnapshotAndCompact(to, MEMBERS, NO_DATA);
        }
        compactions++;
    }

    private String describe() {
        StringBuilder sb = new StringBuilder();
        for (Node n : nodes) {
            sb.append(n.core).append(" applied=").append(n.appliedIndex).append(" proposals=").append(n.nextSeq)
                    .append("; ");
        }
        return sb.append("proposed=").append(proposed).toString();
    }
}
