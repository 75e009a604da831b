package io.raftline.server;

import io.raftline.config.NodeConfig;
import io.raftline.config.RaftlineConfig;
import io.raftline.node.NodeHost;
import io.raftline.node.NodeRequestException;
import io.raftline.node.NodeRequestException.Reason;
import io.raftline.node.RaftNode;
import io.raftline.raft.MembershipChange;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How the local cluster grows and shrinks at runtime, for the live view's "add node" and "remove node": where a new
 * node lives (the configured nodes' pattern of ports and data directories), and the membership changes that add it
 * (learner, then voter once caught up) or remove one, through whichever local node leads, retrying while the
 * cluster is busy (a change pending, a leader just elected, a learner catching up).
 */
final class LocalNodes {

    /** How long adding or removing a node may take, elections and catching up included. */
    static final long DEADLINE_MS = 30_000;
    private static final long RETRY_MS = 50;
    private static final Set<Reason> RETRYABLE = Set.of(Reason.NOT_LEADER, Reason.NO_LEADER, Reason.CHANGE_PENDING,
            Reason.LEADER_NOT_READY, Reason.LEARNER_LAGGING, Reason.QUORUM_UNAVAILABLE, Reason.LEADERSHIP_LOST,
            Reason.PROPOSAL_DROPPED, Reason.NODE_DOWN, Reason.NODE_PAUSED, Reason.TIMEOUT, Reason.OUTCOME_UNKNOWN);
    /**
     * The retryable failures that come after the change was proposed: its entry reached a leader's log, and may have
     * committed (a timeout says "it may still be applied later", an unknown outcome that the leader went down or
     * stepped down while it was pending) although the answer was a failure.
     */
    private static final Set<Reason> PROPOSED = Set.of(Reason.TIMEOUT, Reason.PROPOSAL_DROPPED,
            Reason.LEADERSHIP_LOST, Reason.OUTCOME_UNKNOWN);
    private static final Pattern TRAILING_ID = Pattern.compile("^(.*?)(\\d+)$");

    private LocalNodes() {
    }

    /**
     * The next node: one id above every node known, its HTTP port and data directory following the first configured
     * node's ({@code 8081} for id 1 gives {@code 8084} for id 4; port 0 stays 0; {@code ./data/local/node-1} gives
     * {@code ./data/local/node-4}), marked as joining.
     *
     * @param config the configuration
     * @param known  every node id known
     * @return the new node's settings
     */
    static NodeConfig next(RaftlineConfig config, Collection<Integer> known) {
        int id = known.stream().mapToInt(Integer::intValue).max().orElse(0) + 1;
        NodeConfig n = place(config, id);
        // Nodes added and removed before a restart are not known any more, but their directories are kept: a new node
        // must not start on a removed one's log, term and vote (an audit's finding), so it takes the next free id.
        while (config.storage().durable() && holdsData(Path.of(n.dataDir()))) {
            n = place(config, ++id);
        }
        return n;
    }

    /** Whether {@code dir} exists and is not empty (blocking: call it off the event loop). */
    private static boolean holdsData(Path dir) {
        if (!java.nio.file.Files.isDirectory(dir)) {
            return false;
        }
        try (java.util.stream.Stream<Path> entries = java.nio.file.Files.list(dir)) {
            return entries.findAny().isPresent();
        } catch (java.io.IOException e) {
            return true; // unreadable: not a directory to start a new node in
        }
    }

    /**
     * Where node {@code id}, not listed in the configuration, lives: the first configured node's pattern (see
     * {@link #next}), marked as joining (its own log, if it has one, tells it its membership).
     *
     * @param config the configuration
     * @param id     the node
     * @return its settings
     */
    static NodeConfig place(RaftlineConfig config, int id) {
        NodeConfig first = config.nodes().get(0);
        int port = first.httpPort() == 0 ? 0 : first.httpPort() - first.id() + id;
        String dir;
        Path base = Path.of(first.dataDir());
        Matcher m = TRAILING_ID.matcher(base.getFileName().toString());
        if (m.matches() && Integer.parseInt(m.group(2)) == first.id()) {
            dir = base.resolveSibling(m.group(1) + id).toString();
        } else {
            dir = base.resolveSibling("node-" + id).toString();
        }
        int resp = first.respPort() <= 0 ? first.respPort() : first.respPort() - first.id() + id;
        return new NodeConfig(id, first.host(), port, dir, 0, true, resp);
    }

    /**
     * Adds node {@code id} as a learner, then promotes it once it has caught up.
     *
     * @return the membership, as {@code GET /v1/members} lists it, once {@code id} is a voter
     */
    static Future<JsonArray> join(Vertx vertx, Map<Integer, ? extends RaftNode> nodes, int id, String url) {
        long deadline = System.currentTimeMillis() + DEADLINE_MS;
        return retry(vertx, nodes, deadline, leader -> leader.changeMembership(new MembershipChange.AddLearner(id, url)))
                .recover(e -> alreadyDone(e, Reason.MEMBER_EXISTS))
                .compose(v -> change(vertx, nodes, deadline, new MembershipChange.Promote(id)))
                .map(LocalNodes::describe);
    }

    /**
     * Removes member {@code id} through the leader.
     *
     * @return the membership once the removal is committed
     */
    static Future<JsonArray> remove(Vertx vertx, Map<Integer, ? extends RaftNode> nodes, int id) {
        long deadline = System.currentTimeMillis() + DEADLINE_MS;
        return change(vertx, nodes, deadline, new MembershipChange.Remove(id)).map(LocalNodes::describe);
    }

    /**
     * Makes {@code change} through the leader, retrying as {@link #retry} does. A retry is not idempotent: when an
     * earlier attempt was proposed and then failed (a timeout, say), its entry may have committed all the same, and
     * the retry is refused because the change is already made. Such a refusal, after such an attempt, is the change's
     * success (see {@link #alreadyMade}), answered with the membership of the leader that refused it.
     *
     * @return the membership once the change is committed
     */
    private static Future<NodeHost.MembershipInfo> change(Vertx vertx, Map<Integer, ? extends RaftNode> nodes,
            long deadline, MembershipChange change) {
        AtomicBoolean proposed = new AtomicBoolean();
        return retry(vertx, nodes, deadline, leader -> leader.changeMembership(change).recover(e -> {
            if (e instanceof NodeRequestException r) {
                if (proposed.get() && alreadyMade(change, r)) {
                    return leader.status().map(s -> new NodeHost.MembershipInfo(s.membership(), s.configIndex()));
                }
                if (PROPOSED.contains(r.reason())) {
                    proposed.set(true);
                }
            }
            return Future.failedFuture(e);
        }));
    }

    /**
     * Whether the leader refused {@code change} because it is already made: a removal because the node is not a
     * member, a promotion because the node is already a voter (the only {@code invalid_change} a promotion of an id
     * above 0 can get). The leader decides a change against a committed membership (it refuses one while another is
     * pending), so such a refusal means the change is committed. Other refusals (removing the last voter, promoting
     * a node that is not a member) say nothing of the kind.
     *
     * @param change  the change asked for
     * @param refusal the leader's answer to it
     * @return true if the membership already is what the change asks for
     */
    static boolean alreadyMade(MembershipChange change, NodeRequestException refusal) {
        if (change instanceof MembershipChange.Remove) {
            return refusal.reason() == Reason.UNKNOWN_MEMBER;
        }
        if (change instanceof MembershipChange.Promote) {
            return change.id() > 0 && refusal.reason() == Reason.INVALID_CHANGE;
        }
        return false;
    }

    /**
     * A sharded local cluster: {@link #join} in every group, from group G-1 down to group 0, as the HTTP API makes a
     * change ({@code GET /v1/members} shows group 0's membership, so it lists the node once every group has it). A
     * failure names the group and the groups that have the node already (it runs, and is a member there): removing it
     * undoes the add ({@link #removeFromEveryGroup} takes it out of the groups that list it).
     *
     * @param replicas each node's replica of every group, by group
     * @return group 0's membership once {@code id} is a voter of every group
     */
    static Future<JsonArray> joinEveryGroup(Vertx vertx, Map<Integer, List<? extends RaftNode>> replicas, int groups,
            int id, String url) {
        return everyGroup(replicas, groups, "node " + id + " runs and is a member of the groups that have the change:"
                + " remove node " + id + " to undo", nodes -> join(vertx, nodes, id, url));
    }

    /**
     * A sharded local cluster: {@link #remove} in every group, from group G-1 down to group 0. A group that does not
     * list the node counts as done ({@code unknown_member}), as for {@code DELETE /v1/members/{id}}: an add or a
     * removal that stopped part way leaves it in some groups only, and this takes it out of those (before, the first
     * group without it failed the whole removal, and the node could not be taken out of the others). A node that no
     * group lists is refused as before.
     *
     * @return group 0's membership once the removal is committed in every group
     */
    static Future<JsonArray> removeFromEveryGroup(Vertx vertx, Map<Integer, List<? extends RaftNode>> replicas,
            int groups, int id) {
        long deadline = System.currentTimeMillis() + DEADLINE_MS;
        AtomicBoolean removedSomewhere = new AtomicBoolean();
        java.util.concurrent.atomic.AtomicReference<Throwable> notMember = new java.util.concurrent.atomic
                .AtomicReference<>();
        return everyGroup(replicas, groups, "send the removal again to finish: groups without node " + id
                + " count as done", nodes -> remove(vertx, nodes, id).onSuccess(m -> removedSomewhere.set(true))
                .recover(e -> {
                    if (e instanceof NodeRequestException r && r.reason() == Reason.UNKNOWN_MEMBER) {
                        notMember.set(e);
                        return retry(vertx, nodes, deadline, leader -> leader.status()
                                .map(s -> describe(new NodeHost.MembershipInfo(s.membership(), s.configIndex()))));
                    }
                    return Future.failedFuture(e);
                })).compose(m -> removedSomewhere.get() ? Future.succeededFuture(m)
                        : Future.failedFuture(notMember.get()));
    }

    /**
     * Runs {@code change} on each group's replicas in turn, group G-1 first; completes with group 0's answer. A
     * failure keeps its reason and says which group refused, which groups have the change, and {@code hint}.
     */
    private static Future<JsonArray> everyGroup(Map<Integer, List<? extends RaftNode>> replicas, int groups,
            String hint, java.util.function.Function<Map<Integer, RaftNode>, Future<JsonArray>> change) {
        Future<JsonArray> chain = Future.succeededFuture(new JsonArray());
        for (int g = groups - 1; g >= 0; g--) {
            int group = g;
            chain = chain.compose(x -> change.apply(group(replicas, group))
                    .recover(e -> Future.failedFuture(inGroup(e, group, groups, hint))));
        }
        return chain;
    }

    /** A group's failure, saying which group it was and how far the change got. */
    private static Throwable inGroup(Throwable e, int group, int groups, String hint) {
        if (!(e instanceof NodeRequestException r) || group == groups - 1) {
            return e;
        }
        return new NodeRequestException(r.reason(), r.leaderHint(), "groups " + (group + 1) + ".." + (groups - 1)
                + " of " + groups + " have the change; group " + group + " refused: " + r.getMessage() + " ("
                + hint + ")");
    }

    /** Each node's replica of group {@code g}. */
    private static Map<Integer, RaftNode> group(Map<Integer, List<? extends RaftNode>> replicas, int g) {
        Map<Integer, RaftNode> out = new java.util.TreeMap<>();
        replicas.forEach((node, list) -> out.put(node, list.get(g)));
        return out;
    }

    private static Future<NodeHost.MembershipInfo> alreadyDone(Throwable e, Reason reason) {
        if (e instanceof NodeRequestException r && r.reason() == reason) {
            return Future.succeededFuture(null);
        }
        return Future.failedFuture(e);
    }

    private static JsonArray describe(NodeHost.MembershipInfo info) {
        JsonArray out = new JsonArray();
        if (info != null) {
            for (int id : info.membership().all()) {
                out.add(new JsonObject().put("id", id).put("role", info.membership().isVoter(id) ? "voter"
                        : "learner"));
            }
        }
        return out;
    }

    /** Runs {@code op} on the local leader, again after a short pause while the failure says a retry may help. */
    private static <T> Future<T> retry(Vertx vertx, Map<Integer, ? extends RaftNode> nodes, long deadline,
            java.util.function.Function<RaftNode, Future<T>> op) {
        Promise<T> result = Promise.promise();
        attempt(vertx, () -> {
            RaftNode leader = nodes.values().stream().filter(n -> n.knownLeader() == n.id()).findFirst().orElse(null);
            return leader == null
                    ? Future.failedFuture(new NodeRequestException(Reason.NO_LEADER, 0, "no local node leads"))
                    : op.apply(leader);
        }, deadline, result);
        return result.future();
    }

    private static <T> void attempt(Vertx vertx, Supplier<Future<T>> op, long deadline, Promise<T> result) {
        op.get().onComplete(ar -> {
            if (ar.succeeded()) {
                result.complete(ar.result());
            } else if (ar.cause() instanceof NodeRequestException e && RETRYABLE.contains(e.reason())
                    && System.currentTimeMillis() < deadline) {
                vertx.setTimer(RETRY_MS, t -> attempt(vertx, op, deadline, result));
            } else {
                result.fail(ar.cause());
            }
        });
    }
}
