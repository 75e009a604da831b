package io.raftline.api.http;

import io.raftline.faults.FaultControl;
import io.raftline.faults.LocalNodeControl;
import io.raftline.faults.NodeFault;
import io.raftline.raft.ConfigException;
import io.raftline.security.AdminAccess;
import io.raftline.transport.NetworkFaults;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * The admin API: fault injection and the whole-cluster view, served on the admin port (8080 in local mode).
 *
 * <ul>
 *   <li>{@code POST /v1/admin/nodes/{id}/crash|restart|pause|resume|freeze|thaw} → 200 with the fault state;
 *       404 for an unknown node or action.</li>
 *   <li>{@code GET /v1/admin/network} → the fault state; {@code PUT /v1/admin/network} with
 *       {@code {"partitions":[[1,2],[3]],"dropRate":0.1,"delayMs":[5,50],"duplicateRate":0.0}} replaces the
 *       network faults (missing fields mean none; each field is validated and a bad one answers 400 naming
 *       it); {@code DELETE /v1/admin/network} heals the network and every link.</li>
 *   <li>Local cluster only: {@code POST /v1/admin/nodes} starts node N+1 in the process and makes it a voter
 *       (learner first, promoted once caught up) → 200 {@code {"id","url","members"}}; {@code DELETE
 *       /v1/admin/nodes/{id}} removes a member through the leader and stops it → 200 {@code {"removed",
 *       "members"}}. A process of a larger cluster answers 404: start and stop processes yourself and use
 *       {@code /v1/members} on a node.</li>
 *   <li>{@code GET /v1/cluster}, {@code GET /health}.</li>
 * </ul>
 * Admin calls change what the cluster does, so they are refused (403) unless {@link AdminAccess} lets the client in:
 * a loopback client (when loopback is trusted) or one that sends {@code Authorization: Bearer <token>}; the live
 * view's control channel asks the same policy.
 */
public final class AdminApi {

    private static final long ADMIN_BODY_LIMIT = 64 * 1024;

    private final FaultControl control;
    private final ClusterView cluster;
    private final AdminAccess access;
    private final LocalNodeControl localNodes;

    /**
     * Creates the admin API.
     *
     * @param control    the nodes and network to act on
     * @param cluster    what {@code /v1/cluster} shows
     * @param access     who may call it
     * @param localNodes how the local cluster starts and stops nodes, or null (one node per process)
     */
    public AdminApi(FaultControl control, ClusterView cluster, AdminAccess access, LocalNodeControl localNodes) {
        this.control = control;
        this.cluster = cluster;
        this.access = access;
        this.localNodes = localNodes;
    }

    /**
     * Creates the admin API of a process that cannot start or stop nodes.
     *
     * @param control the nodes and network to act on
     * @param cluster what {@code /v1/cluster} shows
     * @param access  who may call it
     */
    public AdminApi(FaultControl control, ClusterView cluster, AdminAccess access) {
        this(control, cluster, access, null);
    }

    /**
     * Builds the router.
     *
     * @param vertx the Vert.x instance
     * @return the router
     */
    public Router router(Vertx vertx) {
        Router router = Router.router(vertx);
        router.route().handler(RequestEscapes::check);
        router.route("/v1/admin/*").handler(requireAdmin(access));
        // No admin endpoint reads a query: a parameter there is a mistake (see QueryParams).
        router.route("/v1/admin/*").handler(QueryParams.only());
        router.route("/v1/admin/*").handler(HttpErrors.bodyHandler(ADMIN_BODY_LIMIT));
        router.post("/v1/admin/nodes/:id/:action").handler(this::nodeAction);
        router.post("/v1/admin/nodes").handler(this::addNode);
        router.delete("/v1/admin/nodes/:id").handler(this::removeNode);
        router.get("/v1/admin/network").handler(this::network);
        router.put("/v1/admin/network").handler(this::setNetwork);
        router.delete("/v1/admin/network").handler(this::heal);
        router.get("/v1/cluster").handler(QueryParams.only()).handler(this::cluster);
        KvApi.probe(router, "/health").handler(QueryParams.only()).handler(this::health);
        router.get("/").handler(this::index);
        KvApi.installErrorHandlers(router);
        return router;
    }

    /**
     * Makes every error of a router that mounts this one (no route, wrong method) a JSON error too.
     *
     * @param router the enclosing router
     */
    public static void installErrorHandlers(Router router) {
        KvApi.installErrorHandlers(router);
    }

    /**
     * As {@link #installErrorHandlers(Router)}, for a router that mounts the admin API's router at its root: a 405
     * there lists the admin routes' methods in its {@code Allow} header.
     *
     * @param router the enclosing router
     * @param admin  the admin API's router, mounted on it at {@code /*}
     */
    public static void installErrorHandlers(Router router, Router admin) {
        KvApi.installErrorHandlers(router, java.util.List.of(admin));
    }

    /**
     * A route handler that lets a request on only if {@link AdminAccess} lets its client in, else answers 403
     * {@code forbidden} with the reason: the one gate of the admin API and of membership changes on client ports.
     *
     * @param access the policy
     * @return the handler
     */
    static io.vertx.core.Handler<RoutingContext> requireAdmin(AdminAccess access) {
        return ctx -> {
            String refusal = access.refusal(ctx.request().remoteAddress(), ctx.request().getHeader("Authorization"));
            if (refusal == null) {
                ctx.next();
            } else {
                io.raftline.security.AuthRefusals.process().refused("admin API",
                        String.valueOf(ctx.request().remoteAddress()), refusal);
                HttpErrors.send(ctx, 403, "forbidden", refusal);
            }
        };
    }

    /**
     * Whether a client address is on the loopback interface.
     *
     * @param address the remote address
     * @return true for 127.0.0.0/8 and ::1
     */
    static boolean isLoopback(SocketAddress address) {
        return AdminAccess.isLoopback(address);
    }

    private void nodeAction(RoutingContext ctx) {
        String action = ctx.pathParam("action");
        int id;
        try {
            id = Integer.parseInt(ctx.pathParam("id"));
        } catch (NumberFormatException e) {
            HttpErrors.send(ctx, 404, "not_found", "no node '" + ctx.pathParam("id") + "'");
            return;
        }
        if (!control.reaches(id)) {
            HttpErrors.send(ctx, 404, "not_found", "no node " + id + " (nodes are " + control.nodeIds() + ")");
            return;
        }
        NodeFault fault = NodeFault.parse(action).orElse(null);
        if (fault == null) {
            HttpErrors.send(ctx, 404, "not_found", "no action '" + action + "' (" + String.join(", ",
                    NodeFault.wireNames()) + ")");
            return;
        }
        // The state of the process that runs the node (another one's, with one node per process).
        reply(ctx, control.inflict(id, fault));
    }

    private void addNode(RoutingContext ctx) {
        if (localNodes == null) {
            HttpErrors.send(ctx, 404, "not_found", "this process runs one node of a cluster and cannot start others:"
                    + " start a process with a joining configuration and POST /v1/members on a node");
            return;
        }
        relay(ctx, localNodes.addNode());
    }

    private void removeNode(RoutingContext ctx) {
        if (localNodes == null) {
            HttpErrors.send(ctx, 404, "not_found", "this process runs one node of a cluster and cannot stop others:"
                    + " DELETE /v1/members/{id} on a node, then stop its process");
            return;
        }
        int id;
        try {
            id = Integer.parseInt(ctx.pathParam("id"));
        } catch (NumberFormatException e) {
            HttpErrors.badRequest(ctx, "node id must be an integer, got \"" + ctx.pathParam("id") + "\"");
            return;
        }
        relay(ctx, localNodes.removeNode(id));
    }

    private static void relay(RoutingContext ctx, Future<JsonObject> done) {
        done.onComplete(ar -> {
            if (ar.succeeded()) {
                KvApi.json(ctx, 200, ar.result());
            } else {
                HttpErrors.failure(ctx, ar.cause());
            }
        });
    }

    private void network(RoutingContext ctx) {
        answer(ctx, Future.succeededFuture());
    }

    private void setNetwork(RoutingContext ctx) {
        if (!HttpErrors.requireJson(ctx)) {
            return;
        }
        JsonObject json = HttpErrors.jsonObject(ctx, ctx.body().buffer(), "body must be a JSON object like"
                + " {\"partitions\":[[1,2],[3]],\"dropRate\":0.1,\"delayMs\":[5,50],\"duplicateRate\":0.0}");
        if (json == null) {
            return;
        }
        NetworkFaults faults;
        try {
            faults = NetworkFaults.fromJson(json, control.memberIds());
        } catch (ConfigException e) {
            HttpErrors.badField(ctx, e);
            return;
        }
        control.setNetwork(faults);
        answer(ctx, Future.succeededFuture());
    }

    private void heal(RoutingContext ctx) {
        control.heal();
        answer(ctx, Future.succeededFuture());
    }

    private void answer(RoutingContext ctx, Future<Void> change) {
        reply(ctx, change.compose(v -> control.state()));
    }

    /** 200 with the JSON once it is there, or the failure as the API's error. */
    private static void reply(RoutingContext ctx, Future<JsonObject> body) {
        body.onComplete(ar -> {
            if (ar.failed()) {
                HttpErrors.failure(ctx, ar.cause());
            } else {
                KvApi.json(ctx, 200, ar.result());
            }
        });
    }

    private void cluster(RoutingContext ctx) {
        reply(ctx, cluster.describe());
    }

    private void health(RoutingContext ctx) {
        KvApi.json(ctx, 200, new JsonObject().put("status", "ok").put("nodes", new io.vertx.core.json.JsonArray(
                control.nodeIds())));
    }

    private void index(RoutingContext ctx) {
        KvApi.json(ctx, 200, new JsonObject().put("service", "raftline")
                .put("cluster", "/v1/cluster").put("admin", "/v1/admin/network")
                .put("nodes", new io.vertx.core.json.JsonArray(control.nodeIds())));
    }
}
