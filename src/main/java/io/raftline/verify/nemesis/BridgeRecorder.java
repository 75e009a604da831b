package io.raftline.verify.nemesis;

import io.raftline.events.EventPublisher;
import io.raftline.events.NdjsonRecorder;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;

/**
 * Records a cluster of processes the way a browser sees it: connected to one process's admin port through the
 * SockJS event-bus bridge (raw WebSocket endpoint {@code /eventbus/websocket}), registered on
 * {@value EventPublisher#ADDRESS}. Every process publishes its own node's events on the clustered event bus, so
 * one bridge carries them all. When that process dies (the nemesis kills processes), the recorder reconnects
 * to another live one; what was published in between is missing, and the report says how often that happened.
 *
 * <p>Each process numbers its events itself, so the recorder renumbers them in arrival order ({@code seq}; the
 * process's own number is kept as {@code srcSeq}). It starts the recording with a {@code ClusterInfo} and adds
 * {@code NodeCrashed} / {@code NodeRestarted} for the kills and relaunches it is told about (a killed process
 * cannot report its own death). Confined to one event-loop context.
 */
final class BridgeRecorder {

    private static final long PING_MS = 5000;
    private static final long FLUSH_MS = 50;
    private static final long RECONNECT_MS = 250;

    private final Vertx vertx;
    private final Context context;
    private final WebSocketClient client;
    private final NdjsonRecorder recorder;
    private final Supplier<List<Integer>> liveAdminPorts;
    private WebSocket socket;
    private long seq;
    private long events;
    private int connections;
    private boolean finished;
    private long pingTimer = -1;
    private long flushTimer = -1;

    BridgeRecorder(Vertx vertx, Path file, List<Integer> members, Supplier<List<Integer>> liveAdminPorts) {
        this.vertx = vertx;
        this.context = vertx.getOrCreateContext();
        this.client = vertx.createWebSocketClient();
        this.recorder = new NdjsonRecorder(vertx, file.toString(), Recordings.MAX_BYTES);
        this.liveAdminPorts = liveAdminPorts;
        context.runOnContext(v -> {
            write(new JsonObject().put("seq", 0L).put("ts", System.currentTimeMillis()).put("node", 0)
                    .put("term", 0L).put("role", "").put("type", "ClusterInfo").put("members", new JsonArray(members)));
            flushTimer = vertx.setPeriodic(FLUSH_MS, t -> recorder.endOfBatch());
            connect();
        });
    }

    private void connect() {
        if (finished || socket != null) {
            return;
        }
        List<Integer> ports = liveAdminPorts.get();
        if (ports.isEmpty()) {
            vertx.setTimer(RECONNECT_MS, t -> connect());
            return;
        }
        int port = ports.get(connections % ports.size());
        WebSocketConnectOptions o = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port)
                .setURI("/eventbus/websocket").setTimeout(2000);
        client.connect(o).onComplete(ar -> {
            if (ar.failed() || finished) {
                if (ar.succeeded()) {
                    ar.result().close();
                }
                vertx.setTimer(RECONNECT_MS, t -> connect());
                return;
            }
            WebSocket ws = ar.result();
            socket = ws;
            connections++;
            ws.handler(b -> onFrame(b.toString()));
            ws.closeHandler(v -> {
                if (socket == ws) {
                    socket = null;
                    vertx.cancelTimer(pingTimer);
                    vertx.setTimer(RECONNECT_MS, t -> connect());
                }
            });
            ws.exceptionHandler(e -> ws.close());
            ws.writeTextMessage(new JsonObject().put("type", "register").put("address", EventPublisher.ADDRESS)
                    .put("headers", new JsonObject()).encode());
            pingTimer = vertx.setPeriodic(PING_MS, t -> {
                if (socket == ws) {
                    ws.writeTextMessage("{\"type\":\"ping\"}");
                }
            });
        });
    }

    private void onFrame(String text) {
        JsonObject frame;
        try {
            frame = new JsonObject(text);
        } catch (DecodeException e) {
            return;
        }
        if ("rec".equals(frame.getString("type")) && EventPublisher.ADDRESS.equals(frame.getString("address"))
                && frame.getValue("body") instanceof JsonObject body) {
            JsonObject e = body.copy();
            e.put("srcSeq", e.getValue("seq"));
            write(e);
        }
    }

    private void write(JsonObject e) {
        if (finished) {
            return;
        }
        e.put("seq", ++seq);
        events++;
        recorder.accept(e);
    }

    /** Adds an event the harness observed itself (a kill, a relaunch), in arrival order with the others. */
    void note(JsonObject event) {
        context.runOnContext(v -> write(event.copy()));
    }

    /** How many times the recorder connected to a bridge (1 = never lost it). */
    int connections() {
        return connections;
    }

    /** Events recorded so far. */
    long events() {
        return events;
    }

    /** Writes the verdict as the last event and closes the recording. */
    Future<Void> finish(JsonObject verdict) {
        Promise<Void> done = Promise.promise();
        context.runOnContext(v -> {
            if (finished) {
                done.complete();
                return;
            }
            recorder.accept(Recordings.verdictEvent(++seq, verdict));
            finished = true;
            vertx.cancelTimer(pingTimer);
            vertx.cancelTimer(flushTimer);
            if (socket != null) {
                socket.close();
                socket = null;
            }
            recorder.close().onComplete(done);
        });
        return done.future().eventually(client::close);
    }
}
