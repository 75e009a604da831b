package io.raftline.raft.sim;

import io.raftline.raft.CoreEvent;
import io.raftline.raft.Entry;
import io.raftline.raft.Membership;
import io.raftline.raft.MembershipChange;
import io.raftline.raft.MembershipChangeException;
import io.raftline.raft.NotLeaderException;
import io.raftline.raft.PeerLiveness;
import io.raftline.raft.Proposal;
import io.raftline.raft.RaftConfig;
import io.raftline.raft.RaftCore;
import io.raftline.raft.ReadState;
import io.raftline.raft.Role;
import io.raftline.raft.Snapshot;
import io.raftline.raft.message.Keepalive;
import io.raftline.raft.message.Message;
import io.raftline.raft.message.VoteRequest;
import io.raftline.storage.SimDisk;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * One seeded schedule of a Raft cluster under faults: a virtual network that delays, drops, duplicates and
 * reorders messages and partitions nodes; crashes of the process (the page cache survives) or of the machine
 * (a power cut: unsynced writes may be lost, kept, or torn); disk faults (a failing write or fsync stops the
 * node; a crash striking in the middle of any I/O sequence, recovery included); restarts that recover
 * through the real durable storage ({@link SimNode}); client proposals, ReadIndex and lease reads, leadership
 * transfers; runtime membership changes (learners added and promoted, voters added and removed, the leader
 * included) proposed at random moments, so crashes, partitions and restarts strike in the middle of them, with
 * one or two extra nodes that start with an empty membership and wait to be added. After every step it checks the safety properties ({@link SafetyChecker}, including that no
 * acknowledged client write is lost) and that every read answer is at least the commit index known anywhere
 * when the read was issued; at every restart the recovered log is checked against what was durable
 * ({@link DurableLogModel}). At the end it heals everything and requires the cluster to commit and apply a new
 * entry on every member of the final leader's membership (liveness after healing).
 *
 * <p>Everything random comes from one {@link SplittableRandom} seeded with the schedule's seed, so a
 * failing seed replays exactly.
 */
public final class Simulation implements SimNode.Observer {

    /** Counters over one schedule (summed over many by the test). */
    public static final class Stats {
        public long schedules;
        public long steps;
        public long delivered;
        public long dropped;
        public long duplicated;
        /** Messages held back for far longer than the network's usual delay (up to several election timeouts). */
        public long stragglers;
        public long crashes;
        public long restarts;
        public long partitions;
        public long elections;
        public long committed;
        public long readsChecked;
        public long transfers;
        public long snapshotsInstalled;
        public long diskFaultsArmed;
        public long acknowledgedWrites;
        public long ackChecks;
        public long membershipChanges;
        public long membershipRefused;
        public long promotions;
        /** Promotions of a learner the leader did not see holding its whole log (see {@link Stress#learnerChurn}). */
        public long laggingPromotions;
        public long leaderRemovals;
        public long removals;
        public long quiescences;
        public long wokenBySilence;
        public final SimDisk.Stats disk = new SimDisk.Stats();
        public final SimNode.Counters durable = new SimNode.Counters();

        public void add(Stats o) {
            diskFaultsArmed += o.diskFaultsArmed;
            membershipChanges += o.membershipChanges;
            membershipRefused += o.membershipRefused;
            promotions += o.promotions;
            laggingPromotions += o.laggingPromotions;
            leaderRemovals += o.leaderRemovals;
            removals += o.removals;
            quiescences += o.quiescences;
            wokenBySilence += o.wokenBySilence;
            acknowledgedWrites += o.acknowledgedWrites;
            ackChecks += o.ackChecks;
            disk.add(o.disk);
            durable.add(o.durable);
            schedules += o.schedules;
            steps += o.steps;
            delivered += o.delivered;
            dropped += o.dropped;
            duplicated += o.duplicated;
            stragglers += o.stragglers;
            crashes += o.crashes;
            restarts += o.restarts;
            partitions += o.partitions;
            elections += o.elections;
            committed += o.committed;
            readsChecked += o.readsChecked;
            transfers += o.transfers;
            snapshotsInstalled += o.snapshotsInstalled;
        }

        @Override
        public String toString() {
            return String.format("schedules=%d steps=%d delivered=%d dropped=%d duplicated=%d stragglers=%d crashes=%d "
                    + "restarts=%d "
                    + "partitions=%d leaders-elected=%d entries-committed=%d reads-checked=%d transfers=%d "
                    + "snapshots-installed=%d acknowledged-writes=%d ack-checks=%d%n  membership: changes=%d "
                    + "(promotions=%d of-lagging-learners=%d removals=%d of-the-leader=%d) refused=%d%n"
                    + "  disk: faults-armed=%d %s%n"
                    + "  quiet groups: quiescences=%d woken-by-silence=%d%n"
                    + "  durable path: %s", schedules, steps, delivered, dropped, duplicated, stragglers, crashes,
                    restarts,
                    partitions, elections, committed, readsChecked, transfers, snapshotsInstalled, acknowledgedWrites,
                    ackChecks, membershipChanges, promotions, laggingPromotions, removals, leaderRemovals, membershipRefused,
                    diskFaultsArmed, disk, quiescences, wokenBySilence, durable);
        }
    }

    private record InFlight(long at, long seq, Message m) {
    }

    private record PendingRead(int node, long issuedAtCommit) {
    }

    /** A client write proposed through a leader, waiting for that leader to apply it. */
    private record PendingWrite(long term, int incarnation) {
    }

    /**
     * Knobs that push schedules where the default mix rarely goes: more nodes, a snapshot (and compaction) every
     * one to eight applied entries, faults more often, membership changes and leadership transfers on top of them so
     * that they overlap, and a network that duplicates up to half the messages and reorders them over up to 15 ticks.
     *
     * @param nodes          the initial voters (0: 3 or 5, drawn from the seed)
     * @param tinySnapshots  snapshot every 1, 2, 3 or 8 applied entries instead of 0, 8 or 30
     * @param faultRange     one fault is drawn from [0, faultRange) per tick; the default 1,000 gives about 5 %
     * @param extraChanges   per mille of ticks with an extra membership change or leadership transfer
     * @param busyNetwork    duplicate up to 50 % of messages and delay them up to 15 ticks (healed back to 8)
     * @param heartbeatsDuringWrites heartbeats and their answers leave while a write is in flight, as the host sends
     *                       them ({@link SimNode#sendHeartbeatsDuringWrites})
     * @param preVote        PreVote on or off in every node, or null to draw it from the seed (on in 80 % of them)
     * @param checkQuorum    CheckQuorum on or off in every node, or null to draw it from the seed (on in 80 %)
     * @param learnerChurn   per mille of ticks with a learner step at the leader ({@link #learnerStep}): a node outside
     *                       the membership added as a learner, a learner promoted as soon as its addition commits (most
     *                       often while it still lags, far behind when it needs a snapshot), or a voter removed so
     *                       that it can come back as a lagging learner later
     */
    public record Stress(int nodes, boolean tinySnapshots, int faultRange, int extraChanges, boolean busyNetwork,
            boolean heartbeatsDuringWrites, Boolean preVote, Boolean checkQuorum, int learnerChurn) {
        /** The default schedules. */
        public static final Stress NONE = new Stress(0, false, 1000, 0, false, false);

        /** PreVote and CheckQuorum drawn from the seed, no learner churn. */
        public Stress(int nodes, boolean tinySnapshots, int faultRange, int extraChanges, boolean busyNetwork,
                boolean heartbeatsDuringWrites) {
            this(nodes, tinySnapshots, faultRange, extraChanges, busyNetwork, heartbeatsDuringWrites, null, null, 0);
        }
    }

    private final Stress stress;
    private final long seed;
    private final SplittableRandom rnd;
    private final List<SimNode> nodes = new ArrayList<>();
    private final SafetyChecker checker;
    private final PriorityQueue<InFlight> network = new PriorityQueue<>(
            (a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
    private final int[] group;
    private final Map<Long, PendingRead> reads = new HashMap<>();
    /** Per node: index → the write proposed there, acknowledged when that node applies it with the same term. */
    private final Map<Integer, Map<Long, PendingWrite>> writes = new HashMap<>();
    private final ArrayDeque<String> trace = new ArrayDeque<>();
    private final Stats stats = new Stats();
    private final int steps;
    private final boolean verbose;
    private long now;
    private long seq;
    private long nextRead = 1;
    private long proposals;
    private double dropRate;
    private double dupRate;
    private int maxDelay;
    private String marker;
    private int markerApplied;
    /** The leader that proposed the final marker, the members at its index once it applied it, and that index. */
    private int markerLeader;
    private Membership markerMembers;
    private long markerIndex;
    /**
     * Whether this schedule's groups quiesce when idle (a third of the seeds). Then every node keeps a
     * {@link PeerLiveness} as a sharded node's host does: keepalives on quiet links, through this same faulty
     * network, and a quiet follower woken when its leader's node has been silent for an election timeout.
     */
    private final boolean quiesce;
    private final Map<Integer, PeerLiveness> liveness = new HashMap<>();
    /**
     * Stragglers (a third of the seeds): a few messages held back for 1 to 8 election timeouts, so that answers
     * reach nodes terms after they were asked for (a heartbeat of a former leader answered by a candidate of a later
     * term: scenario 56). Drawn from a generator of their own, so the other schedules stay what they were.
     */
    private final SplittableRandom stragglerRnd;
    private double stragglerRate;
    private long electionTicksMin;
    private long electionTicksMax;

    public Simulation(long seed, int steps, boolean verbose) {
        this(seed, steps, verbose, Stress.NONE);
    }

    /** A schedule with the given {@link Stress} knobs (with {@link Stress#NONE} exactly the schedule above). */
    public Simulation(long seed, int steps, boolean verbose, Stress stress) {
        this.stress = stress;
        this.seed = seed;
        this.rnd = new SplittableRandom(seed);
        this.steps = steps;
        this.verbose = verbose;
        int n = rnd.nextBoolean() ? 3 : 5;
        if (stress.nodes() > 0) {
            n = stress.nodes();
        }
        boolean preVote = rnd.nextInt(10) < 8;
        boolean checkQuorum = rnd.nextInt(10) < 8;
        // Drawn either way, so that the rest of a seed's schedule stays what it was.
        if (stress.preVote() != null) {
            preVote = stress.preVote();
        }
        if (stress.checkQuorum() != null) {
            checkQuorum = stress.checkQuorum();
        }
        int inflight = rnd.nextBoolean() ? 256 : 1 + rnd.nextInt(4);
        int maxEntries = rnd.nextBoolean() ? 512 : 1 + rnd.nextInt(5);
        long snapshotEvery = new long[] {0, 8, 30}[rnd.nextInt(3)];
        if (stress.tinySnapshots()) {
            snapshotEvery = new long[] {1, 2, 3, 8}[(int) Math.floorMod(seed, 4L)];
        }
        SimNode.DiskTiming timing = new SimNode.DiskTiming(new int[] {0, 1, 3, 8}[rnd.nextInt(4)],
                new int[] {0, 5, 80}[rnd.nextInt(3)], new long[] {512, 4096, 1 << 20}[rnd.nextInt(3)]);
        List<Integer> members = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            members.add(i);
        }
        int joining = rnd.nextInt(3);
        // Decided by a generator of its own, so the schedules of seeds that do not quiesce stay what they were.
        quiesce = new SplittableRandom(~seed).nextInt(3) == 0;
        stragglerRnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 56);
        stragglerRate = stragglerRnd.nextInt(3) == 0 ? 0.002 + stragglerRnd.nextDouble() * 0.01 : 0;
        for (int i = 1; i <= n + joining; i++) {
            RaftConfig c = RaftConfig.builder(i, i <= n ? members : List.of()).tickMs(10).heartbeatMs(50).electionTimeoutMs(250, 500)
                    .preVote(preVote).checkQuorum(checkQuorum).maxInflightMessages(inflight)
                    .maxEntriesPerMessage(maxEntries).quiesceMs(quiesce ? 500 : 0).build();
            nodes.add(new SimNode(c, rnd.nextLong(), snapshotEvery, SimNode.Persistence.DELAYED, timing));
            nodes.get(nodes.size() - 1).sendHeartbeatsDuringWrites(stress.heartbeatsDuringWrites());
            electionTicksMin = c.electionTicksMin();
            electionTicksMax = c.electionTicksMax();
            if (quiesce) {
                liveness.put(i, new PeerLiveness(c.electionTicksMin(), c.heartbeatTicks(), 0));
            }
        }
        group = new int[n + joining + 1];
        checker = new SafetyChecker(nodes);
        dropRate = rnd.nextInt(4) == 0 ? 0 : rnd.nextDouble() * 0.2;
        dupRate = rnd.nextInt(3) == 0 ? 0 : rnd.nextDouble() * 0.1;
        maxDelay = 1 + rnd.nextInt(8);
        if (stress.busyNetwork()) {
            dupRate = rnd.nextDouble() * 0.5;
            maxDelay = 1 + rnd.nextInt(15);
        }
        log("config n=" + n + " joining=" + joining + " prevote=" + preVote + " checkquorum=" + checkQuorum + " inflight=" + inflight
                + " max-entries=" + maxEntries + " snapshot-every=" + snapshotEvery + " " + timing + " drop=" + fmt(dropRate)
                + " dup=" + fmt(dupRate) + " max-delay=" + maxDelay + " stragglers=" + fmt(stragglerRate) + (quiesce ? " quiesce=500ms" : ""));
    }

    /** Runs the schedule; throws {@link AssertionError} with the seed and the trace on any violation. */
    public Stats run() {
        try {
            for (int s = 0; s < steps; s++) {
                step(true);
            }
            healAndRequireProgress();
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("simulation failed for seed " + seed + " at tick " + now + ": " + e.getMessage()
                    + "\nreplay with -Draft.sim.seed=" + seed + "\nlast events:\n" + String.join("\n", trace), e);
        }
        stats.schedules = 1;
        stats.steps = now;
        stats.committed = checker.maxCommitted();
        stats.acknowledgedWrites = checker.acknowledgedWrites();
        stats.ackChecks = checker.ackChecks();
        for (SimNode n : nodes) {
            stats.disk.add(n.disk().stats());
            stats.durable.add(n.counters());
        }
        return stats;
    }

    private void step(boolean faults) {
        now++;
        if (faults) {
            injectFaults();
            if (stress.extraChanges() > 0 && rnd.nextInt(1000) < stress.extraChanges()) {
                // Membership changes and transfers on top of the usual mix, so they overlap each other and faults.
                if (rnd.nextBoolean()) {
                    changeMembership();
                } else {
                    RaftCore leader = leader();
                    if (leader != null) {
                        int target = 1 + rnd.nextInt(nodes.size());
                        leader.transferLeadership(target);
                        stats.transfers++;
                        log("TRANSFER " + leader.id() + " -> " + target);
                    }
                }
            }
        }
        if (faults && stress.learnerChurn() > 0 && rnd.nextInt(1000) < stress.learnerChurn()) {
            learnerStep();
        }
        clients();
        for (SimNode n : nodes) {
            if (n.up()) {
                n.core().tick();
                if (quiesce) {
                    checkLiveness(n);
                    sendKeepalives(n);
                }
            } else {
                n.tickWhileDown();
            }
        }
        deliverDue();
        processAll();
        checker.check();
    }

    private void injectFaults() {
        int r = rnd.nextInt(stress.faultRange());
        if (r < 4) {
            // Leaders are the interesting crash victims: half the crashes hit one if there is one.
            RaftCore leader = rnd.nextBoolean() ? leader() : null;
            SimNode n = leader != null ? nodes.get(leader.id() - 1) : nodes.get(rnd.nextInt(nodes.size()));
            if (n.up()) {
                boolean powerCut = rnd.nextBoolean();
                n.crash(powerCut);
                stats.crashes++;
                log("CRASH " + n.id() + (powerCut ? " with a power cut" : " (process only)"));
            }
        } else if (r < 24) {
            SimNode n = nodes.get(rnd.nextInt(nodes.size()));
            if (!n.up()) {
                stats.restarts++;
                log("RESTART " + n.id());
                if (!n.restart(this)) {
                    log("RESTART " + n.id() + " failed: it crashed during recovery");
                }
            }
        } else if (r < 30) {
            for (int i = 1; i < group.length; i++) {
                group[i] = rnd.nextInt(2);
            }
            stats.partitions++;
            log("PARTITION " + java.util.Arrays.toString(group));
        } else if (r < 40) {
            java.util.Arrays.fill(group, 0);
            log("HEAL");
        } else if (r < 42) {
            RaftCore leader = leader();
            if (leader != null) {
                int target = 1 + rnd.nextInt(nodes.size());
                leader.transferLeadership(target);
                stats.transfers++;
                log("TRANSFER " + leader.id() + " -> " + target);
            }
        } else if (r < 46) {
            armDiskFault(nodes.get(rnd.nextInt(nodes.size())));
        } else if (r < 52) {
            changeMembership();
        }
    }

    /**
     * A random single-server change at a leader: add a learner or a voter (a joining node or a removed one, which
     * comes back with its log), promote a learner, remove a member (the leader itself a third of the time it removes
     * a voter). The core may refuse (a change pending, no-op not committed, last voter): counted, not a failure.
     */
    private void changeMembership() {
        RaftCore leader = leader();
        if (leader == null) {
            return;
        }
        Membership m = leader.membership();
        List<Integer> outsiders = outsiders(m);
        MembershipChange change;
        int kind = rnd.nextInt(5);
        if (kind == 0 && !outsiders.isEmpty()) {
            change = new MembershipChange.AddLearner(outsiders.get(rnd.nextInt(outsiders.size())));
        } else if (kind == 1 && !outsiders.isEmpty()) {
            change = new MembershipChange.AddVoter(outsiders.get(rnd.nextInt(outsiders.size())));
        } else if (kind == 2 && !m.learners().isEmpty()) {
            change = new MembershipChange.Promote(m.learners().get(rnd.nextInt(m.learners().size())));
        } else if (kind == 3 && !m.learners().isEmpty()) {
            change = new MembershipChange.Remove(m.learners().get(rnd.nextInt(m.learners().size())));
        } else if ((kind == 4 || kind == 3) && (m.voters().size() > 2 || rnd.nextInt(4) == 0)) {
            // Shrinking to one or two voters now and then, not for most of the run: replication needs peers.
            int victim = rnd.nextInt(3) == 0 ? leader.id() : m.voters().get(rnd.nextInt(m.voters().size()));
            change = new MembershipChange.Remove(victim);
        } else {
            return;
        }
        propose(leader, change, false);
    }

    /** The nodes of the simulation that {@code m} does not hold. */
    private List<Integer> outsiders(Membership m) {
        List<Integer> outsiders = new ArrayList<>();
        for (SimNode n : nodes) {
            if (!m.contains(n.id())) {
                outsiders.add(n.id());
            }
        }
        return outsiders;
    }

    /**
     * Proposes {@code change} at {@code leader} and counts it, or counts its refusal (a change pending, no-op not
     * committed, last voter: not a failure).
     *
     * @param lagging whether it promotes a learner the leader does not see caught up
     */
    private void propose(RaftCore leader, MembershipChange change, boolean lagging) {
        try {
            leader.changeMembership(change);
            stats.membershipChanges++;
            if (change instanceof MembershipChange.Promote) {
                stats.promotions++;
                if (lagging) {
                    stats.laggingPromotions++;
                }
            } else if (change instanceof MembershipChange.Remove r) {
                stats.removals++;
                if (r.id() == leader.id()) {
                    stats.leaderRemovals++;
                }
            }
            log("MEMBERSHIP " + leader.id() + ": " + change.describe() + (lagging ? " (lagging)" : ""));
        } catch (MembershipChangeException | NotLeaderException e) {
            stats.membershipRefused++;
            log("MEMBERSHIP " + leader.id() + ": " + e.getMessage());
        }
    }

    /**
     * The learner churn of {@link Stress#learnerChurn}: at a leader, promote a learner if there is one (whether or not
     * it has caught up: a host that promotes early, or a learner that fell behind again), else add a node from outside
     * the membership as a learner (a joining node with an empty log, or a removed one with its old log), else remove a
     * voter other than the leader, which comes back as a learner with its old log later. Refusals are counted as for
     * {@link #changeMembership}.
     */
    private void learnerStep() {
        RaftCore leader = leader();
        if (leader == null) {
            return;
        }
        Membership m = leader.membership();
        List<Integer> outsiders = outsiders(m);
        MembershipChange change;
        boolean lagging = false;
        if (!m.learners().isEmpty()) {
            int learner = m.learners().get(rnd.nextInt(m.learners().size()));
            change = new MembershipChange.Promote(learner);
            lagging = !leader.caughtUp(learner, 0);
        } else if (!outsiders.isEmpty()) {
            change = new MembershipChange.AddLearner(outsiders.get(rnd.nextInt(outsiders.size())));
        } else if (m.voters().size() > 2) {
            List<Integer> others = new ArrayList<>(m.voters());
            others.remove(Integer.valueOf(leader.id()));
            change = new MembershipChange.Remove(others.get(rnd.nextInt(others.size())));
        } else {
            return;
        }
        propose(leader, change, lagging);
    }

    /**
     * A fault on one node's disk, firing at its next matching operation: a failing write or fsync (the node must
     * stop), or a crash of the process or the machine just before one of its next disk changes (on a down node:
     * during its recovery).
     */
    private void armDiskFault(SimNode n) {
        SimDisk d = n.disk();
        if (d.faultArmed()) {
            return;
        }
        int kind = n.up() ? rnd.nextInt(3) : 2;
        stats.diskFaultsArmed++;
        switch (kind) {
            case 0 -> {
                d.failNextWrite();
                log("DISK FAULT " + n.id() + ": its next write fails");
            }
            case 1 -> {
                d.failNextFsync();
                log("DISK FAULT " + n.id() + ": its next fsync fails");
            }
            default -> {
                int ops = n.up() ? rnd.nextInt(40) : rnd.nextInt(4);
                boolean powerCut = rnd.nextBoolean();
                d.crashAfter(ops, powerCut);
                log("DISK FAULT " + n.id() + ": " + (powerCut ? "power cut" : "process kill") + " after " + ops
                        + " more disk changes");
            }
        }
    }

    private void clients() {
        if (quiesce && now % 1000 >= 400) {
            // Quiet spells, so groups go quiet and faults strike quiet groups; a rare lease read asks a quiet leader.
            if (rnd.nextInt(200) == 0) {
                leaseRead();
            }
            return;
        }
        if (rnd.nextInt(10) < 3) {
            SimNode n = nodes.get(rnd.nextInt(nodes.size()));
            if (n.up() && n.core().role() == Role.LEADER) {
                try {
                    Proposal p = n.core().propose(("s" + seed + "-" + (++proposals)).getBytes(StandardCharsets.UTF_8));
                    writes.computeIfAbsent(n.id(), k -> new HashMap<>()).put(p.index(),
                            new PendingWrite(p.term(), n.incarnation()));
                } catch (NotLeaderException e) {
                    // transfer in progress: a real client would retry elsewhere
                }
            }
        }
        if (rnd.nextInt(20) == 0) {
            SimNode n = nodes.get(rnd.nextInt(nodes.size()));
            if (n.up()) {
                long ctx = nextRead++;
                try {
                    reads.put(ctx, new PendingRead(n.id(), checker.maxCommitted()));
                    n.core().readIndex(ctx);
                } catch (NotLeaderException e) {
                    reads.remove(ctx);
                }
            }
        }
        if (rnd.nextInt(20) == 0) {
            leaseRead();
        }
    }

    /** A lease read asked of every node that believes it leads: a stale leader's lease is the one that matters. */
    private void leaseRead() {
        for (SimNode n : nodes) {
            if (n.up() && n.core().role() == Role.LEADER) {
                var idx = n.core().leaseReadIndex();
                if (idx.isPresent()) {
                    requireReadSees(n.id(), idx.get().index(), checker.maxCommitted(), "lease read");
                }
            }
        }
    }

    /** A node that believes it leads (there may be a stale one too; any will do for proposals). */
    private RaftCore leader() {
        List<RaftCore> leaders = new ArrayList<>();
        for (SimNode n : nodes) {
            if (n.up() && n.core().role() == Role.LEADER) {
                leaders.add(n.core());
            }
        }
        return leaders.isEmpty() ? null : leaders.get(rnd.nextInt(leaders.size()));
    }

    private void deliverDue() {
        while (!network.isEmpty() && network.peek().at <= now) {
            Message m = network.poll().m;
            SimNode to = nodes.get(m.to() - 1);
            if (!to.up() || group[m.from()] != group[m.to()]) {
                stats.dropped++;
                continue;
            }
            if (quiesce) {
                if (m instanceof VoteRequest && to.core().quiesced()) {
                    checkLiveness(to); // as the host does before a vote request reaches a quiet follower
                }
                liveness.get(to.id()).heard(m.from(), now);
                if (m instanceof Keepalive) {
                    continue;
                }
            }
            stats.delivered++;
            if (verbose) {
                log("deliver " + m.describe());
            }
            boolean wasQuiet = to.core().quiesced();
            to.core().step(m);
            if (!wasQuiet && to.core().quiesced()) {
                stats.quiescences++;
            }
        }
    }

    private void processAll() {
        boolean any = true;
        while (any) {
            any = false;
            for (SimNode n : nodes) {
                while (n.handleReady(now, this::send, this)) {
                    any = true;
                }
            }
        }
    }

    /**
     * The host's side of quiescing: a quiet group whose leader (or a majority of voters) went silent wakes up, a
     * leader learns which members are silent (it may go quiet without them, and wakes when one is heard again).
     */
    private void checkLiveness(SimNode n) {
        RaftCore c = n.core();
        if (c.quiesced() || c.role() == Role.LEADER) {
            boolean wasQuiet = c.quiesced();
            PeerLiveness l = liveness.get(n.id());
            c.checkLiveness(peer -> l.silent(peer, now));
            if (wasQuiet && !c.quiesced()) {
                log("SILENCE seen by " + n.id() + " (" + c.role() + "): its quiet group wakes");
                stats.wokenBySilence++;
            }
        }
    }

    /** A keepalive to every member this node sent nothing for a heartbeat interval (lost, delayed, cut alike). */
    private void sendKeepalives(SimNode n) {
        PeerLiveness l = liveness.get(n.id());
        for (int peer : n.core().membership().all()) {
            if (peer != n.id() && l.keepaliveDue(peer, now)) {
                send(new Keepalive(n.id(), peer));
            }
        }
    }

    private void send(Message m) {
        if (quiesce) {
            liveness.get(m.from()).sent(m.to(), now);
        }
        if (rnd.nextDouble() < dropRate) {
            stats.dropped++;
            return;
        }
        long at = now + 1 + rnd.nextInt(maxDelay);
        if (stragglerRate > 0 && stragglerRnd.nextDouble() < stragglerRate) {
            stats.stragglers++;
            at = now + stragglerRnd.nextLong(electionTicksMin, 8L * electionTicksMax);
        }
        network.add(new InFlight(at, seq++, m));
        if (rnd.nextDouble() < dupRate) {
            stats.duplicated++;
            network.add(new InFlight(now + 1 + rnd.nextInt(maxDelay * 2), seq++, m));
        }
    }

    private void healAndRequireProgress() {
        java.util.Arrays.fill(group, 0);
        dropRate = 0;
        dupRate = 0;
        stragglerRate = 0;
        maxDelay = Math.min(maxDelay, 8); // a round trip must fit in an election timeout, or no election can finish
        for (SimNode n : nodes) {
            n.disk().disarmFaults();
            while (!n.restart(this)) {
                log("RESTART " + n.id() + " failed: it crashed during recovery");
            }
        }
        log("FINAL HEAL: all nodes up, no faults");
        marker = "final-" + seed;
        markerMembers = null;
        long deadline = now + 3000;
        long lastProposal = -1000;
        while (now < deadline) {
            step(false);
            if (markerMembers != null && markerApplied >= markerMembers.all().size()) {
                return;
            }
            RaftCore leader = leader();
            if (leader != null && now - lastProposal > 200) {
                try {
                    leader.propose(marker.getBytes(StandardCharsets.UTF_8));
                    lastProposal = now;
                    markerLeader = leader.id();
                } catch (NotLeaderException e) {
                    // transfer in progress; try again later
                }
            }
        }
        throw new AssertionError("no progress after healing: " + markerApplied + " of " + (markerMembers == null
                ? "?" : markerMembers.all().size()) + " members (" + markerMembers + ") applied the final entry within"
                + " 3000 ticks; roles "
                + nodes.stream().map(n -> n.id() + "=" + (n.up() ? n.core().role() + "/t" + n.core().term() + " last="
                        + n.core().log().lastIndex() + "@" + n.core().log().lastTerm() + " commit="
                        + n.core().log().committed() + " " + n.core().membership() + "@" + n.core().configIndex()
                        + (n.core().stateLost() ? " STATE-LOST" : "") : "down"))
                        .toList());
    }

    // ------------------------------------------------------------ observer

    @Override
    public void event(int node, CoreEvent e) {
        if (e instanceof CoreEvent.LeaderElected) {
            stats.elections++;
        }
        if (!(e instanceof CoreEvent.VoteGranted)) {
            log("[" + node + "] " + ScenarioCluster.describe(e));
        }
    }

    @Override
    public void applied(int node, Entry e, long hashAfter) {
        checker.applied(node, e, hashAfter);
        Map<Long, PendingWrite> mine = writes.get(node);
        PendingWrite w = mine == null ? null : mine.remove(e.index());
        if (w != null && w.term() == e.term() && w.incarnation() == nodes.get(node - 1).incarnation()) {
            // The leader that took the write applied it at its index and term: the client hears "committed".
            checker.acknowledged(node, e, nodes.get(node - 1).core().term());
        }
        if (marker != null && node == markerLeader && new String(e.data(), StandardCharsets.UTF_8).equals(marker)) {
            // The members at the marker's index must all apply it (removed and never-added nodes get no entries).
            markerMembers = nodes.get(node - 1).core().membershipAt(e.index());
            markerIndex = e.index();
        }
        if (markerMembers != null) {
            markerApplied = (int) markerMembers.all().stream()
                    .filter(id -> nodes.get(id - 1).stateIndex() >= markerIndex || id == node && e.index() >= markerIndex)
                    .count();
        }
    }

    @Override
    public void readState(int node, ReadState rs) {
        // Not removed: a duplicated ReadIndexResponse answers the same context again, which hosts must tolerate.
        PendingRead p = reads.get(rs.context());
        if (p == null) {
            throw new AssertionError("read answer for unknown context " + rs.context() + " on node " + node);
        }
        requireReadSees(node, rs.index(), p.issuedAtCommit(), "ReadIndex ctx=" + rs.context());
    }

    private void requireReadSees(int node, long readIndex, long committedAtIssue, String what) {
        stats.readsChecked++;
        if (readIndex < committedAtIssue) {
            throw new AssertionError("linearizability: " + what + " on node " + node + " may read at index "
                    + readIndex + " but index " + committedAtIssue + " was already committed when it was issued");
        }
    }

    @Override
    public void stateRestored(int node, long index, long hash) {
        checker.stateRestored(node, index, hash);
    }

    @Override
    public void note(int node, String text) {
        log("[" + node + "] " + text);
    }

    @Override
    public void snapshotInstalled(int node, Snapshot s) {
        stats.snapshotsInstalled++;
        log("[" + node + "] installed snapshot " + s.index() + "@" + s.term());
    }

    private void log(String line) {
        trace.addLast("t=" + now + " " + line);
        if (trace.size() > 400) {
            trace.removeFirst();
        }
    }

    private static String fmt(double d) {
        return String.format("%.3f", d);
    }
}
