package io.raftline.api.resp;

import io.raftline.api.KvRequests;
import io.raftline.node.RaftNode;
import io.raftline.security.ClientAccess;
import io.raftline.security.ClientCertificates;
import io.raftline.security.DescriptorBudget;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;

/**
 * One node's Redis-protocol front end: the handler for each accepted connection, with what the connections share
 * (the command table, the SCAN cursors, the client count). The listening socket belongs to the caller, as the
 * HTTP router's does, so that ports are bound and released in one place.
 */
public final class RespServer implements Handler<NetSocket> {

    /** Most SCAN positions remembered. */
    static final int CURSORS = 10_000;
    /**
     * Most words of one request, its command included (MGET, EXISTS and DEL take many keys): a request of more is read
     * to its end and refused with an error, the connection kept ({@link RespParser#skipOversized}), up to
     * {@link RespParser#MAX_SKIPPED_ARGUMENTS}; beyond, or before the connection authenticated, it is a protocol error
     * that closes the connection.
     */
    static final int MAX_ARGUMENTS = 16 * 1024;

    private final Vertx vertx;
    private final RespCommands kv;
    private final RespCommandTable table;
    private final int maxRequestBytes;
    private final int maxClients;
    private final ClientAccess access;
    /** The process-wide bound on client connections, which keeps descriptors for the storage. */
    private final DescriptorBudget budget = DescriptorBudget.process();
    private final AtomicInteger clients = new AtomicInteger();
    private final AtomicLong ids = new AtomicLong();
    /** The port's replies not gone out yet ({@link ReplyBudget}). */
    private final ReplyBudget replies;
    /** The port's requests parsed and not started yet ({@link RequestBudget}). */
    private final RequestBudget queuedRequests;
    private final RespStats stats = new RespStats();
    private final long replyDeadlineNanos;
    /** The open connections, for the deadline of their unsent replies. */
    private final Set<RespConnection> open = ConcurrentHashMap.newKeySet();

    /**
     * Creates the front end of one node.
     *
     * @param vertx           the Vert.x instance
     * @param node            the node (its status answers INFO and HELLO)
     * @param requests        the node's request layer
     * @param port            the port it listens on, for INFO (known once bound)
     * @param maxRequestBytes most bytes of one request's arguments together (the HTTP API's body limit, plus room
     *                        for the keys)
     * @param maxClients      most connections at once
     * @param access          who may run commands ({@code AUTH} with the client or admin token when one is set)
     * @param replyBytes      most bytes of replies the port's connections may leave unsent before their reads wait
     *                        ({@link ReplyBudget})
     * @param replyDeadlineMs a connection whose replies stay unsent this long, none going out, is closed (0: never;
     *                        {@link #dropStalled} checks)
     */
    public RespServer(Vertx vertx, RaftNode node, KvRequests requests, IntSupplier port, int maxRequestBytes,
            int maxClients, ClientAccess access, long replyBytes, long replyDeadlineMs) {
        this(vertx, node, requests, port, maxRequestBytes, maxClients, access, replyBytes, RequestBudget.DEFAULT_BYTES,
                replyDeadlineMs);
    }

    /**
     * Creates the front end of one node, with a budget of queued requests of its own.
     *
     * @param vertx           the Vert.x instance
     * @param node            the node (its status answers INFO and HELLO)
     * @param requests        the node's request layer
     * @param port            the port it listens on, for INFO (known once bound)
     * @param maxRequestBytes most bytes of one request's arguments together
     * @param maxClients      most connections at once
     * @param access          who may run commands
     * @param replyBytes      most bytes of replies the port's connections may leave unsent ({@link ReplyBudget})
     * @param requestBytes    most bytes of requests the port's connections may hold parsed and not started before
     *                        they stop reading their sockets ({@link RequestBudget})
     * @param replyDeadlineMs a connection whose replies stay unsent this long, none going out, is closed (0: never)
     */
    public RespServer(Vertx vertx, RaftNode node, KvRequests requests, IntSupplier port, int maxRequestBytes,
            int maxClients, ClientAccess access, long replyBytes, long requestBytes, long replyDeadlineMs) {
        this.vertx = vertx;
        this.access = access;
        this.replies = new ReplyBudget(replyBytes);
        this.queuedRequests = new RequestBudget(requestBytes);
        this.replyDeadlineNanos = replyDeadlineMs > 0 ? replyDeadlineMs * 1_000_000 : Long.MAX_VALUE;
        this.kv = new RespCommands(requests, new ScanCursors(CURSORS), maxRequestBytes);
        this.table = new RespCommandTable(kv, node, port, clients::get, maxClients, access, replies, queuedRequests,
                stats);
        this.maxRequestBytes = maxRequestBytes;
        this.maxClients = maxClients;
    }

    @Override
    public void handle(NetSocket socket) {
        if (!budget.tryAcquire("Redis protocol port")) {
            socket.close();
            return;
        }
        if (clients.incrementAndGet() > maxClients) {
            budget.release();
            clients.decrementAndGet();
            stats.rejectedConnections.increment();
            Buffer out = Buffer.buffer();
            new RespReply.Error("ERR max number of clients reached").writeTo(out, 2);
            socket.end(out);
            return;
        }
        stats.connectionsReceived.increment();
        Context context = vertx.getOrCreateContext();
        // A client certificate the CA signed (tls.client_auth) authenticates the connection as AUTH would.
        RespSession session = new RespSession(ids.incrementAndGet(), String.valueOf(socket.remoteAddress()),
                !access.required() || access.certificates() && ClientCertificates.presented(socket));
        RespConnection connection = new RespConnection(socket, context, table, kv, session, MAX_ARGUMENTS,
                maxRequestBytes, replies, queuedRequests, stats);
        open.add(connection);
        connection.start(() -> {
            open.remove(connection);
            clients.decrementAndGet();
            budget.release();
        });
    }

    /**
     * Closes the connections whose replies have stayed unsent past the deadline, none of them going out: a client
     * that does not read would otherwise hold the port's {@link ReplyBudget} for ever, and every other client's reads
     * would wait; and those whose request has been arriving for as long (a trickle holds a request's buffer). Called
     * now and then by the port's owner.
     *
     * @param nowNanos the time now ({@link System#nanoTime()})
     */
    public void dropStalled(long nowNanos) {
        for (RespConnection c : open) {
            c.dropIfStalled(nowNanos, replyDeadlineNanos);
        }
    }

    /**
     * Connections open now.
     *
     * @return the count
     */
    public int connectedClients() {
        return clients.get();
    }
}
