package io.raftline.node;

import io.raftline.kv.KvCodec;
import io.raftline.kv.KvCommand;
import io.raftline.kv.KvResult;
import io.raftline.raft.CoreEvent;
import io.raftline.raft.Entry;
import io.raftline.raft.EntryType;
import io.raftline.raft.HardState;
import io.raftline.raft.RaftConfig;
import io.raftline.raft.Role;
import io.raftline.raft.Snapshot;
import io.raftline.raft.message.Message;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * A deterministic simulation of whole nodes — {@link NodeHost}s, the code that answers clients — in real time:
 * one simulated clock for the world, and for each node a monotonic clock that runs at its own rate (within the
 * configured drift bound) and keeps running while the node is stalled. The core simulator drives cores in
 * ticks; this one drives hosts with timers, so what only real time can break (leases across stalls, tick
 * catch-up bursts, request deadlines, outcomes reported to clients) is checked here, under seeded schedules.
 *
 * <p>Faults: stalls (a node stops as under SIGSTOP or a GC pause: its timer firings, messages, storage
 * completions and client requests wait, and on resume it handles what waited, then its periodic timer catches
 * up in a burst as Netty's does), crashes and restarts, partitions, message delay and loss, slow storage, and
 * disk stalls (every write of one node, or of all of them as on one shared disk, completes only when the stall
 * ends, while the nodes themselves run on). Clients write unique values, and read with linearizable and lease
 * consistency, to any node.
 *
 * <p>Checked, whenever something completes and at the end: a read (lease or linearizable) reflects every write
 * acknowledged before it was issued; an acknowledged write is applied at its revision with its value and never
 * lost; a write reported as not applied ({@code proposal_dropped}) is never applied; every node applies the
 * same entry at each index; at most one leader per term; a write retried under its idempotency key (after a
 * timeout, or a snapshot that replaced the log under it) is written once, and its retries are answered with that
 * write's revision; after healing, every node's state hashes the same at the same applied index. Snapshots are taken
 * every 3 to 10,000 entries, and the work a node does off its thread (decoding a leader's snapshot, serializing and
 * writing its own) completes later, while the node goes on. A failure names the seed and prints the trace.
 */
final class HostSimulation {

    /** Counters of one run. */
    static final class Stats {
        long writesAcked;
        long writesDropped;
        long writesUnknown;
        long leaseReads;
        long leaseReadsServed;
        long linearizableReads;
        long stalls;
        long crashes;
        long partitions;
        long leaderStalls;
        long diskStalls;
        /** Writes acknowledged at or after {@link #countAcksFrom}'s moment. */
        long writesAckedLater;
        /** Terms in which a leader was elected. */
        long elections;
        /** Snapshots from a leader that a node installed, and snapshots a node took of its own state. */
        long snapshotsInstalled;
        long snapshotsTaken;
        /** Entries of retried writes that the idempotency table answered instead of writing again. */
        long retriesAnsweredFromTable;

        void add(Stats o) {
            writesAcked += o.writesAcked;
            writesDropped += o.writesDropped;
            writesUnknown += o.writesUnknown;
            leaseReads += o.leaseReads;
            leaseReadsServed += o.leaseReadsServed;
            linearizableReads += o.linearizableReads;
            stalls += o.stalls;
            crashes += o.crashes;
            partitions += o.partitions;
            leaderStalls += o.leaderStalls;
            diskStalls += o.diskStalls;
            writesAckedLater += o.writesAckedLater;
            elections += o.elections;
            snapshotsInstalled += o.snapshotsInstalled;
            snapshotsTaken += o.snapshotsTaken;
            retriesAnsweredFromTable += o.retriesAnsweredFromTable;
        }

        @Override
        public String toString() {
            return "writes acked=" + writesAcked + " dropped=" + writesDropped + " unknown/timeout=" + writesUnknown
                    + " lease-reads=" + leaseReads + " (served from the lease " + leaseReadsServed + ")"
                    + " linearizable-reads=" + linearizableReads + " stalls=" + stalls + " (of the leader "
                    + leaderStalls + ") disk-stalls=" + diskStalls + " crashes=" + crashes + " partitions=" + partitions
                    + " elections=" + elections + " snapshots installed=" + snapshotsInstalled
                    + " taken=" + snapshotsTaken + " retries-answered-from-table=" + retriesAnsweredFromTable;
        }
    }

    private record Event(long at, long seq, Runnable action) {
    }

    private static final long MS = 1_000_000L;
    /** The value of the write that must reach every node after healing. */
    private static final String FINAL_VALUE = "x";

    private final long seed;
    /** Whether the nemesis runs (off: only what a test schedules itself, on a lossless network). */
    private final boolean faults;
    private final SplittableRandom rnd;
    private final RaftConfig base;
    private final PriorityQueue<Event> queue = new PriorityQueue<>(
            (a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
    private final List<SimHost> nodes = new ArrayList<>();
    private final ArrayDeque<String> trace = new ArrayDeque<>();
    private final Stats stats = new Stats();
    private final int[] group;
    /** A cut link as {@code 10 * lower id + higher id}, or 0. */
    private int cutLink;
    /** Faults and client load are over; the cluster must converge. */
    private boolean healed;
    private long now;
    private long seq;
    private long writes;
    private double dropRate;
    private long maxDelayNanos;
    private long countAcksFrom = Long.MAX_VALUE;

    // What clients were told, and what nodes did.
    private String failure;
    private long ackedMax;
    private final Map<Long, String> ackedAt = new HashMap<>();
    private final Set<String> droppedWrites = new HashSet<>();
    private final Map<Long, Entry> appliedAt = new HashMap<>();
    private final Map<Long, Integer> leaderOfTerm = new HashMap<>();
    /** Each write's value to the index whose entry wrote it (see {@link #checkWrittenOnce}). */
    private final Map<String, Long> writtenAt = new HashMap<>();

    HostSimulation(long seed) {
        this(seed, true);
    }

    /**
     * A run with the nemesis or without it; without it the network neither drops nor delays by more than a
     * millisecond, and only what the test schedules ({@link #stallDisks}) happens.
     */
    HostSimulation(long seed, boolean faults) {
        this.seed = seed;
        this.faults = faults;
        this.rnd = new SplittableRandom(seed);
        List<Integer> members = List.of(1, 2, 3);
        double drift = RaftConfig.DEFAULT_MAX_CLOCK_DRIFT;
        this.base = RaftConfig.builder(1, members).tickMs(10).heartbeatMs(50).electionTimeoutMs(250, 500)
                .maxClockDrift(drift).snapshotIntervalEntries(new int[] {3, 8, 40, 10_000}[rnd.nextInt(4)]).build();
        group = new int[members.size() + 1];
        dropRate = rnd.nextInt(3) == 0 || !faults ? 0 : rnd.nextDouble() * 0.05;
        maxDelayNanos = faults ? (1 + rnd.nextInt(20)) * MS : MS;
        for (int id : members) {
            // Each clock runs fast or slow by up to the drift bound the configuration promises.
            double rate = 1 + (rnd.nextDouble() * 2 - 1) * drift;
            nodes.add(new SimHost(id, rate, rnd.nextLong()));
        }
        log("config drop=" + dropRate + " max-delay=" + maxDelayNanos / MS + "ms snapshot-every="
                + base.snapshotIntervalEntries() + " clock rates=" + nodes.stream().map(n -> String.format("%.4f", n.rate)).toList());
    }

    /** Runs {@code seconds} of faults and load, then heals and requires every node to converge. */
    Stats run(int seconds) {
        try {
            for (SimHost n : nodes) {
                n.start();
            }
            long end = seconds * 1000 * MS;
            if (faults) {
                schedule(0, this::nemesis);
            }
            schedule(0, this::client);
            runUntil(end);
            healAndConverge();
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("host simulation failed for seed " + seed + " at " + now / MS + " ms: "
                    + e.getMessage() + "\nreplay with -Draftline.hostsim.seed=" + seed + "\nlast events:\n"
                    + String.join("\n", trace), e);
        }
        return stats;
    }

    // ------------------------------------------------------------ the world

    private void schedule(long delay, Runnable action) {
        queue.add(new Event(now + delay, seq++, action));
    }

    private void runUntil(long end) {
        while (!queue.isEmpty() && queue.peek().at <= end) {
            Event e = queue.poll();
            now = e.at;
            e.action.run();
            if (failure != null) {
                throw new AssertionError(failure);
            }
        }
        now = end;
    }

    private void nemesis() {
        if (healed) {
            return;
        }
        int r = rnd.nextInt(100);
        if (r < 35) {
            SimHost n = rnd.nextInt(3) > 0 ? leaderOrAny() : nodes.get(rnd.nextInt(nodes.size()));
            if (n.up() && !n.stalled) {
                // Shorter and longer than an election timeout: both must be safe.
                long ms = rnd.nextBoolean() ? 50 + rnd.nextInt(300) : 500 + rnd.nextInt(2500);
                stats.stalls++;
                if (n.host.core() != null && n.host.core().role() == Role.LEADER) {
                    stats.leaderStalls++;
                }
                n.stall(ms * MS);
            }
        } else if (r < 50) {
            SimHost n = nodes.get(rnd.nextInt(nodes.size()));
            if (n.up()) {
                stats.crashes++;
                n.crash();
                schedule((100 + rnd.nextInt(1500)) * MS, n::restart);
            }
        } else if (r < 65) {
            for (int i = 1; i < group.length; i++) {
                group[i] = rnd.nextInt(2);
            }
            stats.partitions++;
            log("PARTITION " + Arrays.toString(group));
        } else if (r < 75) {
            // One link down in both directions, the rest up: a non-transitive partition, where a node can hear
            // a leader and a candidate that cannot hear each other.
            int a = 1 + rnd.nextInt(3);
            int b = 1 + (a + rnd.nextInt(2)) % 3;
            cutLink = Math.min(a, b) * 10 + Math.max(a, b);
            stats.partitions++;
            log("CUT link " + a + "-" + b);
        } else if (r < 80) {
            // A stalled disk: one node's, or every node's at once as when they share one. Shorter and longer
            // than an election timeout; the nodes run on, only their writes wait.
            long ms = rnd.nextBoolean() ? 50 + rnd.nextInt(300) : 500 + rnd.nextInt(2500);
            if (rnd.nextBoolean()) {
                stallDisks(now, ms, nodes.get(rnd.nextInt(nodes.size())).id);
            } else {
                stallDisks(now, ms, 1, 2, 3);
            }
        } else if (r < 92) {
            Arrays.fill(group, 0);
            cutLink = 0;
            log("HEAL");
        }
        schedule((200 + rnd.nextInt(1500)) * MS, this::nemesis);
    }

    /**
     * From {@code at} (simulated nanoseconds) for {@code ms}, every write to the disks of {@code ids} completes only
     * when the stall ends (a write issued before it and not completed yet waits too).
     */
    void stallDisks(long at, long ms, int... ids) {
        schedule(Math.max(0, at - now), () -> {
            stats.diskStalls++;
            log("DISK STALL " + Arrays.toString(ids) + " for " + ms + "ms");
            for (int id : ids) {
                SlowStore store = nodes.get(id - 1).store;
                store.stalledUntil = Math.max(store.stalledUntil, now + ms * MS);
            }
        });
    }

    /** Raft log writes of 100 ms or more that node {@code id}'s host counted (what {@code /metrics} reports). */
    long slowWrites(int id) {
        return nodes.get(id - 1).host.status().storage().slowWrites();
    }

    /** Counts the writes acknowledged from {@code at} (simulated nanoseconds) on in {@link Stats#writesAckedLater}. */
    void countAcksFrom(long at) {
        countAcksFrom = at;
    }

    /** From {@code at} for {@code ms}, stalls the disk of whichever node leads then (see {@link #stallDisks}). */
    void stallLeaderDisk(long at, long ms) {
        schedule(Math.max(0, at - now), () -> stallDisks(now, ms, leaderOrAny().id));
    }

    private boolean linked(int a, int b) {
        return group[a] == group[b] && cutLink != Math.min(a, b) * 10 + Math.max(a, b);
    }

    private SimHost leaderOrAny() {
        for (SimHost n : nodes) {
            if (n.up() && n.host.core() != null && n.host.core().role() == Role.LEADER) {
                return n;
            }
        }
        return nodes.get(rnd.nextInt(nodes.size()));
    }

    private void client() {
        if (healed) {
            return;
        }
        SimHost n = rnd.nextInt(2) == 0 ? leaderOrAny() : nodes.get(rnd.nextInt(nodes.size()));
        int op = rnd.nextInt(10);
        if (op < 5) {
            write(n);
        } else if (op < 8) {
            read(n, ReadConsistency.LEASE);
        } else {
            read(n, ReadConsistency.LINEARIZABLE);
        }
        schedule((1 + rnd.nextInt(15)) * MS, this::client);
    }

    private void write(SimHost n) {
        String value = "w" + (++writes);
        KvCommand put = new KvCommand.Put("k" + rnd.nextInt(8), value.getBytes(StandardCharsets.UTF_8),
                KvCommand.UNCONDITIONAL, "idem-" + value);
        write(n, put, value, 0);
    }

    /**
     * Sends one attempt of a write; a write whose outcome is unknown (a timeout, a snapshot that replaced the log under
     * it) is sent again under the same idempotency key, to any node, as a client would.
     */
    private void write(SimHost n, KvCommand put, String value, int attempt) {
        n.request(() -> n.host.propose(put)).onComplete(ar -> {
            if (ar.succeeded()) {
                long rev = ((KvResult.Written) ar.result()).revision();
                stats.writesAcked++;
                if (now >= countAcksFrom) {
                    stats.writesAckedLater++;
                }
                ackedAt.put(rev, value);
                ackedMax = Math.max(ackedMax, rev);
                Entry e = appliedAt.get(rev);
                if (e != null) {
                    requireEntryIs(e, value, "acknowledged write");
                }
            } else if (ar.cause() instanceof NodeRequestException nre) {
                switch (nre.reason()) {
                    case PROPOSAL_DROPPED -> {
                        stats.writesDropped++;
                        if (attempt == 0) {
                            // Only the first attempt's: a retry's entry that was dropped says nothing of the earlier
                            // attempts', one of which may have been applied.
                            droppedWrites.add(value);
                        }
                        for (Entry e : appliedAt.values()) {
                            requireNotDropped(e);
                        }
                    }
                    case OUTCOME_UNKNOWN, TIMEOUT -> {
                        stats.writesUnknown++;
                        if (attempt < 4 && !healed) {
                            schedule(rnd.nextLong(50 * MS), () -> write(nodes.get(rnd.nextInt(nodes.size())), put,
                                    value, attempt + 1));
                        }
                    }
                    default -> {
                        // refused before it was proposed: nothing to check
                    }
                }
            }
        });
    }

    private void read(SimHost n, ReadConsistency c) {
        long mustSee = ackedMax;
        if (c == ReadConsistency.LEASE) {
            stats.leaseReads++;
        } else {
            stats.linearizableReads++;
        }
        int id = n.id;
        n.request(() -> {
            long before = n.host.leaseReadsServed();
            Future<KvView> f = n.host.read(c);
            stats.leaseReadsServed += n.host.leaseReadsServed() - before;
            return f;
        }).onSuccess(view -> {
            if (view.appliedIndex() < mustSee) {
                fail("stale " + c + " read on node " + id + ": it reflects index "
                        + view.appliedIndex() + " but the write at revision " + mustSee
                        + " was acknowledged before the read was issued");
            }
        });
    }

    private void healAndConverge() {
        healed = true;
        Arrays.fill(group, 0);
        cutLink = 0;
        dropRate = 0;
        log("FINAL HEAL");
        for (SimHost n : nodes) {
            if (n.stalled) {
                n.resume();
            }
            if (!n.up()) {
                n.restart();
            }
        }
        // A final write through whoever leads must reach every node.
        long deadline = now + 20_000 * MS;
        long marker = -1;
        while (now < deadline) {
            runUntil(now + 100 * MS);
            SimHost leader = null;
            for (SimHost n : nodes) {
                if (n.up() && n.host.core() != null && n.host.core().role() == Role.LEADER) {
                    leader = n;
                }
            }
            if (leader != null && marker < 0) {
                Future<KvResult> f = leader.host.propose(new KvCommand.Put("final",
                        FINAL_VALUE.getBytes(StandardCharsets.UTF_8)));
                runUntil(now + 50 * MS);
                if (f.succeeded()) {
                    marker = ((KvResult.Written) f.result()).revision();
                }
            }
            if (marker > 0 && allApplied(Math.max(ackedMax, marker))) {
                break;
            }
        }
        if (marker < 0 || !allApplied(Math.max(ackedMax, marker))) {
            throw new AssertionError("no convergence after healing: " + nodes.stream().map(n -> n.id + "="
                    + n.host.status().roleName() + "@" + n.host.status().applied()).toList());
        }
        if (failure != null) {
            throw new AssertionError(failure);
        }
        requireSameState();
        for (Map.Entry<Long, String> a : ackedAt.entrySet()) {
            Entry e = appliedAt.get(a.getKey());
            if (e == null) {
                throw new AssertionError("acknowledged write " + a.getValue() + " at revision " + a.getKey()
                        + " was never applied by any node");
            }
            requireEntryIs(e, a.getValue(), "acknowledged write");
        }
    }

    /**
     * Every node's key-value state, however it got there (applying each entry, a snapshot from the leader, a restart
     * that rebuilt it from its own snapshot and log), is the same once they have applied the same entries: the hashes
     * of their states at one applied index are equal. Nothing is written any more, so the indexes line up.
     */
    private void requireSameState() {
        List<StateDigest> digests = new ArrayList<>();
        for (int round = 0; round < 100 && !sameIndex(digests); round++) {
            runUntil(now + 100 * MS);
            List<Future<StateDigest>> asked = new ArrayList<>();
            for (SimHost n : nodes) {
                asked.add(n.request(n.host::digest));
            }
            runUntil(now + 1_000 * MS); // the hash is computed off the node's thread, up to 700 ms
            digests.clear();
            for (Future<StateDigest> f : asked) {
                if (f.succeeded()) {
                    digests.add(f.result());
                }
            }
        }
        if (!sameIndex(digests)) {
            throw new AssertionError("the nodes never stood at the same applied index: " + digests);
        }
        if (digests.stream().map(StateDigest::stateHash).distinct().count() != 1) {
            throw new AssertionError("the nodes' states differ at the same applied index: " + digests);
        }
    }

    private boolean sameIndex(List<StateDigest> digests) {
        return digests.size() == nodes.size() && digests.stream().map(StateDigest::appliedIndex).distinct().count() == 1;
    }

    private boolean allApplied(long index) {
        return nodes.stream().allMatch(n -> n.host.status().applied() >= index);
    }

    private void applied(int node, Entry e) {
        Entry first = appliedAt.putIfAbsent(e.index(), e);
        if (first != null && !first.equals(e)) {
            fail("state machine safety: node " + node + " applied " + e.describe() + " but "
                    + first.describe() + " was applied at that index before");
        }
        String acked = ackedAt.get(e.index());
        if (acked != null) {
            requireEntryIs(e, acked, "acknowledged write");
        }
        requireNotDropped(e);
    }

    /**
     * A client's write is applied once whatever its retries: the first of its entries to be applied writes it (its
     * result's revision is the entry's index), and every later one, a retry under the same idempotency key, is answered
     * from the table with that revision, on every node, whether the node applied the first entry itself or took it
     * from a snapshot (whose table must carry the record).
     */
    private void checkWrittenOnce(int node, Entry e, KvResult result) {
        String v = valueOf(e);
        if (v == null || v.equals(FINAL_VALUE)) {
            return; // a no-op, or the final marker, which has no idempotency key and may be proposed again
        }
        if (!(result instanceof KvResult.Written w)) {
            fail("node " + node + " applied " + v + " at " + e.index() + " as " + result);
            return;
        }
        if (w.revision() == e.index()) {
            Long first = writtenAt.putIfAbsent(v, e.index());
            if (first != null && first != e.index()) {
                fail("idempotency: node " + node + " wrote " + v + " again at " + e.index() + ", first written at "
                        + first);
            }
        } else {
            stats.retriesAnsweredFromTable++;
            Long first = writtenAt.get(v);
            if (first != null && first != w.revision()) {
                fail("idempotency: node " + node + " answered the retry of " + v + " at " + e.index()
                        + " with revision " + w.revision() + ", but it was written at " + first);
            }
        }
    }

    /** The value a client wrote with this entry, or null for a no-op. */
    private static String valueOf(Entry e) {
        if (e.type() != EntryType.NORMAL) {
            return null;
        }
        return KvCodec.decode(e.data()) instanceof KvCommand.Put p ? new String(p.value(), StandardCharsets.UTF_8) : null;
    }

    private void requireEntryIs(Entry e, String value, String what) {
        if (!value.equals(valueOf(e))) {
            fail(what + " " + value + " at revision " + e.index() + " but the entry applied there is " + e.describe());
        }
    }

    private void requireNotDropped(Entry e) {
        String v = valueOf(e);
        if (v != null && droppedWrites.contains(v)) {
            fail("write " + v + " was reported as not applied (proposal_dropped) but was applied at index " + e.index());
        }
    }

    /** How long a worker takes: mostly a few milliseconds, one time in four up to 700 ms (a large state). */
    private long workerDelay() {
        return rnd.nextInt(4) == 0 ? rnd.nextLong(700 * MS) : rnd.nextLong(30 * MS);
    }

    /** Records the first violation; the run stops at the next event (handlers may run inside futures). */
    private void fail(String what) {
        if (failure == null) {
            failure = what;
        }
    }

    private void log(String line) {
        trace.addLast(now / MS + "ms " + line);
        if (trace.size() > 300) {
            trace.removeFirst();
        }
    }

    // ------------------------------------------------------------ one node

    /** One node: its host, its clock, its timer, its stalls and its (slow) disk. */
    private final class SimHost implements HostEnvironment, NodeListener {
        final int id;
        final double rate;
        final long clockOrigin;
        final SlowStore store = new SlowStore(this);
        final NodeHost host;
        TickGate gate;
        boolean stalled;
        boolean started;
        final ArrayDeque<Runnable> backlog = new ArrayDeque<>();
        int missedFirings;
        boolean flushScheduled;
        long life;

        SimHost(int id, double rate, long seed) {
            this.id = id;
            this.rate = rate;
            this.clockOrigin = Math.floorMod(seed, 1_000_000_000_000L);
            RaftConfig c = base.toBuilder().build();
            RaftConfig own = RaftConfig.builder(id, c.members()).tickMs(c.tickMs()).heartbeatMs(c.heartbeatMs())
                    .electionTimeoutMs(c.electionTimeoutMinMs(), c.electionTimeoutMaxMs())
                    .maxClockDrift(c.maxClockDrift()).snapshotIntervalEntries(c.snapshotIntervalEntries()).build();
            this.host = new NodeHost(new NodeOptions(own, seed, 10_000, 2_000), store, this, this);
        }

        boolean up() {
            return host.up();
        }

        void start() {
            host.boot();
            gate = new TickGate(base.tickMs() * MS, nanoTime());
            started = true;
            scheduleTimer(++life);
        }

        /** The periodic tick timer, firing every tick of this node's own clock. */
        private void scheduleTimer(long forLife) {
            schedule((long) (base.tickMs() * MS / rate), () -> {
                if (forLife != life) {
                    return;
                }
                if (stalled) {
                    missedFirings++;
                } else if (gate.due(nanoTime())) {
                    host.tick();
                }
                scheduleTimer(forLife);
            });
        }

        void stall(long nanos) {
            stalled = true;
            log("STALL " + id + " for " + nanos / MS + "ms" + (host.core() != null ? " (" + host.core().role() + ")" : ""));
            schedule(nanos, this::resume);
        }

        void resume() {
            if (!stalled) {
                return;
            }
            stalled = false;
            log("RESUME " + id + " with " + backlog.size() + " held inputs and " + missedFirings + " missed timer firings");
            // What arrived while stopped is handled first, then the timer catches up in a burst (as Netty's
            // fixed-rate timers do): the gate must keep that burst from running the clock ahead.
            while (!stalled && !backlog.isEmpty()) {
                backlog.poll().run();
            }
            for (; missedFirings > 0; missedFirings--) {
                if (gate.due(nanoTime())) {
                    host.tick();
                }
            }
        }

        void crash() {
            log("CRASH " + id);
            stalled = false;
            backlog.clear();
            missedFirings = 0;
            store.crash();
            host.crash();
            life++;
        }

        void restart() {
            if (host.up()) {
                return;
            }
            log("RESTART " + id);
            host.restart();
            gate = new TickGate(base.tickMs() * MS, nanoTime());
            scheduleTimer(++life);
        }

        /** A client request handled on this node's thread (held while it is stalled). */
        <T> Future<T> request(java.util.function.Supplier<Future<T>> op) {
            Promise<T> p = Promise.promise();
            schedule(0, () -> exec(() -> op.get().onComplete(p)));
            return p.future();
        }

        void exec(Runnable r) {
            if (stalled) {
                backlog.add(r);
            } else {
                r.run();
            }
        }

        // HostEnvironment

        @Override
        public long nanoTime() {
            return clockOrigin + (long) (now * rate);
        }

        @Override
        public void send(Message m) {
            if (rnd.nextDouble() < dropRate || !linked(m.from(), m.to())) {
                return;
            }
            SimHost to = nodes.get(m.to() - 1);
            schedule(rnd.nextLong(maxDelayNanos + 1), () -> {
                if (linked(m.from(), m.to())) {
                    to.exec(() -> to.host.step(m));
                }
            });
        }

        @Override
        public void runOnLoop(Runnable r) {
            schedule(0, () -> exec(r));
        }

        @Override
        public void scheduleFlush() {
            if (!flushScheduled) {
                flushScheduled = true;
                schedule(0, () -> exec(() -> {
                    flushScheduled = false;
                    host.flush();
                }));
            }
        }

        @Override
        public <T> Future<T> offload(Callable<T> work) {
            // Off the node's thread: decoding a leader's snapshot, serializing one's own, hashing the state. It takes
            // a while (sometimes longer than an election timeout), and the node goes on meanwhile.
            Promise<T> p = Promise.promise();
            schedule(workerDelay(), () -> {
                try {
                    p.complete(work.call());
                } catch (Exception e) {
                    p.fail(e);
                }
            });
            return p.future();
        }

        @Override
        public long randomLong() {
            return rnd.nextLong();
        }

        // NodeListener

        @Override
        public void coreEvent(int node, long term, Role role, CoreEvent event) {
            if (event instanceof CoreEvent.LeaderElected le) {
                Integer prev = leaderOfTerm.putIfAbsent(le.term(), node);
                if (prev == null) {
                    stats.elections++;
                }
                if (prev != null && prev != node) {
                    fail("election safety: nodes " + prev + " and " + node + " both led term "
                            + le.term());
                }
                log("[" + node + "] leader of term " + le.term());
            } else if (event instanceof CoreEvent.StateChange sc && sc.from() != sc.to()) {
                log("[" + node + "] " + sc.from() + " -> " + sc.to() + " t" + sc.term() + ": " + sc.reason());
            }
        }

        @Override
        public void snapshotInstalled(int node, long index) {
            stats.snapshotsInstalled++;
            log("[" + node + "] installed snapshot " + index);
        }

        @Override
        public void snapshotTaken(int node, long index) {
            stats.snapshotsTaken++;
        }

        @Override
        public void applied(int node, Entry entry, KvResult result) {
            HostSimulation.this.applied(node, entry);
            checkWrittenOnce(node, entry, result);
        }
    }

    /**
     * The node's disk: a {@link MemoryLogStore} whose writes take a while. A write is durable only once it
     * completes; a crash before that loses it (the store keeps only completed writes).
     */
    private final class SlowStore extends ForwardingLogStore {
        private final SimHost owner;
        private long epoch;
        /** Simulated time until which writes do not complete (a stalled disk). */
        long stalledUntil;

        SlowStore(SimHost owner) {
            this.owner = owner;
        }

        void crash() {
            epoch++;
        }

        @Override
        public Future<Void> persist(Snapshot snapshot, List<Entry> entries, HardState hardState, boolean sync) {
            Promise<Void> done = Promise.promise();
            long myEpoch = epoch;
            long delay = sync ? rnd.nextLong(3 * MS) : 0;
            schedule(delay, () -> complete(myEpoch, done, () -> inner.persist(snapshot, entries, hardState, sync)));
            return done.future();
        }

        /** Completes a write on the owner's thread, once any disk stall is over. */
        private void complete(long myEpoch, Promise<Void> done, Runnable write) {
            if (now < stalledUntil) {
                schedule(stalledUntil - now, () -> complete(myEpoch, done, write));
                return;
            }
            owner.exec(() -> {
                if (myEpoch == epoch) {
                    write.run();
                    done.complete();
                }
            });
        }

        @Override
        public Future<Void> compact(long index, io.raftline.raft.Membership membership, byte[] data) {
            // Written on a worker of its own while the node goes on, as DurableLogStore does: a leader's snapshot may
            // replace the log meanwhile, and a compaction it already covers changes nothing (as in DurableStorage).
            Promise<Void> done = Promise.promise();
            long myEpoch = epoch;
            schedule(workerDelay(), () -> complete(myEpoch, done, () -> {
                if (index > inner.storage().firstIndex() - 1) {
                    inner.compact(index, membership, data);
                }
            }));
            return done.future();
        }
    }
}
