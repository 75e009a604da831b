package io.raftline.node;

import io.raftline.kv.EntryFromNewerReleaseException;
import io.raftline.kv.KvChange;
import io.raftline.kv.KvCodec;
import io.raftline.kv.KvCommand;
import io.raftline.kv.KvFormatException;
import io.raftline.kv.KvResult;
import io.raftline.kv.KvSnapshot;
import io.raftline.kv.KvStateMachine;
import io.raftline.node.NodeRequestException.Reason;
import io.raftline.raft.CoreEvent;
import io.raftline.raft.Entry;
import io.raftline.raft.EntryType;
import io.raftline.raft.LeaseRead;
import io.raftline.raft.Membership;
import io.raftline.raft.MembershipChange;
import io.raftline.raft.MembershipChangeException;
import io.raftline.raft.NotLeaderException;
import io.raftline.raft.PeerLiveness;
import io.raftline.raft.Proposal;
import io.raftline.raft.RaftConfig;
import io.raftline.raft.RaftCore;
import io.raftline.raft.ReadState;
import io.raftline.raft.Ready;
import io.raftline.raft.Role;
import io.raftline.raft.Snapshot;
import io.raftline.raft.SoftState;
import io.raftline.raft.Status;
import io.raftline.raft.message.AppendRequest;
import io.raftline.raft.message.AppendResponse;
import io.raftline.raft.message.Heartbeat;
import io.raftline.raft.message.Keepalive;
import io.raftline.raft.message.Message;
import io.raftline.raft.message.SnapshotRequest;
import io.raftline.raft.message.TimeoutNow;
import io.raftline.raft.message.VoteRequest;
import io.raftline.raft.storage.Storage;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything a Raft node does around its {@link RaftCore}, as plain single-threaded Java: it feeds the core
 * ticks, messages and client requests, handles every {@link Ready} in the order the core requires (persist
 * through the {@link LogStore}, send, install the snapshot and apply committed entries to the
 * {@link KvStateMachine}, serve read states, {@code advance}), takes snapshots, and decides what each client
 * is told ({@link PendingRequests}, {@link LeaseClock}).
 *
 * <p>It has no thread, timer or clock of its own: its {@link HostEnvironment} gives it a monotonic clock, the
 * transport and a way to continue on its thread when a write or an off-loop computation completes. The node
 * verticle runs it on one Vert.x event loop; a test harness runs it with a simulated clock, stalls and an
 * in-memory network, deterministically.
 *
 * <p>Proposals made in one turn are handed to the core together ({@code proposeAll}) and so share one Ready,
 * one persist and one AppendEntries per follower. A leader sends its own AppendEntries while its write is on
 * its way to disk (thesis §10.2.1); votes and acknowledgements leave only once the write is durable.
 *
 * <p>Life cycle: {@link #crash()} drops the core, the state machine and every pending request and keeps only
 * the log store (the "disk"); {@link #restart()} recovers the store and rebuilds the state machine by replaying
 * it from its snapshot: event sourcing is the recovery path. {@link #pause()} cuts the node off (no ticks,
 * messages dropped, clients refused).
 */
public final class NodeHost {

    private static final Logger LOG = LoggerFactory.getLogger(NodeHost.class);

    /**
     * How many entries a learner may lag behind the leader's last index and still be promoted. A voter that lags
     * counts toward the quorum without helping to reach it: promoting a learner still catching up (by snapshot,
     * say) would make every commit wait for the other voters alone, or stall a cluster that has lost one.
     */
    public static final long PROMOTE_MAX_LAG = 1000;
    /** Most changes a node keeps for watchers that start in the past or resume (a sharded node's groups share it). */
    public static final int HISTORY_MAX_CHANGES = 100_000;
    /** Most bytes of serialized changes (keys, values, a header each) a node keeps for watchers (shared likewise). */
    public static final long HISTORY_MAX_BYTES = 64L * 1024 * 1024;
    /** A Ready's write that takes this long is logged (a third of the minimum election timeout of conf/node-*.json). */
    static final long SLOW_PERSIST_MS = 100;

    private final NodeOptions options;
    private final RaftConfig config;
    private final LogStore store;
    private final NodeListener listener;
    private final HostEnvironment env;
    private final SplittableRandom seeds;
    /**
     * The node's liveness record, shared by its groups' hosts, when its groups may quiesce (null otherwise: nothing
     * is recorded and no keepalive is sent, as before quiescing existed).
     */
    private final PeerLiveness liveness;
    /** Whether this host sends the node's keepalives (one host per node does: group 0's). */
    private final boolean sendsKeepalives;

    private RaftCore core;
    private KvStateMachine kv;
    private boolean up;
    private boolean paused;
    /** The restart on its way, or null (touched on the node's event loop). */
    private Future<Void> restarting;
    /** Bumped by every crash, so continuations from an earlier life are ignored. */
    private long generation;
    /** When this host last stopped ({@link HostEnvironment#nanoTime}), or {@link Long#MIN_VALUE} before it did. */
    private long stoppedAt = Long.MIN_VALUE;
    private boolean persistInFlight;
    /** When the write in flight started ({@link HostEnvironment#nanoTime}), while {@link #persistInFlight}. */
    private long persistStarted;
    /** Writes that took {@link #SLOW_PERSIST_MS} or more since the host was created (read by status requests). */
    private volatile long slowWrites;
    private boolean snapshotInFlight;
    /**
     * The leader's snapshot the core took, with the state decoded from it, until the Ready that carries it installs
     * that state; null otherwise. A snapshot is decoded before the core sees it (see {@link #stepSnapshot}).
     */
    private ReceivedSnapshot received;
    /** The leader's snapshot being decoded off the node's thread, not yet seen by the core; null otherwise. */
    private Snapshot decoding;
    private long appliedBytesSinceSnapshot;
    /**
     * Where this node takes its next snapshot: the configured intervals less up to a quarter of them, drawn anew after
     * each snapshot. Every node of a cluster applies the same entries within milliseconds of the others, so with the
     * intervals as they are, all of them serialized, wrote and fsynced their state at once (the three nodes of
     * conf/node-[123].json within 0.4 s of each other, at every interval): the whole cluster's CPU and disk were
     * busy together, and a commit needs the leader and one follower. Drawn apart, they seldom overlap.
     */
    private final SplittableRandom snapshotPoints;
    private long snapshotDueEntries;
    private long snapshotDueBytes;
    private long loggedCommit;
    /** Ticks delivered to this host since it started, to compare the core's clock with real time in the log. */
    private long ticks;
    /**
     * Per peer, when it was last heard from (monotonic nanoseconds) and {@link #ticks} then: a role change's log line
     * says both, so a timeout that ran out while messages were late (hundreds of ms and as many ticks) can be told from
     * a clock that ran ahead of real time (many ticks in few ms).
     */
    private final TreeMap<Integer, long[]> lastHeard = new TreeMap<>();
    /**
     * At most one line per node per this many nanoseconds for a campaign round that follows a failed one (no leader in
     * between), all the node's groups together. A node that campaigns in vain (a removed node restarted under its old
     * membership, a node whose peers are all down) started a round per group every election timeout, each logged:
     * 287 lines in 10 s for a removed node of 16 groups, for as long as it ran.
     */
    static final long REPEAT_CAMPAIGN_LOG_NANOS = 10_000_000_000L;
    /**
     * Per node id, when a repeated round was last logged (the host's clock), shared by the node's groups. Static since
     * nothing else is shared by a node's groups in every mode; it only ever holds back log lines.
     */
    private static final java.util.concurrent.ConcurrentHashMap<Integer, long[]> REPEAT_CAMPAIGN_LOGGED =
            new java.util.concurrent.ConcurrentHashMap<>();
    private Role lastRole;
    private int lastLeader;
    private long lastTerm;
    /** Published for {@link #knownLeader()}, read from other threads. */
    private volatile int leaderView;
    private PendingRequests pending;
    private LeaseClock leaseClock;
    /** Lease reads served from the lease, and those that had to confirm leadership with a round instead. */
    private long leaseReadsServed;
    private long leaseReadsConfirmed;
    /**
     * The highest commit index the leader of {@link #leaderCommitTerm} announced in an AppendEntries or confirmed in
     * answer to a ReadIndex request ({@link #confirmLeaderCommit}). Heartbeats do not count: a leader sends each
     * follower {@code min(match, commit)}, so a follower that restarted behind a compacted log, and waits for the
     * snapshot, hears its own old index there and would count itself caught up.
     */
    private long leaderCommit;
    private long leaderCommitTerm;
    /**
     * When the leader last confirmed its commit index to {@link #confirmLeaderCommit} (monotonic nanoseconds), in which
     * term and which leader it was; leader 0: not in this life.
     */
    private long confirmedAt;
    private long confirmedTerm;
    private int confirmedLeader;
    /** How long a confirmation stands for the next ones (see {@link #confirmLeaderCommit}). */
    static final long CONFIRMATION_STANDS_NANOS = 5_000_000_000L;
    /** Recent changes, for watchers; rebuilt at boot from the entries after the snapshot. */
    private ChangeHistory history;
    private final List<Watcher> watchers = new ArrayList<>();
    /** Per peer, the highest log index this node saw it hold in this process's life ({@link #noteLogSeen}). */
    private final Map<Integer, Long> logSeen = new HashMap<>();
    /**
     * Since when (monotonic nanoseconds, at a tick) this node has known no leader, while {@link #leaderless}: a watch
     * on a node cut off from its leader would stay open and silent while the others commit, so after
     * {@link NodeOptions#watchLeaderlessMs()} its watches end and new ones are refused.
     */
    private long leaderlessSince;
    private boolean leaderless;
    private final List<KvChange> appliedChanges = new ArrayList<>();
    /** The membership this node last knew, kept across crashes for its status. */
    private Membership lastMembership = Membership.EMPTY;
    private long lastConfigIndex;
    /** A leadership transfer a client waits for: completes when this node sees the target lead. */
    private Promise<Void> transfer;
    private int transferTarget;
    private long transferDeadline;
    /** The core stopped waiting for the transfer after it told the target to campaign (it may still win). */
    private boolean transferUndecided;

    /**
     * Creates the host of one node; it does nothing until {@link #boot()}.
     *
     * @param options  configuration and client policies
     * @param store    the log store (survives crashes)
     * @param listener told about everything that happens
     * @param env      clock, transport and continuations
     */
    public NodeHost(NodeOptions options, LogStore store, NodeListener listener, HostEnvironment env) {
        this(options, store, listener, env, null, false);
    }

    /**
     * Creates the host of one group's replica on a node whose groups may quiesce.
     *
     * @param options         configuration and client policies
     * @param store           the log store (survives crashes)
     * @param listener        told about everything that happens
     * @param env             clock, transport and continuations
     * @param liveness        the node's liveness record, shared by all its groups (null: groups never quiesce)
     * @param sendsKeepalives whether this host sends the node's keepalives to its peers (exactly one per node)
     */
    public NodeHost(NodeOptions options, LogStore store, NodeListener listener, HostEnvironment env,
            PeerLiveness liveness, boolean sendsKeepalives) {
        this.options = options;
        this.config = options.raft();
        this.store = store;
        this.listener = listener;
        this.env = env;
        this.seeds = new SplittableRandom(options.seed());
        this.snapshotPoints = new SplittableRandom(options.seed() ^ 0x5eed_5a9_5eedL);
        this.liveness = liveness;
        this.sendsKeepalives = sendsKeepalives && liveness != null;
    }

    /**
     * The liveness record a node whose groups may quiesce shares between its groups' hosts: a peer is gone after the
     * minimum election timeout of silence, and is sent a keepalive after a heartbeat interval without anything else.
     *
     * @param raft the node's Raft configuration (any group's: they share the timing)
     * @param now  monotonic nanoseconds now
     * @return the record, or null if the groups never quiesce ({@code quiesce_ms} 0)
     */
    public static PeerLiveness livenessFor(RaftConfig raft, long now) {
        if (raft.quiesceTicks() == 0) {
            return null;
        }
        return new PeerLiveness(raft.electionTimeoutMinMs() * 1_000_000L, raft.heartbeatMs() * 1_000_000L, now);
    }

    /** This node's id. */
    public int id() {
        return config.id();
    }

    /** The leader this node last knew of (0 if none, or while down or paused); safe to call from any thread. */
    public int knownLeader() {
        return leaderView;
    }

    /** Whether the node is running (not crashed). */
    public boolean up() {
        return up;
    }

    /** Whether the node is paused. */
    public boolean paused() {
        return paused;
    }

    /** Who hears about what this node does. */
    NodeListener listener() {
        return listener;
    }

    /** Releases the log store's files and threads (after {@link #shutdown()}). */
    public Future<Void> closeStore() {
        return store.close();
    }

    /** Lease reads served from the lease since the node was created. */
    long leaseReadsServed() {
        return leaseReadsServed;
    }

    /** Lease reads that fell back to a ReadIndex round because the lease could not be vouched for. */
    long leaseReadsConfirmed() {
        return leaseReadsConfirmed;
    }

    /**
     * Whether this replica's group is quiet (see {@link io.raftline.raft.RaftConfig#quiesceMs()}): its ticks change
     * nothing but its lease's age and the liveness checks, so they may come in bursts (see RaftNodeVerticle).
     *
     * @return true while running, not paused, and quiesced
     */
    boolean quiet() {
        return up && !paused && core.quiesced();
    }

    /** The live core, for status and tests; null while crashed. */
    RaftCore core() {
        return core;
    }

    // ---------------------------------------------------------------- client requests

    /**
     * Proposes a command; completes with its result once applied here, or fails with a
     * {@link NodeRequestException} whose reason says whether it may still take effect.
     */
    public Future<KvResult> propose(KvCommand command) {
        NodeRequestException refused = refusal();
        if (refused != null) {
            return Future.failedFuture(refused);
        }
        if (core.role() != Role.LEADER) {
            return Future.failedFuture(notLeader(core.leader(), "role is " + core.role().displayName()));
        }
        if (pending.writesPending() >= options.maxPendingProposals()) {
            return Future.failedFuture(new NodeRequestException(Reason.OVERLOADED, 0, self() + " has "
                    + options.maxPendingProposals() + " proposals pending; retry later"));
        }
        long logBytes = store.stats().walBytes();
        if (logBytes > config.maxLogSizeBytes()) {
            // The hard bound of the log on disk: nothing more is accepted until a snapshot compacts it (entries
            // that cannot commit, e.g. without a quorum, cannot be compacted).
            return Future.failedFuture(new NodeRequestException(Reason.OVERLOADED, 0, "the log of node " + id()
                    + " holds " + logBytes + " bytes, above max_log_size_bytes " + config.maxLogSizeBytes()
                    + "; writes resume once a snapshot compacts it"));
        }
        if (options.quotaBytes() > 0) {
            // Decided here, by the leader, before the entry exists: the state machine never refuses a write for
            // size, so replicas whose configured quotas differ still apply the same log the same way.
            long growth = kv.growth(command);
            long held = kv.dataBytes();
            if (growth > 0 && held + growth > options.quotaBytes() && !firstAttemptUnapplied(command)) {
                return Future.failedFuture(new NodeRequestException(Reason.QUOTA_EXCEEDED, 0, quotaRefusal(held,
                        growth)));
            }
        }
        Future<KvResult> answer = pending.queueWrite(KvCodec.encode(command), env.nanoTime(),
                command.idempotencyKey() != null);
        env.scheduleFlush();
        return answer;
    }

    /** Reads the state with the given consistency; completes with a view at an index that satisfies it. */
    public Future<KvView> read(ReadConsistency consistency) {
        NodeRequestException refused = refusal();
        if (refused != null) {
            return Future.failedFuture(refused);
        }
        if (consistency == ReadConsistency.STALE) {
            return Future.succeededFuture(new KvView(kv));
        }
        if (readsFull()) {
            return Future.failedFuture(readsFullRefusal());
        }
        switch (consistency) {
            case LEASE:
                if (core.role() != Role.LEADER) {
                    return Future.failedFuture(notLeader(core.leader(), "lease reads are served by the leader"));
                }
                long now = env.nanoTime();
                Optional<LeaseRead> lease = core.leaseReadIndex();
                if (lease.isPresent() && leaseClock.holds(lease.get(), now)) {
                    leaseReadsServed++;
                    PendingRequests.Read r = pending.newRead(now);
                    pending.readAt(r, lease.get().index(), stateSource());
                    return r.promise.future();
                }
                // The lease cannot be vouched for in real time (e.g. after a stall): confirm with a round.
                leaseReadsConfirmed++;
                return readIndex();
            default:
                return readIndex();
        }
    }

    private Future<KvView> readIndex() {
        return askReadIndex(pending.newRead(env.nanoTime()), "no leader to confirm a read").promise.future();
    }

    /** Asks the core for a read index for {@code r}; fails it at once if no leader can be asked. */
    private PendingRequests.Read askReadIndex(PendingRequests.Read r, String noLeader) {
        try {
            core.readIndex(r.context);
        } catch (NotLeaderException e) {
            r.promise.tryFail(notLeader(e.leaderHint(), noLeader));
            return r;
        }
        pending.awaitIndex(r, core.term(), core.leader());
        env.scheduleFlush();
        return r;
    }

    private boolean readsFull() {
        return pending.readsPending() >= options.maxPendingReads();
    }

    private NodeRequestException readsFullRefusal() {
        return new NodeRequestException(Reason.OVERLOADED, 0, self() + " has " + options.maxPendingReads()
                + " reads waiting (service.max_pending_reads); retry later");
    }

    /**
     * Asks the leader for its commit index now, through a ReadIndex round (a follower's request goes to the leader,
     * which answers once a heartbeat round confirmed that it still leads), and completes with it without waiting for
     * this node to apply it. The answer also raises the leader's commit index that {@link #status()} reports, which
     * otherwise comes from AppendEntries alone: a follower that hears only heartbeats (it waits for a snapshot after a
     * restart, or its group is idle) would report itself caught up whatever it lacks. What {@code /readyz} asks. No
     * round is made when the answer is known without one: the same leader confirmed it in this term less than
     * {@link #CONFIRMATION_STANDS_NANOS} ago, or the group is quiet and this node was told in this life of a commit
     * index it has applied (a round wakes a quiet group, and keeps an idle one from going quiet).
     *
     * @return the leader's commit index; fails as a read does (no leader, a timeout, the node down or paused)
     */
    public Future<Long> confirmLeaderCommit() {
        NodeRequestException refused = refusal();
        if (refused != null) {
            return Future.failedFuture(refused);
        }
        if (readsFull()) {
            return Future.failedFuture(readsFullRefusal());
        }
        if (core.quiesced() && (core.role() == Role.LEADER
                || leaderCommitTerm == core.term() && leaderCommit <= kv.lastApplied())) {
            // A quiet group commits nothing (an entry wakes it), and its leader quiets it only once every member it
            // hears from holds every entry: a quiet follower that the leader told (in this life, this term) of a
            // commit index it has applied is caught up. Asking would wake the group, and a load balancer asking
            // every second would keep every group awake (16 quiet groups of 3 processes, polled each second:
            // 0.49 cores idle instead of 0.19). A quiet leader answers as before this check existed: the node's
            // liveness record wakes a group whose peers fall silent, and CheckQuorum then runs.
            return Future.succeededFuture(leaderCommitSeen(core.log().committed()));
        }
        if (confirmedLeader != 0 && confirmedTerm == core.term() && confirmedLeader == core.leader()
                && env.nanoTime() - confirmedAt < CONFIRMATION_STANDS_NANOS) {
            // Confirmed by the same leader in this term within the last 5 s: since then the leader's AppendEntries
            // carried its commit index to a follower it replicates to, and a follower that hears only heartbeats got
            // there by a restart (a new life asks), a new leader or term (asks), or a partition that outlasted this
            // (asks). A round per probe kept awake groups from ever going quiet (one takes 1.2 s of idleness).
            return Future.succeededFuture(leaderCommitSeen(core.log().committed()));
        }
        long term = core.term();
        int leader = core.leader();
        PendingRequests.Read r = askReadIndex(pending.newIndexRead(env.nanoTime()),
                "no leader to confirm its commit index");
        return r.promise.future().map(v -> {
            if (core.term() == term) {
                leaderAnnounced(term, r.index);
                confirmedAt = env.nanoTime();
                confirmedTerm = term;
                confirmedLeader = leader;
            }
            return r.index;
        });
    }

    /**
     * Hands leadership to {@code target} (leader only) and completes once this node sees the target lead; fails
     * with {@link Reason#TRANSFER_FAILED} if the core aborts the transfer, or with a timeout.
     */
    public Future<Void> transferLeadership(int target) {
        NodeRequestException refused = refusal();
        if (refused != null) {
            return Future.failedFuture(refused);
        }
        if (core.role() != Role.LEADER) {
            return Future.failedFuture(notLeader(core.leader(), "only the leader can hand leadership over"));
        }
        if (!core.membership().isVoter(target) || target == id()) {
            return Future.failedFuture(new NodeRequestException(core.membership().contains(target) || target == id()
                    ? Reason.INVALID_CHANGE : Reason.UNKNOWN_MEMBER, id(), "node " + target
                    + " is not another voter of the membership " + core.membership()));
        }
        if (transfer != null) {
            return Future.failedFuture(new NodeRequestException(Reason.CHANGE_PENDING, id(), "a transfer to node "
                    + transferTarget + " is in progress; retry once it is done"));
        }
        LOG.info("{} handing leadership to node {}", prefix(), target);
        transfer = Promise.promise();
        transferTarget = target;
        transferUndecided = false;
        transferDeadline = env.nanoTime() + options.requestTimeoutMs() * 1_000_000L;
        Future<Void> done = transfer.future();
        core.transferLeadership(target);
        env.scheduleFlush();
        return done;
    }

    private void endTransfer(Throwable failure) {
        Promise<Void> p = transfer;
        transfer = null;
        if (failure == null) {
            p.tryComplete();
        } else {
            p.tryFail(failure);
        }
    }

    /**
     * Proposes a single-server membership change (leader only) and completes with the membership it creates once
     * the change is applied here, that is committed. A {@link MembershipChange.Promote} is refused while the
     * learner lags by more than {@link #PROMOTE_MAX_LAG} entries.
     *
     * @param change the change
     * @return the new membership and the index of its entry
     */
    public Future<MembershipInfo> changeMembership(MembershipChange change) {
        NodeRequestException refused = refusal();
        if (refused != null) {
            return Future.failedFuture(refused);
        }
        if (core.role() != Role.LEADER) {
            return Future.failedFuture(notLeader(core.leader(), "membership changes are made by the leader"));
        }
        if (change instanceof MembershipChange.Promote && core.membership().isLearner(change.id())) {
            // Caught up: it answered within the last election timeout and its log is close to the leader's. A quiet
            // group hears nothing, so the core's flag for that stays as it was when the group went quiet (false for
            // every peer if it went quiet on the tick CheckQuorum opened a new window), and a refusal does not wake
            // the group: every retry would be refused until a write woke it. A quiet leader knows that every member
            // it did not find silent held its whole log when the group went quiet; whether the learner's node is
            // still heard is what the node's liveness record (keepalives, every group's traffic) says, if it keeps one.
            io.raftline.raft.PeerStatus ps = core.status().progress().get(change.id());
            boolean answered = ps != null && (core.quiesced()
                    ? liveness == null || !liveness.silent(change.id(), env.nanoTime())
                    : ps.recentActive());
            boolean active = answered && ps.match() > 0;
            if (!active || !core.caughtUp(change.id(), PROMOTE_MAX_LAG)) {
                return Future.failedFuture(new NodeRequestException(Reason.LEARNER_LAGGING, id(), "learner "
                        + change.id() + (active ? " has its log up to index " + ps.match()
                                : " has not acknowledged any entry recently")
                        + " while the leader's ends at " + core.log().lastIndex() + "; it may be promoted once it"
                        + " answers and is within " + PROMOTE_MAX_LAG + " entries; retry shortly"));
            }
        }
        io.raftline.raft.Proposal placed;
        Membership before = core.membership();
        try {
            placed = core.changeMembership(change);
        } catch (NotLeaderException e) {
            return Future.failedFuture(notLeader(e.leaderHint(), e.getMessage()));
        } catch (MembershipChangeException e) {
            return Future.failedFuture(new NodeRequestException(switch (e.reason()) {
                case PENDING_CHANGE -> Reason.CHANGE_PENDING;
                case LEADER_NOT_READY -> Reason.LEADER_NOT_READY;
                case UNKNOWN_MEMBER -> Reason.UNKNOWN_MEMBER;
                case MEMBER_EXISTS -> Reason.MEMBER_EXISTS;
                case INVALID -> Reason.INVALID_CHANGE;
                case QUORUM_UNAVAILABLE -> Reason.QUORUM_UNAVAILABLE;
            }, id(), e.getMessage()));
        }
        MembershipInfo next = new MembershipInfo(core.membership(), placed.index());
        LOG.info("{} proposed {} at index {}: {}", prefix(), change.describe(), placed.index(), next.membership());
        Future<KvResult> applied = pending.proposedConfig(placed, env.nanoTime());
        env.scheduleFlush();
        boolean votersChanged = !next.membership().voters().equals(before.voters());
        return applied.transform(ar -> ar.succeeded() ? Future.succeededFuture(next)
                : Future.failedFuture(votersChanged ? voterChangeTimedOut(ar.cause(), change, next) : ar.cause()));
    }

    /**
     * What a change of the voters that timed out answers when voters of the membership it made are silent: a change
     * of the voters takes effect when appended, so until a quorum of its voters holds it the group commits nothing.
     * The plain write timeout ("it may still be applied later") told the operator neither that the group had stopped
     * nor why, nor what to do (an operator's review, 2026-12-08: a removal made just after a voter was killed).
     *
     * @return {@code failure} itself unless it is a timeout and some voter of {@code next} has not been heard from
     *         for an election timeout or more (this node excepted)
     */
    private Throwable voterChangeTimedOut(Throwable failure, MembershipChange change, MembershipInfo next) {
        if (!(failure instanceof NodeRequestException n) || n.reason() != Reason.TIMEOUT) {
            return failure;
        }
        long now = env.nanoTime();
        long silence = config.electionTimeoutMaxMs() * 1_000_000L;
        List<Integer> voters = List.copyOf(next.membership().voters());
        List<String> silent = new ArrayList<>();
        for (int v : voters) {
            long[] heard = v == id() ? null : lastHeard.get(v);
            if (v == id() || heard != null && now - heard[0] < silence) {
                continue;
            }
            silent.add(heard == null ? "node " + v + " (not heard from by node " + id() + ")"
                    : "node " + v + " (silent for " + (now - heard[0]) / 1_000_000 + " ms)");
        }
        if (silent.isEmpty()) {
            return failure;
        }
        int quorum = next.membership().quorum();
        return new NodeRequestException(Reason.TIMEOUT, n.leaderHint(), change.describe() + " was not committed within "
                + options.requestTimeoutMs() + " ms: it took effect when appended (index " + next.configIndex()
                + "), making the voters " + voters + ", whose quorum is " + quorum + ", and "
                + String.join(", ", silent) + (silent.size() == 1 ? " does" : " do") + " not answer. Until a quorum of " + voters + " answers, the"
                + " group commits nothing: no write, no other change. Bring the silent voters back (restart them with"
                + " their data directories); the change then commits, or is dropped if a node that never received it is"
                + " elected: read GET /v1/members then, and send the change again if it is not there");
    }

    /**
     * A membership and where it comes from.
     *
     * @param membership  voters, learners and addresses
     * @param configIndex the index of its CONFIG entry (0: the bootstrap configuration)
     */
    public record MembershipInfo(Membership membership, long configIndex) {
    }

    /**
     * What waits in this node (see {@link QueueStats}); the caller adds the inputs it holds.
     *
     * @param inbox inputs held by the caller (a frozen node's)
     * @return the figures, or null while the node is down
     */
    public QueueStats queueStats(int inbox) {
        return queueStats(inbox, io.raftline.transport.TransportQueues.EMPTY);
    }

    /**
     * What waits in this node and in its transport (see {@link QueueStats}).
     *
     * @param inbox     inputs held by the caller (a frozen node's)
     * @param transport what the node's transport holds for it and from it
     * @return the figures, or null while the node is down
     */
    public QueueStats queueStats(int inbox, io.raftline.transport.TransportQueues transport) {
        if (!up) {
            return null;
        }
        Map<Integer, io.raftline.raft.PeerStatus> links = core.role() == Role.LEADER ? core.status().progress() : Map.of();
        return new QueueStats(id(), pending.writesPending(), inbox, links, transport.inbox(), transport.inflight());
    }

    /** The node's state for the cluster API. */
    public NodeStatus status() {
        if (!up) {
            Storage s = store.storage();
            return new NodeStatus(id(), false, paused, null, s.hardState().term(), 0, s.hardState().commit(), 0,
                    s.lastIndex(), s.firstIndex() - 1, 0, store.stats().withSlowWrites(slowWrites), false, store.stateLostRecorded(),
                    lastMembership, lastConfigIndex, Map.of(), 0, false, logSeen);
        }
        Map<Integer, Long> match = new HashMap<>();
        if (core.role() == Role.LEADER) {
            Status st = core.status();
            st.progress().forEach((peer, pr) -> match.put(peer, pr.match()));
        }
        return new NodeStatus(id(), true, paused, core.role(), core.term(), core.leader(), core.log().committed(),
                kv.lastApplied(), core.log().lastIndex(), store.storage().firstIndex() - 1, pending.writesPending(),
                store.stats().withSlowWrites(slowWrites), false, core.stateLost(), core.membership(), core.configIndex(), match,
                core.role() == Role.LEADER ? core.log().committed() : leaderCommitSeen(core.log().committed()),
                core.quiesced(), logSeen);
    }

    /**
     * What a live view needs to draw this replica from scratch: its status, its vote and the tail of its log. The
     * live view follows one Raft group in detail; when it switches to another group, it starts that group's replicas
     * from these views (the events they reported before were not published), so it never mixes two groups' state.
     *
     * @param status   the replica's status
     * @param votedFor whom it voted for in its current term, 0 for no one (or while down)
     * @param log      its last log entries, oldest first (empty while down)
     */
    public record ReplicaView(NodeStatus status, int votedFor, List<Entry> log) {
        /**
         * Freezes the log.
         *
         * @param status   the status
         * @param votedFor the vote
         * @param log      the entries
         */
        public ReplicaView {
            log = List.copyOf(log);
        }
    }

    /**
     * This replica as a live view starts from (see {@link ReplicaView}); reads only what is in memory or the log's
     * own reads, as sending entries to a follower does.
     *
     * @param tail the most log entries to include (the newest)
     * @return the view
     */
    public ReplicaView replicaView(int tail) {
        NodeStatus s = status();
        if (!up) {
            return new ReplicaView(s, 0, List.of());
        }
        long last = core.log().lastIndex();
        long from = Math.max(core.log().firstIndex(), last - tail + 1);
        List<Entry> entries = from > last ? List.of() : core.log().entries(from, Long.MAX_VALUE);
        return new ReplicaView(s, core.hardState().vote(), entries);
    }

    /** A digest of the key-value state (its hash is computed off the node's thread). */
    public Future<StateDigest> digest() {
        if (!up) {
            return Future.failedFuture(new NodeRequestException(Reason.NODE_DOWN, 0, "node " + id() + " is down"));
        }
        // O(1) capture here; the hash walks the whole state, so it runs off the loop.
        KvSnapshot captured = kv.capture();
        return env.offload(() -> new StateDigest(id(), captured.lastApplied(), captured.stateHashHex(),
                captured.size()));
    }

    /** The leader of {@code term} said it has committed up to {@code commit}. */
    private void leaderAnnounced(long term, long commit) {
        if (term != leaderCommitTerm) {
            leaderCommitTerm = term;
            leaderCommit = 0;
        }
        leaderCommit = Math.max(leaderCommit, commit);
    }

    /** What the current leader announced as committed, never below what this node knows committed itself. */
    private long leaderCommitSeen(long ownCommit) {
        return leaderCommitTerm == core.term() ? Math.max(leaderCommit, ownCommit) : ownCommit;
    }

    private NodeRequestException refusal() {
        if (!up) {
            return new NodeRequestException(Reason.NODE_DOWN, 0, store.failed() ? storageFailed()
                    : "node " + id() + " is down (crashed)");
        }
        if (paused) {
            return new NodeRequestException(Reason.NODE_PAUSED, 0, "node " + id() + " is paused");
        }
        if (core.stateLost()) {
            return new NodeRequestException(Reason.STATE_LOST, core.leader(), stateLostMessage());
        }
        if (!core.membership().contains(id()) && core.role() != Role.LEADER) {
            return new NodeRequestException(Reason.NOT_MEMBER, 0, core.membership().isEmpty()
                    ? self() + " is not a member of a cluster yet: it waits to be added (POST /v1/members on"
                            + " a member, see docs/membership.md)"
                    : self() + " is not a member of the cluster (" + core.membership() + "): it was removed"
                            + " at index " + core.configIndex() + " and serves only its status");
        }
        return null;
    }

    /**
     * Whether a keyed write beyond the quota may be the retry of a first attempt that sits in this leader's log, or
     * in its queue for the next batch, without having been applied: the quota check counts the state applied so far,
     * where such a retry is not yet known as one, and refusing it would tell the client "not written" of a write that
     * then commits (a retry of an applied write counts 0 in {@link KvStateMachine#growth}). Let through, the retry is
     * answered with the first attempt's result when it applies. Looked for only for a keyed write already found
     * beyond the quota, and only among the writes that can hold it: the queued keyed writes, and the entries after the
     * applied index up to the last keyed write this leader proposed, or up to the end of its log while it has not
     * applied an entry of its own term (its predecessors' entries wait to be applied then). With the key space full,
     * keyed writes are refused without proposing any, so the refusals cost no scan of the log.
     */
    private boolean firstAttemptUnapplied(KvCommand command) {
        String key = command.idempotencyKey();
        if (key == null) {
            return false;
        }
        long applied = kv.lastApplied();
        long last = core.log().term(applied) == core.term() ? pending.lastKeyedIndex() : core.log().lastIndex();
        if (last > applied) {
            for (Entry e : core.log().entries(applied + 1, Long.MAX_VALUE)) {
                if (e.index() > last) {
                    break;
                }
                if (e.type() == EntryType.NORMAL && carriesKey(e.data(), key)) {
                    return true;
                }
            }
        }
        return pending.anyQueuedKeyed(data -> carriesKey(data, key));
    }

    private static boolean carriesKey(byte[] data, String idempotencyKey) {
        try {
            return idempotencyKey.equals(KvCodec.decode(data).idempotencyKey());
        } catch (KvFormatException e) {
            return false; // a command of a newer release: not this client's first attempt, which this release wrote
        }
    }

    /**
     * Why a write is beyond the quota. A sharded node's replica checks its group's keys against the group's share of
     * {@code limits.quota_bytes} (its options hold the share): named as such, not as the key space and its quota.
     */
    private String quotaRefusal(long held, long growth) {
        if (!options.sharded()) {
            return "the key space holds " + held + " bytes; this write would add " + growth + ", beyond the quota of "
                    + options.quotaBytes() + " bytes (limits.quota_bytes): delete keys, or raise the quota";
        }
        return "Raft group " + options.group() + " holds " + held + " bytes of keys and values; this write would add "
                + growth + ", beyond the group's share of limits.quota_bytes: " + options.quotaBytes() + " bytes, the"
                + " quota over the " + options.historyShares() + " groups (each group's leader checks its own keys):"
                + " delete keys, or raise the quota";
    }

    private String stateLostMessage() {
        return self() + " lost log entries it had acknowledged (its data directory was wiped or replaced):"
                + " it no longer votes (its clients' requests go to the leader); replace it by a new member (see"
                + " docs/operations.md)";
    }

    private NodeRequestException notLeader(int hint, String why) {
        if (hint > 0 && hint != id()) {
            return new NodeRequestException(Reason.NOT_LEADER, hint, self() + " is not the leader (" + why
                    + "); the leader is node " + hint);
        }
        return new NodeRequestException(Reason.NO_LEADER, 0, self() + " knows no leader (" + why
                + "); retry shortly");
    }

    private PendingRequests.KvViewSource stateSource() {
        KvStateMachine state = kv;
        return new PendingRequests.KvViewSource() {
            @Override
            public long appliedIndex() {
                return state.lastApplied();
            }

            @Override
            public KvView view() {
                return new KvView(state);
            }
        };
    }

    // ---------------------------------------------------------------- life cycle

    /** A history from {@code firstRevision} on, holding this replica's share of the node's budget. */
    private ChangeHistory newHistory(long firstRevision) {
        int shares = options.historyShares();
        return new ChangeHistory(firstRevision, Math.max(1, HISTORY_MAX_CHANGES / shares), HISTORY_MAX_BYTES / shares);
    }

    /**
     * Builds the state machine from the log store (snapshot + committed entries) and a core on top.
     *
     * @throws EntryFromNewerReleaseException if a committed entry names an operation only a newer release knows (the
     *                                        node stays down)
     */
    public void boot() {
        Storage s = store.storage();
        KvStateMachine m = s.snapshot().isEmpty() ? new KvStateMachine() : KvStateMachine.restore(s.snapshot().data());
        long to = Math.min(s.hardState().commit(), s.lastIndex());
        long next = Math.max(m.lastApplied() + 1, s.firstIndex());
        history = newHistory(m.lastApplied() + 1);
        List<KvChange> changes = new ArrayList<>();
        while (next <= to) {
            List<Entry> batch = s.entries(next, to + 1, config.maxCommittedBytesPerReady());
            for (Entry e : batch) {
                changes.clear();
                applyTo(m, e, changes);
                history.add(changes);
            }
            next = batch.get(batch.size() - 1).index() + 1;
        }
        kv = m;
        core = new RaftCore(config, s, new SplittableRandom(seeds.nextLong()), m.lastApplied());
        core.downFor(ticksDown());
        if (store.stateLostRecorded()) {
            core.markStateLost("recorded by an earlier life of this node");
            LOG.error("{} {}", prefix(), stateLostMessage());
        }
        pending = new PendingRequests(options.requestTimeoutMs() * 1_000_000, env.randomLong() & (Long.MAX_VALUE >>> 1));
        leaseClock = new LeaseClock(config.leaseDurationNanos());
        up = true;
        paused = false;
        leaderless = false;
        persistInFlight = false;
        snapshotInFlight = false;
        received = null;
        decoding = null;
        appliedBytesSinceSnapshot = 0;
        // Nothing heard from a leader in this life: what an earlier life was told is no figure of this one's lag.
        leaderCommit = 0;
        leaderCommitTerm = 0;
        confirmedTerm = 0;
        confirmedLeader = 0;
        drawSnapshotPoint();
        loggedCommit = core.log().committed();
        lastRole = core.role();
        lastLeader = core.leader();
        lastTerm = core.term();
        leaderView = lastLeader;
        lastMembership = core.membership();
        lastConfigIndex = core.configIndex();
        // The core reports changes only; who listens (the peer directory, the live view) learns the start here.
        listener.coreEvent(id(), core.term(), core.role(), new CoreEvent.MembershipChanged(core.configIndex(),
                core.membership(), "recovered at start"));
        long commit = core.log().committed();
        listener.membershipCommitted(id(), core.log().configIndexAt(commit), core.membershipAt(commit));
        LOG.info("{} started: state rebuilt from the log store up to index {} (snapshot {}, last log index {})",
                prefix(), m.lastApplied(), s.firstIndex() - 1, s.lastIndex());
    }

    /**
     * Whole ticks since this node last received anything, at least: since this host stopped, or since the previous
     * life the environment knows of ended. One tick less than measured, for the timer's granularity.
     */
    private long ticksDown() {
        long endedBy = Math.max(env.previousLifeEndedBy(), stoppedAt);
        long tickNanos = config.tickMs() * 1_000_000L;
        return Math.max(0, (env.nanoTime() - endedBy) / tickNanos - 1);
    }

    private static KvResult applyTo(KvStateMachine m, Entry e, List<KvChange> changes) {
        if (e.type() != EntryType.NORMAL) {
            // The no-op of a new leader, or a membership change: the key-value state does not change.
            m.applyNoop(e.index());
            return null;
        }
        return m.apply(e.index(), e.data(), changes);
    }

    // ---------------------------------------------------------------- watch

    /**
     * Streams every change this node applies to keys under {@code prefix}, in log order, starting at position
     * {@code (fromRevision, skip)}: the changes of revision {@code fromRevision} after its first {@code skip}, then
     * every later one. {@code fromRevision} 0 starts with the next entry applied. The sink is called on the node's
     * thread; {@link Watch#cancel()} stops it. A crash, or a snapshot from the leader (which skips changes), ends it
     * with a {@link NodeRequestException} (the client resumes from the last change it got). The watch says where it
     * starts ({@link Watch#start()}): a client that loses the stream before its first change resumes there, not "from
     * now" again (which would skip what was applied in between).
     *
     * @param prefix       the keys watched
     * @param fromRevision the first revision, or 0 for the next entry applied
     * @param skip         how many changes of {@code fromRevision} are skipped (ignored with {@code fromRevision} 0)
     * @param sink         where changes go
     * @return the running watch
     * @throws WatchCompactedException if changes at {@code fromRevision} are no longer held
     */
    public Watch watch(String prefix, long fromRevision, int skip, WatchSink sink) {
        NodeRequestException refused = watchRefusal(env.nanoTime());
        if (refused != null) {
            throw refused;
        }
        long start = fromRevision <= 0 ? kv.lastApplied() + 1 : fromRevision;
        if (start < history.firstRevision()) {
            throw new WatchCompactedException(start, history.firstRevision());
        }
        int startSkip = fromRevision <= 0 ? 0 : skip;
        Watcher w = new Watcher(prefix, start, startSkip, sink);
        List<KvChange> backlog = history.from(start, startSkip, prefix);
        if (!backlog.isEmpty()) {
            sink.changes(backlog);
        }
        watchers.add(w);
        List<WatchPosition> from = List.of(new WatchPosition(start, startSkip));
        return new Watch() {
            @Override
            public void cancel() {
                watchers.remove(w);
            }

            @Override
            public List<WatchPosition> start() {
                return from;
            }

            @Override
            public void requestProgress() {
                if (!watchers.contains(w)) {
                    return; // cancelled, or ended with the node
                }
                long applied = kv.lastApplied();
                // Only a revision the watch has wholly passed: every change of it (and before) is in the sink already,
                // since watchers are told of an entry's changes as it is applied, on this thread.
                if (applied >= w.fromRevision()) {
                    w.sink().progress(applied);
                }
            }
        };
    }

    private void notifyWatchers(List<KvChange> changes) {
        if (changes.isEmpty() || watchers.isEmpty()) {
            return;
        }
        for (Watcher w : List.copyOf(watchers)) {
            List<KvChange> matching = w.takesAll(changes) ? changes : new ArrayList<>();
            if (matching != changes) {
                for (KvChange c : changes) {
                    if (w.takes(c)) {
                        matching.add(c);
                    }
                }
            }
            if (!matching.isEmpty()) {
                w.sink.changes(List.copyOf(matching));
            }
        }
    }

    /**
     * Why a watch on this node would not see what the cluster commits: down, paused, lost state, not a member, or no
     * leader known for {@link NodeOptions#watchLeaderlessMs()} (partitioned, or removed without having learnt it); a
     * leader unknown for a moment (an election) keeps the watches, which go on once one is elected.
     */
    private NodeRequestException watchRefusal(long now) {
        NodeRequestException refused = refusal();
        if (refused != null || !leaderless || options.watchLeaderlessMs() == 0
                || now - leaderlessSince < options.watchLeaderlessMs() * 1_000_000L) {
            return refused;
        }
        return new NodeRequestException(Reason.NO_LEADER, 0, self() + " has known no leader for "
                + (now - leaderlessSince) / 1_000_000 + " ms: changes committed meanwhile may not reach it; resume with"
                + " the last event id on another node, or here once it has a leader");
    }

    /** Ends the watches of a node that stopped seeing what the cluster commits (see {@link #watchRefusal}). */
    private void checkWatchers(long now) {
        if (core.leader() == 0) {
            if (!leaderless) {
                leaderless = true;
                leaderlessSince = now;
            }
        } else {
            leaderless = false;
        }
        if (!watchers.isEmpty()) {
            NodeRequestException cutOff = watchRefusal(now);
            if (cutOff != null) {
                LOG.info("{} ended {} watch(es): {}", prefix(), watchers.size(), cutOff.getMessage());
                endWatchers(cutOff);
            }
        }
    }

    private void endWatchers(NodeRequestException why) {
        List<Watcher> ended = List.copyOf(watchers);
        watchers.clear();
        for (Watcher w : ended) {
            w.sink.ended(why);
        }
    }

    /** Where a watch delivers, on the node's thread. */
    public interface WatchSink {
        /**
         * Changes in log order (each batch from one or more applied entries).
         *
         * @param changes the changes
         */
        void changes(List<KvChange> changes);

        /**
         * Changes of one Raft group, where several groups' watches are merged into one stream (a node of a sharded
         * cluster): each group's changes come in its log order. A sink that does not tell groups apart takes them as
         * {@link #changes(List)}.
         *
         * @param group   the group, by its index among the node's groups
         * @param changes the changes
         */
        default void changes(int group, List<KvChange> changes) {
            changes(changes);
        }

        /**
         * The answer to {@link Watch#requestProgress()}: the watch has passed every change up to and including
         * {@code revision} (all of them that match were handed to {@link #changes(List)} before this call).
         *
         * @param revision the revision passed
         */
        default void progress(long revision) {
            progress(0, revision);
        }

        /**
         * {@link #progress(long)} of one group of a merged stream.
         *
         * @param group    the group, by its index among the node's groups
         * @param revision the revision that group's watch passed
         */
        default void progress(int group, long revision) {
        }

        /**
         * The watch ended on this node; resume from the last change received.
         *
         * @param why the reason
         */
        void ended(NodeRequestException why);
    }

    /** A running watch. */
    public interface Watch {
        /** Stops delivering (on the node's thread). */
        void cancel();

        /**
         * Where the watch starts in each Raft group it covers, by group (one position for a node of an unsharded
         * cluster): nothing before it is delivered, and every matching change from it on is. A watch "from the next
         * change" resolves it to the revision after the last one applied when it was registered.
         *
         * @return the start of each group
         */
        List<WatchPosition> start();

        /**
         * Asks the node to report, through the sink's {@link WatchSink#progress(long)}, the last revision it applied
         * when it is at or after the watch's start (on the node's thread; nothing is reported otherwise). A client
         * told of it can resume after that revision: a watch of a quiet prefix does not fall behind.
         */
        void requestProgress();
    }

    /**
     * A registered watch and where it starts: a watch may start at a revision this node has not applied yet (a
     * client resuming on a follower that lags the node it watched before), and then every change applied before
     * that position must be held back, or the client would see again what it saw already.
     *
     * @param prefix        the keys watched
     * @param fromRevision  the first revision delivered
     * @param skip          how many changes of {@code fromRevision} are skipped (the client has them)
     * @param sink          where changes go
     */
    private record Watcher(String prefix, long fromRevision, int skip, WatchSink sink) {

        /** Whether the change is under the prefix and at or after the start position. */
        boolean takes(KvChange c) {
            return c.key().startsWith(prefix) && (c.revision() > fromRevision
                    || c.revision() == fromRevision && c.seq() >= skip);
        }

        /** Whether every change of the batch is taken without looking at keys (the common case, no copy). */
        boolean takesAll(List<KvChange> changes) {
            if (!prefix.isEmpty()) {
                return false;
            }
            KvChange first = changes.get(0);
            return first.revision() > fromRevision || first.revision() == fromRevision && first.seq() >= skip;
        }
    }

    /** Stops at once: the core, the state machine and every pending request are dropped; the store stays. */
    public void crash() {
        if (!up) {
            return;
        }
        LOG.warn("{} crashed: core and key-value state dropped, log store kept", prefix());
        stop("node " + id() + " crashed");
        listener.crashed(id());
    }

    /** Stops for good (undeploy): answers every pending request; a restart on its way does not boot any more. */
    public void shutdown() {
        if (up) {
            stop("node " + id() + " is shutting down");
        } else {
            generation++;
        }
    }

    private void stop(String why) {
        generation++;
        pending.abandonAll(why);
        endWatchers(new NodeRequestException(Reason.NODE_DOWN, 0, why));
        if (transfer != null) {
            endTransfer(new NodeRequestException(Reason.NODE_DOWN, 0, why));
        }
        up = false;
        stoppedAt = env.nanoTime();
        paused = false;
        core = null;
        kv = null;
        received = null;
        decoding = null;
        persistInFlight = false;
        leaderView = 0;
    }

    /** Recovers the log store, exactly as a process restarted after {@code kill -9} would, and boots. */
    public Future<Void> restart() {
        if (up) {
            return Future.succeededFuture();
        }
        if (restarting != null) {
            // A second restart while one is on its way (a button pressed twice, a retried request): recovering the
            // store again would replace the storage the first one boots the node on.
            return restarting;
        }
        long gen = generation;
        Future<Void> f = recoverAndBoot(gen);
        restarting = f;
        f.onComplete(ar -> {
            if (restarting == f) {
                restarting = null;
            }
        });
        return f;
    }

    private Future<Void> recoverAndBoot(long gen) {
        return store.recover().transform(recovered -> {
            io.vertx.core.Promise<Void> booted = io.vertx.core.Promise.promise();
            env.runOnLoop(() -> {
                if (gen != generation) {
                    // Stopped meanwhile (undeployed): the restart is over, whatever became of the recovery, which
                    // may have found the store closed by the stop (it reached the store's thread after the close).
                    booted.complete();
                } else if (recovered.failed()) {
                    booted.fail(recovered.cause());
                } else {
                    try {
                        if (!up) {
                            boot();
                            listener.restarted(id(), kv.lastApplied());
                        }
                        booted.complete();
                    } catch (EntryFromNewerReleaseException e) {
                        LOG.error("{} cannot start: {}", prefix(), e.getMessage());
                        booted.fail(e);
                    }
                }
            });
            return booted.future();
        });
    }

    /** Cuts the node off: no ticks, incoming messages dropped, clients refused. Returns whether it changed. */
    public boolean pause() {
        if (paused || !up) {
            return false;
        }
        paused = true;
        // Cut off, it refuses its clients: it must not hand their requests to the leader it knew either.
        leaderView = 0;
        // Nor keep their watches open: no change reaches it while paused (they end with the paused node's refusal).
        endWatchers(refusal());
        LOG.warn("{} paused: no ticks, incoming messages dropped", prefix());
        listener.pausedChanged(id(), true);
        return true;
    }

    /** Undoes {@link #pause()}. Returns whether it changed. */
    public boolean resume() {
        if (!paused) {
            return false;
        }
        paused = false;
        leaderView = core.leader();
        LOG.info("{} resumed", prefix());
        listener.pausedChanged(id(), false);
        env.scheduleFlush();
        return true;
    }

    /** A storage failure: a node that cannot persist must stop acknowledging anything. */
    private void failStop(Throwable cause) {
        escalateOutOfMemory(cause);
        LOG.error("{} cannot persist its log; stopping (fail-stop)", prefix(), cause);
        if (up) {
            stop(storageFailed());
            listener.crashed(id());
        }
    }

    /** What a node stopped by {@link #failStop} answers, in place of a crash's "down (crashed)". */
    private String storageFailed() {
        return "node " + id() + " is down: it could not persist its log and stopped (fail-stop, storage_failed in its"
                + " /health); see its log";
    }

    /**
     * A failure caused by an {@link OutOfMemoryError} is the process's, not this node's: the error is handed to the
     * process's default uncaught-exception handler, which in a Raftline process ends it with a clear message so that
     * a supervisor restarts it (recovery replays the log). Left to the node, the error would only stop it (fail-stop
     * for a write, nothing at all for a snapshot) and the process would live on without memory, answering nothing
     * useful, until some other allocation failed where the handler sees it. Without such a handler (an embedding
     * application, a test) the node goes on as for any other failure.
     */
    private static void escalateOutOfMemory(Throwable cause) {
        Throwable t = cause;
        for (int depth = 0; t != null && depth < 16; depth++, t = t.getCause()) {
            if (t instanceof OutOfMemoryError oom) {
                Thread.UncaughtExceptionHandler process = Thread.getDefaultUncaughtExceptionHandler();
                if (process != null) {
                    process.uncaughtException(Thread.currentThread(), oom);
                }
                return;
            }
        }
    }

    // ---------------------------------------------------------------- inputs

    /** One tick of the core's logical clock (the caller keeps ticks from running ahead of real time). */
    public void tick() {
        if (!up) {
            return;
        }
        long now = env.nanoTime();
        if (paused) {
            // No Raft time passes for a paused node, but its clients' does: what they wait for still ends on time
            // (a paused node answered what it held only once resumed, however long the pause).
            expireRequests(now, 0);
            return;
        }
        ticks++;
        core.tick();
        checkWatchers(now);
        if (liveness != null) {
            checkLiveness(now);
        }
        expireRequests(now, core.leader());
        if (store.compactionPressureBytes() > config.maxLogSizeBytes() / 2) {
            // The check after each Ready is never reached by a group that has none (idle, or quiet: its ticks change
            // nothing). On a node's shared log such a group's entries in the oldest segment held every group's
            // segments while the others wrote, until max_log_size_bytes refused every write of the node.
            maybeSnapshot();
        }
        flush();
    }

    /** Ends the requests and the leadership transfer whose time is up, pointing their clients at {@code leader}. */
    private void expireRequests(long now, int leader) {
        pending.expire(now, leader);
        if (transfer != null && now - transferDeadline > 0) {
            endTransfer(new NodeRequestException(Reason.TIMEOUT, leader, "node " + transferTarget
                    + " did not take over within " + options.requestTimeoutMs() + " ms" + (transferUndecided
                    ? " (it was told to campaign: it may still be elected)" : "")));
        }
    }

    /**
     * Tells the core which peers' nodes went silent (see {@link RaftCore#checkLiveness}: a quiet follower whose
     * leader's node is silent wakes, a leader goes quiet without silent members and wakes when they are heard again)
     * and sends the node's keepalives (see {@link PeerLiveness}).
     */
    private void checkLiveness(long now) {
        if (core.quiesced() || core.role() == Role.LEADER) {
            boolean wasQuiet = core.quiesced();
            core.checkLiveness(peer -> liveness.silent(peer, now));
            if (wasQuiet && !core.quiesced()) {
                LOG.info("{} a quiet group wakes on what its node knows of its peers (silence: {} ms)", prefix(),
                        config.electionTimeoutMinMs());
            }
        }
        if (sendsKeepalives) {
            List<Message> keepalives = null;
            for (int peer : core.membership().all()) {
                if (peer != id() && liveness.keepaliveDue(peer, now)) {
                    if (keepalives == null) {
                        keepalives = new ArrayList<>(2);
                    }
                    keepalives.add(new Keepalive(id(), peer));
                }
            }
            if (keepalives != null) {
                // Not reported to the listener: a keepalive is not a Raft message, the live view does not draw it.
                env.sendAll(keepalives);
            }
        }
    }

    /**
     * Notes how much log the sender of {@code m} holds, as far as the message shows it (see
     * {@link NodeStatus#logSeen()}). Only raised: a sender that restarted with an empty log says nothing of the log it
     * held before, which is what a peer asked about it must remember.
     */
    private void noteLogSeen(Message m) {
        long held = 0;
        if (m instanceof AppendRequest a) {
            held = a.prevLogIndex() + a.entries().size();
        } else if (m instanceof AppendResponse r) {
            held = r.rejected() ? r.hintIndex() : r.index();
        } else if (m instanceof Heartbeat h) {
            held = h.commit();
        } else if (m instanceof VoteRequest v) {
            held = v.lastLogIndex();
        } else if (m instanceof SnapshotRequest s) {
            held = s.snapshot().index();
        }
        if (held > 0) {
            Long seen = logSeen.get(m.from());
            if (seen == null || held > seen) {
                logSeen.put(m.from(), held); // boxed only when it grows: not for each heartbeat
            }
        }
    }

    /** A message from a peer. */
    public void step(Message m) {
        if (!up || paused) {
            if (!(m instanceof Keepalive)) {
                listener.messageDropped(m, up ? "receiver paused" : "receiver down");
            }
            return;
        }
        long now = env.nanoTime();
        if (liveness != null) {
            if (m instanceof VoteRequest && core.quiesced() && core.leader() != m.from()) {
                // A candidate's request may arrive before this node's own tick noticed the leader's silence.
                checkLiveness(now);
            }
            liveness.heard(m.from(), now);
        }
        if (m instanceof Keepalive) {
            return;
        }
        long[] heard = lastHeard.computeIfAbsent(m.from(), k -> new long[2]);
        heard[0] = now;
        heard[1] = ticks;
        noteLogSeen(m);
        listener.messageReceived(m);
        if (m instanceof AppendRequest a) {
            leaderAnnounced(a.term(), a.leaderCommit());
        }
        if (m instanceof SnapshotRequest r && r.snapshot().index() > core.log().committed()) {
            stepSnapshot(r);
        } else {
            core.step(m); // a snapshot at or below the commit index is only answered, never installed
        }
        env.scheduleFlush();
    }

    /**
     * A snapshot the core may install: its state is decoded and checked before the core sees it, so that only a
     * snapshot this node can read is ever stored. Stored first, a snapshot it could not decode (damaged on the way,
     * or of a format this release does not read) stopped the node when it was installed, and again at every start,
     * since the boot decodes the stored snapshot. Such a snapshot is refused as a lost message: the node keeps its
     * state and its log, and the leader sends a snapshot again later.
     *
     * <p>Decoding takes time in proportion to the whole state, so it runs off the node's thread, which it would block
     * for every node and group sharing it. Meanwhile the node goes on, and the core sees the snapshot only once its
     * state is ready: to the core the snapshot arrived late, as a message the network delayed, which Raft allows.
     * Whatever the core does meanwhile happens before the snapshot in its log's order (the entries it applies are at
     * or below its commit index, and the core installs the snapshot only if it is above the commit index then). A
     * snapshot that arrives while another is being decoded or installed is lost, as on a busy network, so one decoded
     * state at a time waits for its Ready ({@link #installSnapshot}).
     */
    private void stepSnapshot(SnapshotRequest r) {
        Snapshot s = r.snapshot();
        if (decoding != null || received != null) {
            LOG.info("{} snapshot {}@{} from node {} dropped: snapshot {} is still being installed", prefix(), s.index(),
                    s.term(), r.from(), (decoding != null ? decoding : received.snapshot()).index());
            listener.messageDropped(r, "receiver installing a snapshot");
            return;
        }
        decoding = s;
        long gen = generation;
        env.offload(() -> decodeReceived(s)).onComplete(ar -> env.runOnLoop(() -> {
            if (gen != generation) {
                return; // crashed meanwhile
            }
            decoding = null;
            if (ar.failed()) {
                escalateOutOfMemory(ar.cause());
                LOG.error("{} refused snapshot {}@{} from node {}: it cannot be read ({}); the node keeps its state at"
                        + " index {} and its log", prefix(), s.index(), s.term(), r.from(), ar.cause().getMessage(),
                        kv.lastApplied());
                listener.messageDropped(r, "receiver cannot read snapshot");
                return;
            }
            if (paused) {
                listener.messageDropped(r, "receiver paused");
                return;
            }
            core.step(r);
            if (core.log().snapshot() == s) {
                received = new ReceivedSnapshot(s, ar.result());
            }
            env.scheduleFlush();
        }));
    }

    /**
     * Decodes a received snapshot and checks that its state is the state at the snapshot's index (the log is applied
     * on it from the next index).
     *
     * @throws KvFormatException if it cannot be read, or holds the state at another index
     */
    private static KvStateMachine decodeReceived(Snapshot s) {
        KvStateMachine state = KvStateMachine.restore(s.data());
        if (state.lastApplied() != s.index()) {
            throw new KvFormatException("the snapshot at index " + s.index() + " holds the state at index "
                    + state.lastApplied(), -1);
        }
        return state;
    }

    /** A snapshot the core took and the state decoded from it. */
    private record ReceivedSnapshot(Snapshot snapshot, KvStateMachine state) {
    }

    /** Proposes what was queued and handles every Ready the core has, unless a write is still in flight. */
    public void flush() {
        if (!up || paused) {
            return;
        }
        if (pending.hasQueuedWrites()) {
            proposeQueued();
        }
        drainReady();
        if (persistInFlight) {
            sendWhileWriting();
        }
    }

    private void proposeQueued() {
        List<PendingRequests.Write> batch = pending.takeQueued();
        List<byte[]> data = new ArrayList<>(batch.size());
        for (PendingRequests.Write w : batch) {
            data.add(w.data);
        }
        try {
            List<Proposal> placed = core.proposeAll(data);
            pending.proposed(batch, placed);
        } catch (NotLeaderException e) {
            PendingRequests.refused(batch, notLeader(e.leaderHint(), "leadership changed before the write was proposed"));
        }
    }

    // ---------------------------------------------------------------- the Ready loop

    private void drainReady() {
        while (up && !paused && !persistInFlight && core.hasReady()) {
            Ready rd = core.ready();
            report(rd);
            long gen = generation;
            if (core.role() == Role.LEADER) {
                reportCommit(); // before the messages that carry it: the live view shows events in causal order
            }
            List<Message> late = sendMessagesBeforeDisk(rd);
            Future<Void> persisted;
            try {
                persisted = store.persist(rd.snapshot(), rd.entries(), rd.hardState(), rd.mustSync());
            } catch (RuntimeException e) {
                persisted = Future.failedFuture(e);
            }
            if (persisted.isComplete()) {
                if (persisted.failed()) {
                    failStop(persisted.cause());
                    return;
                }
                if (!afterPersistOrStop(rd, late)) {
                    return;
                }
            } else {
                persistInFlight = true;
                persistStarted = env.nanoTime();
                persisted.onComplete(ar -> env.runOnLoop(() -> {
                    if (gen != generation) {
                        return;
                    }
                    persistInFlight = false;
                    noteSlowPersist(rd);
                    if (ar.failed()) {
                        failStop(ar.cause());
                        return;
                    }
                    if (afterPersistOrStop(rd, late)) {
                        flush();
                    }
                }));
                return;
            }
        }
    }

    /**
     * Logs a Ready whose write took {@link #SLOW_PERSIST_MS} or more. While it is on its way to disk no further Ready
     * is taken: commits, votes and acknowledgements wait (heartbeats and their answers do not, see {@link
     * #sendWhileWriting}). Lines at the same moment on every node point at the storage under all of them.
     */
    private void noteSlowPersist(Ready rd) {
        long ms = (env.nanoTime() - persistStarted) / 1_000_000;
        if (ms >= SLOW_PERSIST_MS) {
            slowWrites++;
            LOG.warn("{} writing a Ready ({} entries{}{}) took {} ms; commits, votes and acknowledgements waited for it", prefix(),
                    rd.entries().size(), rd.hardState() != null ? ", hard state" : "",
                    rd.mustSync() ? ", fsync" : "", ms);
        }
    }

    /**
     * Sends at once the Ready's messages that need not wait for its write ({@link RaftCore#mayLeaveBeforeDisk}: a
     * leader's replication in its term, answers to heartbeats); everything else (votes, acknowledgements) is a
     * promise about the disk and leaves only after the write.
     *
     * @return the messages still to send once the write is durable
     */
    private List<Message> sendMessagesBeforeDisk(Ready rd) {
        if (rd.messages().isEmpty()) {
            return rd.messages();
        }
        List<Message> early = new ArrayList<>();
        List<Message> late = new ArrayList<>();
        for (Message m : rd.messages()) {
            (core.mayLeaveBeforeDisk(m) ? early : late).add(m);
        }
        sendEarly(early);
        return late;
    }

    /**
     * While a Ready is being written no other is taken, but the heartbeats and answers to heartbeats the core made
     * since leave now ({@link RaftCore#takeMessagesBeforeDisk}): a stalled disk holds up commits, not the heartbeats
     * that keep the leader's followers and its lease. Only for {@link #hungWriteNanos()}, though: a write that takes
     * longer is a disk that may never answer, and a leader whose heartbeats went on regardless would keep its
     * followers from electing another for as long as its disk hangs, the cluster without commits all along. Past the
     * bound nothing leaves until the write completes, as before, so the followers elect a leader whose disk works.
     */
    private void sendWhileWriting() {
        if (env.nanoTime() - persistStarted < hungWriteNanos()) {
            List<Message> early = core.takeMessagesBeforeDisk();
            if (!early.isEmpty() && core.role() == Role.LEADER) {
                reportCommit();
            }
            sendEarly(early);
        }
    }

    /**
     * Four times the longest election timeout (2.4 s in {@code conf/node-*.json}): how long a write may take before the
     * node stops answering for its disk. The development VM's shared disk stalled every node's writes for 1.3 s once
     * under load (2026-12-03 18:49:55): a bound of twice the timeout would have let that stall cost the leader.
     */
    private long hungWriteNanos() {
        return 4L * config.electionTimeoutMaxMs() * 1_000_000L;
    }

    /** Sends messages ahead of a write, noting the leader's heartbeats on the lease clock as they leave. */
    private void sendEarly(List<Message> early) {
        if (early.isEmpty()) {
            return;
        }
        long now = env.nanoTime();
        for (Message m : early) {
            if (m instanceof Heartbeat hb && !hb.quiesce()) {
                leaseClock.heartbeatSent(hb.context(), now);
            }
        }
        send(early);
    }

    /**
     * Hands one group of messages to the transport in one call, so that everything for one peer can travel in one
     * frame, then reports each message (the live view draws each one).
     */
    private void send(List<Message> messages) {
        if (messages.isEmpty()) {
            return;
        }
        env.sendAll(messages);
        long now = liveness == null ? 0 : env.nanoTime();
        for (Message m : messages) {
            listener.messageSent(m);
            if (liveness != null) {
                liveness.sent(m.to(), now);
            }
        }
    }

    /**
     * {@link #afterPersist}, or, at a committed entry only a newer release can apply, a stop: this replica must not
     * skip what the others apply, nor serve a state that lacks it. Its log keeps the entry, so a restart with the
     * release the other members run goes on from there. Returns whether the node is still up.
     */
    private boolean afterPersistOrStop(Ready rd, List<Message> toSend) {
        try {
            afterPersist(rd, toSend);
            return true;
        } catch (EntryFromNewerReleaseException e) {
            LOG.error("{} stops: {}", prefix(), e.getMessage());
            crash();
            return false;
        }
    }

    private void afterPersist(Ready rd, List<Message> toSend) {
        if (!rd.entries().isEmpty()) {
            listener.entriesAppended(id(), rd.entries());
        }
        send(toSend);
        if (rd.snapshot() != null) {
            installSnapshot(rd.snapshot());
        }
        apply(rd.committedEntries());
        PendingRequests.KvViewSource state = stateSource();
        for (ReadState rs : rd.readStates()) {
            pending.readIndex(rs.context(), rs.index(), state);
        }
        core.advance(rd);
        pending.releaseReads(state);
        if (rd.softState() != null) {
            onSoftState(rd.softState());
        } else if (rd.hardState() != null && rd.hardState().term() != lastTerm) {
            // A new term with the same role and leader (the leader stepped down and won again between two Readys): the
            // leader dropped the read requests of its old term, so a follower's would wait for an answer until its
            // request timeout. Asked again, they go to the leader's new term at once.
            pending.unconfirmedReadsLost(new NodeRequestException(Reason.LEADERSHIP_LOST, core.leader(),
                    "a new term began before the read was confirmed; retry"), core.term(), core.leader());
        }
        if (rd.hardState() != null) {
            lastTerm = rd.hardState().term();
        }
        maybeSnapshot();
    }

    private void apply(List<Entry> committed) {
        if (committed.isEmpty()) {
            return;
        }
        for (Entry e : committed) {
            if (e.index() <= kv.lastApplied()) {
                continue;
            }
            appliedChanges.clear();
            KvResult result = applyTo(kv, e, appliedChanges);
            history.add(appliedChanges);
            notifyWatchers(appliedChanges);
            appliedBytesSinceSnapshot += e.sizeBytes();
            listener.applied(id(), e, result);
            if (e.type() == EntryType.CONFIG) {
                listener.membershipCommitted(id(), e.index(), Membership.decode(e.data()));
            }
            pending.applied(e, result, core.leader());
        }
        reportCommit();
        if (LOG.isDebugEnabled()) {
            LOG.debug("{} committed and applied up to {}", prefix(), kv.lastApplied());
        }
    }

    /**
     * Tells the listener of a commit index that grew since it was last told. A leader tells it before it sends the
     * messages that carry it (its AppendEntries and heartbeats), and before it applies the entries: the live view
     * keeps each node's events in order, and a follower's receipt of commit 65 must not come before its leader's own
     * commit of 65 (the follower was drawn ahead of its leader). Followers learn theirs from such a message and tell it
     * once the entries are appended and applied. One comparison when nothing changed; the listener's events cost
     * nothing while no one watches (the publisher checks that first).
     */
    private void reportCommit() {
        long commit = core.log().committed();
        if (commit > loggedCommit) {
            loggedCommit = commit;
            listener.committed(id(), commit);
        }
    }

    private void installSnapshot(Snapshot s) {
        ReceivedSnapshot r = received;
        received = null;
        if (r == null || r.snapshot() != s) {
            // Every snapshot the core takes from a message went through stepSnapshot, one at a time.
            throw new IllegalStateException("snapshot " + s.index() + " reached the Ready without its decoded state");
        }
        kv = r.state();
        // The changes the snapshot covers are not known one by one: the history starts again after it.
        history = newHistory(kv.lastApplied() + 1);
        endWatchers(new NodeRequestException(Reason.OUTCOME_UNKNOWN, core.leader(), "node " + id() + " installed a"
                + " snapshot at index " + s.index() + " and does not know the changes it covers; watch another"
                + " node, or read the state again and watch from index " + (s.index() + 1)));
        appliedBytesSinceSnapshot = 0;
        drawSnapshotPoint();
        pending.snapshotInstalled(s.index(), core.leader());
        LOG.info("{} installed snapshot at index {} (term {})", prefix(), s.index(), s.term());
        listener.snapshotInstalled(id(), s.index());
        listener.membershipCommitted(id(), s.index(), s.metadata().membership());
    }

    /** Role or leader changed: reads still waiting for confirmation may never get it. */
    private void onSoftState(SoftState ss) {
        if (ss.role() != lastRole || ss.leader() != lastLeader) {
            pending.unconfirmedReadsLost(new NodeRequestException(Reason.LEADERSHIP_LOST, ss.leader(),
                    "leadership changed before the read was confirmed; retry"), core.term(), core.leader());
            if (ss.role() != Role.LEADER) {
                pending.lostLeadership(notLeader(ss.leader(), "lost leadership"));
            }
        }
        lastRole = ss.role();
        lastLeader = ss.leader();
        leaderView = paused ? 0 : ss.leader();
        if (transfer != null && ss.leader() == transferTarget) {
            endTransfer(null);
        } else if (transfer != null && ss.leader() != 0 && ss.leader() != id()) {
            endTransfer(new NodeRequestException(Reason.TRANSFER_FAILED, ss.leader(), "node " + ss.leader()
                    + " was elected instead of node " + transferTarget));
        }
    }

    /** Snapshots the state machine and compacts the log once enough was applied since the last snapshot. */
    private void maybeSnapshot() {
        Storage s = store.storage();
        long applied = kv.lastApplied();
        long since = applied - (s.firstIndex() - 1);
        // Besides the intervals, a log that has grown past half of max_log_size_bytes is compacted now.
        boolean logLarge = store.compactionPressureBytes() > config.maxLogSizeBytes() / 2;
        // None while the core holds a leader's snapshot not installed yet: it replaces this state, and the core's
        // history of memberships starts at it, so the membership at the applied index is no longer known.
        if (snapshotInFlight || received != null || applied > s.lastIndex() || since <= 0
                || (since < snapshotDueEntries && appliedBytesSinceSnapshot < snapshotDueBytes
                        && !logLarge)) {
            return;
        }
        snapshotInFlight = true;
        long gen = generation;
        KvSnapshot captured = kv.capture();
        long coveredBytes = appliedBytesSinceSnapshot;
        // The membership at the captured index, asked now: once the serialization is done the core may have taken the
        // leader's snapshot of a later index, and its history of memberships then starts there (asked for an index
        // before it, it answers the leader's snapshot's membership, which the log up to this index does not hold).
        Membership membership = core.membershipAt(captured.lastApplied());
        // Serializing is O(state): off the loop. The capture itself is O(1) and immutable.
        env.offload(captured::toByteArray).onComplete(ar -> env.runOnLoop(() -> {
            if (gen != generation) {
                return;
            }
            if (ar.failed()) {
                snapshotInFlight = false;
                escalateOutOfMemory(ar.cause());
                LOG.error("{} failed to serialize a snapshot at {}", prefix(), captured.lastApplied(), ar.cause());
                return;
            }
            compact(captured.lastApplied(), membership, ar.result(), coveredBytes, gen);
        }));
    }

    /** Draws {@link #snapshotDueEntries} and {@link #snapshotDueBytes} for the next snapshot. */
    private void drawSnapshotPoint() {
        snapshotDueEntries = config.snapshotIntervalEntries()
                - snapshotPoints.nextLong(config.snapshotIntervalEntries() / 4 + 1);
        snapshotDueBytes = config.snapshotIntervalBytes() - snapshotPoints.nextLong(config.snapshotIntervalBytes() / 4 + 1);
    }

    /**
     * Writes the snapshot of {@code index} and compacts the log up to it.
     *
     * @param coveredBytes the bytes applied since the previous snapshot that this one holds: what was applied while it
     *                     was serialized and written is not in it, and still counts towards the next one
     */
    private void compact(long index, Membership membership, byte[] data, long coveredBytes, long gen) {
        if (index <= store.storage().firstIndex() - 1) {
            snapshotInFlight = false;
            return; // a snapshot from the leader already covers it
        }
        store.compact(index, membership, data).onComplete(done -> env.runOnLoop(() -> {
            if (gen != generation) {
                return;
            }
            snapshotInFlight = false;
            if (done.failed()) {
                failStop(done.cause());
                return;
            }
            // Not below zero: a leader's snapshot installed meanwhile started the count again.
            appliedBytesSinceSnapshot = Math.max(0, appliedBytesSinceSnapshot - coveredBytes);
            drawSnapshotPoint();
            LOG.info("{} took a snapshot at index {} and compacted the log", prefix(), index);
            listener.snapshotTaken(id(), index);
            // What was applied while this snapshot was on its way is not in it, and may have taken the log past
            // max_log_size_bytes; a node refusing writes for that takes no Ready (alone in its group, or quiet), so
            // it looks again now rather than after a Ready that may never come.
            maybeSnapshot();
        }));
    }

    private void report(Ready rd) {
        if (rd.events().isEmpty()) {
            return;
        }
        // A Ready can carry several transitions (a single node goes Follower -> PreCandidate -> Candidate ->
        // Leader in one); each line shows the term and role the event itself speaks of.
        long term = core.term();
        Role role = core.role();
        boolean repeatRound = false;
        for (CoreEvent e : rd.events()) {
            listener.coreEvent(id(), core.term(), core.role(), e);
            if (e instanceof CoreEvent.StateChange sc) {
                term = sc.term();
                role = sc.to();
                repeatRound = sc.from() == sc.to() && sc.leader() == 0
                        && (sc.to() == Role.PRE_CANDIDATE || sc.to() == Role.CANDIDATE);
                if (sc.from() != sc.to()) {
                    LOG.info("{} {} -> {}: {} ({})", prefix(term, role), sc.from().displayName(),
                            sc.to().displayName(), sc.reason(), lastHeardSummary());
                } else if (sc.leader() != 0) {
                    LOG.info("{} {}", prefix(term, role), sc.reason());
                } else {
                    LOG.debug("{} {}", prefix(term, role), sc.reason());
                }
            } else if (e instanceof CoreEvent.ElectionStarted es) {
                // -1: a repeated round held back; -2: not a repeated round.
                long unlogged = repeatRound && !es.transfer() ? repeatRoundsHeldBack() : -2;
                if (unlogged != -1) {
                    LOG.info("{} {} for term {}{}{}", prefix(term, role), es.preVote() ? "asking for pre-votes"
                            : "starting election", es.term(), es.transfer() ? " (leadership transfer)" : "",
                            unlogged >= 0 ? " (again, no leader since; " + unlogged + " more rounds of this node's"
                                    + " not logged since its last such line, at most one per "
                                    + REPEAT_CAMPAIGN_LOG_NANOS / 1_000_000_000L + " s; " + lastHeardSummary() + ")"
                                    : "");
                }
            } else if (e instanceof CoreEvent.VoteGranted vg) {
                LOG.info("{} granted {} to node {} for term {}", prefix(term, role), vg.preVote() ? "pre-vote" : "vote",
                        vg.candidate(), vg.term());
            } else if (e instanceof CoreEvent.LeaderElected le) {
                LOG.info("{} elected leader for term {} with {} votes", prefix(le.term(), Role.LEADER), le.term(),
                        le.votes());
            } else if (e instanceof CoreEvent.LeadershipTransfer lt) {
                LOG.info("{} leadership transfer to node {}: {}", prefix(term, role), lt.target(), lt.description());
                // SUPERSEDED is also what a successful transfer looks like from here (the target's election): the
                // leader this node learns next decides (onSoftState).
                if (transfer != null && lt.target() == transferTarget
                        && lt.outcome() == CoreEvent.TransferOutcome.ABORTED) {
                    endTransfer(new NodeRequestException(Reason.TRANSFER_FAILED, core.leader(), "leadership transfer"
                            + " to node " + lt.target() + " " + lt.description()));
                } else if (transfer != null && lt.target() == transferTarget
                        && lt.outcome() == CoreEvent.TransferOutcome.UNDECIDED) {
                    // Told "failed", the client would be wrong whenever the target's election then succeeds: the
                    // next leader learned decides (onSoftState), or the request's deadline, which says so.
                    transferUndecided = true;
                }
            } else if (e instanceof CoreEvent.MembershipChanged mc) {
                lastMembership = mc.membership();
                lastConfigIndex = mc.index();
                LOG.info("{} membership {} (index {}): {}", prefix(term, role), mc.membership(), mc.index(),
                        mc.reason());
            } else if (e instanceof CoreEvent.StateLost sl) {
                onStateLost(sl, prefix(term, role));
            } else if (e instanceof CoreEvent.Quiescence q) {
                LOG.debug("{} {}: {}", prefix(term, role), q.quiet() ? "quiet" : "awake", q.reason());
                env.quietChanged(q.quiet());
            }
        }
    }

    private void onStateLost(CoreEvent.StateLost sl, String prefix) {
        LOG.error("{} leader {} says this node acknowledged the log up to index {}, but its log ends at {}. {}", prefix,
                sl.leader(), sl.acknowledged(), sl.lastIndex(), stateLostMessage());
        pending.abandonAll(stateLostMessage());
        recordStateLost("leader " + sl.leader() + " knew this node acknowledged index " + sl.acknowledged()
                + "; its log ended at " + sl.lastIndex());
    }

    /** Records a loss of state in the store, so that a restart does not forget it; a failed write stops the node. */
    private Future<Void> recordStateLost(String detail) {
        long gen = generation;
        return store.recordStateLost(detail).onComplete(ar -> env.runOnLoop(() -> {
            if (gen == generation && ar.failed()) {
                failStop(ar.cause());
            }
        }));
    }

    /**
     * Another Raft group of this node found out that the node lost log entries it had acknowledged ({@link
     * CoreEvent.StateLost}): a sharded node's groups share its data directory, so this group lost its entries too,
     * even if its own leader cannot tell (a leader elected while the node was down never saw it acknowledge, and a
     * quiet group sends no heartbeat). This replica stops voting and serving as the one that found out did, and records
     * the loss in its own store, as a restart reads every group's record.
     *
     * @param detail what the other group found, for the log and the record
     * @return completes once the loss is recorded
     */
    public Future<Void> stateLostElsewhere(String detail) {
        if (up && !core.stateLost()) {
            core.markStateLost(detail);
            LOG.error("{} {}. {}", prefix(), detail, stateLostMessage());
            pending.abandonAll(stateLostMessage());
            flush();
        }
        return store.stateLostRecorded() ? Future.succeededFuture() : recordStateLost(detail);
    }

    /**
     * Whether a campaign round after a failed one may be logged now: the first of the node's groups to ask since
     * {@link #REPEAT_CAMPAIGN_LOG_NANOS} takes the turn.
     *
     * @return the node's rounds held back since its last such line if this one is to be logged, else -1
     */
    private long repeatRoundsHeldBack() {
        long now = env.nanoTime();
        long[] out = {-1};
        // {when the last line was logged, rounds of the node's held back since}
        REPEAT_CAMPAIGN_LOGGED.compute(id(), (k, logged) -> {
            // A clock behind the one recorded is another host's (tests run many in one JVM): the line is due.
            if (logged == null || now - logged[0] >= REPEAT_CAMPAIGN_LOG_NANOS || now < logged[0]) {
                out[0] = logged == null ? 0 : logged[1];
                return new long[] {now, 0};
            }
            logged[1]++;
            return logged;
        });
        return out[0];
    }

    /**
     * "last heard: node 2 412 ms (41 ticks) ago, node 3 12 ms (1 tick) ago", or that no peer has been heard. Only the
     * members of the membership in effect: a removed node that keeps campaigning is heard, but is no peer any more.
     */
    private String lastHeardSummary() {
        Membership members = core.membership();
        List<Map.Entry<Integer, long[]>> heard = lastHeard.entrySet().stream()
                .filter(e -> members.isEmpty() || members.contains(e.getKey())).toList();
        if (heard.isEmpty()) {
            return "no peer heard yet";
        }
        long now = env.nanoTime();
        StringBuilder sb = new StringBuilder("last heard:");
        String sep = " ";
        for (Map.Entry<Integer, long[]> e : heard) {
            long t = ticks - e.getValue()[1];
            sb.append(sep).append("node ").append(e.getKey()).append(' ').append((now - e.getValue()[0]) / 1_000_000)
                    .append(" ms (").append(t).append(t == 1 ? " tick" : " ticks").append(") ago");
            sep = ", ";
        }
        return sb.toString();
    }

    private String prefix(long term, Role role) {
        return "[Node " + id() + "]" + groupTag() + "[Term " + term + "][" + role.displayName() + "]";
    }

    private String prefix() {
        return core == null ? who() + "[Down]" : prefix(core.term(), core.role());
    }

    /**
     * How the replica's log lines begin when they do not give its term and role: {@code [Node n]}, with {@code [Group
     * g]} after it on a node of several groups.
     */
    String who() {
        return "[Node " + id() + "]" + groupTag();
    }

    /** {@code [Group g]} on a node of several groups, whose replicas would otherwise log lines alike; else empty. */
    private String groupTag() {
        return options.sharded() ? "[Group " + options.group() + "]" : "";
    }

    /**
     * The replica as a refusal names it: {@code node 2}, and on a node of several groups {@code node 2 in Raft group
     * 5}, since the node may know the leaders of all its other groups.
     */
    private String self() {
        return options.sharded() ? "node " + id() + " in Raft group " + options.group() : "node " + id();
    }
}
