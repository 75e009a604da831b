package io.raftline.raft;

import io.raftline.raft.message.AppendRequest;
import io.raftline.raft.message.AppendResponse;
import io.raftline.raft.message.Heartbeat;
import io.raftline.raft.message.HeartbeatResponse;
import io.raftline.raft.message.Keepalive;
import io.raftline.raft.message.Message;
import io.raftline.raft.message.ReadIndexRequest;
import io.raftline.raft.message.ReadIndexResponse;
import io.raftline.raft.message.SnapshotRequest;
import io.raftline.raft.message.TimeoutNow;
import io.raftline.raft.message.VoteRequest;
import io.raftline.raft.message.VoteResponse;
import io.raftline.raft.storage.Storage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.random.RandomGenerator;

/**
 * One Raft node's algorithm, as a deterministic state machine.
 *
 * <p>Inputs: {@link #tick()} (logical time), {@link #step(Message)} (a message from a peer),
 * {@link #propose(byte[])}, {@link #readIndex(long)}, {@link #transferLeadership(int)} and
 * {@link #campaign()}. Output: {@link #ready()}, which the host handles (persist → send → apply) before
 * calling {@link #advance(Ready)}. The core never blocks, never reads a clock and draws randomness only from
 * the injected generator, so the same inputs always give the same outputs.
 *
 * <p>Implemented: leader election with randomized timeouts (§5.2), the up-to-date vote check (§5.4.1),
 * PreVote (thesis §9.6), CheckQuorum with a leader lease, the leader's no-op entry, log replication with
 * the consistency check and conflict truncation that never touches committed entries (§5.3), fast
 * backtracking by conflict term, the current-term commit rule (§5.4.2, Figure 8), heartbeats, batching and
 * pipelining with probe/replicate/snapshot flow control, InstallSnapshot (§7), ReadIndex (thesis §6.4)
 * leadership transfer (thesis §3.10), and single-server membership changes with learners (thesis §4), see
 * {@link #changeMembership} and docs/membership.md.
 *
 * <p>Not thread-safe: one owner (a Vert.x event loop, or the simulator) calls everything.
 */
public final class RaftCore {

    private final RaftConfig config;
    private final int id;
    /** The membership in effect (always {@code log.membership()} after each input) and where it comes from. */
    private Membership membership;
    private long configIndex;
    /** {@code membership.voters()} as a sorted array, for the quorum computations. */
    private int[] voters;
    private final RandomGenerator random;
    private final RaftLog log;

    private long term;
    private int vote;
    private int lead;
    private Role role = Role.FOLLOWER;
    private int leadTransferee;
    /** Whether the current transfer's target was sent TimeoutNow: then its election may make it leader yet. */
    private boolean transfereeTold;
    /**
     * Set once this leader sent TimeoutNow in its term. The target then campaigns at once and followers grant a
     * transfer vote even within the leader's lease, so no heartbeat round this leader counted vouches for its
     * leadership any more: lease reads are refused for the rest of the term, even if the transfer is aborted.
     */
    private boolean leaseForfeited;

    private int electionElapsed;
    private int heartbeatElapsed;
    private int randomizedElectionTimeout;
    /** Leader only: ticks since the current leadership transfer started (it is aborted after an election timeout). */
    private int transferElapsed;
    /**
     * Ticks left during which a restarted node still honours the leases it may have backed before it went
     * down: it forgot when it last heard from a leader, so it refuses disruptive votes as if it just had.
     */
    private int restartLeaseHold;
    /** This node lost state it had acknowledged (see {@link #stateLost()}); never cleared in this core's life. */
    private boolean stateLost;
    /**
     * The group is quiet ({@link RaftConfig#quiesceMs()}): a quiesced leader sends no heartbeats and runs no
     * CheckQuorum (its lease still ages, so it serves no lease read without a new round); a quiesced follower's
     * election timer stands still. Cleared by any demand or any message that is not an answer (see {@link #step}),
     * by a new term or role, and by silence the host reports ({@link #checkLiveness}).
     */
    private boolean quiesced;
    /** Leader only: consecutive ticks the group was idle at log position {@link #idleAt}. */
    private int idleTicks;
    private long idleAt;
    /**
     * Leader only: the members whose nodes the host found silent at its last {@link #checkLiveness} (nothing from
     * them, in any group, for the minimum election timeout). The group may go quiet without them (a node that is
     * down need not hold the last entry), provided the voters heard from form a quorum.
     */
    private final java.util.TreeSet<Integer> silentMembers = new java.util.TreeSet<>();
    /**
     * Leader only, while quiesced: the members that were silent when the group went quiet. They may have missed the
     * quiescing heartbeat and some entries, so the first sign of life from one of them wakes the group.
     */
    private final java.util.TreeSet<Integer> quietWithout = new java.util.TreeSet<>();

    private final TreeMap<Integer, Progress> progress = new TreeMap<>();
    private final TreeMap<Integer, Boolean> votes = new TreeMap<>();
    private final ReadIndexQueue readIndexQueue = new ReadIndexQueue();
    /** Reads that arrived before this leader committed an entry of its term (thesis §6.4 step 1). */
    private final List<long[]> readsAwaitingTermCommit = new ArrayList<>();
    private boolean pendingBroadcast;
    /**
     * A ReadIndex read waits for a heartbeat round that has not been sent yet. All reads that arrive before the
     * next {@link #ready()} share that one round (registered for {@code heartbeatRound + 1}), so a thousand
     * concurrent reads cost one round, not a thousand. And while a round sent for reads is unconfirmed (and
     * younger than a heartbeat interval), the next one waits for it: reads arriving meanwhile gather into one
     * round sent when a quorum has answered, so a busy leader sends about one read round per round trip instead
     * of one per Ready (what etcd's read loop does too).
     */
    private boolean pendingReadRound;
    /** Leader only: the last round sent for reads, and the leader tick it left at. */
    private long readRound;
    private long readRoundTick;
    /**
     * Leader only: the last heartbeat round sent to every follower, the tick it left at, and how many followers have
     * answered it so far. A round sent for reads only needs a quorum's answers, so it goes to the voters that answered
     * the last full round first (with the leader, a quorum) and not to all: in a 3-node cluster under reads, half the
     * heartbeats and answers. The rounds of the heartbeat timer still go to every follower; they pick the fastest
     * again each interval and confirm the reads of a round whose addressee fell silent.
     */
    private long fullRound;
    private long fullRoundTick;
    private long fullRoundAnswers;
    /** Leader only: ticks since it was elected, and the tick each heartbeat round was sent at (for leases). */
    private long leaderTicks;
    private long heartbeatRound;
    private final java.util.ArrayDeque<long[]> roundSentAt = new java.util.ArrayDeque<>();

    private List<Message> msgs = new ArrayList<>();
    private List<ReadState> readStates = new ArrayList<>();
    private List<CoreEvent> events = new ArrayList<>();
    private HardState prevHardState;
    private SoftState prevSoftState;
    private Ready outstanding;

    /**
     * Starts (or restarts) a node from what storage holds.
     *
     * @param config  validated configuration
     * @param storage the durable log, hard state and snapshot
     * @param random  source of election-timeout jitter (seed it for reproducible runs)
     * @param applied index the host's state machine is already at (at least the snapshot index)
     */
    public RaftCore(RaftConfig config, Storage storage, RandomGenerator random, long applied) {
        this.config = config;
        this.id = config.id();
        this.random = random;
        this.log = new RaftLog(storage, Membership.ofVoters(config.members()));
        this.membership = log.membership();
        this.configIndex = log.configIndex();
        this.voters = toArray(membership.voters());
        // The persisted vote may be for a node that is not a voter here: votes are granted regardless of the
        // voter's own membership (thesis §4.1), and memberships change. Nothing to check.
        HardState hs = storage.hardState();
        this.term = hs.term();
        this.vote = hs.vote();
        log.restoreCommit(Math.max(hs.commit(), log.committed()));
        log.restoreApplied(Math.max(applied, log.firstIndex() - 1));
        this.prevHardState = hardState();
        becomeFollower(term, 0, "start");
        // A node that was part of the cluster before (it has a term) may have acknowledged a leader's heartbeat
        // just before it went down, backing that leader's lease: it keeps that promise for an election timeout.
        this.restartLeaseHold = config.checkQuorum() && hs.term() > 0 ? config.electionTicksMin() : 0;
        this.prevSoftState = softState();
    }

    /**
     * Tells a core that has just been built how long its node was down, at least: nothing reached the node for
     * {@code ticks} whole ticks before this core's start. The host knows it (when the node's previous life in this
     * process ended, or that the process began after the previous one ended); a promise to a leader's lease the node
     * may have made just before it went down has run for that long already, so the restart hold keeps only the rest
     * of it, and a node that was down for an election timeout or longer may vote at once. Without this call a
     * restarted node holds for a whole election timeout from its start (a kill and a restart can follow each other
     * within microseconds).
     *
     * @param ticks whole ticks of real time since the node last received anything, or fewer; 0 claims nothing
     */
    public void downFor(long ticks) {
        if (ticks > 0) {
            restartLeaseHold = (int) Math.max(0, restartLeaseHold - Math.min(ticks, Integer.MAX_VALUE));
        }
    }

    /** Starts a node with the state machine at the snapshot index (it will be replayed from there). */
    public RaftCore(RaftConfig config, Storage storage, RandomGenerator random) {
        this(config, storage, random, storage.firstIndex() - 1);
    }

    // ---------------------------------------------------------------- inputs

    /** Advances logical time by one tick ({@link RaftConfig#tickMs()} of real time). */
    public void tick() {
        if (restartLeaseHold > 0) {
            restartLeaseHold--;
        }
        if (quiesced) {
            if (role == Role.LEADER) {
                leaderTicks++; // the lease keeps ageing: a quiet leader's lease runs out like any other
            }
            return;
        }
        if (role == Role.LEADER) {
            tickHeartbeat();
        } else {
            tickElection();
        }
    }

    /** Starts an election now, as if the election timeout had elapsed (ignored on a node that is not a voter). */
    public void campaign() {
        demand("campaign requested");
        if (role == Role.LEADER || !promotable()) {
            return;
        }
        campaign(config.preVote() ? Campaign.PRE_VOTE : Campaign.ELECTION);
    }

    /**
     * Appends {@code data} to the leader's log and replicates it.
     *
     * @return where the entry landed; it took effect iff the entry applied at that index has that term
     * @throws NotLeaderException if this node is not the leader or is transferring leadership
     */
    public Proposal propose(byte[] data) {
        demand("client request");
        checkCanPropose();
        long index = log.lastIndex() + 1;
        log.append(List.of(Entry.normal(index, term, data)));
        pendingBroadcast = true;
        return new Proposal(index, term);
    }

    /** Appends several entries at once (one batch, one replication round). */
    public List<Proposal> proposeAll(List<byte[]> batch) {
        demand("client request");
        checkCanPropose();
        List<Entry> entries = new ArrayList<>(batch.size());
        List<Proposal> out = new ArrayList<>(batch.size());
        long index = log.lastIndex();
        for (byte[] data : batch) {
            index++;
            entries.add(Entry.normal(index, term, data));
            out.add(new Proposal(index, term));
        }
        log.append(entries);
        pendingBroadcast = true;
        return out;
    }

    /**
     * Proposes a single-server membership change (Raft thesis §4.1). The new membership is appended as a
     * {@link EntryType#CONFIG} entry and takes effect at once on this leader (and on each follower as soon as it
     * appends the entry): the leader starts replicating to an added member and counts the new voters for commits.
     * A leader that removes itself keeps leading until the entry commits, then hands leadership to the most
     * caught-up voter and steps down.
     *
     * @return where the entry landed (it took effect for good iff the entry applied at that index has this term)
     * @throws NotLeaderException        if not the leader, or a leadership transfer is in progress
     * @throws MembershipChangeException if a previous change is not committed yet, if this leader has not committed
     *                                   an entry of its own term yet, if the change breaks a membership rule, or if
     *                                   it changes the voters and those of the new membership that answer this
     *                                   leader are fewer than its quorum
     */
    public Proposal changeMembership(MembershipChange change) {
        boolean quiet = quiesced; // a quiet group exchanges nothing: who answers is the host's liveness record
        demand("client request");
        checkCanPropose();
        if (configIndex > log.committed()) {
            throw new MembershipChangeException(MembershipChangeException.Reason.PENDING_CHANGE, change.describe()
                    + " refused: the membership change at index " + configIndex + " (" + membership
                    + ") is not committed yet (commit index " + log.committed() + "); one change at a time");
        }
        if (!committedInTerm()) {
            throw new MembershipChangeException(MembershipChangeException.Reason.LEADER_NOT_READY, change.describe()
                    + " refused: leader " + id + " has not committed an entry of its term " + term
                    + " yet; retry once its first entry commits");
        }
        Membership next = membership.apply(change);
        if (!next.voters().equals(membership.voters())) {
            requireAnsweringQuorum(change, next, quiet);
        }
        long index = log.lastIndex() + 1;
        log.append(List.of(Entry.config(index, term, next)));
        syncMembership();
        pendingBroadcast = true;
        return new Proposal(index, term);
    }

    /**
     * Refuses a change of the voters that the voters answering this leader could not commit. The new membership
     * takes effect on append, here and on every follower that appends it: were fewer than its quorum answering, it
     * could never commit, and until it did no other change would be accepted (one at a time), no write would commit,
     * CheckQuorum would depose this leader and no node could be elected under the new voters; the group would stay
     * down until a silent voter came back, or a node added as a voter before it was started came up. A voter
     * answers if it is this leader, or answered within two heartbeat intervals ({@link RaftConfig#voterAnswerTicks};
     * until 2026-12-08 the minimum election timeout, so a voter that had died a moment before still counted and the
     * change stalled the group); in a quiet group, which exchanges nothing: if the host did not find its node silent.
     * A node added as a voter counts for nothing yet, so a new node is added as a learner and promoted once it answers
     * and has caught up.
     */
    private void requireAnsweringQuorum(MembershipChange change, Membership next, boolean quiet) {
        List<Integer> answering = new ArrayList<>();
        List<Integer> silent = new ArrayList<>();
        for (int v : next.voters()) {
            (answers(v, quiet) ? answering : silent).add(v);
        }
        if (answering.size() >= next.quorum()) {
            return;
        }
        throw new MembershipChangeException(MembershipChangeException.Reason.QUORUM_UNAVAILABLE, change.describe()
                + " refused: it would make the voters " + next.voters() + ", whose quorum is " + next.quorum()
                + ", and only " + answering + " of them answer leader " + id + " (no answer from " + silent
                + " within two heartbeat intervals): it could never commit, and the group could commit nothing until it"
                + " did. Bring the silent voters back first (retry once they answer); a new node is added as a"
                + " learner and promoted once it has caught up");
    }

    /** Leader only: whether voter {@code v} of a proposed membership answers now (see requireAnsweringQuorum). */
    private boolean answers(int v, boolean quiet) {
        if (v == id) {
            return true;
        }
        Progress pr = progress.get(v);
        if (pr == null) {
            return false; // not a member yet: it has never answered this leader
        }
        if (quiet) {
            return !silentMembers.contains(v);
        }
        return pr.answeredAt >= 0 && leaderTicks - pr.answeredAt < config.voterAnswerTicks();
    }

    /**
     * Whether {@code peer}'s log is within {@code maxLag} entries of this leader's last index: what the host checks
     * before promoting a learner (a voter that lags adds to the quorum without helping it, which can stall commits).
     *
     * @return false if this node is not the leader or does not replicate to {@code peer}
     */
    public boolean caughtUp(int peer, long maxLag) {
        Progress pr = role == Role.LEADER ? progress.get(peer) : null;
        return pr != null && log.lastIndex() - pr.match <= maxLag;
    }

    /**
     * Asks for a linearizable read point. The answer arrives as a {@link ReadState} with the same context in
     * a later Ready: on the leader after a heartbeat round confirmed its leadership (and after it committed
     * an entry of its term); on a follower after the leader answered.
     *
     * @throws NotLeaderException if no leader is known to forward the request to
     */
    public void readIndex(long context) {
        demand("client request");
        if (role == Role.LEADER) {
            leaderReadIndex(id, context);
        } else if (lead != 0) {
            send(new ReadIndexRequest(id, lead, term, context));
        } else {
            throw new NotLeaderException(id, 0, "no leader to confirm a read");
        }
    }

    /**
     * Serves a read from the leader's lease, without a heartbeat round: valid only with CheckQuorum, where
     * followers refuse to vote while they hear from their leader. Faster than {@link #readIndex} but relies
     * on bounded clock drift between nodes.
     *
     * @return the index to read at once it is applied, or empty if the lease cannot be vouched for now (the
     *         caller falls back to {@link #readIndex})
     * @throws NotLeaderException if not the leader
     */
    public java.util.Optional<LeaseRead> leaseReadIndex() {
        demand("client request");
        if (role != Role.LEADER) {
            throw new NotLeaderException(id, lead, "lease reads are served by the leader");
        }
        if (!config.checkQuorum() || !committedInTerm() || leadTransferee != 0 || leaseForfeited
                || !membership.isVoter(id)) {
            // During a transfer, and for the rest of the term once TimeoutNow left (it may arrive late, after the
            // transfer was given up), the target may win an election at any moment: TimeoutNow bypasses the
            // followers' lease check, so the lease no longer protects reads.
            return java.util.Optional.empty();
        }
        // The lease starts when the heartbeat round a majority acknowledged was SENT (thesis §6.4.1): those
        // followers reset their election timers after that moment, so none of them votes for another
        // candidate before sentAt + election timeout (shortened for clock drift, see RaftConfig.leaseTicks).
        long round = quorumAckedRound();
        if (voters.length == 1) {
            return java.util.Optional.of(new LeaseRead(log.committed(), 0));
        }
        long sentAt = sentTickOf(round);
        if (sentAt < 0 || leaderTicks - sentAt >= config.leaseTicks()) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(new LeaseRead(log.committed(), round));
    }

    /** Hands leadership to {@code target} (thesis §3.10). Ignored if not leader or target is not a voter. */
    public void transferLeadership(int target) {
        demand("client request");
        if (role != Role.LEADER || target == id || !membership.isVoter(target)) {
            return;
        }
        if (leadTransferee == target) {
            return;
        }
        leadTransferee = target;
        transfereeTold = false;
        // The transfer must finish within an election timeout or it is aborted (see tickHeartbeat). Its own
        // counter: resetting electionElapsed would postpone CheckQuorum, and repeated transfers would keep a
        // partitioned leader in place for ever.
        transferElapsed = 0;
        events.add(new CoreEvent.LeadershipTransfer(target, CoreEvent.TransferOutcome.STARTED, "started"));
        Progress pr = progress.get(target);
        if (pr.match == log.lastIndex()) {
            sendTimeoutNow(target);
        } else {
            sendAppend(target, true);
        }
    }

    /** The transport could not deliver to {@code peer}: stop pipelining to it until it answers again. */
    public void reportUnreachable(int peer) {
        Progress pr = progress.get(peer);
        if (role == Role.LEADER && pr != null && peer != id && pr.state == ReplicationState.REPLICATE) {
            pr.becomeProbe();
        }
    }

    /** The transport finished (or failed) sending a snapshot to {@code peer}. */
    public void reportSnapshot(int peer, boolean success) {
        Progress pr = progress.get(peer);
        if (role != Role.LEADER || pr == null || pr.state != ReplicationState.SNAPSHOT) {
            return;
        }
        if (!success) {
            pr.pendingSnapshot = 0;
        }
        // Wait for the follower's answer (or the next heartbeat) before sending again.
        pr.becomeProbe();
        pr.probeSent = true;
    }

    /**
     * Handles a message from a peer. Messages for another node are ignored. What a leader sends (appends,
     * heartbeats, snapshots, TimeoutNow) is accepted from any node, since the leader may be one this node's
     * membership does not know yet (a joining node, or a follower behind a membership change); answers and read
     * requests only from members (or the known leader); vote requests from a non-voter only when this node has no
     * current leader (see docs/membership.md).
     */
    public void step(Message m) {
        if (m.to() != id || m.from() == id || m instanceof Keepalive) {
            return;
        }
        if (m instanceof VoteRequest vr && !membership.isVoter(m.from()) && !vr.transfer()
                && (role == Role.LEADER || (lead != 0 && electionElapsed < config.electionTicksMin()))) {
            // A node that is not a voter here (removed, or added by an entry we do not have yet) while we hear from
            // a leader (thesis §4.2.3): a removed node that keeps campaigning must not disrupt the cluster, even
            // without PreVote or CheckQuorum. Ignored before the term check, so it cannot even raise our term.
            return;
        }
        boolean fromLeader = m instanceof AppendRequest || m instanceof Heartbeat || m instanceof SnapshotRequest
                || m instanceof TimeoutNow;
        if (!fromLeader && !(m instanceof VoteRequest) && !membership.contains(m.from()) && m.from() != lead) {
            // An answer from a node that is no longer (or not yet) a member: nothing we track depends on it.
            return;
        }
        if (quiesced && m.term() >= term && wakesQuiet(m)) {
            wake(m.kind().displayName() + " from " + m.from());
        }
        stepChecked(m);
        if (quiesced && role == Role.LEADER && !idle()) {
            wake("the group is no longer idle after " + m.kind().displayName() + " from " + m.from());
        }
        syncMembership();
    }

    /**
     * Whether a message of this term or a later one wakes a quiesced group: on a leader anything but an answer (late
     * answers to its last rounds must not undo the quiescence they followed), on a follower anything but the
     * quiescing heartbeat itself. A pre-vote counts although its term is the candidate's next one: a restarted
     * follower asks for pre-votes because it has not heard the quiet leader, and the leader must answer with a round
     * (scenario 53).
     */
    private boolean wakesQuiet(Message m) {
        if (role == Role.LEADER) {
            return !m.kind().isResponse();
        }
        return !(m instanceof Heartbeat h && h.quiesce());
    }

    /**
     * What the host knows of its peers' liveness ({@link PeerLiveness#silent}: nothing from a node, in any group, for
     * at least the minimum election timeout), for a quiesced group, whose timers stand still. A quiesced follower
     * whose leader is silent wakes and counts the silence as an elapsed minimum timeout, so it campaigns after the
     * random remainder of its timeout; its promise to the leader's lease is kept, since the leader's last round reached
     * this node before the silence began and a lease is shorter than the minimum election timeout. A quiesced leader
     * that no longer hears a majority of the voters wakes, so CheckQuorum runs again and it steps down as any cut-off
     * leader does; one that went quiet without a silent member wakes when that member is heard again, to bring it up
     * to date. A leader, awake or not, keeps the silent members for {@link #idle()}, so the host calls this on every
     * tick; followers that are awake ignore it (they have their own timers).
     *
     * @param silent whether a node has been silent
     */
    public void checkLiveness(java.util.function.IntPredicate silent) {
        if (role == Role.LEADER) {
            silentMembers.clear();
            for (int m : progress.keySet()) {
                if (m != id && silent.test(m)) {
                    silentMembers.add(m);
                }
            }
            if (!quiesced) {
                return;
            }
            if (!heardQuorum()) {
                wake("a majority of the voters went silent");
                return;
            }
            for (int m : quietWithout) {
                if (!silentMembers.contains(m)) {
                    wake("node " + m + ", silent when the group went quiet, is heard again");
                    return;
                }
            }
        } else if (!quiesced) {
            return;
        } else if (lead != 0 && silent.test(lead)) {
            int leader = lead;
            wake("leader " + leader + "'s node went silent");
            electionElapsed = Math.max(electionElapsed, config.electionTicksMin());
        }
    }

    /** Leader only: whether the voters not found silent at the host's last look (this one too) are a quorum. */
    private boolean heardQuorum() {
        int heard = 0;
        for (int v : voters) {
            if (v == id || !silentMembers.contains(v)) {
                heard++;
            }
        }
        return heard >= membership.quorum();
    }

    /** Whether this group is quiesced (see {@link RaftConfig#quiesceMs()}). */
    public boolean quiesced() {
        return quiesced;
    }

    private void stepChecked(Message m) {
        if (m.term() > term) {
            boolean inLease = config.checkQuorum()
                    && ((lead != 0 && electionElapsed < config.electionTicksMin()) || restartLeaseHold > 0);
            if (m instanceof VoteRequest vr) {
                if (!vr.transfer() && inLease) {
                    // We heard from a leader within the minimum election timeout: this candidate is
                    // disruptive (e.g. it was partitioned); ignore it without changing our term.
                    return;
                }
            } else if (inLease && role == Role.FOLLOWER && !(m instanceof AppendRequest || m instanceof Heartbeat
                    || m instanceof SnapshotRequest)) {
                // Any other higher term that is not a leader's (an answer to what we sent as a former leader or
                // candidate): taking it would forget our leader and free our vote, and a candidate could win with
                // it while our leader still serves lease reads on our promise (scenario 56). A leader takes it (it
                // must learn that it is stale); we learn the term once our leader is gone.
                return;
            }
            if (m instanceof VoteRequest vr && vr.preVote()) {
                // A PreVote never changes our term.
            } else if (m instanceof VoteResponse vr && vr.preVote() && vr.granted()) {
                // A granted PreVote answer carries the prospective term; our term moves only if we win.
            } else if (m instanceof AppendRequest || m instanceof Heartbeat || m instanceof SnapshotRequest) {
                becomeFollower(m.term(), m.from(), "higher term " + m.term() + " from leader " + m.from());
            } else {
                becomeFollower(m.term(), 0, "higher term " + m.term() + " in " + m.kind().displayName() + " from "
                        + m.from());
            }
        } else if (m.term() < term) {
            if (m instanceof AppendRequest || m instanceof Heartbeat) {
                // A stale leader (e.g. healed from a partition) would otherwise keep sending forever: tell it
                // our term so it steps down (Raft §5.1: a stale request is answered with the current term). With
                // PreVote/CheckQuorum we may not have disrupted it ourselves; without them our vote requests may be
                // ignored too, since voters ignore non-voters while they have a leader: a node removed while cut
                // off campaigns to a high term, is re-added as a learner, and would otherwise never follow the
                // leader again (simulator seed 3151).
                send(AppendResponse.accepted(id, m.from(), term, 0));
            } else if (m instanceof VoteRequest vr) {
                // Refused with our term (Raft §5.1), a PreVote and a vote alike: the candidate may never hear our term
                // otherwise. A node whose membership lags (a voter promoted while its log still held an older
                // configuration without the candidate) campaigns only to the voters it knows, so it never asks the
                // candidate, and a candidate behind it in terms went on asking in terms it ignored: without PreVote,
                // the two voters of {2, 6} never elected a leader again (simulator seed 4,018,671 of a stress sweep).
                send(new VoteResponse(id, m.from(), term, false, vr.preVote()));
            }
            return;
        }

        if (m instanceof VoteRequest vr) {
            handleVoteRequest(vr);
            return;
        }
        switch (role) {
            case LEADER -> stepLeader(m);
            case CANDIDATE, PRE_CANDIDATE -> stepCandidate(m);
            default -> stepFollower(m);
        }
    }

    // ---------------------------------------------------------------- Ready

    /** Whether {@link #ready()} has anything for the host. */
    public boolean hasReady() {
        if (outstanding != null) {
            return false;
        }
        return pendingBroadcast || (pendingReadRound && !readRoundInFlight()) || !msgs.isEmpty() || !events.isEmpty()
                || !readStates.isEmpty()
                || log.hasUnstable() || log.hasNextCommittedEntries() || !softState().equals(prevSoftState)
                || !hardState().equals(prevHardState);
    }

    /**
     * Collects what the host must do. Must be followed by {@link #advance(Ready)} with the same value
     * before the next call.
     */
    public Ready ready() {
        if (outstanding != null) {
            throw new IllegalStateException("ready() called twice without advance()");
        }
        flushBroadcast();
        SoftState ss = softState();
        HardState hs = hardState();
        List<Entry> entries = log.unstableEntries();
        Snapshot snap = log.unstableSnapshot();
        boolean mustSync = !entries.isEmpty() || snap != null
                || hs.term() != prevHardState.term() || hs.vote() != prevHardState.vote();
        Ready rd = new Ready(
                ss.equals(prevSoftState) ? null : ss,
                hs.equals(prevHardState) ? null : hs,
                entries,
                snap,
                log.nextCommittedEntries(config.maxCommittedBytesPerReady()),
                msgs,
                readStates,
                events,
                mustSync);
        msgs = new ArrayList<>();
        readStates = new ArrayList<>();
        events = new ArrayList<>();
        outstanding = rd;
        return rd;
    }

    /**
     * Whether {@code m}, made by this core, may leave before the write of the Ready it came with (or of an earlier
     * one) is durable, because it promises nothing about this node's disk. A leader's AppendEntries, heartbeats,
     * snapshots and TimeoutNow in its current term may (Raft thesis §10.2.1: the leader counts its own log toward
     * commitment only once {@link #advance} reports it durable), once that term itself is durable. An answer to a heartbeat may too, once this node
     * has a term on disk: the answer carries a term and the heartbeat's context, no claim about the log; a node that
     * restarts without the term in it only knows an older one, in which it cast no vote it did not write first, and
     * it keeps the promise the answer made to the leader's lease by the hold every restart with a term on disk
     * starts with ({@code restartLeaseHold}). A node with no term on disk yet (a new member's first heartbeat) would
     * restart without that hold, free to vote at once against a lease its answer backed: its answer waits for the
     * write that puts its first term on disk. Votes and acknowledgements of entries are promises about the disk and
     * always wait for the write.
     */
    public boolean mayLeaveBeforeDisk(Message m) {
        if (m instanceof HeartbeatResponse) {
            return prevHardState.term() > 0; // the last hard state advance() was told is durable
        }
        // Only once the leader's term is on its disk (etcd-raft's rule: no message before the hard state it depends
        // on). A candidate's votes wait for that write, so a leader elected by others always has it; the only voter
        // of its membership leads at once, with its new term in memory only: had its appends left before the write,
        // a crash would bring it back in the old term to lead the same term again with other entries at the same
        // indexes, which a learner that took the first ones would keep (scenario 57).
        return role == Role.LEADER && m.term() == term && prevHardState.term() == term && (m instanceof AppendRequest
                || m instanceof Heartbeat || m instanceof SnapshotRequest || m instanceof TimeoutNow);
    }

    /**
     * Takes the heartbeats and answers to heartbeats made since the last {@link #ready()} (both {@link
     * #mayLeaveBeforeDisk may leave before the disk}), for a host that may not take the next Ready yet because the
     * outstanding one is still being written: the leader's heartbeats and the followers' answers to them then go on
     * while a disk stalls. A Ready's write is held up for as long as the disk takes (hundreds of milliseconds when a
     * shared disk stalls); with every message waiting for it, an election timeout of such a stall on the nodes'
     * disks cost the cluster its leader although every process and link was up. Everything else, a leader's appends
     * too, stays for the next Ready, where it travels with the rest in one frame per peer.
     *
     * @return the messages taken, in the order they were made (empty if none)
     */
    public List<Message> takeMessagesBeforeDisk() {
        List<Message> taken = List.of();
        for (int i = 0; i < msgs.size(); ) {
            Message m = msgs.get(i);
            if ((m instanceof Heartbeat || m instanceof HeartbeatResponse) && mayLeaveBeforeDisk(m)) {
                if (taken.isEmpty()) {
                    taken = new ArrayList<>();
                }
                taken.add(m);
                msgs.remove(i);
            } else {
                i++;
            }
        }
        return taken;
    }

    /** Reports that the host persisted, sent and applied everything in {@code rd}. */
    public void advance(Ready rd) {
        if (rd != outstanding) {
            throw new IllegalStateException("advance() with a Ready that is not the outstanding one");
        }
        outstanding = null;
        if (rd.softState() != null) {
            prevSoftState = rd.softState();
        }
        if (rd.hardState() != null) {
            prevHardState = rd.hardState();
        }
        if (rd.snapshot() != null) {
            log.stableSnapTo(rd.snapshot().index());
            log.appliedSnapshot(rd.snapshot().index());
        }
        if (!rd.entries().isEmpty()) {
            Entry last = rd.entries().get(rd.entries().size() - 1);
            log.stableTo(last.index(), last.term());
            if (role == Role.LEADER) {
                // Our own write is durable now: count ourselves (thesis §10.2.1).
                Progress self = progress.get(id);
                if (self.maybeUpdate(log.stableLastIndex()) && maybeCommit()) {
                    pendingBroadcast = true;
                }
            }
        }
        if (!rd.committedEntries().isEmpty()) {
            log.appliedTo(rd.committedEntries().get(rd.committedEntries().size() - 1).index());
        }
    }

    // ---------------------------------------------------------------- observation

    public int id() {
        return id;
    }

    public long term() {
        return term;
    }

    public Role role() {
        return role;
    }

    /** The leader this node knows of, or 0. */
    public int leader() {
        return lead;
    }

    public RaftConfig config() {
        return config;
    }

    /**
     * The membership in effect: the latest one in the log, committed or not (Raft thesis §4.1), else the one in the
     * snapshot, else the bootstrap members of {@link RaftConfig#members()}. Changes are reported as
     * {@link CoreEvent.MembershipChanged}.
     */
    public Membership membership() {
        return membership;
    }

    /** Index of the CONFIG entry (or snapshot) the membership in effect comes from; 0 for the bootstrap one. */
    public long configIndex() {
        return configIndex;
    }

    /**
     * The membership in effect at log index {@code index}: what the host records in a snapshot it takes there
     * ({@link SnapshotMetadata#of}).
     */
    public Membership membershipAt(long index) {
        return log.membershipAt(index);
    }

    /** Read-only access to the log (for status, invariant checks and tests). */
    public RaftLog log() {
        return log;
    }

    public HardState hardState() {
        return new HardState(term, vote, log.committed());
    }

    public SoftState softState() {
        return new SoftState(lead, role);
    }

    /**
     * Whether this node found out that it lost state it had acknowledged (a leader's heartbeat asked it to
     * commit an index it had acknowledged but no longer holds: its data directory was wiped or replaced). Such a
     * node may have voted in terms it no longer remembers, so it never votes or campaigns again, and it no
     * longer trusts heartbeats to commit; it still accepts appends (their consistency check protects it) and
     * acknowledges heartbeats. The only way back is to replace it by a new member.
     *
     * @return true once state loss was detected
     */
    public boolean stateLost() {
        return stateLost;
    }

    /**
     * Marks this node as having lost state, as {@link #stateLost()} describes: the host calls it at start when
     * an earlier life of the node detected the loss and recorded it, and at runtime when another Raft group of the
     * same node found it out (a sharded node's groups share its data directory: what one lost, all lost). A leader or
     * candidate steps down in its term: its own vote for itself may repeat one it gave in a term it no longer
     * remembers, and it may never campaign or lead again. A leader of a quiet group first wakes it (one ordinary
     * heartbeat): its followers stopped their election timers on its word and would wake only once the whole node fell
     * silent, which its other groups' traffic never lets happen, so the group was left with no leader at all.
     *
     * @param reason why, for the role change it may cause
     */
    public void markStateLost(String reason) {
        stateLost = true;
        if (role != Role.FOLLOWER) {
            if (role == Role.LEADER && quiesced) {
                wake("the leader lost state and steps down");
            }
            becomeFollower(term, 0, "state lost: " + reason);
        }
    }

    /** A snapshot of this node's state for status pages and tests. */
    public Status status() {
        Map<Integer, PeerStatus> peers = new TreeMap<>();
        if (role == Role.LEADER) {
            progress.forEach((peer, pr) -> peers.put(peer, new PeerStatus(pr.match, pr.next, pr.state,
                    pr.recentActive, pr.inflights.count())));
        }
        return new Status(id, term, vote, role, lead, log.committed(), log.applied(), log.firstIndex(),
                log.lastIndex(), log.lastTerm(), leadTransferee, Collections.unmodifiableMap(peers), membership,
                configIndex);
    }

    // ---------------------------------------------------------------- roles

    private enum Campaign { PRE_VOTE, ELECTION, TRANSFER }

    private void tickElection() {
        electionElapsed++;
        if (stateLost) {
            // It may have voted in terms it no longer knows of: it must never stand for election again.
            electionElapsed = 0;
            return;
        }
        if (electionElapsed >= randomizedElectionTimeout) {
            electionElapsed = 0;
            if (!promotable()) {
                // Learners, removed nodes and nodes not added yet never stand for election; they only stop
                // believing in a leader they no longer hear from.
                if (lead != 0) {
                    becomeFollower(term, 0, "election timeout: no word from leader " + lead
                            + " (not a voter: no election)");
                }
                return;
            }
            campaign(config.preVote() ? Campaign.PRE_VOTE : Campaign.ELECTION);
        }
    }

    private void tickHeartbeat() {
        heartbeatElapsed++;
        if (config.quiesceTicks() > 0) {
            if (idle() && log.lastIndex() == idleAt) {
                idleTicks++;
            } else {
                idleTicks = 0;
                idleAt = log.lastIndex();
            }
        }
        electionElapsed++;
        leaderTicks++;
        ageProgress();
        if (electionElapsed >= config.electionTicksMin()) {
            electionElapsed = 0;
            if (config.checkQuorum() && !checkQuorumActive()) {
                becomeFollower(term, 0, "check-quorum: no contact with a majority for an election timeout");
                return;
            }
        }
        if (leadTransferee != 0 && ++transferElapsed >= config.electionTicksMin()) {
            // A target told to campaign may win after this leader gave up waiting (its TimeoutNow, or its votes, late):
            // whoever waits on the transfer is not told it failed, only that it is not decided yet.
            events.add(transfereeTold
                    ? new CoreEvent.LeadershipTransfer(leadTransferee, CoreEvent.TransferOutcome.UNDECIDED,
                            "undecided: node " + leadTransferee + " was told to campaign and is not leader yet")
                    : new CoreEvent.LeadershipTransfer(leadTransferee, CoreEvent.TransferOutcome.ABORTED,
                            "aborted: timed out"));
            leadTransferee = 0;
            if (removalCommitted()) {
                becomeFollower(term, 0, "removed from the voters by the configuration at " + configIndex
                        + " and the hand-over timed out");
                return;
            }
        }
        if (heartbeatElapsed >= config.heartbeatTicks()) {
            heartbeatElapsed = 0;
            if (config.quiesceTicks() > 0 && idleTicks >= config.quiesceTicks()) {
                // In place of a round, so no answers to a round are still on their way when the group goes quiet.
                quiesce();
            } else {
                bcastHeartbeat();
            }
        }
    }

    /**
     * Whether this leader's group has nothing to do: every member (learners too) holds every entry, all of it is
     * committed in this term, and no read, transfer or broadcast is waiting. A member whose node the host found
     * silent need not hold every entry, as long as the voters heard from are a quorum: an outage of one node must
     * not keep every group it hosts a replica of awake (it wakes them when it is heard again, see
     * {@link #checkLiveness}).
     */
    private boolean idle() {
        long last = log.lastIndex();
        if (leadTransferee != 0 || pendingBroadcast || pendingReadRound || readIndexQueue.size() > 0
                || !readsAwaitingTermCommit.isEmpty() || log.committed() != last || !committedInTerm()
                || log.hasUnstable()) {
            return false;
        }
        for (Map.Entry<Integer, Progress> e : progress.entrySet()) {
            Progress pr = e.getValue();
            if (e.getKey() != id && (pr.match != last || pr.state != ReplicationState.REPLICATE)
                    && !silentMembers.contains(e.getKey())) {
                return false;
            }
        }
        return silentMembers.isEmpty() || heardQuorum();
    }

    /** The group goes quiet: one last heartbeat (not a round, not answered) tells the followers to stop their timers. */
    private void quiesce() {
        quiesced = true;
        idleTicks = 0;
        quietWithout.clear();
        quietWithout.addAll(silentMembers);
        for (Map.Entry<Integer, Progress> e : progress.entrySet()) {
            if (e.getKey() != id) {
                send(new Heartbeat(id, e.getKey(), term, Math.min(e.getValue().match, log.committed()), 0, true));
            }
        }
        events.add(new CoreEvent.Quiescence(true, "idle for " + config.quiesceTicks() + " ticks"
                + (quietWithout.isEmpty() ? "" : ", without silent node" + (quietWithout.size() == 1 ? " " : "s ")
                        + quietWithout.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(",")))));
    }

    /** Local demand (a proposal, a read, a transfer, a campaign): a quiet group wakes, an idle one starts over. */
    private void demand(String why) {
        idleTicks = 0;
        if (quiesced) {
            wake(why);
        }
    }

    /**
     * Ends the quiescence. A leader sends a heartbeat round at once (a follower that restarted meanwhile learns who
     * leads before its timer runs out) and starts a fresh CheckQuorum window; a follower's timer resumes where it
     * stopped.
     */
    private void wake(String why) {
        quiesced = false;
        idleTicks = 0;
        quietWithout.clear();
        events.add(new CoreEvent.Quiescence(false, why));
        if (role == Role.LEADER) {
            electionElapsed = 0;
            heartbeatElapsed = 0;
            for (Progress pr : progress.values()) {
                pr.recentActive = false;
            }
            bcastHeartbeat();
        }
    }

    /**
     * Ages each follower's outstanding probe ({@link Progress#heartbeatAnswered}) and snapshot. A snapshot can be lost
     * on the way without the transport noticing; after an election timeout without an answer, go back to probing so
     * the next heartbeat answer sends it again.
     */
    private void ageProgress() {
        for (Progress pr : progress.values()) {
            pr.tick();
            if (pr.state == ReplicationState.SNAPSHOT && ++pr.snapshotTicks > config.electionTicksMax()) {
                pr.becomeProbe();
            }
        }
    }

    /** Counts followers heard from since the last check, then starts a new window. */
    private boolean checkQuorumActive() {
        int active = 0;
        for (int v : voters) {
            if (v == id || progress.get(v).recentActive) {
                active++;
            }
        }
        for (Progress pr : progress.values()) {
            pr.recentActive = false;
        }
        return active >= membership.quorum();
    }

    private void campaign(Campaign kind) {
        long voteTerm;
        if (kind == Campaign.PRE_VOTE) {
            becomePreCandidate();
            voteTerm = term + 1;
        } else {
            becomeCandidate();
            voteTerm = term;
        }
        boolean pre = kind == Campaign.PRE_VOTE;
        events.add(new CoreEvent.ElectionStarted(voteTerm, pre, kind == Campaign.TRANSFER));
        if (poll(id, true) == VoteResult.WON) {
            // Single-node cluster: we are the quorum.
            if (pre) {
                campaign(Campaign.ELECTION);
            } else {
                becomeLeader();
            }
            return;
        }
        for (int peer : voters) {
            if (peer != id) {
                send(new VoteRequest(id, peer, voteTerm, log.lastIndex(), log.lastTerm(), pre,
                        kind == Campaign.TRANSFER));
            }
        }
    }

    private enum VoteResult { PENDING, WON, LOST }

    private VoteResult poll(int from, boolean granted) {
        votes.putIfAbsent(from, granted);
        int yes = 0;
        int no = 0;
        for (Map.Entry<Integer, Boolean> v : votes.entrySet()) {
            if (!membership.isVoter(v.getKey())) {
                continue; // only the voters of our membership count
            }
            if (v.getValue()) {
                yes++;
            } else {
                no++;
            }
        }
        if (yes >= membership.quorum()) {
            return VoteResult.WON;
        }
        if (no >= membership.quorum()) {
            return VoteResult.LOST;
        }
        return VoteResult.PENDING;
    }

    private void reset(long newTerm) {
        if (newTerm != term) {
            term = newTerm;
            vote = 0;
        }
        lead = 0;
        electionElapsed = 0;
        heartbeatElapsed = 0;
        randomizedElectionTimeout = random.nextInt(config.electionTicksMin(), config.electionTicksMax() + 1);
        if (leadTransferee != 0) {
            events.add(new CoreEvent.LeadershipTransfer(leadTransferee, CoreEvent.TransferOutcome.SUPERSEDED,
                    "aborted: term " + newTerm + " began"));
            leadTransferee = 0;
        }
        transferElapsed = 0;
        quiesced = false;
        idleTicks = 0;
        silentMembers.clear();
        quietWithout.clear();
        votes.clear();
        progress.clear();
        readIndexQueue.clear();
        readsAwaitingTermCommit.clear();
        pendingBroadcast = false;
        pendingReadRound = false;
        readRound = 0;
        readRoundTick = 0;
        fullRound = 0;
        fullRoundTick = 0;
        fullRoundAnswers = 0;
        leaderTicks = 0;
        roundSentAt.clear();
    }

    private void becomeFollower(long newTerm, int leader, String reason) {
        Role from = role;
        long oldTerm = term;
        int oldLead = lead;
        reset(newTerm);
        lead = leader;
        role = Role.FOLLOWER;
        if (from != role || oldTerm != term || oldLead != lead || "start".equals(reason)) {
            events.add(new CoreEvent.StateChange(from, role, term, lead, reason));
        }
    }

    private void becomePreCandidate() {
        Role from = role;
        // A pre-candidate keeps its term and vote: nothing is persisted until the PreVote round is won.
        votes.clear();
        lead = 0;
        role = Role.PRE_CANDIDATE;
        randomizedElectionTimeout = random.nextInt(config.electionTicksMin(), config.electionTicksMax() + 1);
        events.add(new CoreEvent.StateChange(from, role, term, 0, "election timeout: asking for pre-votes"));
    }

    private void becomeCandidate() {
        Role from = role;
        reset(term + 1);
        vote = id;
        role = Role.CANDIDATE;
        events.add(new CoreEvent.StateChange(from, role, term, 0, "starting election"));
    }

    private void becomeLeader() {
        Role from = role;
        int granted = (int) votes.values().stream().filter(v -> v).count();
        reset(term);
        lead = id;
        role = Role.LEADER;
        leaseForfeited = false;
        long last = log.lastIndex();
        List<Integer> peers = new ArrayList<>(membership.all());
        if (!peers.contains(id)) {
            peers.add(id);
        }
        for (int peer : peers) {
            Progress pr = new Progress(last + 1, config.maxInflightMessages());
            if (peer == id) {
                pr.match = log.stableLastIndex();
                pr.becomeReplicate();
            }
            pr.recentActive = true;
            progress.put(peer, pr);
        }
        events.add(new CoreEvent.StateChange(from, role, term, id, "won election with " + granted + " votes"));
        events.add(new CoreEvent.LeaderElected(id, term, granted));
        // The no-op entry: committing it commits all earlier entries and unlocks ReadIndex (§5.4.2, §6.4).
        log.append(List.of(Entry.noop(last + 1, term)));
        bcastAppend();
    }

    // ---------------------------------------------------------------- message handling

    private void handleVoteRequest(VoteRequest m) {
        if (stateLost) {
            // Its earlier votes are gone with its hard state: voting again could elect two leaders in a term.
            send(new VoteResponse(id, m.from(), term, false, m.preVote()));
            return;
        }
        boolean canVote = vote == m.from()
                || (vote == 0 && lead == 0)
                || (m.preVote() && m.term() > term);
        if (canVote && log.isUpToDate(m.lastLogIndex(), m.lastLogTerm()) && !yieldsToUs(m)) {
            // A granted answer carries the candidate's term: for a PreVote that is the prospective term.
            send(new VoteResponse(id, m.from(), m.term(), true, m.preVote()));
            if (!m.preVote()) {
                electionElapsed = 0;
                vote = m.from();
            }
            events.add(new CoreEvent.VoteGranted(m.from(), m.term(), m.preVote()));
        } else {
            send(new VoteResponse(id, m.from(), term, false, m.preVote()));
        }
    }

    /**
     * Whether to refuse a pre-vote so that simultaneous pre-candidates do not split the vote. When two followers'
     * election timers fire within a message delay of each other (both reset by the same last heartbeat of a dead
     * leader), each grants the other's PreVote, both become candidates, each votes for itself and the term is lost:
     * a whole further election timeout passes before anyone wins. So, while this node has itself been a
     * pre-candidate for the same prospective term for less than half the minimum election timeout, it refuses a
     * pre-vote to a node whose log is exactly as up to date as its own and whose id is higher: of pre-candidates
     * that started together, the lowest id among the most up to date wins at once, and the others grant it. (Half
     * an election timeout, not a heartbeat: on a clustered event bus right after a process died, one direction
     * between the survivors was measured 150-350 ms slower than the other.) A refusal only affects liveness, never
     * safety (a PreVote changes no term and records no vote), and the window keeps it bounded: a pre-candidacy
     * older than the window, a more up-to-date requester, or a leadership transfer are granted as before, so a
     * requester refused now is granted on a later attempt.
     */
    private boolean yieldsToUs(VoteRequest m) {
        return m.preVote() && !m.transfer() && role == Role.PRE_CANDIDATE && m.term() == term + 1
                && electionElapsed < config.electionTicksMin() / 2 && m.from() > id
                && m.lastLogTerm() == log.lastTerm() && m.lastLogIndex() == log.lastIndex();
    }

    private void stepLeader(Message m) {
        if (m instanceof AppendResponse r) {
            handleAppendResponse(r);
        } else if (m instanceof HeartbeatResponse r) {
            handleHeartbeatResponse(r);
        } else if (m instanceof ReadIndexRequest r) {
            leaderReadIndex(r.from(), r.context());
        }
        // Anything else (late VoteResponses of our own election) needs nothing from a leader.
    }

    private void stepCandidate(Message m) {
        if (m instanceof AppendRequest || m instanceof Heartbeat || m instanceof SnapshotRequest) {
            // Someone won this term: follow it (Raft §5.2).
            becomeFollower(term, m.from(), "leader " + m.from() + " elected for term " + term);
            stepFollower(m);
        } else if (m instanceof VoteResponse r) {
            if (r.preVote() != (role == Role.PRE_CANDIDATE)) {
                return; // an answer to an earlier round of the other kind
            }
            VoteResult result = poll(r.from(), r.granted());
            if (result == VoteResult.WON) {
                if (role == Role.PRE_CANDIDATE) {
                    campaign(Campaign.ELECTION);
                } else {
                    becomeLeader();
                }
            } else if (result == VoteResult.LOST) {
                becomeFollower(term, 0, (role == Role.PRE_CANDIDATE ? "pre-vote" : "election")
                        + " lost: a majority rejected");
            }
        } else if (m instanceof ReadIndexResponse r && role == Role.PRE_CANDIDATE) {
            // The answer to a read asked as a follower, from the leader of this same term (a pre-candidate keeps its
            // term): that leader confirmed its leadership at this index, whatever this node became since. Dropped, the
            // read waited for its timeout when the node followed the same leader again before its host looked.
            readStates.add(new ReadState(r.context(), r.index()));
        }
    }

    private void stepFollower(Message m) {
        if (m instanceof AppendRequest r) {
            electionElapsed = 0;
            setLeader(r.from());
            handleAppend(r);
        } else if (m instanceof Heartbeat r) {
            electionElapsed = 0;
            setLeader(r.from());
            handleHeartbeat(r);
        } else if (m instanceof SnapshotRequest r) {
            electionElapsed = 0;
            setLeader(r.from());
            handleSnapshot(r);
        } else if (m instanceof TimeoutNow) {
            if (promotable()) {
                campaign(Campaign.TRANSFER);
            }
        } else if (m instanceof ReadIndexResponse r) {
            readStates.add(new ReadState(r.context(), r.index()));
        }
    }

    private void setLeader(int leader) {
        if (lead != leader) {
            lead = leader;
            events.add(new CoreEvent.StateChange(role, role, term, leader, "following leader " + leader));
        }
    }

    private void handleAppend(AppendRequest m) {
        if (m.prevLogIndex() < log.committed()) {
            // Everything up to our commit index already matches; tell the leader where we are.
            send(AppendResponse.accepted(id, m.from(), term, log.committed()));
            return;
        }
        long lastNew = log.maybeAppend(m.prevLogIndex(), m.prevLogTerm(), m.leaderCommit(), m.entries());
        if (lastNew >= 0) {
            send(AppendResponse.accepted(id, m.from(), term, lastNew));
        } else {
            long[] hint = log.findConflictByTerm(Math.min(m.prevLogIndex(), log.lastIndex()), m.prevLogTerm());
            send(new AppendResponse(id, m.from(), term, true, m.prevLogIndex(), hint[0], hint[1]));
        }
    }

    private void handleHeartbeat(Heartbeat m) {
        if (!stateLost && m.commit() > log.lastIndex()) {
            // A leader sends min(match, commit): it learned from our own acknowledgements that we hold the log up
            // to m.commit(). We do not, so the state we acknowledged (and voted with) is gone.
            stateLost = true;
            events.add(new CoreEvent.StateLost(m.from(), m.commit(), log.lastIndex()));
        }
        if (!stateLost) {
            log.commitTo(m.commit());
        }
        if (m.quiesce()) {
            // The leader knows we hold all it has; unanswered, so the answer cannot wake it.
            if (!quiesced) {
                quiesced = true;
                events.add(new CoreEvent.Quiescence(true, "leader " + m.from() + " quiesced the group"));
            }
            return;
        }
        // The acknowledgement stays truthful: we have not voted for anyone else, and never will again.
        send(new HeartbeatResponse(id, m.from(), term, m.context()));
    }

    private void handleSnapshot(SnapshotRequest m) {
        Snapshot s = m.snapshot();
        if (restore(s)) {
            send(AppendResponse.accepted(id, m.from(), term, log.lastIndex()));
        } else {
            send(AppendResponse.accepted(id, m.from(), term, log.committed()));
        }
    }

    private boolean restore(Snapshot s) {
        if (s.index() <= log.committed()) {
            return false;
        }
        if (log.matchTerm(s.index(), s.term())) {
            // We already have the entries: just fast-forward the commit index.
            log.commitTo(s.index());
            return false;
        }
        log.restore(s);
        return true;
    }

    private void handleAppendResponse(AppendResponse m) {
        Progress pr = progress.get(m.from());
        if (pr == null) {
            return; // a member removed since (late answer)
        }
        pr.recentActive = true;
        pr.answeredAt = leaderTicks;
        if (m.rejected()) {
            long nextProbe = m.hintIndex();
            if (m.hintTerm() > 0) {
                nextProbe = log.findConflictByTerm(m.hintIndex(), m.hintTerm())[0];
            }
            if (pr.maybeDecrTo(m.index(), nextProbe)) {
                if (pr.state == ReplicationState.REPLICATE) {
                    pr.becomeProbe();
                }
                sendAppend(m.from(), true);
            }
            return;
        }
        boolean wasPaused = pr.isPaused();
        if (!pr.maybeUpdate(m.index())) {
            return;
        }
        switch (pr.state) {
            case PROBE -> pr.becomeReplicate();
            case SNAPSHOT -> {
                if (pr.match >= pr.pendingSnapshot) {
                    pr.becomeProbe();
                    pr.becomeReplicate();
                }
            }
            case REPLICATE -> pr.inflights.freeLE(m.index());
            default -> throw new IllegalStateException(pr.state.name());
        }
        if (maybeCommit()) {
            // Followers learn the new commit index in the next round; coalesced per Ready.
            pendingBroadcast = true;
        } else if (wasPaused && !pendingBroadcast) {
            sendAppend(m.from(), true);
        }
        // Pipeline: keep sending while the in-flight window has room and there is something to send.
        while (sendAppend(m.from(), false)) {
            // keep going
        }
        if (!membership.isVoter(id)) {
            maybeHandOffAfterRemoval();
        }
        // A transfer a user asked for goes on from a leader that removed itself too (its removal not committed yet):
        // only checked for voters, its target caught up and was never told, and the transfer timed out.
        if (role == Role.LEADER && m.from() == leadTransferee && pr.match == log.lastIndex()) {
            sendTimeoutNow(m.from());
        }
    }

    /** This leader is not a voter of the membership in effect, and that membership is committed. */
    private boolean removalCommitted() {
        return role == Role.LEADER && !membership.isVoter(id) && log.committed() >= configIndex;
    }

    /**
     * A leader removed from the voters keeps replicating (without counting itself) until its removal commits
     * (thesis §4.2.2), then hands leadership to the most caught-up voter with TimeoutNow, so the cluster need not
     * wait an election timeout, and steps down. A voter that still lags is first brought up to date, as in a
     * leadership transfer; if that times out, the leader steps down anyway.
     */
    private void maybeHandOffAfterRemoval() {
        if (!removalCommitted()) {
            return;
        }
        int best = 0;
        long bestMatch = -1;
        for (int v : voters) {
            Progress pr = progress.get(v);
            // Of voters as far along, the target of a transfer under way (a user's choice) is kept.
            if (pr.match > bestMatch || (pr.match == bestMatch && v == leadTransferee)) {
                best = v;
                bestMatch = pr.match;
            }
        }
        if (best != 0 && leadTransferee != 0 && leadTransferee != best) {
            // A user's transfer to another node ends here: said, so that whoever waits on it hears now. This node,
            // removed, may never hear who leads next (the new leader does not send to non-members).
            events.add(new CoreEvent.LeadershipTransfer(leadTransferee, CoreEvent.TransferOutcome.ABORTED,
                    "aborted: leader " + id + " was removed and hands over to node " + best + ", further along"));
        }
        if (best != 0 && bestMatch == log.lastIndex()) {
            sendTimeoutNow(best);
            events.add(new CoreEvent.LeadershipTransfer(best, CoreEvent.TransferOutcome.HANDED_OVER,
                    "handed over: leader " + id + " was removed"));
            leadTransferee = 0;
            becomeFollower(term, 0, "removed from the voters by the committed configuration at " + configIndex);
        } else if (best != 0 && leadTransferee != best) {
            leadTransferee = best;
            transfereeTold = false;
            transferElapsed = 0;
            events.add(new CoreEvent.LeadershipTransfer(best, CoreEvent.TransferOutcome.STARTED, "started"));
            sendAppend(best, true);
        }
    }

    /** Tells the transfer target to campaign now; from here on this leader's lease vouches for nothing. */
    private void sendTimeoutNow(int target) {
        leaseForfeited = true;
        transfereeTold |= target == leadTransferee;
        send(new TimeoutNow(id, target, term));
    }

    private void handleHeartbeatResponse(HeartbeatResponse m) {
        Progress pr = progress.get(m.from());
        if (pr == null) {
            return;
        }
        pr.recentActive = true;
        pr.answeredAt = leaderTicks;
        // A large probe waits at most two maximum election timeouts for its answer before it may go again.
        pr.heartbeatAnswered(config.heartbeatTicks(), config.maxBytesPerMessage(), 2 * config.electionTicksMax());
        if (pr.state == ReplicationState.REPLICATE && pr.inflights.full()) {
            pr.inflights.freeFirstOne();
        }
        if (pr.match < log.lastIndex()) {
            sendAppend(m.from(), true);
        }
        if (fullRound != 0 && m.context() >= fullRound && pr.fullRoundRank == 0) {
            pr.fullRoundRank = ++fullRoundAnswers;
        }
        if (m.context() > pr.ackedRound) {
            pr.ackedRound = m.context();
            readIndexQueue.ack(m.from(), m.context());
            releaseConfirmedReads();
        }
    }

    private void leaderReadIndex(int from, long context) {
        if (!committedInTerm()) {
            // Thesis §6.4: the leader's commit index is only known to be current once it committed an
            // entry of its own term (the no-op). Hold the read until then.
            readsAwaitingTermCommit.add(new long[] {from, context});
            return;
        }
        long index = log.committed();
        if (voters.length == 1 && voters[0] == id) {
            answerRead(from, context, index);
            return;
        }
        // Registered before the round is sent: only answers to this round or later confirm it.
        readIndexQueue.add(id, from, context, index, heartbeatRound + 1);
        pendingReadRound = true; // sent by the next ready(), shared with the reads that arrive meanwhile
    }

    private void releaseConfirmedReads() {
        ReadIndexQueue.Pending p;
        while ((p = readIndexQueue.pollConfirmed(membership)) != null) {
            answerRead(p.from(), p.context(), p.index());
        }
    }

    private void answerRead(int from, long context, long index) {
        if (from == id) {
            readStates.add(new ReadState(context, index));
        } else {
            send(new ReadIndexResponse(id, from, term, context, index));
        }
    }

    /** The tick a heartbeat round was sent at, or -1 if it is too old to remember. */
    private long sentTickOf(long round) {
        for (java.util.Iterator<long[]> it = roundSentAt.descendingIterator(); it.hasNext();) {
            long[] r = it.next();
            if (r[0] == round) {
                return r[1];
            }
            if (r[0] < round) {
                break;
            }
        }
        return -1;
    }

    private boolean committedInTerm() {
        return log.term(log.committed()) == term;
    }

    // ---------------------------------------------------------------- replication

    private void checkCanPropose() {
        if (role != Role.LEADER) {
            throw new NotLeaderException(id, lead, "role is " + role.displayName());
        }
        if (leadTransferee != 0) {
            throw new NotLeaderException(id, leadTransferee, "leadership transfer to " + leadTransferee
                    + " in progress");
        }
    }

    /** Sends new entries once per Ready rather than once per proposal, so proposals batch naturally. */
    private void flushBroadcast() {
        if (pendingBroadcast) {
            pendingBroadcast = false;
            if (role == Role.LEADER) {
                bcastAppend();
            }
        }
        if (pendingReadRound && role == Role.LEADER) {
            if (readRoundInFlight()) {
                return; // stays pending: sent once a quorum has answered the round in flight
            }
            sendReadRound();
            readRound = heartbeatRound;
            readRoundTick = leaderTicks;
        }
        pendingReadRound = false;
    }

    /** Whether a round sent for reads still waits for a quorum, and was sent less than a heartbeat ago. */
    private boolean readRoundInFlight() {
        if (role != Role.LEADER || readRound == 0 || leaderTicks - readRoundTick >= config.heartbeatTicks()) {
            return false;
        }
        return quorumAckedRound() < readRound;
    }

    /** The highest heartbeat round a quorum (this leader included) has answered. */
    private long quorumAckedRound() {
        return quorumReached(v -> v == id ? heartbeatRound : progress.get(v).ackedRound);
    }

    /**
     * The highest value a quorum of the voters in effect has reached: each voter's value, sorted, the quorum-th
     * from the top (the commit index from the match indexes, the confirmed round from the acknowledged rounds).
     */
    private long quorumReached(java.util.function.IntToLongFunction valueOf) {
        long[] values = new long[voters.length];
        for (int i = 0; i < voters.length; i++) {
            values[i] = valueOf.applyAsLong(voters[i]);
        }
        Arrays.sort(values);
        return values[voters.length - membership.quorum()];
    }

    private boolean maybeCommit() {
        if (voters.length == 0) {
            return false;
        }
        // Only the voters of the membership in effect count; a leader being removed does not count itself.
        long quorumIndex = quorumReached(v -> progress.get(v).match);
        boolean firstInTerm = !committedInTerm();
        if (!log.maybeCommit(quorumIndex, term)) {
            return false;
        }
        if (firstInTerm && committedInTerm() && !readsAwaitingTermCommit.isEmpty()) {
            List<long[]> held = new ArrayList<>(readsAwaitingTermCommit);
            readsAwaitingTermCommit.clear();
            for (long[] r : held) {
                leaderReadIndex((int) r[0], r[1]);
            }
        }
        return true;
    }

    private void bcastAppend() {
        for (int peer : new ArrayList<>(progress.keySet())) {
            if (peer != id) {
                sendAppend(peer, true);
            }
        }
    }

    /**
     * Sends a heartbeat round. Every round has a number, echoed by followers: it confirms pending ReadIndex
     * requests and dates the leader lease.
     */
    private void bcastHeartbeat() {
        long context = nextRound();
        fullRound = context;
        fullRoundTick = leaderTicks;
        fullRoundAnswers = 0;
        for (Map.Entry<Integer, Progress> e : progress.entrySet()) {
            if (e.getKey() != id) {
                e.getValue().fullRoundRank = 0;
                sendHeartbeat(e.getKey(), e.getValue(), context);
            }
        }
    }

    /**
     * A round for reads: to the voters that answered the last full round first, as many as make a quorum with this
     * leader, if that round is recent (younger than two heartbeat intervals) and enough of them answered it; to every
     * follower otherwise. Which voters confirm a round does not matter to the reads (any quorum's answers to a round
     * sent after a read registered prove the leadership at that point), only how soon they answer.
     */
    private void sendReadRound() {
        int need = membership.quorum() - (membership.isVoter(id) ? 1 : 0);
        int[] fastest = new int[need];
        int found = 0;
        if (fullRound != 0 && leaderTicks - fullRoundTick < 2L * config.heartbeatTicks()) {
            long lastRank = 0; // ranks are distinct: take the next lowest each time
            for (; found < need; found++) {
                long bestRank = Long.MAX_VALUE;
                for (int v : voters) {
                    Progress pr = v == id ? null : progress.get(v);
                    if (pr != null && pr.fullRoundRank > lastRank && pr.fullRoundRank < bestRank) {
                        bestRank = pr.fullRoundRank;
                        fastest[found] = v;
                    }
                }
                if (bestRank == Long.MAX_VALUE) {
                    break;
                }
                lastRank = bestRank;
            }
        }
        if (found < need) {
            bcastHeartbeat();
            return;
        }
        long context = nextRound();
        for (int peer : fastest) {
            sendHeartbeat(peer, progress.get(peer), context);
        }
    }

    /** Numbers the next heartbeat round and remembers when it left (leases age from it). */
    private long nextRound() {
        pendingReadRound = false; // any round sent after a read registered confirms it
        long context = ++heartbeatRound;
        roundSentAt.addLast(new long[] {context, leaderTicks});
        int keep = 2 * config.electionTicksMax() / config.heartbeatTicks() + 16;
        while (roundSentAt.size() > keep) {
            roundSentAt.removeFirst();
        }
        return context;
    }

    private void sendHeartbeat(int peer, Progress pr, long context) {
        // Never tell a follower to commit past what it is known to hold.
        long commit = Math.min(pr.match, log.committed());
        send(new Heartbeat(id, peer, term, commit, context));
    }

    /**
     * Sends the follower what it needs next: entries from {@code next}, or the snapshot if they were
     * compacted. Returns whether a message was sent.
     */
    private boolean sendAppend(int to, boolean sendIfEmpty) {
        Progress pr = progress.get(to);
        if (pr.isPaused()) {
            return false;
        }
        long prevIndex = pr.next - 1;
        long prevTerm = log.term(prevIndex);
        if (prevTerm < 0 || pr.next < log.firstIndex()) {
            return sendSnapshot(to, pr);
        }
        List<Entry> ents = log.entries(pr.next, config.maxBytesPerMessage());
        if (ents.size() > config.maxEntriesPerMessage()) {
            ents = new ArrayList<>(ents.subList(0, config.maxEntriesPerMessage()));
        }
        if (ents.isEmpty() && !sendIfEmpty) {
            return false;
        }
        send(new AppendRequest(id, to, term, prevIndex, prevTerm, ents, log.committed()));
        long bytes = 0;
        if (pr.state == ReplicationState.PROBE) { // only a probe's size is kept (Progress#heartbeatAnswered)
            for (Entry e : ents) {
                bytes += e.sizeBytes();
            }
        }
        pr.sentEntries(ents.size(), ents.isEmpty() ? prevIndex : ents.get(ents.size() - 1).index(), bytes);
        return true;
    }

    private boolean sendSnapshot(int to, Progress pr) {
        if (!pr.recentActive) {
            // Don't ship a snapshot to a node that may be down; wait until it answers again.
            return false;
        }
        Snapshot s = log.snapshot();
        if (s.isEmpty()) {
            throw new IllegalStateException("entries before " + log.firstIndex() + " compacted but no snapshot");
        }
        send(new SnapshotRequest(id, to, term, s));
        pr.becomeSnapshot(s.index());
        return true;
    }

    private void send(Message m) {
        msgs.add(m);
    }

    // ---------------------------------------------------------------- membership

    /**
     * Whether this node may stand for election: it has not lost state, and it is a voter of the membership in
     * effect, or was a voter of the one before while the change that removed it is not known committed. The second
     * case is the thesis's note in §4.2.2: a server not in its own latest configuration may still be needed to
     * elect a leader until that configuration commits. Without it, a leader that removed itself and then lost its
     * leadership with the most up-to-date log would refuse its vote to everyone else and never campaign itself: no
     * leader, ever (seed 15 of the simulator; scenario 40). It campaigns under its latest membership, as every node
     * does: only those voters' votes count, its own does not.
     */
    private boolean promotable() {
        if (stateLost) {
            return false;
        }
        return membership.isVoter(id)
                || (configIndex > log.committed() && log.membershipAt(configIndex - 1).isVoter(id));
    }

    private static int[] toArray(List<Integer> ids) {
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Takes the log's membership (it follows every append, truncation and snapshot) into effect: reports it, and on
     * a leader starts or stops replicating to the members that came or went.
     */
    private void syncMembership() {
        Membership now = log.membership();
        long index = log.configIndex();
        if (index == configIndex && now.equals(membership)) {
            return;
        }
        String reason;
        if (index < configIndex) {
            reason = "configuration at " + configIndex + " truncated, back to the one at " + index;
        } else if (index == log.firstIndex() - 1) {
            reason = "snapshot at " + index;
        } else {
            reason = "configuration entry at " + index + " appended";
        }
        boolean changed = !now.equals(membership);
        membership = now;
        configIndex = index;
        voters = toArray(now.voters());
        if (!changed) {
            return; // same members from another index (a snapshot over the config entry): nothing to report
        }
        events.add(new CoreEvent.MembershipChanged(index, now, reason));
        if (role != Role.LEADER) {
            return;
        }
        for (int peer : now.all()) {
            if (!progress.containsKey(peer)) {
                Progress pr = new Progress(log.lastIndex() + 1, config.maxInflightMessages());
                pr.recentActive = true;
                progress.put(peer, pr);
            }
        }
        progress.keySet().removeIf(peer -> peer != id && !now.contains(peer));
        if (leadTransferee != 0 && !now.isVoter(leadTransferee)) {
            events.add(new CoreEvent.LeadershipTransfer(leadTransferee, CoreEvent.TransferOutcome.ABORTED,
                    "aborted: no longer a voter"));
            leadTransferee = 0;
        }
        // Reads waiting for their round are confirmed by the voters in effect now: a group that shrank to this leader
        // alone confirms them at once, and no answer would ever come to check them again (a sole voter sends no
        // round, and a removed member's answer is dropped), so they waited until the client gave up.
        releaseConfirmedReads();
    }

    @Override
    public String toString() {
        return "[Node " + id + "][Term " + term + "][" + role.displayName() + "]";
    }
}
