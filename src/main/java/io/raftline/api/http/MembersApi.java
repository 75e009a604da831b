package io.raftline.api.http;

import io.raftline.config.JsonIntegers;
import io.raftline.node.NodeHost;
import io.raftline.node.NodeRequestException;
import io.raftline.node.NodeRequestException.Reason;
import io.raftline.node.NodeStatus;
import io.raftline.node.RaftNode;
import io.raftline.raft.Membership;
import io.raftline.raft.MembershipChange;
import io.raftline.raft.Role;
import io.raftline.security.AdminAccess;
import io.raftline.shard.ReplicaSet;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The membership endpoints of a node's client port: list the members, add a learner or a voter, promote a learner,
 * remove a member (the leader too) and hand leadership over. Any node accepts them; a follower proxies the request
 * to the leader it knows (once: a forwarded request is never forwarded again) and relays the leader's answer, so a
 * client sees the same status codes wherever it asks.
 *
 * <ul>
 *   <li>{@code GET /v1/members} → {@code {"members":[{"id","url","role":"voter"|"learner","match","lag"}],
 *       "configIndex","leader"}}, the leader's view ({@code match} and {@code lag}: how far each member's log is
 *       replicated); {@code ?local=true} answers with this node's own view, without asking the leader.</li>
 *   <li>{@code POST /v1/members} {@code {"id":4,"url":"http://127.0.0.1:8084","learner":true}} → 200 with the new
 *       list once the change is committed.</li>
 *   <li>{@code POST /v1/members/{id}/promote} → 200, or 409 {@code learner_lagging} while the learner is more than
 *       {@link NodeHost#PROMOTE_MAX_LAG} entries behind.</li>
 *   <li>{@code DELETE /v1/members/{id}} → 200 with the new list (a removed leader hands over once it commits).</li>
 *   <li>{@code POST /v1/leader} {@code {"id":2}} → 200 {@code {"leader":2,"previous":1}} once node 2 leads.</li>
 * </ul>
 * Refusals: 400 for a malformed body (the message names the field), 404 {@code unknown_member}, 409
 * {@code member_exists}, {@code change_pending}, {@code leader_not_ready}, {@code learner_lagging},
 * {@code invalid_change}, {@code quorum_unavailable}; 503 when there is no leader, or {@code leader_unreachable} when a
 * change sent on failed after it was sent (it may have been made: read the list before sending it again).
 *
 * <p>A change of the membership or of the leader is an admin action: it is refused (403 {@code forbidden}) unless
 * {@link AdminAccess} lets the client in, exactly as on the admin port (a loopback client while loopback is trusted, or
 * the admin token). Reading the list is a key-value client's right ({@link io.raftline.security.ClientAccess}). A
 * follower that relays a change to the leader presents its own credential ({@link PeerDirectory#authorize}).
 */
public final class MembersApi {

    private static final Set<String> ADD_FIELDS = Set.of("id", "url", "learner");
    private static final Set<String> LEADER_FIELDS = Set.of("id");
    /** Largest membership request body: a few fields. */
    private static final long MAX_BODY_BYTES = 4096;

    /**
     * Marks a membership request sent on by a node that knows no leader to another member, which asks the leader it
     * knows but no further member (the value: the sending node's id).
     */
    static final String RELAYED_BY = "Raftline-Relayed-By";

    private final RaftNode node;
    private final PeerDirectory peers;
    private final HttpClient client;
    private final long timeoutMs;
    private final AdminAccess access;
    /** The endpoints of each group's replica, by group: this one alone in a cluster of one group. */
    private final List<MembersApi> groups;
    /** This node's replica of every group (this one's node alone in a cluster of one group). */
    private final List<? extends RaftNode> replicas;

    /**
     * Creates the endpoints of one node.
     *
     * @param node      the node
     * @param peers     where members' client ports are (the configuration, then the membership's addresses)
     * @param client    the HTTP client used to reach the leader (owned by the caller)
     * @param timeoutMs how long a forwarded request may take, on top of the node's own request timeout
     * @param access    who may change the membership and the leader
     */
    public MembersApi(RaftNode node, PeerDirectory peers, HttpClient client, long timeoutMs, AdminAccess access) {
        this.node = node instanceof ReplicaSet set ? set.replica(0) : node;
        this.peers = peers;
        this.client = client;
        this.timeoutMs = timeoutMs;
        this.access = access;
        if (node instanceof ReplicaSet set && set.replicas().size() > 1) {
            this.replicas = List.copyOf(set.replicas());
            List<MembersApi> apis = new ArrayList<>();
            for (RaftNode replica : set.replicas()) {
                apis.add(new MembersApi(replica, replicas, peers, client, timeoutMs, access));
            }
            this.groups = List.copyOf(apis);
        } else {
            this.replicas = List.of(this.node);
            this.groups = List.of(this);
        }
    }

    /** One group's endpoints, which check an add against every group's membership ({@code replicas}). */
    private MembersApi(RaftNode replica, List<? extends RaftNode> replicas, PeerDirectory peers, HttpClient client,
            long timeoutMs, AdminAccess access) {
        this.node = replica;
        this.peers = peers;
        this.client = client;
        this.timeoutMs = timeoutMs;
        this.access = access;
        this.replicas = replicas;
        this.groups = List.of(this);
    }

    /**
     * Adds the routes.
     *
     * @param router the node's router
     */
    public void mount(Router router) {
        router.route("/v1/members*").handler(HttpErrors.bodyHandler(MAX_BODY_BYTES));
        router.route("/v1/leader").handler(HttpErrors.bodyHandler(MAX_BODY_BYTES));
        io.vertx.core.Handler<RoutingContext> admin = AdminApi.requireAdmin(access);
        // The gate names no method (it passes reads on): a 405's Allow lists only the methods of the routes that do.
        router.route("/v1/members*").handler(ctx -> {
            io.vertx.core.http.HttpMethod m = ctx.request().method();
            if (m == io.vertx.core.http.HttpMethod.POST || m == io.vertx.core.http.HttpMethod.DELETE) {
                admin.handle(ctx);
            } else {
                ctx.next();
            }
        });
        router.post("/v1/leader").handler(admin);
        io.vertx.core.Handler<RoutingContext> groupOnly = QueryParams.only("group");
        router.get("/v1/members").handler(QueryParams.only("group", "local"))
                .handler(ctx -> inGroup(ctx, false, MembersApi::list));
        router.post("/v1/members").handler(groupOnly).handler(ctx -> inGroup(ctx, true, MembersApi::add));
        router.post("/v1/members/:id/promote").handler(groupOnly).handler(ctx -> inGroup(ctx, true, (api, c) ->
                withId(c, id -> api.change(c, new MembershipChange.Promote(id)))));
        router.delete("/v1/members/:id").handler(groupOnly).handler(ctx -> inGroup(ctx, true, (api, c) ->
                withId(c, id -> api.change(c, new MembershipChange.Remove(id)))));
        router.post("/v1/leader").handler(groupOnly).handler(ctx -> {
            int group = GroupParam.required(ctx, groups.size(), "POST /v1/leader?group=G moves one group's"
                    + " leadership; the nodes spread the leaderships themselves");
            if (group != GroupParam.REFUSED) {
                groups.get(group).transfer(ctx);
            }
        });
    }

    /**
     * Runs a handler on the right group's endpoints. A cluster of one group: this one. A sharded cluster: the group
     * {@code ?group=G} names; without it, a membership change is made in every group in turn
     * ({@link ShardedMembership}) and a listing shows group 0's membership.
     */
    private void inGroup(RoutingContext ctx, boolean change,
            java.util.function.BiConsumer<MembersApi, RoutingContext> handler) {
        int group = GroupParam.read(ctx, groups.size());
        if (group == GroupParam.REFUSED) {
            return;
        }
        if (group == GroupParam.ABSENT && groups.size() == 1) {
            group = 0;
        } else if (group == GroupParam.ABSENT) {
            if (change) {
                new ShardedMembership(ctx, node.id(), groups, peers, client, timeoutMs).run();
            } else {
                handler.accept(groups.get(0), ctx);
            }
            return;
        }
        handler.accept(groups.get(group), ctx);
    }

    // ---------------------------------------------------------------- handlers

    private void list(RoutingContext ctx) {
        String localParam = ctx.request().getParam("local");
        if (localParam != null && !localParam.equals("true") && !localParam.equals("false")) {
            HttpErrors.badField(ctx, "local", "local: must be true or false, got '" + localParam + "'");
            return;
        }
        boolean local = "true".equals(localParam);
        int leader = node.knownLeader();
        if (!local && leader > 0 && leader != node.id() && !forwarded(ctx)) {
            forward(ctx, leader);
            return;
        }
        node.status().onComplete(ar -> {
            if (ar.failed()) {
                HttpErrors.failure(ctx, ar.cause());
                return;
            }
            NodeStatus s = ar.result();
            if (!local && !s.member()) {
                HttpErrors.node(ctx, new NodeRequestException(Reason.NOT_MEMBER, 0, "node " + s.id()
                        + " is not a member and knows no leader; ask a member, or add ?local=true for this node's"
                        + " own view"));
                return;
            }
            JsonObject out = describe(s.membership(), s.configIndex(), s);
            if (replicas.size() > 1) {
                // How many groups there are to ask (?group=g) for their own membership: the CLI's members list compares
                // them with this one, and its changes allow one round per group.
                out.put("groups", replicas.size());
            }
            KvApi.json(ctx, 200, out);
        });
    }

    private void add(RoutingContext ctx) {
        if (!HttpErrors.requireJson(ctx)) {
            return;
        }
        JsonObject body = bodyWithId(ctx, ADD_FIELDS);
        if (body == null) {
            return;
        }
        int id = body.getNumber("id").intValue();
        Object rawUrl = body.getValue("url");
        if (!(rawUrl instanceof String urlText)) {
            HttpErrors.badRequest(ctx, "url: required, a string like \"http://127.0.0.1:8084\" (the new member's"
                    + " client API)");
            return;
        }
        String url;
        try {
            url = normalizeUrl(urlText);
        } catch (IllegalArgumentException e) {
            HttpErrors.badRequest(ctx, "url: " + e.getMessage());
            return;
        }
        Object learner = body.getValue("learner", Boolean.FALSE);
        if (!(learner instanceof Boolean isLearner)) {
            HttpErrors.badRequest(ctx, "learner: must be true or false");
            return;
        }
        if (!isLocalLeader()) {
            relay(ctx);
            return;
        }
        // The membership records addresses of members added at runtime only: the others' are in the configuration.
        // A node is one process whatever the group, so the address may be no other node's in any group, and the id's
        // own address in any group is the one it has: on a sharded cluster each group's membership (this node's
        // replicas' view of it) is asked, this group's (the one changed, led here) first.
        List<Future<NodeStatus>> views = new ArrayList<>();
        views.add(node.status());
        for (RaftNode replica : replicas) {
            if (replica != node) {
                views.add(replica.status());
            }
        }
        Future.all(views).onComplete(ar -> {
            if (ar.failed()) {
                HttpErrors.failure(ctx, ar.cause());
                return;
            }
            Membership own = views.get(0).result().membership();
            for (Future<NodeStatus> view : views) {
                Membership m = view.result().membership();
                for (int member : m.all()) {
                    String theirs = urlOf(member, m);
                    if (member != id && sameEndpoint(url, theirs)) {
                        HttpErrors.node(ctx, new NodeRequestException(Reason.MEMBER_EXISTS, node.id(), "node "
                                + member + " already has the address " + theirs + (theirs.equals(url) ? ""
                                        : " (" + url + " names the same host and port)")
                                + (m == own ? "" : " in another group")));
                        return;
                    }
                }
            }
            for (Future<NodeStatus> view : views) {
                Membership m = view.result().membership();
                // The id is a member at another address: not "already a member" (a sharded add counts that as a group
                // that has the change, and answered 200 for an add whose address no group it reached had).
                String recorded = m.contains(id) ? m.address(id) : null;
                String known = recorded != null && !recorded.isEmpty() ? recorded : m.contains(id) ? urlOf(id, m) : "";
                if (!known.isEmpty() && !sameEndpoint(url, known)) {
                    HttpErrors.node(ctx, new NodeRequestException(Reason.MEMBER_EXISTS, node.id(), "add " + id
                            + " refused: node " + id + " is a " + (m.isVoter(id) ? "voter" : "learner") + " at "
                            + known + ", not at " + url + " (" + (m == own ? "" : "another group's ") + "membership "
                            + m + "); to move it, remove it and add it again"));
                    return;
                }
            }
            change(ctx, isLearner ? new MembershipChange.AddLearner(id, url) : new MembershipChange.AddVoter(id, url));
        });
    }

    private void change(RoutingContext ctx, MembershipChange change) {
        node.changeMembership(change).onComplete(ar -> {
            if (ar.failed()) {
                failOrForward(ctx, ar.cause());
                return;
            }
            NodeHost.MembershipInfo info = ar.result();
            node.status().onComplete(st -> KvApi.json(ctx, 200, describe(info.membership(), info.configIndex(),
                    st.succeeded() ? st.result() : null)));
        });
    }

    private void transfer(RoutingContext ctx) {
        if (!HttpErrors.requireJson(ctx)) {
            return;
        }
        JsonObject body = bodyWithId(ctx, LEADER_FIELDS);
        if (body == null) {
            return;
        }
        int target = body.getNumber("id").intValue();
        if (target == node.id()) {
            leadItself(ctx, true);
        } else {
            startTransfer(ctx, target);
        }
    }

    /**
     * Asked to lead itself: done if it leads already. Its role decides, not the leader it knows: the node publishes
     * the leader it knows once it has handled the election's outcome, and a request in between used to be refused
     * as a transfer to itself. A node that does not lead sends the request to the leader, which hands leadership
     * over; if it took the lead itself between the two steps, its refusal to transfer to itself is answered by
     * asking its role once more.
     */
    private void leadItself(RoutingContext ctx, boolean askAgain) {
        int self = node.id();
        node.status().onComplete(st -> {
            if (st.succeeded() && st.result().role() == Role.LEADER) {
                KvApi.json(ctx, 200, new JsonObject().put("leader", self).put("previous", self));
                return;
            }
            node.transferLeadership(self).onComplete(ar -> {
                if (ar.succeeded()) {
                    KvApi.json(ctx, 200, new JsonObject().put("leader", self).put("previous", self));
                } else if (askAgain && ar.cause() instanceof NodeRequestException e
                        && e.reason() == Reason.INVALID_CHANGE) {
                    leadItself(ctx, false);
                } else {
                    failOrForward(ctx, ar.cause());
                }
            });
        });
    }

    /** Asks the node to hand leadership to {@code target}; a node that does not lead sends the request on. */
    private void startTransfer(RoutingContext ctx, int target) {
        int previous = node.id();
        node.transferLeadership(target).onComplete(ar -> {
            if (ar.failed()) {
                failOrForward(ctx, ar.cause());
                return;
            }
            KvApi.json(ctx, 200, new JsonObject().put("leader", target).put("previous", previous));
        });
    }

    // ---------------------------------------------------------------- helpers

    private JsonObject describe(Membership m, long configIndex, NodeStatus s) {
        JsonArray list = new JsonArray();
        Map<Integer, Long> match = s == null ? Map.of() : s.matchIndex();
        for (int id : m.all()) {
            JsonObject o = new JsonObject().put("id", id).put("url", urlOf(id, m))
                    .put("role", m.isVoter(id) ? "voter" : "learner");
            if (s != null && id == s.id()) {
                o.put("match", s.lastIndex()).put("lag", 0);
            } else if (match.containsKey(id)) {
                o.put("match", match.get(id)).put("lag", Math.max(0, s.lastIndex() - match.get(id)));
            }
            Long seen = s == null || id == s.id() ? null : s.logSeen().get(id);
            if (seen != null) {
                o.put("logSeen", seen);
            }
            list.add(o);
        }
        JsonObject out = new JsonObject().put("members", list).put("configIndex", configIndex);
        if (s != null) {
            out.put("leader", s.leader()).put("servedBy", s.id());
        }
        return out;
    }

    private String urlOf(int id, Membership m) {
        Optional<PeerDirectory.Address> a = peers.httpAddress(id);
        if (a.isPresent() && a.get().port() > 0) {
            return peers.url(id).orElseThrow();
        }
        String recorded = m.address(id);
        return recorded == null ? "" : recorded;
    }

    private boolean isLocalLeader() {
        return node.knownLeader() == node.id();
    }

    /**
     * Not the leader as far as this node can tell: ask the leader, or, knowing none, ask the other members it knows
     * (each asks the leader it knows), or answer why not. A node removed from a group before it learnt so knows no
     * leader of it ever again: asked to finish a change that stopped part way (a sharded removal of that very node),
     * it answered {@code no_leader} to every retry, while the group's members knew their leader.
     */
    private void relay(RoutingContext ctx) {
        int leader = node.knownLeader();
        if (leader > 0 && !forwarded(ctx)) {
            forward(ctx, leader);
        } else if (leader > 0) {
            HttpErrors.node(ctx, new NodeRequestException(Reason.NOT_LEADER, leader, "node " + node.id()
                    + " is not the leader; the leader is node " + leader));
        } else {
            askOtherMembers(ctx);
        }
    }

    /** Knowing no leader: the request goes to the other members this node knows ({@link #askOthers}). */
    private void askOtherMembers(RoutingContext ctx) {
        node.status().onComplete(ar -> {
            if (ar.succeeded() && !ar.result().member()) {
                HttpErrors.node(ctx, new NodeRequestException(Reason.NOT_MEMBER, 0, "node " + node.id()
                        + " is not a member of a cluster; send membership requests to a member"));
                return;
            }
            List<Integer> others = new ArrayList<>();
            if (ar.succeeded() && !forwarded(ctx) && ctx.request().getHeader(RELAYED_BY) == null) {
                others.addAll(ar.result().membership().all());
                others.remove(Integer.valueOf(node.id()));
            }
            askOthers(ctx, others, 0);
        });
    }

    /**
     * Sends the request to {@code others[i]}, which relays it to the leader it knows (once: it does not ask further
     * members itself), and answers with the first answer that is not {@code no_leader}; {@code no_leader} if none.
     * The next member is asked only when this one got nothing (no address, no connection) or answered
     * {@code no_leader} (only changes come here: a node that knows no leader lists the members it knows). A change
     * that failed after it was sent (the connection reset, no answer in time) may have reached the leader through that
     * member and been made: sent again through the next one, the leader refused it as made already
     * ({@code invalid_change} "already a voter", {@code member_exists}, {@code unknown_member}), and the client was
     * told that a change that was made had been refused. It is answered 503 {@code leader_unreachable}.
     */
    private void askOthers(RoutingContext ctx, List<Integer> others, int i) {
        if (i >= others.size()) {
            HttpErrors.node(ctx, new NodeRequestException(Reason.NO_LEADER, 0, "node " + node.id() + " knows no"
                    + " leader" + (others.isEmpty() ? "" : ", nor do the members it asked " + others) + "; retry"
                    + " shortly"));
            return;
        }
        int member = others.get(i);
        send(ctx, member, RELAYED_BY).onComplete(ar -> {
            if (ar.succeeded() && !ar.result().noLeader()) {
                answer(ctx, ar.result());
            } else if (ar.succeeded() || ar.cause() instanceof NodeRequestException) {
                askOthers(ctx, others, i + 1);
            } else {
                HttpErrors.node(ctx, new NodeRequestException(Reason.LEADER_UNREACHABLE, 0, "node " + node.id()
                        + " knows no leader and sent the change to node " + member + ", which failed before it"
                        + " answered (" + ar.cause().getMessage() + "): the change may have been made; read GET"
                        + " /v1/members before sending it again"));
            }
        });
    }

    /**
     * This node turned out not to lead: ask the leader it names (once), or, naming none, the other members, or answer
     * the failure.
     */
    private void failOrForward(RoutingContext ctx, Throwable cause) {
        if (cause instanceof NodeRequestException e && e.reason() == Reason.NOT_LEADER && !forwarded(ctx)) {
            forward(ctx, e.leaderHint());
        } else if (cause instanceof NodeRequestException e && e.reason() == Reason.NO_LEADER && !forwarded(ctx)
                && ctx.request().getHeader(RELAYED_BY) == null) {
            askOtherMembers(ctx);
        } else {
            HttpErrors.failure(ctx, cause);
        }
    }

    private static boolean forwarded(RoutingContext ctx) {
        return ctx.request().getHeader(HttpLeaderLink.FORWARDED_BY) != null;
    }

    /**
     * Sends the same request to the leader's client port and relays its answer, status and body. A failure after the
     * request was sent (the leader died before it answered, the connection reset, no answer in time) is 503
     * {@code leader_unreachable}; for a change it says that the change may have been made, as a change relayed to
     * another member does: "could not reach the leader" read as nothing sent, while the leader may have made it.
     */
    private void forward(RoutingContext ctx, int leader) {
        send(ctx, leader, HttpLeaderLink.FORWARDED_BY).onComplete(ar -> {
            if (ar.succeeded()) {
                answer(ctx, ar.result());
            } else if (ar.cause() instanceof NodeRequestException e) {
                HttpErrors.node(ctx, e);
            } else if (ctx.request().method() == io.vertx.core.http.HttpMethod.GET) {
                HttpErrors.node(ctx, new NodeRequestException(Reason.LEADER_UNREACHABLE, leader, "could not"
                        + " get the leader's answer (node " + leader + "): " + ar.cause().getMessage()));
            } else {
                HttpErrors.node(ctx, new NodeRequestException(Reason.LEADER_UNREACHABLE, leader, "node "
                        + node.id() + " sent the change to the leader (node " + leader + "), which failed before it"
                        + " answered (" + ar.cause().getMessage() + "): the change may have been made; read GET"
                        + " /v1/members before sending it again"));
            }
        });
    }

    /** Another node's answer to a request this node sent on: its status, headers that matter, and body. */
    private record Relayed(int status, String contentType, String retryAfter, String servedBy, Buffer body) {

        /** Whether it says that node knows no leader either. */
        boolean noLeader() {
            if (status != 503 || body == null || body.length() == 0) {
                return false;
            }
            try {
                return "no_leader".equals(new JsonObject(body).getString("error"));
            } catch (RuntimeException notJson) {
                return false;
            }
        }
    }

    /**
     * Sends the same request to node {@code to}'s client port, marked with {@code header} (this node's id). It fails
     * with a {@link NodeRequestException} only when nothing was sent (the node has no known address, or no connection
     * to it was made); any other failure came after the request may have been sent.
     */
    private Future<Relayed> send(RoutingContext ctx, int to, String header) {
        Optional<PeerDirectory.Address> address = peers.httpAddress(to).filter(a -> a.port() > 0);
        if (address.isEmpty()) {
            return Future.failedFuture(new NodeRequestException(Reason.NO_LEADER, to, "node " + to
                    + " has no known address"));
        }
        Buffer body = ctx.body().buffer();
        RequestOptions options = new RequestOptions().setMethod(ctx.request().method())
                .setHost(address.get().host()).setPort(address.get().port()).setURI(ctx.request().uri())
                .setConnectTimeout(timeoutMs).setIdleTimeout(timeoutMs)
                .putHeader(header, String.valueOf(node.id()));
        if (body != null && body.length() > 0) {
            options.putHeader("Content-Type", "application/json");
        }
        return client.request(peers.authorize(options))
                .recover(t -> Future.failedFuture(HttpLeaderLink.notConnected(node.id(), t, 0, "node " + to,
                        "node " + to + " at " + address.get().host() + ":" + address.get().port())))
                .compose(req -> body == null || req.getMethod() == HttpMethod.GET ? req.send() : req.send(body))
                .compose(resp -> resp.body().map(b -> new Relayed(resp.statusCode(), resp.getHeader("Content-Type"),
                        resp.getHeader("Retry-After"), resp.getHeader(KvApi.SERVED_BY) != null
                                ? resp.getHeader(KvApi.SERVED_BY) : String.valueOf(to), b)));
    }

    private static void answer(RoutingContext ctx, Relayed r) {
        if (ctx.response().ended()) {
            return;
        }
        ctx.response().setStatusCode(r.status());
        if (r.contentType() != null) {
            ctx.response().putHeader("Content-Type", r.contentType());
        }
        if (r.retryAfter() != null) {
            ctx.response().putHeader("Retry-After", r.retryAfter());
        }
        ctx.response().putHeader(KvApi.SERVED_BY, r.servedBy());
        ctx.response().end(r.body());
    }

    /** The JSON object body, with only {@code allowed} fields; null after answering 400. */
    private static JsonObject body(RoutingContext ctx, Set<String> allowed) {
        Buffer raw = ctx.body().buffer();
        if (raw == null || raw.length() == 0) {
            HttpErrors.badRequest(ctx, "the request needs a JSON object body with " + allowed);
            return null;
        }
        JsonObject o = HttpErrors.jsonObject(ctx, raw, "the body must be a JSON object with " + allowed);
        if (o == null) {
            return null;
        }
        for (String f : o.fieldNames()) {
            if (!allowed.contains(f)) {
                HttpErrors.badRequest(ctx, f + ": unknown field; allowed are " + allowed);
                return null;
            }
        }
        return o;
    }

    /** The JSON object body with a valid node {@code id}; null after answering 400. */
    private static JsonObject bodyWithId(RoutingContext ctx, Set<String> allowed) {
        JsonObject body = body(ctx, allowed);
        if (body == null) {
            return null;
        }
        Object v = body.getValue("id");
        // Exactly: longValue() of a number beyond 64 bits keeps its low bits (2^64 + 3 would name node 3).
        Long id = JsonIntegers.exact(v);
        if (id != null && id >= 1 && id <= Integer.MAX_VALUE) {
            return body;
        }
        HttpErrors.badRequest(ctx, "id: required, a node id (an integer in 1.." + Integer.MAX_VALUE
                + ", no fraction or exponent), got " + io.vertx.core.json.Json.encode(v));
        return null;
    }

    private static void withId(RoutingContext ctx, java.util.function.IntConsumer then) {
        String raw = ctx.pathParam("id");
        int id;
        try {
            id = Integer.parseInt(raw);
        } catch (NumberFormatException e) {
            id = 0;
        }
        if (id < 1) {
            HttpErrors.badRequest(ctx, "member id in the path must be an integer ≥ 1, got \"" + raw + "\"");
            return;
        }
        then.accept(id);
    }

    /**
     * Checks a member URL and gives its canonical form: {@code http} or {@code https}, a host and an explicit port,
     * nothing else.
     *
     * @param text the URL as given
     * @return {@code scheme://host:port}
     * @throws IllegalArgumentException naming the rule it breaks
     */
    public static String normalizeUrl(String text) {
        if (text.length() > Membership.MAX_ADDRESS_BYTES) {
            throw new IllegalArgumentException("longer than " + Membership.MAX_ADDRESS_BYTES + " characters");
        }
        URI u;
        try {
            u = new URI(text.trim());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a URL (" + e.getMessage() + ")", e);
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("must start with http:// or https://, got \"" + text + "\"");
        }
        if (u.getHost() == null || u.getHost().isEmpty()) {
            throw new IllegalArgumentException("must name a host, got \"" + text + "\"");
        }
        if (u.getPort() < 1 || u.getPort() > 65535) {
            throw new IllegalArgumentException("must give the port explicitly (1..65535), got \"" + text + "\"");
        }
        if ((u.getRawPath() != null && !u.getRawPath().isEmpty() && !u.getRawPath().equals("/"))
                || u.getRawQuery() != null || u.getRawFragment() != null || u.getRawUserInfo() != null) {
            throw new IllegalArgumentException("must be only scheme://host:port, got \"" + text + "\"");
        }
        return scheme + "://" + u.getHost().toLowerCase(Locale.ROOT) + ":" + u.getPort();
    }

    /**
     * Whether two URLs that {@link #normalizeUrl} accepted reach the same server: the same port, and the same host
     * or two of the names {@code localhost}, {@code 127.0.0.1} and {@code [::1]} (in any spelling) for this machine's
     * loopback, whatever the scheme (http and https cannot share one port). An add compares the new member's URL with
     * every member's this way: an exact comparison took {@code http://localhost:8081} for another server than
     * {@code http://127.0.0.1:8081}. Host names are not resolved (no DNS lookup on the event loop), so two names of
     * one remote machine are still told apart, and so are other loopback addresses ({@code 127.0.0.2}), where
     * servers may share a port.
     *
     * @param a a URL, or "" (no address)
     * @param b a URL, or "" (no address)
     * @return true if both name an address and it is the same one
     */
    public static boolean sameEndpoint(String a, String b) {
        if (a == null || b == null || a.isEmpty() || b.isEmpty()) {
            return false;
        }
        PeerDirectory.Address x = address(a);
        PeerDirectory.Address y = address(b);
        return x.port() == y.port() && canonicalHost(x.host()).equals(canonicalHost(y.host()));
    }

    /** An IP literal in one spelling, localhost's names as one, any other host name as given (lower case). */
    private static String canonicalHost(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.equals("localhost")) {
            return "loopback";
        }
        if (h.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}")) {
            String[] octets = h.split("\\.");
            StringBuilder out = new StringBuilder();
            for (String o : octets) {
                int v = Integer.parseInt(o);
                if (v > 255) {
                    return h;
                }
                out.append(out.length() == 0 ? "" : ".").append(v);
            }
            return out.toString().equals("127.0.0.1") ? "loopback" : out.toString();
        }
        if (h.matches("\\[[0-9a-f:.]+\\]")) {
            try {
                // An IPv6 literal in brackets is parsed, never looked up (an invalid one throws).
                java.net.InetAddress ip = java.net.InetAddress.getByName(h);
                String text = ip.getHostAddress();
                return text.equals("127.0.0.1") || text.equals("0:0:0:0:0:0:0:1") ? "loopback" : text;
            } catch (java.net.UnknownHostException e) {
                return h;
            }
        }
        return h;
    }

    /**
     * Splits a URL that {@link #normalizeUrl} accepted into a host and port.
     *
     * @param url the URL
     * @return the address
     */
    public static PeerDirectory.Address address(String url) {
        URI u = URI.create(url);
        return new PeerDirectory.Address(u.getHost(), u.getPort());
    }
}
