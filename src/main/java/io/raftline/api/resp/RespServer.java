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
    /** Most arguments of one request (MGET, EXISTS and DEL take many keys). */
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
     */
    public RespServer(Vertx vertx, RaftNode node, KvRequests requests, IntSupplier port, int maxRequestBytes,
            int maxClients, ClientAccess access) {
        this.vertx = vertx;
        this.access = access;
        this.kv = new RespCommands(requests, new ScanCursors(CURSORS), maxRequestBytes);
        this.table = new RespCommandTable(kv, node, port, clients::get, maxClients, access);
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
            Buffer out = Buffer.buffer();
            new RespReply.Error("ERR max number of clients reached").writeTo(out, 2);
            socket.end(out);
            return;
        }
        Context context = vertx.getOrCreateContext();
        // A client certificate the CA signed (tls.client_auth) authenticates the connection as AUTH would.
        RespSession session = new RespSession(ids.incrementAndGet(), String.valueOf(socket.remoteAddress()),
                !access.required() || access.certificates() && ClientCertificates.presented(socket));
        new RespConnection(socket, context, table, kv, session, MAX_ARGUMENTS, maxRequestBytes)
                .start(() -> {
                    clients.decrementAndGet();
                    budget.release();
                });
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
