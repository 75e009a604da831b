package io.raftline.verify.nemesis;

import io.raftline.node.NodeRequestException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@link KvClient} over the Redis protocol, through the Vert.x Redis client: what a verify run with
 * {@code --protocol resp} checks. Each request becomes the Redis command with the same meaning (put: SET, create-only
 * cas: SET NX, get: GET, delete: DEL), and each reply is translated into the HTTP answer with the same meaning, so
 * that one {@link OutcomeMapping} decides both protocols: a node's refusal keeps its reason code, which the
 * Redis-protocol error carries ({@code TRYAGAIN not_leader: ...}, {@code ERR timeout: ...}).
 *
 * <p>The Redis protocol has no revisions and no idempotency keys: a run over it reports no revisions, has its cas
 * operations only ever expect absence (the only precondition SET can state), and does not retry writes whose outcome
 * is unknown, since a retry could apply them twice ({@link NemesisOptions} enforces it).
 */
public final class RespKvClient implements KvClient {

    /** {@code CODE reason: message}, as the listener words a node's refusal. */
    private static final Pattern REFUSAL = Pattern.compile("^(TRYAGAIN|ERR) ([a-z_]+): ");

    private final Map<Integer, Redis> nodes = new HashMap<>();
    private final long timeoutMs;

    /**
     * Creates a client.
     *
     * @param vertx     the Vert.x instance to run on
     * @param addresses node id → {@code host:port} of its Redis-protocol listener
     * @param poolSize  connections per node at most
     * @param timeoutMs how long to wait for an answer (and for a connection)
     */
    public RespKvClient(Vertx vertx, Map<Integer, String> addresses, int poolSize, long timeoutMs) {
        this.timeoutMs = timeoutMs;
        addresses.forEach((id, address) -> nodes.put(id, Redis.createClient(vertx, new RedisOptions()
                .setConnectionString("redis://" + address).setMaxPoolSize(poolSize)
                .setMaxPoolWaiting(poolSize * 4).setMaxWaitingHandlers(poolSize * 4))));
    }

    @Override
    public Future<KvResponse> send(int node, KvRequest r) {
        Redis redis = Objects.requireNonNull(nodes.get(node), () -> "no node " + node);
        Request command = switch (r.kind()) {
            case GET -> Request.cmd(Command.GET).arg(r.key());
            case PUT -> Request.cmd(Command.SET).arg(r.key()).arg(r.value().bytes());
            case CAS -> r.expectedRevision() == 0 ? Request.cmd(Command.SET).arg(r.key()).arg(r.value().bytes())
                    .arg("NX") : null;
            case DELETE -> Request.cmd(Command.DEL).arg(r.key());
        };
        if (command == null) {
            return Future.succeededFuture(new KvResponse.NotSent("a cas on a revision has no Redis form"));
        }
        Future<io.vertx.redis.client.RedisConnection> connecting = redis.connect();
        return within(connecting).transform(connected -> {
            if (connected.failed()) {
                // Too late is still a connection: give it back once it comes.
                connecting.onSuccess(io.vertx.redis.client.RedisConnection::close);
                return Future.succeededFuture(new KvResponse.NotSent(connected.cause().getClass().getSimpleName()));
            }
            return within(connected.result().send(command)).transform(ar -> {
                connected.result().close();
                if (ar.succeeded()) {
                    return Future.succeededFuture(answer(r, ar.result()));
                }
                String message = String.valueOf(ar.cause().getMessage());
                Matcher m = REFUSAL.matcher(message);
                if (m.find()) {
                    return Future.succeededFuture(refusal(m.group(2), message));
                }
                if (message.startsWith("ERR ")) {
                    return Future.succeededFuture(new KvResponse.Answered(500, json("error", "redis_error"), null,
                            null));
                }
                return Future.succeededFuture(new KvResponse.NoAnswer(ar.cause().getClass().getSimpleName()));
            });
        });
    }

    /** A successful reply as the HTTP answer that means the same. */
    private static KvResponse answer(KvRequest r, Response reply) {
        return switch (r.kind()) {
            case GET -> reply == null
                    ? new KvResponse.Answered(404, new JsonObject().put("error", "not_found").put("appliedIndex", 0)
                            .encode().getBytes(StandardCharsets.UTF_8), null, null)
                    : new KvResponse.Answered(200, reply.toBytes(), null, null);
            case PUT -> new KvResponse.Answered(200, json(null, null), null, null);
            case CAS -> reply == null ? new KvResponse.Answered(412, json("error", "precondition_failed"), null, null)
                    : new KvResponse.Answered(200, json(null, null), null, null);
            case DELETE -> new KvResponse.Answered(200, new JsonObject().put("deleted", reply.toInteger()).encode()
                    .getBytes(StandardCharsets.UTF_8), null, null);
        };
    }

    /** A node's refusal as the HTTP answer with its status and reason code. */
    private static KvResponse refusal(String code, String message) {
        int status = NodeRequestException.Reason.fromCode(code).map(NodeRequestException.Reason::httpStatus).orElse(503);
        return new KvResponse.Answered(status, new JsonObject().put("error", code).put("message", message).encode()
                .getBytes(StandardCharsets.UTF_8), null, null);
    }

    private static byte[] json(String field, String value) {
        JsonObject o = new JsonObject();
        if (field != null) {
            o.put(field, value);
        }
        return o.encode().getBytes(StandardCharsets.UTF_8);
    }

    /** The future, or a failure once the timeout has passed without it. */
    private <T> Future<T> within(Future<T> future) {
        return future.timeout(timeoutMs, TimeUnit.MILLISECONDS);
    }

    @Override
    public Future<Void> close() {
        nodes.values().forEach(Redis::close);
        return Future.succeededFuture();
    }
}
