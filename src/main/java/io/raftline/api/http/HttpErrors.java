package io.raftline.api.http;

import io.raftline.node.NodeRequestException;
import io.raftline.raft.ConfigException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * The one way every Raftline HTTP endpoint reports an error: a JSON body
 * {@code {"error":"<code>","message":"..."}} (plus optional fields such as {@code leaderHint}) and the
 * status the design fixes for it. 503 answers always carry {@code Retry-After}, so clients back off the
 * same way whatever went wrong.
 */
public final class HttpErrors {

    /** Seconds a client should wait before retrying a 503. */
    public static final String RETRY_AFTER_SECONDS = "1";

    /** Where {@link #bodyHandler} leaves its route's body limit, for the 413 to name it. */
    private static final String BODY_LIMIT = "raftline.bodyLimit";

    /**
     * Vert.x's {@code BodyHandler} with a limit, which a 413 then names: its own failure says only "exceeds the
     * configured limit", and these limits (a membership change's, the admin API's, the bridge's) are no setting a
     * client could look up.
     *
     * @param limit the largest body, in bytes
     * @return the handler
     */
    public static io.vertx.core.Handler<RoutingContext> bodyHandler(long limit) {
        io.vertx.ext.web.handler.BodyHandler body = io.vertx.ext.web.handler.BodyHandler.create(false)
                .setBodyLimit(limit);
        return ctx -> {
            ctx.put(BODY_LIMIT, limit);
            body.handle(ctx);
        };
    }

    private HttpErrors() {
    }

    /**
     * Ends the request with an error.
     *
     * @param ctx     the request
     * @param status  HTTP status
     * @param code    machine-readable error code
     * @param message human-readable explanation
     */
    public static void send(RoutingContext ctx, int status, String code, String message) {
        send(ctx, status, new JsonObject().put("error", code).put("message", message));
    }

    /**
     * Ends the request with an error body that has extra fields.
     *
     * @param ctx    the request
     * @param status HTTP status
     * @param body   {@code error}, {@code message} and extra fields
     */
    public static void send(RoutingContext ctx, int status, JsonObject body) {
        if (ctx.response().ended() || ctx.response().closed()) {
            return;
        }
        if (ctx.response().headWritten()) {
            ctx.response().end();
            return;
        }
        if (status == 503) {
            ctx.response().putHeader("Retry-After", RETRY_AFTER_SECONDS);
        }
        if (!ctx.request().isEnded() && ctx.request().version() != io.vertx.core.http.HttpVersion.HTTP_2) {
            // Refused before its body was read (a credential, a closed node): the router paused the request, so the
            // body would stay unread and the next request the client sends on this HTTP/1 connection would never be
            // read either. The connection ends with this answer instead of reading a body nobody wants.
            ctx.response().putHeader("Connection", "close");
        }
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                .end(body.encode());
    }

    /**
     * A request's body as the JSON object it must be, or null after answering 400: not JSON (the reason and where it
     * stopped), not an object ({@code notAnObject}, also for an empty body), or an object that names a field twice
     * (the JSON reader keeps the last copy silently, {@link io.raftline.config.JsonErrors#fieldGivenTwice}).
     *
     * @param ctx         the request
     * @param body        its body (null or empty: none)
     * @param notAnObject what to answer when the body is not a JSON object, saying what it must look like
     * @return the object, or null once answered
     */
    static JsonObject jsonObject(RoutingContext ctx, Buffer body, String notAnObject) {
        JsonObject once = strictObject(body);
        if (once != null) {
            return once;
        }
        // None, not JSON, not an object, or a field given twice: read again below to say which, as before (only a
        // refused body pays for a second parse).
        Object parsed;
        try {
            parsed = body == null || body.length() == 0 ? null : io.vertx.core.json.Json.decodeValue(body);
        } catch (io.vertx.core.json.DecodeException e) {
            badRequest(ctx, "the body is not valid JSON: " + io.raftline.config.JsonErrors.describe(e));
            return null;
        }
        if (!(parsed instanceof JsonObject o)) {
            badRequest(ctx, notAnObject);
            return null;
        }
        String twice = io.raftline.config.JsonErrors.fieldGivenTwice(body.getBytes());
        if (twice != null) {
            badRequest(ctx, twice);
            return null;
        }
        return o;
    }

    /**
     * The body as a JSON object read by one parse that also refuses a field given twice: Vert.x's own reader (its
     * features, comments allowed, and its values) with Jackson's duplicate detection turned on. Bodies used to be
     * read twice, by {@code Json.decodeValue} and again by {@link io.raftline.config.JsonErrors#fieldGivenTwice}.
     *
     * @param body the body (null or empty: none)
     * @return the object, or null if the body is none, not JSON, not an object, or names a field twice
     */
    static JsonObject strictObject(Buffer body) {
        if (body == null || body.length() == 0) {
            return null;
        }
        try {
            com.fasterxml.jackson.core.JsonParser parser = io.vertx.core.json.jackson.JacksonCodec.createParser(body);
            parser.enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
            return io.vertx.core.json.jackson.JacksonCodec.fromParser(parser, Object.class) instanceof JsonObject o
                    ? o : null;
        } catch (io.vertx.core.json.DecodeException e) {
            return null;
        }
    }

    /**
     * 400 for invalid input.
     *
     * @param ctx     the request
     * @param message what is wrong
     */
    public static void badRequest(RoutingContext ctx, String message) {
        send(ctx, 400, "bad_request", message);
    }

    /**
     * Whether the request says its body is JSON ({@code application/json} or {@code application/*+json}); if not,
     * ends it with 415 {@code unsupported_media_type}. Endpoints that take a JSON body insist on it: a web page can
     * only send {@code text/plain}, form or multipart bodies across sites without a CORS preflight, so this refuses
     * every cross-site "simple request" even from a browser that sent no {@code Origin}.
     *
     * @param ctx the request
     * @return true if the body is declared JSON
     */
    public static boolean requireJson(RoutingContext ctx) {
        String type = ctx.request().getHeader("Content-Type");
        String mime = type == null ? "" : type.split(";", 2)[0].trim().toLowerCase(java.util.Locale.ROOT);
        if (mime.equals("application/json") || (mime.startsWith("application/") && mime.endsWith("+json"))) {
            return true;
        }
        send(ctx, 415, "unsupported_media_type", "the body must be JSON sent with Content-Type: application/json, got "
                + (type == null ? "no Content-Type" : "'" + type + "'") + " (curl: -H 'Content-Type: application/json')");
        return false;
    }

    /**
     * 400 naming the offending field.
     *
     * @param ctx the request
     * @param e   the validation failure
     */
    public static void badField(RoutingContext ctx, ConfigException e) {
        badField(ctx, e.field(), e.getMessage());
    }

    /**
     * 400 naming the offending field (a body's field or a query parameter).
     *
     * @param ctx     the request
     * @param field   the field
     * @param message what is wrong, the field named first
     */
    public static void badField(RoutingContext ctx, String field, String message) {
        send(ctx, 400, new JsonObject().put("error", "bad_request").put("field", field).put("message", message));
    }

    /**
     * Maps a node failure to its status and code.
     *
     * @param ctx the request
     * @param e   the failure
     */
    public static void node(RoutingContext ctx, NodeRequestException e) {
        JsonObject body = new JsonObject().put("error", e.reason().code()).put("message", e.getMessage());
        if (e.leaderHint() > 0) {
            body.put("leaderHint", e.leaderHint());
        }
        send(ctx, e.reason().httpStatus(), body);
    }

    /**
     * Maps any failure: node failures to their status, a node's storage refusing what was asked (a restart in a process
     * whose log failed) to 409 {@code storage_failed}, anything else to 500.
     *
     * @param ctx the request
     * @param t   the failure
     */
    public static void failure(RoutingContext ctx, Throwable t) {
        if (t instanceof NodeRequestException e) {
            node(ctx, e);
        } else if (t instanceof IllegalArgumentException e) {
            badRequest(ctx, e.getMessage());
        } else if (t instanceof io.raftline.raft.StorageException e) {
            // The state of the node's disk, said by the refusal (what failed, what to do): not an internal error.
            send(ctx, 409, "storage_failed", e.getMessage());
        } else {
            send(ctx, 500, "internal", String.valueOf(t.getMessage()));
        }
    }

    /**
     * The router-level failure handler: body too large (413), no route (404), wrong method (405),
     * anything else (500), all as JSON.
     *
     * @param ctx the failed request
     */
    public static void routerFailure(RoutingContext ctx) {
        routerFailure(ctx, ctx.statusCode());
    }

    /**
     * Like {@link #routerFailure(RoutingContext)} for a status the router already decided.
     *
     * @param ctx    the failed request
     * @param status the status the router chose
     */
    public static void routerFailure(RoutingContext ctx, int status) {
        // Vert.x reports a request it cannot decode (a malformed %-escape in the query, prefix=%ZZ) as an
        // IllegalArgumentException; this project's handlers catch their own, so one reaching here is the client's.
        if ((status == -1 || status == 500) && ctx.failure() instanceof IllegalArgumentException) {
            status = 400;
        }
        switch (status) {
            case 413 -> send(ctx, 413, "payload_too_large", ctx.get(BODY_LIMIT) == null
                    ? "request body exceeds the configured limit"
                    : "request body exceeds this endpoint's limit of " + ctx.get(BODY_LIMIT) + " bytes");
            case 404 -> send(ctx, 404, "not_found", "no such resource: " + ctx.request().method() + " "
                    + ctx.request().path());
            case 405 -> send(ctx, 405, "method_not_allowed", ctx.request().method() + " is not allowed on "
                    + ctx.request().path());
            case 400 -> send(ctx, 400, "bad_request", ctx.failure() == null ? "bad request"
                    : String.valueOf(ctx.failure().getMessage()));
            case 501 -> send(ctx, 501, "not_implemented", ctx.request().method() + " is not implemented");
            default -> send(ctx, 500, "internal", ctx.failure() == null ? "internal error"
                    : String.valueOf(ctx.failure().getMessage()));
        }
    }
}
