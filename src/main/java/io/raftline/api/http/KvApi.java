package io.raftline.api.http;

import io.raftline.api.AnswerBudget;
import io.raftline.api.ForwardCodec;
import io.raftline.api.GetResult;
import io.raftline.api.KvRequests;
import io.raftline.api.RangeResult;
import io.raftline.config.ServiceConfig;
import io.raftline.kv.KvCommand;
import io.raftline.kv.KvEntry;
import io.raftline.kv.KvResult;
import io.raftline.node.NodeRequestException;
import io.raftline.node.NodeStatus;
import io.raftline.node.RaftNode;
import io.raftline.node.ReadConsistency;
import io.raftline.security.AuthRefusals;
import io.raftline.security.ClientAccess;
import io.raftline.shard.ReplicaSet;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Objects;
import java.util.Set;

/**
 * The HTTP API every node serves: the key-value endpoints, {@code /v1/cluster} and {@code /health}.
 *
 * <ul>
 *   <li>{@code PUT /v1/kv/{key}} body = value bytes → 200 {@code {"revision":N}}; {@code ?ifRevision=R}
 *       makes it a compare-and-set (0 = must not exist) → 412 {@code {"error":"precondition_failed",
 *       "revision":actual}} on mismatch; header {@code Idempotency-Key} applies a retried write once (a delete
 *       reusing a put's key, or the reverse, is refused: 409 {@code idempotency_key_reused}).</li>
 *   <li>{@code GET /v1/kv/{key}?consistency=linearizable|lease|stale} → 200 value bytes with
 *       {@code Raft-Revision}, or 404.</li>
 *   <li>{@code DELETE /v1/kv/{key}} → 200 {@code {"deleted":0|1,"revision":N}}.</li>
 *   <li>{@code GET /v1/kv?prefix=p&limit=n&consistency=...} → {@code {"items":[{"key","value","base64",
 *       "revision","createRevision","version"}],"count","more","appliedIndex"}}. A value is given as a
 *       UTF-8 string when its bytes are valid UTF-8 ({@code "base64":false}), otherwise base64-encoded
 *       ({@code "base64":true}).</li>
 * </ul>
 * Whether a request is served here or forwarded to the leader is decided by {@link KvRequests}, the layer
 * shared with the gRPC API; this class only translates between HTTP and it. Forwarded requests from other
 * nodes arrive on {@code POST /v1/internal/kv} ({@link HttpLeaderLink}). Keys are the raw path after
 * {@code /v1/kv/}, percent-decoded as UTF-8, so they may contain {@code /}.
 */
public final class KvApi {

    /** Default {@code limit} of a prefix listing. */
    public static final int DEFAULT_LIMIT = KvRequests.DEFAULT_LIMIT;
    /** How many entries behind the leader's commit index a node may be and still report ready. */
    public static final long DEFAULT_READY_LAG = 1000;
    /** Largest {@code limit} accepted. */
    public static final int MAX_LIMIT = KvRequests.MAX_LIMIT;

    private static final String KV_PREFIX = "/v1/kv/";

    /** Response header: the node that served the request (the leader, when it was forwarded). */
    public static final String SERVED_BY = "Raft-Served-By";

    private static final CharSequence APPLICATION_JSON = HttpHeaders.createOptimized("application/json");

    private final RaftNode node;
    private final KvRequests requests;
    private final ClusterView cluster;
    private final long maxBodyBytes;
    private final long maxForwardBytes;
    private final ClientAccess access;
    /** Who may call the forwarding endpoint, by its connection; null: whoever the client access lets in. */
    private java.util.function.Predicate<io.vertx.core.http.HttpConnection> forwarders;
    /** The port's read answers not written out yet (shared with its gRPC service). */
    private AnswerBudget answers = new AnswerBudget(AnswerBudget.DEFAULT_BYTES,
            io.raftline.config.LimitsConfig.DEFAULT.requestTimeoutMs());

    /**
     * Creates the API of one node.
     *
     * @param node         the node (health and state hash)
     * @param requests     the key-value request layer of the node (serves or forwards)
     * @param cluster      what {@code /v1/cluster} shows
     * @param service      the request limits: {@code max_body_bytes} for clients' bodies (413 beyond), and for the
     *                     forwarding endpoint the largest command any node's front end accepts
     * @param access       who may use the key-value API (every route but the health probes)
     */
    public KvApi(RaftNode node, KvRequests requests, ClusterView cluster, ServiceConfig service, ClientAccess access) {
        this.node = node;
        this.requests = requests;
        this.cluster = cluster;
        this.maxBodyBytes = service.maxBodyBytes();
        this.maxForwardBytes = service.maxForwardBytes();
        this.access = access;
    }

    /**
     * Lets only nodes call the leader's forwarding endpoint ({@link HttpLeaderLink#PATH}): with a separate client CA
     * ({@code tls.client_ca_file}), a connection whose certificate the cluster CA did not issue is refused there (403
     * {@code forbidden}). Without one, the endpoint serves no more than the key-value API does to the same client.
     *
     * @param fromNode whether a connection is a node's
     * @return this
     */
    public KvApi forwardingOnlyFrom(java.util.function.Predicate<io.vertx.core.http.HttpConnection> fromNode) {
        this.forwarders = fromNode;
        return this;
    }

    /**
     * Counts this API's read answers in the port's budget of answers not yet written out, with the port's other
     * services (by default the API has a budget of its own).
     *
     * @param budget the port's budget
     * @return this
     */
    public KvApi answersWithin(AnswerBudget budget) {
        this.answers = budget;
        return this;
    }

    /**
     * Builds the router.
     *
     * @param vertx the Vert.x instance
     * @return a router with every route and JSON error handlers
     */
    public Router router(Vertx vertx) {
        Router router = Router.router(vertx);
        // Answers their clients leave unread past the deadline are dropped (a timer of the server's verticle: it ends
        // with it).
        vertx.setPeriodic(1000, t -> answers.dropOverdue(System.nanoTime()));
        if (access.required()) {
            // Before every route, those mounted later on this router included (members, watch, snapshot), and before
            // any look at the request's path or query: a client without the token learns nothing but that it needs
            // one (a malformed escape or dot segment was answered 400 before the 401).
            router.route().handler(this::authenticate);
        }
        router.route().handler(RequestEscapes::check);
        router.route().handler(KvApi::dotSegments);
        // Values are bytes whatever the Content-Type: never parsed as a form (RawBody).
        router.route("/v1/kv*").handler(new RawBody(maxBodyBytes));
        // Each route takes the query parameters its handler reads, and no other (QueryParams).
        router.get("/v1/kv").handler(QueryParams.only("prefix", "limit", "startAfter", "consistency"))
                .handler(this::list);
        // Read as a key's body is: a body above the limit gets the same answer naming the limit and its setting (Vert.x's
        // BodyHandler gave only "exceeds the configured limit"), and the rest of it is read and dropped.
        router.post("/v1/txn").handler(QueryParams.only()).handler(new RawBody(maxBodyBytes)).handler(this::txn);
        router.put("/v1/kv/*").handler(QueryParams.only("ifRevision")).handler(this::put);
        router.get("/v1/kv/*").handler(QueryParams.only("consistency")).handler(this::get);
        router.delete("/v1/kv/*").handler(QueryParams.only("ifRevision")).handler(this::delete);
        if (forwarders != null) {
            router.post(HttpLeaderLink.PATH).handler(this::onlyNodes);
        }
        // Whatever a follower's front end accepted (a Redis MSET is larger than an HTTP body may be), framed: the
        // leader must not refuse as too large a request a follower took in. RawBody grows its buffer as the bytes come
        // (a forwarded 64 MiB command doubles it ten times): reserving the announced size let heads alone hold memory.
        router.post(HttpLeaderLink.PATH).handler(new RawBody(maxForwardBytes)).handler(this::forwarded);
        router.get("/v1/cluster").handler(QueryParams.only("scope")).handler(this::cluster);
        // The probes answer HEAD as GET (status and headers, no body: Vert.x leaves a HEAD response's body out), as
        // load balancers that check with HEAD expect; they got 405 (`curl -I /health`).
        probe(router, "/health").handler(QueryParams.only()).handler(this::health);
        probe(router, "/readyz").handler(QueryParams.only("max_lag")).handler(this::ready);
        probe(router, "/livez").handler(QueryParams.only()).handler(this::live);
        router.get("/v1/state-hash").handler(QueryParams.only()).handler(this::stateHash);
        installErrorHandlers(router);
        return router;
    }

    /**
     * A probe's route: GET and HEAD.
     *
     * @param router the router
     * @param path   the probe's path
     * @return the route, for its handler
     */
    static io.vertx.ext.web.Route probe(Router router, String path) {
        return router.route(path).method(io.vertx.core.http.HttpMethod.GET).method(io.vertx.core.http.HttpMethod.HEAD);
    }

    /**
     * Makes every router error (no route, wrong method, body too large, handler failure) a JSON error.
     *
     * @param router the router
     */
    static void installErrorHandlers(Router router) {
        installErrorHandlers(router, java.util.List.of());
    }

    /**
     * As {@link #installErrorHandlers(Router)} for a router that mounts others at its root: a 405's {@code Allow}
     * lists their routes' methods too (the router that finds a path but not its method may be either).
     *
     * @param router  the router
     * @param mounted routers mounted on it at {@code /*}
     */
    static void installErrorHandlers(Router router, java.util.List<Router> mounted) {
        router.route().failureHandler(HttpErrors::routerFailure);
        for (int status : new int[] {400, 404, 413, 500, 501}) {
            router.errorHandler(status, ctx -> HttpErrors.routerFailure(ctx, status));
        }
        // A 405 must say which methods the resource takes (RFC 9110, 15.5.6): Vert.x puts the Allow header on its own
        // 405 only, not when a handler of the application answers it.
        java.util.List<Router> routers = new java.util.ArrayList<>(mounted);
        routers.add(router);
        router.errorHandler(405, ctx -> {
            String allow = AllowedMethods.of(routers, ctx.normalizedPath());
            if (!allow.isEmpty()) {
                ctx.response().putHeader(io.vertx.core.http.HttpHeaders.ALLOW, allow);
            }
            HttpErrors.routerFailure(ctx, 405);
        });
    }

    // ---------------------------------------------------------------- handlers

    /** Paths anyone may call with a token configured: probes and metrics, which carry no keys or values. */
    private static final Set<String> OPEN_PATHS = Set.of("/health", "/readyz", "/livez", "/metrics");

    private void authenticate(RoutingContext ctx) {
        String refusal = OPEN_PATHS.contains(ctx.request().path()) ? null
                : access.refusal(ctx.request().getHeader("Authorization"),
                        () -> io.raftline.security.ClientCertificates.presented(ctx.request().connection()));
        if (refusal == null) {
            ctx.next();
        } else {
            AuthRefusals.process().refused("HTTP client API", String.valueOf(ctx.request().remoteAddress()), refusal);
            ctx.response().putHeader("WWW-Authenticate", ClientAccess.CHALLENGE);
            HttpErrors.send(ctx, 401, "unauthorized", refusal);
        }
    }

    private void put(RoutingContext ctx) {
        String key = key(ctx);
        if (key == null) {
            return;
        }
        long expected;
        try {
            expected = ifRevision(ctx);
        } catch (IllegalArgumentException e) {
            HttpErrors.badRequest(ctx, e.getMessage());
            return;
        }
        byte[] value = RawBody.of(ctx).getBytes();
        KvCommand command;
        try {
            command = KvCommand.Put.taking(key, value, expected, idempotencyKey(ctx));
        } catch (IllegalArgumentException e) {
            HttpErrors.badRequest(ctx, e.getMessage());
            return;
        }
        write(ctx, command);
    }

    private void delete(RoutingContext ctx) {
        String key = key(ctx);
        if (key == null) {
            return;
        }
        long expected;
        try {
            expected = ifRevision(ctx);
        } catch (IllegalArgumentException e) {
            HttpErrors.badRequest(ctx, e.getMessage());
            return;
        }
        KvCommand command;
        try {
            command = new KvCommand.Delete(key, expected, idempotencyKey(ctx));
        } catch (IllegalArgumentException e) {
            HttpErrors.badRequest(ctx, e.getMessage());
            return;
        }
        write(ctx, command);
    }

    /**
     * A write's {@code Idempotency-Key} header, or null without one. An empty header is refused, not read as none:
     * a client that sends the header means the write to be safe to retry, and an empty one is its bug (a variable
     * that was not set); read as none, each retry would be applied again. gRPC cannot refuse it, as proto3 does not
     * tell an empty string from an unset one (docs/grpc-api.md).
     *
     * Sent twice, it is refused too: the first one was taken and the other ignored, so a retry through a proxy that
     * adds its own, or orders them otherwise, could be a new write under another key.
     *
     * @throws IllegalArgumentException if the header is empty or repeated, naming it
     */
    private static String idempotencyKey(RoutingContext ctx) {
        java.util.List<String> all = ctx.request().headers().getAll("Idempotency-Key");
        if (all.size() > 1) {
            throw new IllegalArgumentException("the Idempotency-Key header is sent " + all.size() + " times: send it"
                    + " once, with the write's one key");
        }
        String key = all.isEmpty() ? null : utf8(all.get(0));
        if (key != null && key.isEmpty()) {
            throw new IllegalArgumentException("the Idempotency-Key header is empty: send a non-empty key (at most "
                    + KvCommand.MAX_IDEMPOTENCY_KEY_BYTES + " bytes) for a write that is safe to retry, or no header"
                    + " for one that is not");
        }
        return key;
    }

    /**
     * The {@code Idempotency-Key} as the client wrote it. Netty reads each byte of a header as one character
     * (ISO-8859-1), so a key sent in UTF-8 arrived as other characters than the same key sent over gRPC (whose strings
     * are UTF-8): a retry through the other API was a new write. Bytes above ASCII are decoded as UTF-8, strictly.
     *
     * @throws IllegalArgumentException if they are not UTF-8
     */
    private static String utf8(String header) {
        for (int i = 0; i < header.length(); i++) {
            if (header.charAt(i) >= 0x80) {
                try {
                    return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT)
                            .decode(ByteBuffer.wrap(header.getBytes(StandardCharsets.ISO_8859_1))).toString();
                } catch (CharacterCodingException e) {
                    throw new IllegalArgumentException("the Idempotency-Key header is not valid UTF-8: send the key"
                            + " in UTF-8 (as gRPC does), or in ASCII", e);
                }
            }
        }
        return header;
    }

    /** The error code of a write whose idempotency key an earlier request of another kind used. */
    public static final String IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused";

    private void write(RoutingContext ctx, KvCommand command) {
        requests.write(command, false).onComplete(ar -> {
            if (ar.failed()) {
                HttpErrors.failure(ctx, ar.cause());
                return;
            }
            KvResult r = ar.result().value();
            served(ctx, ar.result().servedBy());
            if (r instanceof KvResult.Written w) {
                json(ctx, 200, "{\"revision\":" + w.revision() + "}");
            } else if (r instanceof KvResult.Deleted d) {
                json(ctx, 200, "{\"deleted\":" + d.deleted() + ",\"revision\":" + d.revision() + "}");
            } else if (r instanceof KvResult.PreconditionFailed p) {
                HttpErrors.send(ctx, 412, new JsonObject().put("error", "precondition_failed")
                        .put("message", "the key's revision is " + p.actualRevision() + ", not the expected one")
                        .put("revision", p.actualRevision()));
            } else if (r instanceof KvResult.IdempotencyKeyReused reused) {
                HttpErrors.send(ctx, 409, new JsonObject().put("error", IDEMPOTENCY_KEY_REUSED)
                        .put("message", reused.message(command.idempotencyKey(),
                                command instanceof KvCommand.Delete ? "delete" : "put"))
                        .put("firstUse", reused.firstUse()).put("firstRevision", reused.firstRevision()));
            } else if (r instanceof KvResult.Rejected rej) {
                HttpErrors.send(ctx, 500, "rejected", rej.reason());
            } else {
                HttpErrors.send(ctx, 500, "internal", "unexpected result " + r + " for a write");
            }
        });
    }

    /**
     * {@code POST /v1/txn}: one transaction, applied atomically in one log entry ({@link TxnJson}). A transaction
     * carries no idempotency key, so an {@code Idempotency-Key} header is refused rather than ignored: the client that
     * sends one means its retries to be applied once, and each would be applied again (gRPC refuses a transaction
     * operation's {@code idempotency_key} the same way).
     */
    private void txn(RoutingContext ctx) {
        if (ctx.request().headers().contains("Idempotency-Key")) {
            HttpErrors.badRequest(ctx, "a transaction takes no Idempotency-Key header: it would be ignored and a retry"
                    + " applied again; make a retry safe with the transaction's comparisons (the revision the first"
                    + " attempt would change)");
            return;
        }
        if (!HttpErrors.requireJson(ctx)) {
            return;
        }
        // Two "success" lists, or an operation naming its key twice, are refused there: the reader kept the last copy.
        JsonObject body = HttpErrors.jsonObject(ctx, RawBody.of(ctx), "the body must be a JSON object"
                + " {\"compare\":[...],\"success\":[...],\"failure\":[...]}");
        if (body == null) {
            return;
        }
        KvCommand.Txn txn;
        try {
            txn = TxnJson.parse(body);
        } catch (IllegalArgumentException e) {
            HttpErrors.badRequest(ctx, e.getMessage());
            return;
        }
        requests.write(txn, false).onComplete(ar -> {
            if (ar.failed()) {
                HttpErrors.failure(ctx, ar.cause());
                return;
            }
            served(ctx, ar.result().servedBy());
            if (ar.result().value() instanceof KvResult.TxnResult r) {
                // Up to 128 values read: counted in the answers' budget, never refused (the write was applied).
                answer(ctx, "application/json", TxnJson.result(r).toBuffer(), 0, false);
            } else if (ar.result().value() instanceof KvResult.Rejected rej) {
                HttpErrors.send(ctx, 500, "rejected", rej.reason());
            } else {
                HttpErrors.send(ctx, 500, "internal", "unexpected result " + ar.result().value());
            }
        });
    }

    private void get(RoutingContext ctx) {
        String key = key(ctx);
        ReadConsistency consistency = key == null ? null : consistency(ctx);
        if (consistency == null) {
            return;
        }
        requests.get(key, consistency, false).onComplete(ar -> {
            if (ar.failed()) {
                HttpErrors.failure(ctx, ar.cause());
                return;
            }
            served(ctx, ar.result().servedBy());
            GetResult g = ar.result().value();
            if (g.entry().isEmpty()) {
                HttpErrors.send(ctx, 404, new JsonObject().put("error", "not_found")
                        .put("message", "no such key").put("appliedIndex", g.appliedIndex()));
                return;
            }
            answer(ctx, "application/octet-stream", Buffer.buffer(g.entry().get().value()),
                    g.entry().get().modRevision());
        });
    }

    private void list(RoutingContext ctx) {
        if (rawPath(ctx).startsWith(KV_PREFIX)) {
            // GET /v1/kv/ (the empty key) or /v1/kv/. (the key "."): the router ignores the trailing part, a key does not.
            get(ctx);
            return;
        }
        String prefix;
        String startAfter;
        try {
            prefix = KvCommand.validatePrefix(
                    Objects.requireNonNullElse(KeyPath.queryParam(ctx.request().query(), "prefix"), ""));
        } catch (IllegalArgumentException e) {
            HttpErrors.badField(ctx, "prefix", e.getMessage());
            return;
        }
        try {
            startAfter = Objects.requireNonNullElse(KeyPath.queryParam(ctx.request().query(), "startAfter"), "");
        } catch (IllegalArgumentException e) {
            HttpErrors.badField(ctx, "startAfter", e.getMessage());
            return;
        }
        int limit;
        try {
            String l = ctx.request().getParam("limit");
            limit = l == null ? DEFAULT_LIMIT : Integer.parseInt(l);
            if (limit < 1 || limit > MAX_LIMIT) {
                throw new NumberFormatException();
            }
        } catch (NumberFormatException e) {
            HttpErrors.badRequest(ctx, "limit must be an integer in 1.." + MAX_LIMIT);
            return;
        }
        ReadConsistency consistency = consistency(ctx);
        if (consistency == null) {
            return;
        }
        if (!startAfter.isEmpty()) {
            try {
                KvCommand.validateKey(startAfter);
            } catch (IllegalArgumentException e) {
                HttpErrors.badField(ctx, "startAfter", "startAfter: " + e.getMessage());
                return;
            }
        }
        requests.range(prefix, startAfter, limit, consistency, false).onComplete(ar -> {
            if (ar.failed()) {
                HttpErrors.failure(ctx, ar.cause());
                return;
            }
            served(ctx, ar.result().servedBy());
            RangeResult r = ar.result().value();
            JsonArray items = new JsonArray();
            for (KvEntry e : r.entries()) {
                items.add(item(e));
            }
            JsonObject out = new JsonObject().put("items", items).put("count", items.size())
                    .put("more", r.more()).put("appliedIndex", r.appliedIndex());
            if (r.more()) {
                out.put("next", r.entries().get(r.entries().size() - 1).key());
            }
            answer(ctx, "application/json", out.toBuffer(), 0);
        });
    }

    private void onlyNodes(RoutingContext ctx) {
        if (forwarders.test(ctx.request().connection())) {
            ctx.next();
        } else {
            HttpErrors.send(ctx, 403, "forbidden", "only nodes forward requests here: present a certificate of the"
                    + " cluster CA (tls.ca_file); a key-value client's certificate is not one");
        }
    }

    /**
     * A request another node forwarded to this one (as the leader it knows of), in {@link ForwardCodec}'s
     * binary form. It is served here, never forwarded again; the answer, success or failure, is binary too.
     */
    private void forwarded(RoutingContext ctx) {
        ForwardCodec.Request request;
        try {
            request = ForwardCodec.decodeRequest(RawBody.of(ctx));
        } catch (IllegalArgumentException e) {
            HttpErrors.badRequest(ctx, e.getMessage());
            return;
        }
        Future<Buffer> answer;
        try {
            // The group the forwarding node asked for (absent: group 0); a keyed request must belong to it.
            String header = ctx.request().getHeader(HttpLeaderLink.GROUP);
            int group = header == null ? 0 : Integer.parseInt(header);
            if (request instanceof ForwardCodec.Request.Write w) {
                answer = requests.writeIn(group, w.command(), true).map(ForwardCodec::result);
            } else if (request instanceof ForwardCodec.Request.Get g) {
                answer = requests.getIn(group, g.key(), g.consistency(), true).map(ForwardCodec::get);
            } else if (request instanceof ForwardCodec.Request.Lookup l) {
                // Encoded as the request asked: the values only if wanted and within its bound, which is checked on
                // the value lengths before anything is encoded (ForwardCodec.lookup).
                answer = requests.lookupIn(group, l.keys(), l.consistency(), true, l.fetch())
                        .map(s -> l.fetchSaid() ? ForwardCodec.lookup(s, l.fetch()) : ForwardCodec.lookup(s));
            } else {
                ForwardCodec.Request.Range r = (ForwardCodec.Request.Range) request;
                answer = requests.rangeIn(group, r.prefix(), r.startAfter(), r.limit(), r.consistency(), true,
                        r.values()).map(s -> ForwardCodec.range(s, r.values()));
            }
        } catch (IllegalArgumentException e) {
            HttpErrors.badRequest(ctx, e.getMessage());
            return;
        }
        answer.onComplete(ar -> {
            if (ctx.response().ended() || ctx.response().closed()) {
                return;
            }
            Buffer out;
            if (ar.succeeded()) {
                out = ar.result();
            } else if (ar.cause() instanceof NodeRequestException e) {
                out = ForwardCodec.error(requests.nodeId(), e);
            } else {
                HttpErrors.failure(ctx, ar.cause());
                return;
            }
            if (request instanceof ForwardCodec.Request.Write) {
                // Never refused once applied: the follower would tell its client the write was not made. A
                // transaction's reads may make it large: written a slice at a time, as a read's answer.
                ctx.response().putHeader("Content-Type", "application/octet-stream");
                endInSlices(ctx, out);
            } else {
                answer(ctx, "application/octet-stream", out, 0);
            }
        });
    }

    /**
     * Answers a read with {@code body}, counted in the port's budget of answers not yet written out until it is
     * (or its stream or connection is gone); beyond the budget, 503 {@code overloaded} instead ({@link AnswerBudget}).
     * A value's answer names its revision ({@code Raft-Revision}); 0: no revision to name.
     */
    private void answer(RoutingContext ctx, String contentType, Buffer body, long revision) {
        answer(ctx, contentType, body, revision, true);
    }

    /**
     * As {@link #answer(RoutingContext, String, Buffer, long)}; {@code mayRefuse} false for the answer of a write that
     * also read (a transaction's), which is counted but never refused ({@link AnswerBudget#takeAlways}).
     */
    private void answer(RoutingContext ctx, String contentType, Buffer body, long revision, boolean mayRefuse) {
        if (ctx.response().ended() || ctx.response().closed()) {
            return;
        }
        Runnable drop = () -> {
            if (!ctx.response().closed()) {
                ctx.response().reset(); // HTTP/2: the stream; HTTP/1.x: the connection
            }
        };
        AnswerBudget.Unsent unsent = mayRefuse ? answers.take(body.length(), drop)
                : answers.takeAlways(body.length(), drop);
        if (unsent == null) {
            HttpErrors.send(ctx, 503, "overloaded", answers.refusal());
            return;
        }
        if (revision > 0) {
            ctx.response().putHeader("Raft-Revision", String.valueOf(revision));
        }
        try {
            ctx.response().putHeader("Content-Type", contentType);
            endInSlices(ctx, body).onComplete(ar -> unsent.written());
        } catch (IllegalStateException e) {
            unsent.written(); // the stream closed meanwhile: nothing was written
        }
    }

    /**
     * Ends the response with {@code body}: at once if it is at most a slice ({@link HttpLeaderLink#SLICE_BYTES}),
     * else a slice at a time as the connection takes them. Handed to the connection whole, a forwarded answer of tens of
     * MiB was copied and written in one go on the event loop the leader's node may share.
     */
    private static Future<Void> endInSlices(RoutingContext ctx, Buffer body) {
        io.vertx.core.http.HttpServerResponse response = ctx.response();
        if (body.length() <= HttpLeaderLink.SLICE_BYTES) {
            return response.end(body);
        }
        response.putHeader(HttpHeaders.CONTENT_LENGTH, String.valueOf(body.length()));
        return HttpLeaderLink.endInSlices(response, body, response::end);
    }

    private void cluster(RoutingContext ctx) {
        String scope = ctx.request().getParam("scope");
        if (scope != null && !scope.equals("local")) {
            HttpErrors.badField(ctx, "scope", "scope: must be local (this node's view alone), or left out, got '"
                    + scope + "'");
            return;
        }
        boolean local = scope != null;
        (local ? cluster.describeLocal() : cluster.describe()).onComplete(ar -> {
            if (ar.failed()) {
                HttpErrors.failure(ctx, ar.cause());
            } else {
                // The kinds of log entry this node applies, which a leader asks its members before it proposes a
                // newer kind (io.raftline.api.ReleaseGate).
                json(ctx, 200, ar.result().put("kvOps", io.raftline.kv.KvCodec.HIGHEST_OP));
            }
        });
    }

    /** This node's own state fingerprint (never forwarded): compare it across nodes at the same index. */
    private void stateHash(RoutingContext ctx) {
        node.digest().onComplete(ar -> {
            if (ar.failed()) {
                HttpErrors.failure(ctx, ar.cause());
            } else {
                var d = ar.result();
                json(ctx, 200, new JsonObject().put("node", d.node()).put("appliedIndex", d.appliedIndex())
                        .put("stateHash", d.stateHash()).put("keys", d.keys()));
            }
        });
    }

    private void health(RoutingContext ctx) {
        node.status().onComplete(ar -> {
            if (ar.failed()) {
                HttpErrors.failure(ctx, ar.cause());
                return;
            }
            var s = ar.result();
            JsonObject body = new JsonObject().put("node", s.id()).put("role", s.roleName()).put("term", s.term())
                    .put("leader", s.leader()).put("up", s.up()).put("paused", s.paused()).put("frozen", s.frozen());
            if (s.storage().failed()) {
                String why = s.storage().failure();
                HttpErrors.send(ctx, 503, body.put("error", "storage_failed").put("message", "node " + s.id()
                        + " could not persist its log and stopped acknowledging (fail-stop)"
                        + (why != null ? ": " + why : "") + "; see its log"));
            } else if (s.stateLost()) {
                HttpErrors.send(ctx, 503, body.put("error", "state_lost").put("message", "node " + s.id()
                        + " lost log entries it had acknowledged (wiped or replaced data directory); it no longer"
                        + " votes (its clients' requests go to the leader) and must be replaced by a new member"));
            } else if (!s.up() || s.paused() || s.frozen()) {
                String state = !s.up() ? "down" : s.frozen() ? "frozen" : "paused";
                HttpErrors.send(ctx, 503, body.put("error", "node_" + state).put("message", "node " + s.id() + " is " + state));
            } else {
                json(ctx, 200, body.put("status", "ok"));
            }
        });
    }

    /**
     * Readiness: 200 only when this node can serve clients now: it runs, is a member, knows a leader, and has applied
     * the leader's commit index to within {@code max_lag} entries (1000 by default); else 503 naming the reason. What
     * a load balancer asks before it sends traffic to the node.
     */
    private void ready(RoutingContext ctx) {
        long maxLag;
        try {
            String raw = ctx.request().getParam("max_lag");
            maxLag = raw == null ? DEFAULT_READY_LAG : Long.parseLong(raw);
            if (maxLag < 0) {
                throw new NumberFormatException();
            }
        } catch (NumberFormatException e) {
            HttpErrors.badRequest(ctx, "max_lag must be an integer >= 0 (entries), got " + ctx.request()
                    .getParam("max_lag"));
            return;
        }
        // A sharded node serves every group's keys, so it is ready only if each of its replicas is: group 0's status
        // alone said "ready" while the node knew no leader of another group, was no member of it or lagged in it.
        java.util.List<? extends RaftNode> replicas = node instanceof ReplicaSet set ? set.replicas()
                : java.util.List.of(node);
        ReplicaSet.statuses(replicas).onComplete(ar -> {
            if (ar.failed()) {
                HttpErrors.failure(ctx, ar.cause());
                return;
            }
            if (answerReadiness(ctx, ar.result(), maxLag, false)) {
                return;
            }
            // Ready by what each replica knows; but a follower's figure of the leader's commit comes from what the
            // leader sent it, and one that hears only heartbeats (waiting for a snapshot after a restart, or in an
            // idle group) hears no more than the leader knows it holds: so each replica asks its leader (a ReadIndex
            // round), and the answer is judged on the figures after it.
            java.util.List<Future<Long>> confirmed = new java.util.ArrayList<>(replicas.size());
            for (RaftNode r : replicas) {
                confirmed.add(r.confirmLeaderCommit().timeout(READY_CONFIRM_MS,
                        java.util.concurrent.TimeUnit.MILLISECONDS));
            }
            Future.join(confirmed).onComplete(done -> ReplicaSet.statuses(replicas).onComplete(after -> {
                if (after.failed()) {
                    HttpErrors.failure(ctx, after.cause());
                    return;
                }
                if (answerReadiness(ctx, after.result(), maxLag, false)) {
                    return;
                }
                for (int g = 0; g < confirmed.size(); g++) {
                    if (confirmed.get(g).failed()) {
                        answerUnconfirmed(ctx, after.result(), g, confirmed.get(g).cause());
                        return;
                    }
                }
                answerReadiness(ctx, after.result(), maxLag, true);
            }));
        });
    }

    /** How long {@code /readyz} waits for a replica's leader to confirm its commit index. */
    static final long READY_CONFIRM_MS = 2_000;

    /**
     * Answers {@code /readyz} with the first replica that is not ready, if any, or with 200 if {@code last}.
     *
     * @return whether an answer was sent
     */
    private static boolean answerReadiness(RoutingContext ctx, java.util.List<NodeStatus> all, long maxLag,
            boolean last) {
        for (int g = 0; g < all.size(); g++) {
            NotReady notReady = notReady(all.get(g), maxLag);
            if (notReady != null) {
                refuseReadiness(ctx, all, g, notReady);
                return true;
            }
        }
        if (last) {
            json(ctx, 200, readinessFigures(all.get(0)).put("status", "ready"));
        }
        return last;
    }

    /** A replica whose leader did not confirm its commit index: not ready ({@link #unconfirmed}). */
    private static void answerUnconfirmed(RoutingContext ctx, java.util.List<NodeStatus> all, int group,
            Throwable cause) {
        refuseReadiness(ctx, all, group, unconfirmed(all.get(group), cause));
    }

    /**
     * Why a replica whose leader's commit index could not be confirmed is not ready. A leader that did not answer, or
     * a refusal by leadership (an election under way), is {@code no_leader}; a replica too busy to ask (its queue of
     * reads full) is {@code overloaded}, as its reads and writes are: a load balancer, or an operator reading the
     * probe, should not look for an election that is not there.
     *
     * @param s     the replica's status after the attempt
     * @param cause why the confirmation failed
     * @return the reason
     */
    static NotReady unconfirmed(NodeStatus s, Throwable cause) {
        if (cause instanceof NodeRequestException e && e.reason() == NodeRequestException.Reason.OVERLOADED) {
            return new NotReady("overloaded", "it could not ask its leader (node " + s.leader()
                    + ") for its commit index: " + e.getMessage());
        }
        String why = cause instanceof java.util.concurrent.TimeoutException ? "no answer within " + READY_CONFIRM_MS
                + " ms" : cause.getMessage();
        return new NotReady("no_leader", "its leader (node " + s.leader() + ") did not confirm its commit index: "
                + why);
    }

    /** 503 for the replica of {@code group}, with its figures, naming the group on a sharded node. */
    private static void refuseReadiness(RoutingContext ctx, java.util.List<NodeStatus> all, int group,
            NotReady notReady) {
        NodeStatus s = all.get(group);
        JsonObject body = readinessFigures(s);
        String where = "";
        if (all.size() > 1) {
            body.put("group", group);
            where = "in Raft group " + group + ", ";
        }
        HttpErrors.send(ctx, 503, body.put("error", notReady.code()).put("message", "node " + s.id()
                + " is not ready: " + where + notReady.problem()));
    }

    private static JsonObject readinessFigures(NodeStatus s) {
        long lag = Math.max(0, s.leaderCommit() - s.applied());
        return new JsonObject().put("node", s.id()).put("role", s.roleName()).put("leader", s.leader())
                .put("applied", s.applied()).put("leaderCommit", s.leaderCommit()).put("lag", lag);
    }

    /**
     * Why a node is not ready.
     *
     * @param code    the error code
     * @param problem the explanation
     */
    record NotReady(String code, String problem) {
    }

    /**
     * Why a node is not ready, most fundamental reason first: its code and the explanation; null if it is ready.
     *
     * @param s      the node's status
     * @param maxLag most entries its applied index may trail the leader's commit index
     * @return the reason, or null
     */
    static NotReady notReady(NodeStatus s, long maxLag) {
        long lag = Math.max(0, s.leaderCommit() - s.applied());
        if (s.storage().failed()) {
            return new NotReady("storage_failed", "its storage failed (fail-stop)");
        } else if (s.stateLost()) {
            return new NotReady("state_lost", "it lost log entries it had acknowledged and must be replaced");
        } else if (!s.up() || s.paused() || s.frozen()) {
            String what = !s.up() ? "down" : s.frozen() ? "frozen" : "paused";
            return new NotReady("node_" + what, "it is " + what);
        } else if (!s.member()) {
            return new NotReady("not_member", "it is not a member of the cluster (waiting to be added, or removed)");
        } else if (s.leader() == 0) {
            return new NotReady("no_leader", "it knows no leader");
        } else if (lag > maxLag) {
            return new NotReady("lagging", "it has applied index " + s.applied() + ", " + lag
                    + " entries behind the leader's commit " + s.leaderCommit() + " (max_lag " + maxLag + ")");
        }
        return null;
    }

    /**
     * Liveness: 200 while the node's event loop answers within a second, whatever Raft says (a crashed, paused or
     * leaderless node is alive); 503 if it does not answer. What a supervisor asks before it restarts the process.
     */
    private void live(RoutingContext ctx) {
        node.status().timeout(1, java.util.concurrent.TimeUnit.SECONDS).onComplete(ar -> {
            if (ar.succeeded()) {
                json(ctx, 200, new JsonObject().put("status", "alive").put("node", ar.result().id()));
            } else {
                HttpErrors.send(ctx, 503, "not_alive", "node " + node.id() + " did not answer within 1 s: "
                        + ar.cause().getMessage());
            }
        });
    }

    // ---------------------------------------------------------------- helpers

    private static void served(RoutingContext ctx, int servedBy) {
        ctx.response().putHeader(SERVED_BY, String.valueOf(servedBy));
    }

    /** Where {@link #dotSegments} keeps the path a key came in. */
    private static final String RAW_PATH = "raftline.rawKeyPath";

    /**
     * Keys may be {@code .} or {@code ..} (or contain such segments): the router matches requests on the path with dot
     * segments removed, so {@code /v1/kv/%2E%2E} would be routed as {@code /v1/}. Such a request is routed as a key
     * request, and its key is taken from the path as it came.
     */
    private static void dotSegments(RoutingContext ctx) {
        String raw = ctx.request().path();
        if (ctx.get(RAW_PATH) == null && raw != null && raw.startsWith(KV_PREFIX)
                && !ctx.normalizedPath().startsWith(KV_PREFIX)) {
            ctx.put(RAW_PATH, raw);
            String query = ctx.request().query();
            ctx.reroute(ctx.request().method(), KV_PREFIX + "_" + (query == null ? "" : "?" + query));
            return;
        }
        ctx.next();
    }

    private static String rawPath(RoutingContext ctx) {
        String saved = ctx.get(RAW_PATH);
        return saved != null ? saved : ctx.request().path();
    }

    private static String key(RoutingContext ctx) {
        String path = rawPath(ctx);
        int at = path.indexOf(KV_PREFIX);
        String raw = at < 0 ? "" : path.substring(at + KV_PREFIX.length());
        try {
            return KvCommand.validateKey(KeyPath.decode(raw));
        } catch (IllegalArgumentException e) {
            HttpErrors.badField(ctx, "key", e.getMessage());
            return null;
        }
    }

    private static long ifRevision(RoutingContext ctx) {
        String v = ctx.request().getParam("ifRevision");
        if (v == null) {
            return KvCommand.UNCONDITIONAL;
        }
        try {
            long r = Long.parseLong(v);
            if (r < 0) {
                throw new NumberFormatException();
            }
            return r;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("ifRevision must be an integer >= 0 (0 = key must not exist), got '"
                    + v + "'");
        }
    }

    private static ReadConsistency consistency(RoutingContext ctx) {
        try {
            return ReadConsistency.parse(ctx.request().getParam("consistency"));
        } catch (IllegalArgumentException e) {
            HttpErrors.badRequest(ctx, e.getMessage());
            return null;
        }
    }

    /**
     * The JSON form of one entry in a listing: the value as text when it is valid UTF-8, else base64.
     *
     * @param e the entry
     * @return the JSON object
     */
    static JsonObject item(KvEntry e) {
        byte[] v = e.value();
        JsonObject o = new JsonObject().put("key", e.key());
        String text = utf8(v);
        if (text != null) {
            o.put("value", text).put("base64", false);
        } else {
            o.put("value", Base64.getEncoder().encodeToString(v)).put("base64", true);
        }
        return o.put("revision", e.modRevision()).put("createRevision", e.createRevision()).put("version", e.version());
    }

    private static String utf8(byte[] v) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(v)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    static void json(RoutingContext ctx, int status, JsonObject body) {
        json(ctx, status, body.encode());
    }

    /**
     * Sends a JSON text made by the caller. The answers to writes, the requests a loaded node serves most, are two
     * numbers each: written as text they skip a map, a Jackson generator and its buffers per request, and the
     * compilers' work on the generic encoder (a 60 KB method compiled twice in a fresh process's first seconds under
     * load, docs/performance.md, thirty-eighth round).
     */
    private static void json(RoutingContext ctx, int status, String body) {
        if (ctx.response().ended() || ctx.response().closed()) {
            return;
        }
        ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, APPLICATION_JSON).end(body);
    }
}
