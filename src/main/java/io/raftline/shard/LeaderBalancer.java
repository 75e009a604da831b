package io.raftline.shard;

import io.raftline.node.NodeStatus;
import io.raftline.node.RaftNode;
import io.raftline.raft.Role;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Spreads the leaders of a sharded cluster's groups over its voters: a node that leads at least two groups more than
 * the voter that leads the fewest hands it one of its groups where that voter is caught up, one group per round, until
 * the counts differ by at most one (a node leads {@code floor(G / voters)} or {@code ceil(G / voters)} groups), by a
 * Raft leadership transfer (the target is brought up to date first, so nothing is lost and writes of that group pause
 * for about one round trip).
 *
 * <p>Why: elections pick whoever times out first, and after a crash heals the node that stayed up leads every group
 * it took over; all writes then go through one node while the others idle. Every node runs a balancer for the groups it
 * leads, and moves only its own leaderships, so two nodes never move the same group; a round is skipped while any group
 * has no known leader (an election in progress), so balancing never competes with failover.
 *
 * <p>One move at a time, and a move that does not end within {@code transferBoundMs} no longer holds the next rounds
 * (as etcd gives up a transfer after an election timeout): the core aborts a transfer whose target does not take over
 * within an election timeout, but the leader's own clock must run for that. A leader stopped as under SIGSTOP (frozen,
 * or paused) with a transfer under way, or stopped before the transfer reached it, answers only once it runs again;
 * before, the balancer of a local cluster, which moves every local node's groups, waited that long and balanced no
 * node meanwhile. A node that is frozen or paused is no giver either: its statuses are those from before it stopped,
 * and a transfer asked of it would only wait with it.
 */
public final class LeaderBalancer {

    private static final Logger LOG = LoggerFactory.getLogger(LeaderBalancer.class);

    /** One move: group {@code group} from this node to {@code to}. @param group the group @param to the new leader */
    public record Move(int group, int to) {
    }

    private final Vertx vertx;
    private final Supplier<Map<Integer, List<? extends RaftNode>>> local;
    private final long periodMs;
    private final java.util.function.BiPredicate<Integer, Integer> reachable;
    /** How long a move may hold the next rounds; it goes on meanwhile, and its outcome is logged when it comes. */
    private final long transferBoundMs;
    private long timer = -1;
    private boolean moving;
    private int turn;

    /**
     * Creates a balancer that hands groups only to nodes it hears from.
     *
     * @param vertx     runs the periodic check
     * @param local     this process's nodes: node id to its replica of each group, by group
     * @param periodMs  how often to look
     * @param reachable whether a local node ({@code self}) hears from a peer now: a down node leads no group and must
     *                  not be handed one (each attempt would hold the group's writes for an election timeout)
     * @param transferBoundMs how long a move may keep the next rounds waiting (above what a transfer takes: a leader
     *                  that runs ends one within about an election timeout)
     */
    public LeaderBalancer(Vertx vertx, Supplier<Map<Integer, List<? extends RaftNode>>> local, long periodMs,
            java.util.function.BiPredicate<Integer, Integer> reachable, long transferBoundMs) {
        if (transferBoundMs <= 0) {
            throw new IllegalArgumentException("transferBoundMs must be > 0, got " + transferBoundMs);
        }
        this.vertx = vertx;
        this.local = local;
        this.periodMs = periodMs;
        this.reachable = reachable;
        this.transferBoundMs = transferBoundMs;
    }

    /** Starts looking every period, on the caller's context. */
    public void start() {
        timer = vertx.setPeriodic(periodMs, periodMs, t -> round());
    }

    /** Stops looking (a transfer under way finishes on its own). */
    public void stop() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
            timer = -1;
        }
    }

    private void round() {
        Map<Integer, List<? extends RaftNode>> nodes = local.get();
        if (moving || nodes.isEmpty()) {
            return;
        }
        // Every local node is looked at (a local cluster runs them all here), and one move at most is made per round:
        // the next round sees its effect. Whose move goes first rotates, so that no node's plan starves another's.
        List<Integer> ids = new ArrayList<>(nodes.keySet());
        int first = Math.floorMod(turn++, ids.size());
        List<Future<Optional<Move>>> plans = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            int self = ids.get((first + i) % ids.size());
            plans.add(ReplicaSet.statuses(nodes.get(self)).map(all -> plan(self, all,
                    peer -> reachable.test(self, peer))));
        }
        moving = true;
        Future.all(plans).compose(done -> {
            for (int i = 0; i < plans.size(); i++) {
                Optional<Move> move = plans.get(i).result();
                if (move.isPresent()) {
                    int self = ids.get((first + i) % ids.size());
                    Move m = move.get();
                    LOG.info("[Node {}] leads at least 2 groups more than node {}: hands group {} to it", self,
                            m.to(), m.group());
                    return bounded(nodes.get(self).get(m.group()).transferLeadership(m.to()).onFailure(x -> LOG.info(
                            "[Node {}] handing group {} to node {} failed: {}", self, m.group(), m.to(),
                            x.getMessage())), self, m);
                }
            }
            return Future.succeededFuture();
        }).onComplete(ar -> moving = false);
    }

    /** A move's transfer, or its end for the balancer once {@link #transferBoundMs} passed without an answer. */
    private Future<?> bounded(Future<Void> transfer, int self, Move m) {
        if (transfer.isComplete()) {
            return transfer;
        }
        io.vertx.core.Promise<Void> released = io.vertx.core.Promise.promise();
        long bound = vertx.setTimer(transferBoundMs, t -> {
            if (released.tryComplete()) {
                LOG.info("[Node {}] handing group {} to node {}: no answer within {} ms (is node {} stopped?); the"
                        + " balancer goes on", self, m.group(), m.to(), transferBoundMs, self);
            }
        });
        transfer.onComplete(ar -> {
            vertx.cancelTimer(bound);
            released.tryComplete();
        });
        return released.future();
    }

    /**
     * What a node should hand over, if anything: given its replicas' statuses (by group), the group it leads that
     * goes to the voter leading the fewest groups, when this node leads at least two more than that voter. Nothing
     * while any group has no known leader, or this node is not a voter, or is frozen or paused.
     *
     * @param self     the node
     * @param replicas its replicas' statuses, by group
     * @return the move, or empty
     */
    public static Optional<Move> plan(int self, List<NodeStatus> replicas) {
        return plan(self, replicas, peer -> true);
    }

    /**
     * {@link #plan(int, List)} among the voters this node hears from: a voter it does not hear from (down, or cut off)
     * is never a target. Regression: the balancer of a 3-process cluster kept handing a group to a killed process
     * every round, and each attempt refused that group's writes until the transfer timed out.
     *
     * @param self      the node
     * @param replicas  its replicas' statuses, by group
     * @param reachable whether this node hears from a peer now
     * @return the move, or empty
     */
    public static Optional<Move> plan(int self, List<NodeStatus> replicas, java.util.function.IntPredicate reachable) {
        if (replicas.size() < 2) {
            return Optional.empty();
        }
        // The voters of every group: a node half way through a membership change (added to or removed from some
        // groups only) is neither a target nor a giver until every group agrees, or a round could keep offering a
        // group to a node that is not its voter, refused every time (an audit of the sharded paths).
        List<Integer> voters = new ArrayList<>(replicas.get(0).membership().voters());
        for (NodeStatus s : replicas) {
            voters.retainAll(s.membership().voters());
        }
        if (voters.size() < 2 || !voters.contains(self)) {
            return Optional.empty();
        }
        Map<Integer, Integer> leads = new TreeMap<>();
        for (int v : voters) {
            leads.put(v, 0);
        }
        List<Integer> mine = new ArrayList<>();
        for (int g = 0; g < replicas.size(); g++) {
            NodeStatus s = replicas.get(g);
            if (!s.up() || s.leader() == 0 || s.frozen() || s.paused()) {
                return Optional.empty();
            }
            leads.computeIfPresent(s.leader(), (id, n) -> n + 1);
            if (s.role() == Role.LEADER && s.leader() == self) {
                mine.add(g);
            }
        }
        int target = 0;
        int fewest = Integer.MAX_VALUE;
        for (Map.Entry<Integer, Integer> e : leads.entrySet()) {
            if (e.getKey() != self && e.getValue() < fewest && reachable.test(e.getKey())) {
                target = e.getKey();
                fewest = e.getValue();
            }
        }
        if (target == 0 || mine.size() - fewest < 2) {
            return Optional.empty();
        }
        // The highest-numbered group it leads where the target is caught up: deterministic, and group 0 (the live
        // view's) moves last. A transfer holds the group's writes until the target has every entry and takes over,
        // or an election timeout passes: to a target that needs a snapshot (a node restarted behind a compacted log)
        // or many entries, it timed out, and every round held another group's writes (seen on a 3-process cluster of
        // 32 groups: a transfer "aborted: timed out" each 2 s while the restarted node installed its snapshots).
        for (int i = mine.size() - 1; i >= 0; i--) {
            if (caughtUp(replicas.get(mine.get(i)), target)) {
                return Optional.of(new Move(mine.get(i), target));
            }
        }
        return Optional.empty();
    }

    /** Most entries a target may trail the leader's commit index by and still be handed the group. */
    static final long CAUGHT_UP_SLACK = 1_000;

    /**
     * Whether {@code target} holds the group's log far enough that a transfer ends in about a round trip: its match
     * index (as the leader knows it) within {@link #CAUGHT_UP_SLACK} of the commit index, and past the leader's last
     * snapshot, so that what it lacks is still in the log (sent as entries, not as a snapshot).
     */
    private static boolean caughtUp(NodeStatus leader, int target) {
        Long match = leader.matchIndex().get(target);
        return match != null && match >= leader.snapshotIndex() && leader.commit() - match <= CAUGHT_UP_SLACK;
    }
}
