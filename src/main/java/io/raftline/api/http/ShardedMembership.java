package io.raftline.api.http;

import io.raftline.node.NodeRequestException;
import io.raftline.node.NodeRequestException.Reason;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Optional;

/**
 * A membership change of a sharded cluster: the same change made in every Raft group, one group after the other
 * from the last to group 0, each through that group's endpoints ({@code ?group=G}, which reach the group's leader
 * wherever it is). Group 0 goes last because {@code GET /v1/members} shows group 0's membership: once it shows the
 * change, every group has it.
 *
 * <p>Why in turn, and why it is safe: each group changes its own membership with Raft's single-server rule, so each
 * group is safe on its own at every step; the groups only differ for the time between two steps (a new node may be a
 * member of groups 15 to 11 and not yet of 10 to 0, and serves the groups it is a member of). A step that fails stops
 * the run: the answer names the group and what already changed, and sending the same request again finishes the job,
 * since a group that already has the change answers as done ({@code member_exists} for an add of a member already
 * there, {@code unknown_member} for a removal of a member already gone, a promotion of a voter).
 */
final class ShardedMembership {

    private final RoutingContext ctx;
    private final int self;
    private final List<MembersApi> groups;
    private final PeerDirectory peers;
    private final HttpClient client;
    private final long timeoutMs;

    ShardedMembership(RoutingContext ctx, int self, List<MembersApi> groups, PeerDirectory peers, HttpClient client,
            long timeoutMs) {
        this.ctx = ctx;
        this.self = self;
        this.groups = groups;
        this.peers = peers;
        this.client = client;
        this.timeoutMs = timeoutMs;
    }

    /** Makes the change in the last group, then the one before, down to group 0, and answers with its membership. */
    void run() {
        step(groups.size() - 1, null, null);
    }

    /**
     * @param last    the last group's answer that made the change, or null if none did yet
     * @param refusal the last "already has it" refusal, answered as is if no group made the change: the same request
     *                to a cluster of one group answers it (409 {@code member_exists}), and an add of an id that is a
     *                member already, at another address or in another role, must not be told it succeeded
     */
    private void step(int group, JsonObject last, Answer refusal) {
        if (group < 0) {
            if (last == null && refusal != null) {
                HttpErrors.send(ctx, refusal.status(), refusal.body().copy().put("groups", groups.size()));
                return;
            }
            JsonObject out = last == null ? new JsonObject() : last.copy();
            KvApi.json(ctx, 200, out.put("groups", groups.size()));
            return;
        }
        call(group).onComplete(ar -> {
            if (ar.failed()) {
                HttpErrors.node(ctx, new NodeRequestException(Reason.LEADER_UNREACHABLE, 0, progress(group)
                        + "group " + group + " could not be asked: " + ar.cause().getMessage()));
                return;
            }
            Answer a = ar.result();
            if (a.status() / 100 == 2) {
                step(group - 1, a.body(), refusal);
                return;
            }
            if (alreadyDone(a)) {
                step(group - 1, last, a);
                return;
            }
            JsonObject body = a.body() == null ? new JsonObject() : a.body().copy();
            body.put("message", progress(group) + "group " + group + " refused: " + body.getString("message", "")
                    + " (send the same request again to finish: groups that have the change count as done)")
                    .put("group", group);
            if (a.retryAfter() != null) {
                ctx.response().putHeader("Retry-After", a.retryAfter());
            }
            HttpErrors.send(ctx, a.status(), body);
        });
    }

    private String progress(int group) {
        return group == groups.size() - 1 ? "" : "groups " + (group + 1) + ".." + (groups.size() - 1) + " of "
                + groups.size() + " have the change; ";
    }

    /** A group that already has the change answers as if it were made. */
    private boolean alreadyDone(Answer a) {
        String error = a.body() == null ? "" : a.body().getString("error", "");
        String message = a.body() == null ? "" : a.body().getString("message", "");
        HttpMethod method = ctx.request().method();
        if (method == HttpMethod.DELETE) {
            return error.equals("unknown_member");
        }
        if (ctx.request().path().endsWith("/promote")) {
            return error.equals("invalid_change") && message.contains("already a voter");
        }
        // An add of a node that is a member already in the role asked for ("node 4 is already a voter" to an add as
        // voter), not an address clash, an add as voter of a learner ("promote it instead") or an add as learner of a
        // voter: a group that has the node in the other role does not have the change, and counted as one that does,
        // the node ended a voter in some groups and a learner in others under a 200.
        String role = addsLearner() ? "learner" : "voter";
        return error.equals("member_exists") && message.contains("is already a " + role)
                && !message.contains("promote it instead");
    }

    /** Whether the request is an add as learner (its body was checked by the first group's endpoint). */
    private boolean addsLearner() {
        try {
            JsonObject body = ctx.body().asJsonObject();
            return body != null && Boolean.TRUE.equals(body.getValue("learner"));
        } catch (RuntimeException e) {
            return false;
        }
    }

    private record Answer(int status, JsonObject body, String retryAfter) {
    }

    /** The same request to this node's own endpoints for one group (they relay to that group's leader). */
    private Future<Answer> call(int group) {
        Optional<PeerDirectory.Address> me = peers.httpAddress(self).filter(a -> a.port() > 0);
        if (me.isEmpty()) {
            return Future.failedFuture(new IllegalStateException("node " + self + " does not know its own port"));
        }
        String uri = ctx.request().uri() + (ctx.request().query() == null ? "?" : "&") + "group=" + group;
        RequestOptions options = new RequestOptions().setMethod(ctx.request().method()).setHost(me.get().host())
                .setPort(me.get().port()).setURI(uri).setConnectTimeout(timeoutMs).setIdleTimeout(timeoutMs);
        String contentType = ctx.request().getHeader("Content-Type");
        if (contentType != null) {
            options.putHeader("Content-Type", contentType);
        }
        // The caller's credential when it gave one (it passed the admin check here), else the node's own.
        String authorization = ctx.request().getHeader("Authorization");
        if (authorization != null) {
            options.putHeader("Authorization", authorization);
        }
        Buffer body = ctx.body().buffer();
        return client.request(authorization != null ? options : peers.authorize(options))
                .compose(req -> body == null || body.length() == 0 ? req.send() : req.send(body))
                .compose(resp -> resp.body().map(b -> new Answer(resp.statusCode(), json(b),
                        resp.getHeader("Retry-After"))));
    }

    private static JsonObject json(Buffer b) {
        try {
            return b == null || b.length() == 0 ? null : b.toJsonObject();
        } catch (RuntimeException e) {
            return new JsonObject().put("message", b.toString());
        }
    }
}
