package io.raftline.node;

import io.raftline.kv.KvCommand;
import io.raftline.kv.KvResult;
import io.vertx.core.Future;
import java.util.List;

/**
 * The client-facing side of one Raft node: what the HTTP API (and later gRPC and the RESP listener) call.
 * Every method may be called from any thread or context; results complete on the caller's context.
 * Failures are {@link NodeRequestException}s whose reason tells the caller what to answer.
 */
public interface RaftNode {

    /**
     * This node's id.
     *
     * @return the id
     */
    int id();

    /**
     * The leader this node currently believes in: a cheap, possibly slightly stale view for routing requests
     * (the request itself re-checks on the node's event loop).
     *
     * @return the leader's id, this node's own id if it leads, or 0 if none is known or the node is down or paused
     */
    int knownLeader();

    /**
     * Waits until this node knows a leader other than {@code other}: what a request refused for want of a leader (a
     * leadership transfer, an election) waits for before it is sent again, instead of failing during a change of
     * leader that takes one election. Bounded by twice the election timeout's upper bound, the time an election
     * normally takes to settle.
     *
     * @param other the leader that refused (this node's own id if it did), or 0
     * @return completes with the leader now known (possibly this node), or with 0 if none was within the bound
     */
    Future<Integer> awaitLeader(int other);

    /**
     * Replicates a write and completes once it is applied here.
     *
     * @param command the write
     * @return the key-value result (a failed compare-and-set is a result, not a failure)
     */
    Future<KvResult> propose(KvCommand command);

    /**
     * Waits until a read at the given consistency may be served, then hands out a view of the state.
     *
     * @param consistency how fresh the read must be
     * @return a view at an applied index that satisfies the consistency
     */
    Future<KvView> read(ReadConsistency consistency);

    /**
     * The node's state right now.
     *
     * @return the status
     */
    Future<NodeStatus> status();

    /**
     * Asks the leader for its commit index now (a ReadIndex round, unless the answer is known without one), without
     * waiting for this node to apply it; the {@link NodeStatus#leaderCommit()} reported after it is at least that
     * index. How a follower learns how far behind it is when it hears only heartbeats, which carry no more than what
     * the leader knows it holds.
     *
     * @return the leader's commit index; fails as a linearizable read does (no leader, a timeout, the node down)
     */
    Future<Long> confirmLeaderCommit();

    /**
     * A fingerprint of the key-value state at the index applied now (hashed off the event loop).
     *
     * @return the digest, or a NODE_DOWN failure while crashed
     */
    Future<StateDigest> digest();

    /**
     * Asks this node, if it leads, to hand leadership to {@code target} (Raft thesis §3.10): it brings the
     * target up to date, then tells it to start an election at once. New writes are refused meanwhile.
     *
     * @param target the node to lead next
     * @return completes once this node sees the target lead; fails with NOT_LEADER if this node does not lead,
     *         TRANSFER_FAILED if the transfer was aborted, TIMEOUT if it did not finish in the request timeout
     */
    Future<Void> transferLeadership(int target);

    /**
     * Asks this node, if it leads, to make a single-server membership change (add a learner or a voter, promote
     * a caught-up learner, remove a member, the leader included) and completes once the change is committed and
     * applied here. Refusals are {@link NodeRequestException}s: {@code not_leader}, {@code change_pending},
     * {@code leader_not_ready}, {@code unknown_member}, {@code member_exists}, {@code learner_lagging},
     * {@code invalid_change}, {@code quorum_unavailable}.
     *
     * @param change the change
     * @return the membership it created and the index of its entry
     */
    Future<NodeHost.MembershipInfo> changeMembership(io.raftline.raft.MembershipChange change);

    /**
     * Watches the changes this node applies under {@code prefix}, in log order, from position
     * {@code (fromRevision, skip)} (see {@link NodeHost#watch}). The sink is called on the node's thread: it must
     * hand the changes on and never block.
     *
     * @param prefix       the key prefix ("" for every key)
     * @param fromRevision the first revision, or 0 for the next change
     * @param skip         how many changes of {@code fromRevision} to skip (a resumed stream)
     * @param sink         where changes go
     * @return the watch, to cancel; fails with {@link WatchCompactedException} if the changes are no longer held
     */
    Future<NodeHost.Watch> watch(String prefix, long fromRevision, int skip, NodeHost.WatchSink sink);

    /**
     * Watches from a position in each Raft group this node hosts, as a client resumes a stream from the id of the
     * last event it received (whatever the number of groups): {@link #watch(String, long, int, NodeHost.WatchSink)}
     * for a node of one group. A node of several groups merges their changes (see
     * {@link io.raftline.shard.ReplicaSet#watch(String, List, NodeHost.WatchSink)}).
     *
     * @param prefix the key prefix ("" for every key)
     * @param from   where to start in each group, by group; empty: from the next change in each
     * @param sink   where changes go
     * @return the watch; fails with {@link IllegalArgumentException} if {@code from} names another number of groups
     *     than the node hosts, with {@link WatchCompactedException} if the changes are no longer held
     */
    default Future<NodeHost.Watch> watch(String prefix, List<WatchPosition> from, NodeHost.WatchSink sink) {
        if (from.isEmpty()) {
            return watch(prefix, 0, 0, sink);
        }
        if (from.size() != 1) {
            return Future.failedFuture(new IllegalArgumentException("the position names " + from.size()
                    + " Raft group(s), but node " + id() + " hosts one (an id of another cluster's watch?)"));
        }
        return watch(prefix, from.get(0).revision(), from.get(0).skip(), sink);
    }

    /**
     * Stops at once, losing everything that is not in the log store.
     *
     * @return completes when crashed
     */
    Future<Void> crash();

    /**
     * Restarts a crashed node from its log store (no-op if running).
     *
     * @return completes when running again
     */
    Future<Void> restart();

    /**
     * Freezes the node: no ticks, incoming messages dropped, client requests refused.
     *
     * @return completes when paused
     */
    Future<Void> pause();

    /**
     * Stops the node as {@code SIGSTOP} would stop its process (or a long GC pause, or a stalled VM): it does
     * nothing at all while wall time runs on. Messages, client requests, timers and storage completions that
     * arrive meanwhile wait and are handled, in order, by {@link #thaw()}; ticks are lost. Unlike
     * {@link #pause()}, nothing is refused or dropped: this is how a node comes back from a stall with old
     * requests and stale beliefs. Status queries and {@link #crash()} still work.
     *
     * @return completes when frozen
     */
    Future<Void> freeze();

    /**
     * Undoes {@link #freeze()}: handles what arrived meanwhile, in order, then runs on.
     *
     * @return completes when running again
     */
    Future<Void> thaw();

    /**
     * Undoes {@link #pause()}.
     *
     * @return completes when running again
     */
    Future<Void> resume();
}
