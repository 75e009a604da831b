package io.raftline.verify.nemesis;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Membership changes of a cluster under test through its HTTP API ({@code /v1/members}), as an operator would
 * make them, but driven to a goal rather than sent once: each call states the membership it wants ("node 4 is a
 * voter", "node 3 is gone") and asks again until the leader's view shows it, or its deadline passes.
 *
 * <p>Why not a single request: a change is refused while another is pending or while a new leader has not committed
 * its first entry (409), there is no leader during an election (503), a learner cannot be promoted while it lags
 * (409), and a removed leader's answer may be lost while it hands over. Each of these only means "later", and each
 * attempt starts by reading the membership, so a change that took effect although its answer was lost is never
 * sent twice. Requests go to the nodes in turn (any node proxies them to the leader), so one dead or removed node
 * does not stop them. Every future completes within its deadline; nothing here blocks.
 */
public final class MembershipClient {

    private final Vertx vertx;
    private final AdminHttp http;
    private final Supplier<Map<Integer, URI>> nodes;
    private final AtomicInteger next = new AtomicInteger();

    /**
     * @param vertx whose timers pace the retries
     * @param http  the harness's HTTP client
     * @param nodes where the running nodes' client APIs are (asked again on every attempt: nodes come and go)
     */
    MembershipClient(Vertx vertx, AdminHttp http, Supplier<Map<Integer, URI>> nodes) {
        this.vertx = vertx;
        this.http = http;
        this.nodes = nodes;
    }

    /**
     * The leader's view of the membership ({@code GET /v1/members}), from the first node that can give it. An answer
     * not given by the leader itself is passed over: a removed node that knows no leader answers with its own view,
     * in which it is still a voter.
     *
     * @return {@code {"members":[{"id","url","role",...}],"configIndex","leader","servedBy"}}; fails if no node
     *         answered with the leader's view
     */
    public Future<JsonObject> view() {
        return leaderView(rotation(), 0);
    }

    private Future<JsonObject> leaderView(List<URI> order, int i) {
        if (i >= order.size()) {
            return Future.failedFuture("no node answered with the leader's view of the membership");
        }
        return http.get(order.get(i), "/v1/members").compose(v -> {
            int leader = v.getInteger("leader", 0);
            return leader != 0 && leader == v.getInteger("servedBy", -1) ? Future.succeededFuture(v)
                    : Future.failedFuture("node answered without its leader: " + v.encode());
        }).recover(e -> i + 1 < order.size() ? leaderView(order, i + 1) : Future.failedFuture(e));
    }

    /**
     * The voters and learners in a view.
     *
     * @param view an answer of {@link #view()}
     * @param role {@code voter} or {@code learner}
     * @return their ids, ascending
     */
    public static List<Integer> ids(JsonObject view, String role) {
        List<Integer> out = new ArrayList<>();
        JsonArray members = view.getJsonArray("members", new JsonArray());
        for (int i = 0; i < members.size(); i++) {
            JsonObject m = members.getJsonObject(i);
            if (role.equals(m.getString("role"))) {
                out.add(m.getInteger("id"));
            }
        }
        out.sort(null);
        return out;
    }

    /**
     * Makes a node a learner ({@code POST /v1/members} with {@code "learner": true}), unless it already is a member.
     *
     * @param id      the node
     * @param url     its client API, recorded in the membership
     * @param timeout how long at most
     * @return completes once the leader's view lists it
     */
    public Future<Void> addLearner(int id, URI url, Duration timeout) {
        JsonObject body = new JsonObject().put("id", id).put("url", url.toString()).put("learner", true);
        return until("node " + id + " a member", timeout, view -> role(view, id).isPresent(),
                node -> send(node, HttpMethod.POST, "/v1/members", body));
    }

    /**
     * Promotes a learner ({@code POST /v1/members/{id}/promote}), asking again while it lags.
     *
     * @param id      the learner
     * @param timeout how long at most
     * @return completes once the leader's view lists it as a voter
     */
    public Future<Void> promote(int id, Duration timeout) {
        return until("node " + id + " a voter", timeout, view -> role(view, id).equals(Optional.of("voter")),
                node -> send(node, HttpMethod.POST, "/v1/members/" + id + "/promote", null));
    }

    /**
     * Makes a node a voter the way an operator should: as a learner first, promoted once it caught up.
     *
     * @param id      the node
     * @param url     its client API
     * @param timeout how long at most, for both steps
     * @return completes once the leader's view lists it as a voter
     */
    public Future<Void> addVoter(int id, URI url, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        return addLearner(id, url, timeout).compose(v -> promote(id, left(deadline)));
    }

    /**
     * Removes a member ({@code DELETE /v1/members/{id}}; a leader hands over first).
     *
     * @param id      the member
     * @param timeout how long at most
     * @return completes once the leader's view no longer lists it
     */
    public Future<Void> remove(int id, Duration timeout) {
        return until("node " + id + " removed", timeout, view -> role(view, id).isEmpty(),
                node -> send(node, HttpMethod.DELETE, "/v1/members/" + id, null));
    }

    /**
     * Hands leadership to a voter ({@code POST /v1/leader}).
     *
     * @param id      the voter
     * @param timeout how long at most
     * @return completes once the leader's view names it as the leader
     */
    public Future<Void> transferLeadership(int id, Duration timeout) {
        return until("node " + id + " the leader", timeout, view -> view.getInteger("leader", 0) == id,
                node -> send(node, HttpMethod.POST, "/v1/leader", new JsonObject().put("id", id)));
    }

    /** The role a view gives a node, if it lists it. */
    private static Optional<String> role(JsonObject view, int id) {
        JsonArray members = view.getJsonArray("members", new JsonArray());
        for (int i = 0; i < members.size(); i++) {
            JsonObject m = members.getJsonObject(i);
            if (m.getInteger("id", 0) == id) {
                return Optional.ofNullable(m.getString("role"));
            }
        }
        return Optional.empty();
    }

    /**
     * Reads the view; if it shows the goal, done; otherwise makes one attempt and asks again (100 ms later) until the
     * deadline. A failed read or attempt counts as "not yet" (the last failure is named when time runs out).
     */
    private Future<Void> until(String goal, Duration timeout, Predicate<JsonObject> reached,
                               Function<URI, Future<JsonObject>> attempt) {
        return Waits.eventually(vertx, goal, timeout, () -> view().compose(v -> reached.test(v)
                ? Future.succeededFuture(true)
                : attempt.apply(leaderOf(v)).compose(answer -> view().map(reached::test))));
    }

    /**
     * Where to send a change: the node whose view this is (the leader), if it is one of the running nodes; otherwise
     * the next node in turn, which proxies it to its leader.
     */
    private URI leaderOf(JsonObject view) {
        URI leader = nodes.get().get(view.getInteger("servedBy", 0));
        if (leader != null) {
            return leader;
        }
        List<URI> order = rotation();
        return order.isEmpty() ? null : order.get(0);
    }

    /** One attempt, to one node: a refusal is answered by reading the view again, not by asking another node. */
    private Future<JsonObject> send(URI node, HttpMethod method, String path, JsonObject body) {
        return node == null ? Future.failedFuture("no node to ask") : http.json(method, node, path, body);
    }

    /** The nodes, starting one further on each call, so that a node that cannot answer is not always asked first. */
    private List<URI> rotation() {
        List<URI> all = new ArrayList<>(nodes.get().values());
        if (all.isEmpty()) {
            return all;
        }
        int start = Math.floorMod(next.getAndIncrement(), all.size());
        List<URI> order = new ArrayList<>(all.subList(start, all.size()));
        order.addAll(all.subList(0, start));
        return order;
    }

    private static Duration left(long deadline) {
        return Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
    }
}
