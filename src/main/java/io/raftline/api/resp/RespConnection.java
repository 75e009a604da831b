package io.raftline.api.resp;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: parses its requests, runs them and writes the replies in request order, as Redis does for
 * a pipeline.
 *
 * <p>Order is what a Redis client relies on: a command sees every write the connection sent before it. So a write
 * waits until everything before it has answered, and everything after it waits for it; only a run of reads (and
 * connection commands) in a row runs at once, its plain GETs as one read of all their keys (see
 * {@link RespCommands#getMany}). A run of plain {@code SET key value} becomes one transaction, one log entry, per
 * Raft group its keys belong to (see {@link RespCommands#setMany}).
 *
 * <p>Bounded: at most {@link RequestQueue#MAX_REQUESTS} requests or {@link RequestQueue#MAX_BYTES} bytes wait;
 * beyond, the socket stops reading until they drain, and while the client does not read its replies (the socket's
 * write queue is full) neither is the next piece of a batch's replies encoded ({@link ReplyEncoder}) nor a new
 * request started. Across the port, the requests waiting are bounded by its {@link RequestBudget} (at it, each
 * connection is read one read at a time), and the replies not sent yet by its {@link ReplyBudget}: at the budget, no
 * batch that reads the state starts; a connection whose replies stay unsent past the deadline, none going out, is
 * closed. A protocol error is answered after the replies of the requests before it, and closes the connection.
 */
final class RespConnection {

    private static final Logger LOG = LoggerFactory.getLogger(RespConnection.class);

    /** Most requests run as one batch. */
    static final int MAX_BATCH = 128;
    /**
     * Most arguments of one request before the connection authenticated: {@code HELLO 3 AUTH user password SETNAME
     * name} is 7 (Redis has the same rule since CVE-2021-32675: 10).
     */
    static final int PRE_AUTH_MAX_ARGUMENTS = 10;
    /**
     * Most bytes of one request before the connection authenticated: a client with no credential must not make the
     * port hold a value's worth of buffer per connection (an audit had 400 such connections take 800 MiB of heap).
     */
    static final int PRE_AUTH_MAX_REQUEST_BYTES = 16 * 1024;

    private final NetSocket socket;
    private final Context context;
    private final RespCommandTable table;
    private final RespCommands kv;
    private final RespSession session;
    private final RespParser parser;
    private final RequestQueue queue;
    /** The port's budget of queued requests ({@link RequestBudget}), which {@link #queue} counts its bytes in. */
    private final RequestBudget requestBudget;
    private final RespStats stats;
    private RespProtocolException protocolError;
    private boolean running;
    private boolean closed;
    private boolean paused;
    private final int maxArguments;
    private final int maxRequestBytes;
    private boolean fullLimits;
    private final ReplyBudget budget;
    /** What waits for room in the port's reply budget: this connection's next batch; non-null while it waits. */
    private Runnable waitingForRoom;
    /** The batch's replies being written, a piece at a time as the socket takes them; null between batches. */
    private ReplyEncoder writing;
    /**
     * The bytes of this connection's replies that are in the port's budget: those not encoded yet and those written
     * to the socket and not gone out. Given back as writes go out, all at once when the connection closes.
     */
    private long outBytes;
    /** Whether the socket closed: what was out was given back, and writes that complete later are ignored. */
    private boolean released;
    /**
     * Since when ({@link System#nanoTime()}) the connection has had replies out, none of them going out; 0 when it
     * has none. Read by the port's deadline check on another thread.
     */
    private volatile long stalledSince;
    /** Requests parsed so far: a request that completed is progress for {@link #requestSince}. */
    private long parsedRequests;
    /**
     * Since when ({@link System#nanoTime()}) part of a request has been held, the socket reading and no request
     * completing; 0 when none is. Read by the port's deadline check on another thread.
     */
    private volatile long requestSince;
    /**
     * Whether the client shut its side of the connection (it sent everything it will): the requests it sent are still
     * answered, then the connection closes.
     */
    private boolean inputEnded;

    RespConnection(NetSocket socket, Context context, RespCommandTable table, RespCommands kv, RespSession session,
            int maxArguments, int maxRequestBytes, ReplyBudget budget, RequestBudget requestBudget, RespStats stats) {
        this.socket = socket;
        this.budget = budget;
        this.requestBudget = requestBudget;
        this.queue = new RequestQueue(requestBudget);
        this.stats = stats;
        this.context = context;
        this.table = table;
        this.kv = kv;
        this.session = session;
        this.maxArguments = maxArguments;
        this.maxRequestBytes = maxRequestBytes;
        this.fullLimits = session.authenticated();
        this.parser = new RespParser(maxArguments, maxRequestBytes, this::parsed);
        // A request of more arguments than the limit is read to its end and refused, the connection kept; before AUTH
        // it is a protocol error that closes the connection, as in Redis.
        parser.skipOversized(fullLimits);
        if (!fullLimits) {
            // Until AUTH: small requests, parsed one at a time, so that what follows an AUTH in a pipeline is read
            // with the limits the AUTH earns (as Redis does).
            parser.limits(Math.min(maxArguments, PRE_AUTH_MAX_ARGUMENTS),
                    Math.min(maxRequestBytes, PRE_AUTH_MAX_REQUEST_BYTES), true);
        }
    }

    /**
     * A request has arrived. A web page can make a browser send an HTTP request to this port, and the lines of
     * such a request read as inline commands (a cross-protocol attack on a loopback-only service): as Redis does,
     * a request named {@code POST} or {@code Host:} closes the connection before anything else it sent runs.
     */
    private void parsed(List<byte[]> args) {
        if (closed) {
            return;
        }
        String name = RespCommands.text(args.get(0));
        if ("POST".equalsIgnoreCase(name) || "Host:".equalsIgnoreCase(name)) {
            LOG.warn("Redis-protocol connection from {} sent an HTTP request ('{}'): closed as a possible"
                    + " cross-protocol attack from a web page", session.address(), name);
            closed = true;
            queue.clear();
            socket.close();
            return;
        }
        parsedRequests++;
        queue.add(args);
    }

    /** Starts reading; {@code onClose} runs once when the connection ends, whoever ends it. */
    void start(Runnable onClose) {
        if (socket instanceof io.vertx.core.internal.net.NetSocketInternal internal) {
            // A client may send its requests and shut its side (nc -N, a script's shutdown(SHUT_WR)) and read the
            // replies: Netty closed the channel at the end of the input, a write already started was applied and its
            // reply lost, the requests after it dropped. Redis answers them; so does this (see inputEnded).
            io.netty.channel.ChannelHandlerContext ctx = internal.channelHandlerContext();
            ctx.channel().config().setOption(io.netty.channel.ChannelOption.ALLOW_HALF_CLOSURE, true);
            ctx.pipeline().addBefore(ctx.name(), "raftline-resp-input-end",
                    new io.netty.channel.ChannelInboundHandlerAdapter() {
                        @Override
                        public void userEventTriggered(io.netty.channel.ChannelHandlerContext c, Object event)
                                throws Exception {
                            if (event instanceof io.netty.channel.socket.ChannelInputShutdownEvent) {
                                context.runOnContext(v -> {
                                    inputEnded = true;
                                    drain();
                                });
                            }
                            super.userEventTriggered(c, event);
                        }
                    });
        }
        socket.handler(this::received);
        socket.closeHandler(v -> {
            closed = true;
            writing = null;
            // Replies not gone out never will: their bytes go back now (whatever becomes of their writes' futures).
            released = true;
            budget.giveBack(outBytes);
            outBytes = 0;
            stalledSince = 0;
            if (waitingForRoom != null) {
                budget.cancel(waitingForRoom);
                waitingForRoom = null;
            }
            // The requests that will never start give their bytes back to the port's budget.
            queue.clear();
            if (paused) {
                paused = false;
                stats.pausedConnections.decrementAndGet();
            }
            onClose.run();
        });
        socket.exceptionHandler(t -> socket.close());
        socket.drainHandler(v -> {
            // The client read: the rest of the batch under way, then the next batches.
            pump();
            drain();
        });
    }

    private void received(Buffer chunk) {
        if (protocolError != null || closed) {
            return;
        }
        long before = parsedRequests;
        try {
            parser.feed(chunk);
        } catch (RespProtocolException e) {
            protocolError = e;
            socket.pause();
        }
        if ((queue.full() || requestBudget.full() || !fullLimits && !queue.isEmpty()) && !paused) {
            // Before AUTH, no more is read while a request waits: what is kept unparsed stays within one read. Nor,
            // while the port's connections hold their budget of queued requests, until what this read brought has
            // started (RequestBudget): one read at a time.
            paused = true;
            stats.pausedConnections.incrementAndGet();
            socket.pause();
        }
        watchRequest(parsedRequests != before);
        drain();
    }

    /**
     * Starts, goes on with or stops the clock of a request that has partly arrived: it runs while the socket reads and
     * the parser holds part of a request, from when the last request completed (or the socket resumed).
     *
     * @param progress whether a request has just completed, or the socket resumed
     */
    private void watchRequest(boolean progress) {
        if (paused || closed || protocolError != null || !parser.partial()) {
            requestSince = 0;
        } else if (progress || requestSince == 0) {
            requestSince = System.nanoTime();
        }
    }

    /** Runs the next batch, repeatedly, until the queue is empty or a batch is in flight. */
    private void drain() {
        while (!running && !closed && waitingForRoom == null) {
            if (queue.isEmpty() && protocolError == null && parser.buffered() > 0) {
                // Bytes kept unparsed (before AUTH, one request at a time): the next request, with today's limits.
                try {
                    parser.feed(Buffer.buffer());
                } catch (RespProtocolException e) {
                    protocolError = e;
                }
            }
            if (queue.isEmpty()) {
                if (protocolError != null) {
                    Buffer out = Buffer.buffer();
                    new RespReply.Error("ERR Protocol error: " + protocolError.getMessage()).writeTo(out, 2);
                    closed = true;
                    socket.end(out);
                } else if (paused) {
                    paused = false;
                    stats.pausedConnections.decrementAndGet();
                    socket.resume();
                    watchRequest(true);
                    if (inputEnded) {
                        // What Vert.x held while the socket was paused comes first, then this looks again.
                        context.runOnContext(v -> drain());
                    }
                } else if (inputEnded) {
                    // Every request the client sent before it shut its side is answered (a part of one is not):
                    // close once the replies have gone out.
                    closed = true;
                    socket.end();
                }
                return;
            }
            if (socket.writeQueueFull()) {
                return; // the drain handler goes on
            }
            Future<List<RespReply>> batch = nextBatch();
            if (batch == null) {
                waitForRoom(); // a batch that reads the state, put back: the port is at its reply budget
                return;
            }
            running = true;
            if (batch.isComplete()) {
                finish(batch.result());
                continue;
            }
            batch.onComplete(ar -> onLoop(() -> {
                finish(ar.succeeded() ? ar.result() : List.of(RespCommands.error(ar.cause(), false)));
                drain();
            }));
            return;
        }
    }

    /** The commands a client may send before it authenticates, as in Redis. */
    private static final java.util.Set<String> PRE_AUTH = java.util.Set.of("auth", "hello", "quit");
    /**
     * The commands that run, not queued, between MULTI and EXEC: those that end it, MULTI and WATCH (refused there, as
     * Redis refuses them), and QUIT.
     */
    private static final java.util.Set<String> ENDS_MULTI = java.util.Set.of("exec", "discard", "multi", "quit",
            "watch");

    /**
     * Takes the requests that may run together off the queue and starts them; null (the requests left queued) if
     * they read the state and the port is at its reply budget.
     */
    private Future<List<RespReply>> nextBatch() {
        List<byte[]> head = queue.poll();
        RespCommandTable.Spec spec = table.find(head);
        if (!session.authenticated()) {
            // One request at a time until the client authenticates: what it may run depends on the AUTH before it.
            if (spec != null && PRE_AUTH.contains(spec.name())) {
                return table.run(session, head, spec).map(List::of);
            }
            return Future.succeededFuture(List.of(new RespReply.Error("NOAUTH Authentication required.")));
        }
        if (head instanceof RespParser.Oversized oversized) {
            // More arguments than a request may hold: read and dropped by the parser, refused here, in its turn.
            return Future.succeededFuture(List.of(table.oversized(session, oversized, maxArguments)));
        }
        if (session.transaction() != null && !ENDS_MULTI.contains(spec == null ? "" : spec.name())) {
            // Part of the transaction the MULTI before it began: queued for EXEC, not run now.
            return Future.succeededFuture(List.of(table.queue(session, head, spec)));
        }
        if (spec != null && spec.write()) {
            if (isPlainSet(head) && isPlainSet(queue.peek())) {
                List<List<byte[]>> sets = new ArrayList<>();
                sets.add(head);
                while (sets.size() < MAX_BATCH && isPlainSet(queue.peek())) {
                    sets.add(queue.poll());
                }
                return setMany(sets);
            }
            return table.run(session, head, spec).map(List::of);
        }
        // HELLO changes how the replies after it are encoded, QUIT closes the connection, MULTI keeps the commands
        // after it from running and WATCH sets what the next EXEC compares: each ends its batch (and a HELLO begins
        // one, see below: it runs alone).
        List<List<byte[]>> run = new ArrayList<>();
        List<RespCommandTable.Spec> specs = new ArrayList<>();
        run.add(head);
        specs.add(spec);
        boolean last = endsBatch(spec);
        // At most one read of the state per batch: the plain GETs, folded into one lookup, or one other read. Reads
        // of one batch run at once, and on a follower each is forwarded to the leader on its own connection of a
        // pool, so two of them could reach it in either order and a later command see older data than an earlier
        // one (an audit of reads): Redis runs a connection's commands in order, and so does this, batch by batch.
        boolean reads = readsState(spec);
        boolean onlyGets = isPlainGet(head);
        while (!last && run.size() < MAX_BATCH && !queue.isEmpty()) {
            if (queue.peek() instanceof RespParser.Oversized) {
                break; // refused alone, in its turn
            }
            RespCommandTable.Spec next = table.find(queue.peek());
            // A HELLO starts a batch of its own as well: the replies of a batch are encoded when it ends, in the
            // protocol the connection speaks then, and those of the commands before a HELLO are due in the old one.
            if (next != null && (next.write() || "hello".equals(next.name()))) {
                break;
            }
            if (readsState(next)) {
                boolean get = isPlainGet(queue.peek());
                if (reads && !(get && onlyGets)) {
                    break;
                }
                reads = true;
                onlyGets = get;
            }
            run.add(queue.poll());
            specs.add(next);
            last = endsBatch(next);
        }
        if (reads && budget.full()) {
            // The port's replies not gone out are at its budget: this batch starts once they are under it.
            queue.putBack(run);
            return null;
        }
        List<List<byte[]>> gets = run.stream().filter(RespConnection::isPlainGet).toList();
        Future<List<RespReply>> batchedGets = gets.size() >= 2 ? getMany(gets) : null;
        List<Future<RespReply>> replies = new ArrayList<>(run.size());
        int g = 0;
        for (int i = 0; i < run.size(); i++) {
            List<byte[]> args = run.get(i);
            if (batchedGets != null && isPlainGet(args)) {
                int at = g++;
                replies.add(batchedGets.map(all -> all.get(at)));
            } else {
                replies.add(table.run(session, args, specs.get(i)));
            }
        }
        return Future.all(replies).map(all -> {
            List<RespReply> out = new ArrayList<>(replies.size());
            for (Future<RespReply> f : replies) {
                out.add(f.result());
            }
            return out;
        });
    }

    /** Whether a command reads the key-value state (as opposed to the connection's or the server's own). */
    private static boolean readsState(RespCommandTable.Spec spec) {
        return spec != null && spec.flags().contains("readonly");
    }

    private static boolean endsBatch(RespCommandTable.Spec spec) {
        // A MULTI decides whether the commands after it run: they wait for it. So does a WATCH: it records its keys
        // only once their revisions are read, and an UNWATCH run beside it cleared the watch before it was recorded.
        return spec != null && ("hello".equals(spec.name()) || "quit".equals(spec.name())
                || "multi".equals(spec.name()) || "watch".equals(spec.name()));
    }

    /** Several GETs of one pipeline as one read; if a key is invalid, each runs on its own for its own reply. */
    private Future<List<RespReply>> getMany(List<List<byte[]>> gets) {
        try {
            return kv.getMany(gets).recover(t -> Future.succeededFuture(
                    java.util.Collections.nCopies(gets.size(), RespCommands.error(t, true))));
        } catch (RespError e) {
            List<Future<RespReply>> each = new ArrayList<>();
            for (List<byte[]> args : gets) {
                each.add(table.run(session, args));
            }
            return Future.all(each).map(v -> each.stream().map(Future::result).toList());
        }
    }

    private static boolean isPlainGet(List<byte[]> args) {
        return args != null && args.size() == 2 && !(args instanceof RespParser.Oversized) && args.get(0).length == 3
                && "GET".equals(RespCommands.upper(args.get(0)));
    }

    /** A batch of SETs; if the batch fails before running (a bad key), each runs on its own for its own reply. */
    private Future<List<RespReply>> setMany(List<List<byte[]>> sets) {
        try {
            return kv.setMany(sets).recover(t -> Future.succeededFuture(
                    java.util.Collections.nCopies(sets.size(), RespCommands.error(t, false))));
        } catch (RespError | IllegalArgumentException e) {
            List<Future<RespReply>> each = new ArrayList<>();
            Future<RespReply> previous = Future.succeededFuture();
            for (List<byte[]> args : sets) {
                Future<RespReply> f = previous.compose(v -> table.run(session, args));
                each.add(f);
                previous = f;
            }
            return previous.map(v -> each.stream().map(Future::result).toList());
        }
    }

    private static boolean isPlainSet(List<byte[]> args) {
        return args != null && args.size() == 3 && !(args instanceof RespParser.Oversized) && args.get(0).length == 3
                && "SET".equals(RespCommands.upper(args.get(0)));
    }

    /**
     * A batch has its replies: they take their bytes of the port's budget at once (they exist), and are written a
     * piece at a time, as the client reads them.
     */
    private void finish(List<RespReply> replies) {
        if (closed) {
            running = false;
            return;
        }
        stats.commandsProcessed.add(replies.size());
        if (!fullLimits && session.authenticated()) {
            fullLimits = true;
            parser.limits(maxArguments, maxRequestBytes, false);
            parser.skipOversized(true);
        }
        ReplyEncoder encoder = new ReplyEncoder(replies, session.protocol());
        long bytes = encoder.remaining();
        budget.take(bytes);
        if (outBytes == 0) {
            stalledSince = System.nanoTime();
        }
        outBytes += bytes;
        writing = encoder;
        pump();
    }

    /**
     * Writes the pieces of the batch under way while the socket's write queue has room; once the last is written,
     * the next batch may start.
     */
    private void pump() {
        while (writing != null && !closed) {
            if (socket.writeQueueFull()) {
                return; // the drain handler goes on
            }
            Buffer piece = writing.next();
            boolean last = writing.done();
            long bytes = piece.length();
            Future<Void> written;
            if (last && session.quitting()) {
                closed = true;
                written = socket.end(piece);
            } else {
                written = socket.write(piece);
            }
            written.onComplete(ar -> written(bytes));
            if (last) {
                writing = null;
                running = false;
            }
        }
    }

    /** A write went out (or never will: the connection closed): its bytes go back to the port's budget. */
    private void written(long bytes) {
        if (released) {
            return;
        }
        outBytes -= bytes;
        budget.giveBack(bytes);
        // Progress: the wait of what is still out starts again now.
        stalledSince = outBytes == 0 ? 0 : System.nanoTime();
    }

    /** Waits for the port's replies to be under its budget, then goes on with the batch that waited. */
    private void waitForRoom() {
        Runnable resume = () -> context.runOnContext(v -> roomAgain());
        waitingForRoom = resume;
        budget.await(resume);
    }

    private void roomAgain() {
        waitingForRoom = null;
        drain();
    }

    /**
     * Closes the connection if its replies have been unsent, none going out, for longer than {@code deadlineNanos}:
     * a client that does not read must not hold the port's budget for ever. Likewise if part of a request has been
     * held that long ({@link #requestTooSlow}). Called by the port's timer, on any thread.
     *
     * @param nowNanos      the time now ({@link System#nanoTime()})
     * @param deadlineNanos the deadline
     */
    void dropIfStalled(long nowNanos, long deadlineNanos) {
        long begun = requestSince;
        if (begun != 0 && nowNanos - begun > deadlineNanos) {
            context.runOnContext(v -> requestTooSlow(deadlineNanos));
        }
        long since = stalledSince;
        if (since == 0 || nowNanos - since <= deadlineNanos) {
            return;
        }
        context.runOnContext(v -> {
            long stalled = stalledSince;
            // Not "closed": a connection that ended itself (QUIT, a protocol error) waits for its last write to go
            // out before the socket closes, which a client that does not read never lets happen.
            if (!released && stalled != 0 && System.nanoTime() - stalled > deadlineNanos) {
                LOG.warn("Redis-protocol connection from {} closed: its replies went unread for more than {} ms",
                        session.address(), deadlineNanos / 1_000_000);
                closed = true;
                if (socket instanceof io.vertx.core.internal.net.NetSocketInternal internal) {
                    // NetSocket.close(), and a close of the channel, go through Vert.x's handler, which first waits
                    // for what is queued to be written, and this client never reads it: the close starts past that
                    // handler, and the queued writes are dropped.
                    internal.channelHandlerContext().close();
                } else {
                    socket.close();
                }
            }
        });
    }

    /**
     * Ends a connection whose request has been arriving for longer than the deadline (a trickle, or half a request and
     * then nothing): it held a request's worth of buffer for as long as it sent a byte now and then, as an HTTP body
     * would without its deadline. Answered as a protocol error: after the replies of the requests before it.
     */
    private void requestTooSlow(long deadlineNanos) {
        long begun = requestSince;
        if (begun == 0 || System.nanoTime() - begun <= deadlineNanos || protocolError != null || closed) {
            return;
        }
        LOG.warn("Redis-protocol connection from {} closed: a request did not arrive whole within {} ms",
                session.address(), deadlineNanos / 1_000_000);
        protocolError = new RespProtocolException("request not complete within " + deadlineNanos / 1_000_000
                + " ms (limits.request_timeout_ms)");
        requestSince = 0;
        socket.pause();
        drain();
    }

    private void onLoop(Runnable action) {
        if (Vertx.currentContext() == context) {
            action.run();
        } else {
            context.runOnContext(v -> action.run());
        }
    }
}
