package io.raftline.api.http;

import io.raftline.api.ContextWatchSink;
import io.raftline.api.WatchBudget;
import io.raftline.api.WatchCursor;
import io.raftline.api.WatchPacer;
import io.raftline.kv.KvChange;
import io.raftline.kv.KvCommand;
import io.raftline.node.NodeHost;
import io.raftline.node.NodeRequestException;
import io.raftline.node.RaftNode;
import io.raftline.node.WatchCompactedException;
import io.raftline.node.WatchPosition;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * {@code GET /v1/watch?prefix=P&fromRevision=R}: every change the node applies to keys under a prefix, in log order,
 * as Server-Sent Events, from revision R on (or from the next change), resumable after a reconnect without a gap or
 * a duplicate.
 *
 * <pre>
 * : watching from node 2
 *
 * id: 13
 *
 * id: 14:0
 * event: put
 * data: {"type":"put","key":"a","value":"1","base64":false,"revision":14,"createRevision":14,"version":1}
 *
 * id: 15:0
 * event: delete
 * data: {"type":"delete","key":"a","revision":15}
 * </pre>
 * An event id is {@code revision:position} (a transaction makes several changes at one revision); a client that
 * reconnects with {@code Last-Event-ID} (browsers' {@code EventSource} do it by themselves) goes on right after it.
 * Before any change the stream names its start with an id-only block (the revision before it, {@code 13} above), which
 * sets the client's last event id without an event: a stream that breaks before its first change resumes at its
 * start, not "from now" again. On a sharded node an id names every group's position ({@link WatchCursor}).
 * Every 15 s the stream asks the node how far the watch got, and sends the revision as an id-only block when it moved
 * on, so a watch of a quiet prefix resumes close to where it was.
 * A revision older than the node's retained history answers 410 {@code {"error":"compacted","oldestRevision":N}}:
 * read the state again (its {@code appliedIndex}) and watch from there. The node asked serves the watch (a follower
 * streams what it applies, in the same order as the leader). When the node stops (crash, or a snapshot from the
 * leader that skips changes) the stream ends with an {@code event: error}; reconnecting resumes. A comment line
 * every 15 s keeps idle connections open through proxies.
 *
 * <p>Events are written about {@link #WRITE_BYTES} at a time as the response's write queue takes them
 * ({@link WatchPacer}, shared with the gRPC Watch), so a batch of any size (a resumed watch's backlog) reaches a client
 * that reads it. A client that leaves more than {@link #MAX_BEHIND_BYTES} of later changes waiting behind what it has
 * not read, or whose waiting changes would take the port's watches past their {@link WatchBudget}, or that reads
 * nothing of a blocked stream for {@link #STALL_MS}, is disconnected with {@code too_slow} and resumes too.
 */
public final class WatchApi {

    /** Most concurrent watches one node serves, HTTP and gRPC together ({@link WatchBudget}). */
    public static final int MAX_WATCHES = WatchBudget.MAX_WATCHES;
    private static final long KEEPALIVE_MS = 15_000;
    /**
     * Most bytes of changes that may wait behind what a watch's client has not read (batches that came while earlier
     * ones were still being written) before the stream ends with {@code too_slow}; the gRPC Watch keeps the same bound
     * ({@link WatchPacer#MAX_BEHIND_BYTES}).
     */
    public static final long MAX_BEHIND_BYTES = WatchPacer.MAX_BEHIND_BYTES;
    /**
     * How long a stream may stay blocked (its write queue full, changes waiting) with the client reading none of it
     * before it ends with {@code too_slow} ({@link WatchPacer#STALL_MS}).
     */
    public static final long STALL_MS = WatchPacer.STALL_MS;
    /** About how many bytes of events a stream writes at a time (one event alone may be more). */
    static final int WRITE_BYTES = 256 * 1024;

    private final RaftNode node;
    private final WatchBudget budget;

    /**
     * Creates the endpoint of one node.
     *
     * @param node the node
     */
    public WatchApi(RaftNode node) {
        this(node, new WatchBudget(WatchBudget.DEFAULT_BYTES));
    }

    /**
     * Creates the endpoint of one node, sharing the bytes its watches may hold for slow readers with the port's other
     * watches.
     *
     * @param node   the node
     * @param budget the port's budget (its gRPC watches share it)
     */
    public WatchApi(RaftNode node, WatchBudget budget) {
        this.node = node;
        this.budget = budget;
    }

    /**
     * Adds the route.
     *
     * @param router the node's router
     */
    public void mount(Router router) {
        router.get("/v1/watch").handler(QueryParams.only("prefix", "fromRevision")).handler(this::watch);
    }

    private void watch(RoutingContext ctx) {
        String prefix;
        try {
            prefix = KvCommand.validatePrefix(
                    java.util.Objects.requireNonNullElse(KeyPath.queryParam(ctx.request().query(), "prefix"), ""));
        } catch (IllegalArgumentException e) {
            HttpErrors.badField(ctx, "prefix", e.getMessage());
            return;
        }
        List<WatchPosition> resumeAt = null;
        long from = 0;
        String last = ctx.request().getHeader("Last-Event-ID");
        try {
            if (last != null && !last.isBlank()) {
                resumeAt = WatchCursor.parse(last);
            } else {
                String raw = ctx.request().getParam("fromRevision");
                from = raw == null ? 0 : Long.parseLong(raw);
                if (from < 0) {
                    throw new NumberFormatException();
                }
            }
        } catch (IllegalArgumentException e) {
            HttpErrors.badRequest(ctx, last != null ? "Last-Event-ID must be the id of an event of this stream: "
                    + e.getMessage() : "fromRevision must be an integer >= 0 (0: from the next change), got '"
                    + ctx.request().getParam("fromRevision") + "'");
            return;
        }
        if (!budget.open()) {
            HttpErrors.send(ctx, 503, "overloaded", "node " + node.id() + " serves " + MAX_WATCHES
                    + " watches already; retry later or watch another node");
            return;
        }
        Stream stream = new Stream(ctx, Vertx.currentContext());
        // Before the node is asked: a client may leave while the registration waits (a busy or stalled node), and a
        // close handler set on a connection already closed never runs, which would keep the slot for good.
        ctx.response().closeHandler(v -> stream.finish());
        if (ctx.response().closed()) {
            stream.finish();
            return;
        }
        Future<NodeHost.Watch> registered = resumeAt != null ? node.watch(prefix, resumeAt, stream)
                : node.watch(prefix, from, 0, stream);
        registered.onComplete(ar -> stream.onContext(() -> {
            if (ar.failed()) {
                stream.finish();
                if (ar.cause() instanceof WatchCompactedException c) {
                    JsonObject gone = new JsonObject().put("error", "compacted").put("message", c.getMessage())
                            .put("oldestRevision", c.oldestRevision());
                    HttpErrors.send(ctx, 410, c.group() < 0 ? gone : gone.put("group", c.group()));
                } else {
                    HttpErrors.failure(ctx, ar.cause());
                }
                return;
            }
            stream.start(ar.result());
        }));
    }

    /** One client's stream: changes arrive on the node's thread and are written on the request's context. */
    private final class Stream extends ContextWatchSink {
        private final RoutingContext ctx;
        private final HttpServerResponse resp;
        /** Writes the events as the response's write queue takes them, and bounds what waits for a slow client. */
        private final WatchPacer pacer;
        private long keepalive = -1;

        Stream(RoutingContext ctx, Context context) {
            super(context);
            this.ctx = ctx;
            this.resp = ctx.response();
            this.pacer = new WatchPacer(ctx.vertx(), budget, resp, this::writeEvents, this::tooSlow);
        }

        /** The node's answer to the registration. */
        void start(NodeHost.Watch w) {
            if (resp.closed()) {
                finish();
            }
            registered(w);
            if (done()) {
                return;
            }
            keepalive = ctx.vertx().setPeriodic(KEEPALIVE_MS, t -> {
                if (!done()) {
                    resp.write(": keepalive\n\n");
                    requestProgress();
                }
            });
        }

        /**
         * The head, then an id-only block naming the position just before the start: it sets the client's last
         * event id without an event (WHATWG SSE), so a stream that breaks before its first change resumes at its
         * start, not "from now" again.
         */
        @Override
        protected void started() {
            if (!resp.headWritten()) {
                head();
            }
            resp.write("id: " + cursor().id() + "\n\n");
        }

        /** A quiet watch passed more of the log: the client's last event id moves on with it. */
        @Override
        protected void progressed() {
            if (!resp.ended() && !resp.writeQueueFull()) {
                resp.write("id: " + cursor().id() + "\n\n");
            }
        }

        /** Changes wait in the pacer: the node's progress is not taken (the id would pass them unwritten). */
        @Override
        protected boolean holdsUnwritten() {
            return pacer.holdsUnwritten();
        }

        private void head() {
            resp.setChunked(true).putHeader("Content-Type", "text/event-stream; charset=utf-8")
                    .putHeader("Cache-Control", "no-cache").putHeader("X-Accel-Buffering", "no")
                    .putHeader(KvApi.SERVED_BY, String.valueOf(node.id()));
            resp.write(": watching from node " + node.id() + "\n\n");
        }

        @Override
        protected void endedByNode(NodeRequestException why) {
            if (!resp.ended()) {
                if (!resp.headWritten()) {
                    head();
                }
                resp.write("event: error\ndata: " + new JsonObject().put("error", why.reason().code())
                        .put("message", why.getMessage()).encode() + "\n\n");
                resp.end();
            }
        }

        /**
         * Hands the changes to the pacer, which writes what the response takes now and the rest as it drains. A batch
         * that comes while earlier changes still wait counts against {@link #MAX_BEHIND_BYTES} and the port's budget;
         * one that finds nothing waiting is not counted, however large. Before 2026-12-07, every batch was written
         * whole in one task, each write counted once the write queue was full: a large batch (a resumed watch's
         * backlog, up to 64 MiB) filled the queue at once and its rest counted as unread, so a client reading as fast
         * as it could was cut off as too slow after 8 MiB.
         */
        @Override
        protected void deliver(int group, List<KvChange> changes) {
            if (resp.ended()) {
                return;
            }
            pacer.offer(group, changes);
        }

        /** Writes the events of the changes from {@code from} on, about {@link #WRITE_BYTES} of them (at least one). */
        private int writeEvents(int group, List<KvChange> changes, int from) {
            Buffer out = Buffer.buffer();
            int next = from;
            while (next < changes.size() && (next == from || out.length() < WRITE_BYTES)) {
                KvChange c = changes.get(next++);
                cursor().passed(group, c);
                out.appendString("id: " + cursor().id() + "\nevent: " + (c.deleted() ? "delete" : "put")
                        + "\ndata: " + json(c).encode() + "\n\n");
            }
            resp.write(out);
            return next;
        }

        private void tooSlow() {
            resp.write("event: error\ndata: " + new JsonObject().put("error", "too_slow").put("message",
                    "the client left more than " + MAX_BEHIND_BYTES + " bytes of changes unread, or read none for "
                            + budget.stallMs() + " ms (or the node holds too much for slow watches); reconnect with"
                            + " Last-Event-ID to resume").encode() + "\n\n");
            resp.end();
            finish();
        }

        @Override
        protected void closed() {
            if (keepalive >= 0) {
                ctx.vertx().cancelTimer(keepalive);
                keepalive = -1;
            }
            pacer.close();
            budget.closed();
        }
    }

    /**
     * The JSON of one change.
     *
     * @param c the change
     * @return {@code {"type":"put",...item...}} or {@code {"type":"delete","key","revision"}}
     */
    static JsonObject json(KvChange c) {
        if (c.deleted()) {
            return new JsonObject().put("type", "delete").put("key", c.key()).put("revision", c.revision());
        }
        JsonObject item = KvApi.item(c.entry());
        return new JsonObject().put("type", "put").mergeIn(item);
    }
}
