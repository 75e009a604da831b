package io.raftline.server;

import com.google.protobuf.Descriptors;
import io.raftline.faults.FaultControl;
import io.raftline.faults.NodeFault;
import io.raftline.node.NodeRequestException;
import io.raftline.proto.faults.FaultServiceGrpcClient;
import io.raftline.proto.faults.FaultServiceGrpcService;
import io.raftline.proto.faults.NetworkQuery;
import io.raftline.proto.faults.Sealed;
import io.raftline.security.DeferredRefusal;
import io.raftline.security.PeerGuard;
import io.raftline.transport.grpc.GrpcTransport;
import io.raftline.transport.grpc.OneMessageCall;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.ServiceName;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.Service;
import io.vertx.grpc.server.StatusException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the nemesis's faults the cluster's when each process runs one node over the gRPC transport, as
 * {@link NetworkFaultSync} and {@link RemoteNodeFaults} do over the clustered event bus: without it a partition
 * {@code [[1,2],[3]]} set on process 1 cut only what node 1 sent and received, and node 3's crash button on process 1's
 * page answered that the node was not reachable. There is no cluster manager here, so no shared map to order the
 * changes or to keep the last one: the processes call each other's {@code FaultService} ({@code faults.proto}), which
 * each serves on its node's client port next to RaftService.
 *
 * <p>The network's faults: a change made here is put in force here at once under a version one above the one this
 * process holds ({@link NetworkFaultRecord}), then sent to every other member's process, which puts it in force if it
 * is above the record it holds (a higher version, or the same one from a higher node id) and answers the record it
 * holds afterwards. A process that answers a record above this one's held it before this change arrived (a change
 * made at once elsewhere, or this process had not caught up yet): as over the event bus, the change made here then
 * goes after it, under the next version, at most {@link #MAX_ATTEMPTS} times. A process that starts asks every other
 * for its record once its client port listens ({@link #catchUp()}, in the background) and puts in force the highest: a
 * change sent while it was down or starting found its port closed, and its sender had put it in force before sending.
 * It asks again every {@link #CATCH_UP_PERIOD_MS} while it runs: a process that missed a change without stopping (a
 * call to it that failed or timed out, a stall longer than {@link #SHARE_TIMEOUT_MS}) is not sent it again, and kept
 * the old faults (a partition healed everywhere but there) until the next change.
 *
 * <p>Node faults: one asked here for a member another process runs is carried to that process, which inflicts it and
 * answers its fault state ({@link NodeFaultRequest}); a process that does not answer (down) is {@code node_down}.
 *
 * <p>Who may call the service is who may call the Raft service: with TLS a peer whose client certificate the cluster
 * CA issued for a node ({@link PeerGuard}, checked here on the call's connection); without TLS the nodes' credential
 * when there is one ({@code ClientPort} checks it for both services); and with {@code security.cluster_secret} every
 * record and request carries the secret's tag ({@link CoordinationSeal}), which the receiver checks, so that a holder
 * of the nodes' credential or certificate alone cannot forge one. Without TLS, a secret or a token anyone who reaches
 * the port can set the faults, as they can send Raft messages (docs/security.md).
 */
final class GrpcFaults {

    private static final Logger LOG = LoggerFactory.getLogger(GrpcFaults.class);

    /** How long a process waits for another to inflict a node fault (a restart reopens the node's storage). */
    static final long NODE_FAULT_TIMEOUT_MS = 10_000;
    /** How long one process waits for another to take a change of the network's faults, or to tell its own. */
    static final long SHARE_TIMEOUT_MS = 5_000;
    /** How many times a change goes after records that other processes answered above it. */
    static final int MAX_ATTEMPTS = 16;
    /** The largest message the service takes or answers: a record of faults, or a fault state, is a few KiB. */
    static final long MAX_MESSAGE_BYTES = 1 << 20;
    /** How often a running process asks the others for their record again (one small call to each). */
    static final long CATCH_UP_PERIOD_MS = NetworkFaultRecord.CATCH_UP_PERIOD_MS;

    private final Vertx vertx;
    private final FaultControl control;
    private final int self;
    private final IntFunction<Optional<SocketAddress>> addresses;
    private final PeerGuard guard;
    private final NetworkFaultRecord record;
    private final NodeFaultRequest requests;
    private final GrpcTransport.PeerClient client;
    /**
     * The sends of the changes made here still under way; guarded by this. They go at once, each on its own: a peer
     * that does not answer (a stopped process) holds no later change back, and the versions order them.
     */
    private Future<Void> sharing = Future.succeededFuture();
    /** How many changes were made here; guarded by this. */
    private long changes;
    /** The timer that asks the other processes again ({@link #catchUp()}), -1 while none; guarded by this. */
    private long catchUpTimer = -1;
    /** Whether a round of asking is under way (a round does not start while one is); guarded by this. */
    private boolean askingAgain;

    /**
     * Creates the faults' service and client of one process, on the context its client lives on (one that lives as
     * long as the process).
     *
     * @param vertx     the process's Vert.x
     * @param control   its fault control
     * @param self      the node it runs
     * @param secret    the cluster secret, empty for none
     * @param transport its gRPC transport (the client's TLS and credential, the service's peer checks)
     * @param addresses where each node's client port is
     */
    GrpcFaults(Vertx vertx, FaultControl control, int self, String secret, GrpcTransport transport,
            IntFunction<Optional<SocketAddress>> addresses) {
        this.vertx = vertx;
        this.control = control;
        this.self = self;
        this.addresses = addresses;
        this.guard = transport.guard();
        this.record = new NetworkFaultRecord(control, self, secret);
        this.requests = new NodeFaultRequest(control, self, secret);
        this.client = transport.peerClient(MAX_MESSAGE_BYTES);
    }

    /**
     * The service to add to the node's client port, next to RaftService.
     *
     * @return it
     */
    Service service() {
        return new Endpoint();
    }

    /** Shares the changes made here from now on, and carries node faults asked here to their process. */
    void start() {
        control.onNetworkChange(this::changedHere);
        control.routeToOtherProcesses(this::inflict);
    }

    /**
     * Puts in force the highest record the other processes hold: called once this process's client port listens, so
     * that a change sent before then (refused, the port closed) was made before this asks. The process does not wait
     * for it to start (a peer that does not answer would hold its start for {@link #SHARE_TIMEOUT_MS}), as a process
     * on the clustered event bus does not wait for the cluster manager's map. From then on it asks again every
     * {@link #CATCH_UP_PERIOD_MS} until {@link #stop()}.
     *
     * @return completes once every other process answered or failed to (the first round)
     */
    Future<Void> catchUp() {
        synchronized (this) {
            if (catchUpTimer == -1) {
                catchUpTimer = vertx.setPeriodic(CATCH_UP_PERIOD_MS, CATCH_UP_PERIOD_MS, id -> askAgain());
            }
        }
        return ask();
    }

    /** One periodic round, unless the last one is still under way (a peer that does not answer holds it 5 s). */
    private void askAgain() {
        synchronized (this) {
            if (askingAgain || catchUpTimer == -1) {
                return;
            }
            askingAgain = true;
        }
        ask().onComplete(ar -> {
            synchronized (this) {
                askingAgain = false;
            }
        });
    }

    /** Asks every other process for its record and puts in force the highest (above what this process holds). */
    private Future<Void> ask() {
        List<Future<Void>> asked = new ArrayList<>();
        for (int peer : others()) {
            asked.add(call(peer, FaultServiceGrpcClient.CurrentNetwork, NetworkQuery.getDefaultInstance(),
                    SHARE_TIMEOUT_MS).onSuccess(held -> {
                        if (!held.getText().isEmpty()) {
                            record.received(held.getText());
                        }
                    }).<Void>mapEmpty().recover(e -> {
                        LOG.debug("the process of node {} did not tell its network faults: {}", peer, e.toString());
                        return Future.succeededFuture();
                    }));
        }
        return Future.join(asked).<Void>mapEmpty().recover(e -> Future.succeededFuture());
    }

    /** Stops sharing, routing and asking, and closes the client. */
    Future<Void> stop() {
        synchronized (this) {
            if (catchUpTimer != -1) {
                vertx.cancelTimer(catchUpTimer);
                catchUpTimer = -1;
            }
        }
        control.onNetworkChange(null);
        control.routeToOtherProcesses(null);
        return client.close();
    }

    /**
     * Loads renewed TLS files into the client.
     *
     * @return completes with whether it reloaded
     */
    Future<Boolean> reloadTls() {
        return client.reloadTls();
    }

    /**
     * Completes once every change made here so far was sent to every other process (for tests).
     *
     * @return the sends under way
     */
    synchronized Future<Void> shared() {
        return sharing;
    }

    /**
     * The version of the record in force here (for tests).
     *
     * @return it, 0 before any
     */
    long version() {
        return record.version();
    }

    private List<Integer> others() {
        List<Integer> out = new ArrayList<>(control.memberIds());
        out.remove(Integer.valueOf(self));
        return out;
    }

    private synchronized void changedHere() {
        JsonObject state = control.clusterState();
        // Put in force here under its version at once, before the round trips: what the admin API answers is so.
        NetworkFaultRecord.Made made = record.next(state, 0);
        long change = ++changes;
        Future<Void> sent = send(made, state, change, 1);
        sharing = sharing.isComplete() ? sent : Future.join(sharing, sent).<Void>mapEmpty();
    }

    private synchronized boolean madeSince(long change) {
        return changes > change;
    }

    /** Sends a record made here to every other process; goes after the records some of them answered above it. */
    private Future<Void> send(NetworkFaultRecord.Made made, JsonObject state, long change, int attempt) {
        List<Future<Boolean>> answers = new ArrayList<>();
        for (int peer : others()) {
            answers.add(call(peer, FaultServiceGrpcClient.ShareNetwork, Sealed.newBuilder().setText(made.sealed())
                    .build(), SHARE_TIMEOUT_MS).map(held -> !held.getText().isEmpty() && above(held.getText(), made))
                    .recover(e -> {
                        if (e instanceof StatusException refused) {
                            // It answered, and refused it: another cluster secret, or not a member's certificate.
                            LOG.warn("the process of node {} refused the network faults set on this process (node {}):"
                                    + " {} {}", peer, self, refused.status(), refused.message());
                        } else {
                            // Down or starting: it catches up once its port listens.
                            LOG.debug("the network faults set on this process (node {}) did not reach the process of"
                                    + " node {}: {}", self, peer, e.toString());
                        }
                        return Future.succeededFuture(false);
                    }));
        }
        return Future.join(answers).transform(ar -> {
            boolean beaten = answers.stream().anyMatch(answer -> answer.succeeded() && answer.result());
            if (!beaten || madeSince(change)) {
                // Taken everywhere; or a later change made here goes next, above the records that beat this one.
                return Future.succeededFuture();
            }
            if (attempt >= MAX_ATTEMPTS) {
                LOG.warn("the network faults set on this process (node {}) lost to other processes' changes {} times:"
                        + " the cluster keeps theirs", self, attempt);
                return Future.succeededFuture();
            }
            // Another process held a record above this one when it arrived (taken here since, see above): this change
            // goes after it, as it was made here, and is put in force here again over it.
            return send(record.next(state, 0), state, change, attempt + 1);
        });
    }

    /** Whether a record another process answered is above one made here (it held it when this one arrived). */
    private boolean above(String held, NetworkFaultRecord.Made made) {
        // Taken here too if it is above what this process holds: a process that had not caught up learns it so.
        record.received(held);
        JsonObject r = record.open(held);
        if (r == null) {
            return false;
        }
        long v = r.getLong("version", 0L);
        int origin = r.getInteger("origin", 0);
        return v > made.version() || (v == made.version() && origin > self);
    }

    private Future<JsonObject> inflict(int node, NodeFault fault) {
        return call(node, FaultServiceGrpcClient.InflictNodeFault, Sealed.newBuilder()
                .setText(requests.request(node, fault)).build(), NODE_FAULT_TIMEOUT_MS)
                .map(state -> new JsonObject(state.getText()))
                .recover(e -> Future.failedFuture(e instanceof StatusException s
                        ? new IllegalStateException("the process of node " + node + " could not " + fault.wireName()
                                + " it: " + s.message(), e)
                        // 503 node_down: no process answers for the node now.
                        : new NodeRequestException(NodeRequestException.Reason.NODE_DOWN, 0, "the process of node "
                                + node + " does not answer (down, or not started yet): cannot " + fault.wireName()
                                + " it (" + e.getMessage() + ")")));
    }

    /**
     * One call of the service on a node's client port: fails with a {@link StatusException} if the process answered
     * with a status other than OK, with another exception if it could not be reached or did not answer in time.
     */
    private <Req, Resp> Future<Resp> call(int node, ServiceMethod<Resp, Req> method, Req message, long timeoutMs) {
        Optional<SocketAddress> address = addresses.apply(node);
        if (address.isEmpty()) {
            return Future.failedFuture(new IllegalStateException("the address of node " + node + " is not known"));
        }
        return client.grpc().request(address.get(), method).compose(req -> {
            client.authorize(req);
            req.timeout(timeoutMs, TimeUnit.MILLISECONDS);
            return req.send(message);
        }).compose(resp -> resp.last().recover(e -> resp.status() != null && resp.status() != GrpcStatus.OK
                ? Future.failedFuture(new StatusException(resp.status(), resp.statusMessage()))
                : Future.failedFuture(e)))
                // A backstop to the call's deadline, which the connection's own setup does not count.
                .timeout(timeoutMs + 1_000, TimeUnit.MILLISECONDS);
    }

    /**
     * The service: each method checks the caller's certificate first with TLS (the credential without TLS is checked
     * before the call reaches it), then the seal of what it carries.
     */
    private final class Endpoint implements Service {

        @Override
        public ServiceName name() {
            return FaultServiceGrpcService.SERVICE_NAME;
        }

        @Override
        public Descriptors.ServiceDescriptor descriptor() {
            return FaultServiceGrpcService.SERVICE_DESCRIPTOR;
        }

        @Override
        public void bind(GrpcServer server) {
            server.callHandler(FaultServiceGrpcService.ShareNetwork, call -> unary(call,
                    FaultServiceGrpcService.ShareNetwork.decoder(), sealed -> {
                if (record.open(sealed.getText()) == null) {
                    // Not readable, or without the cluster secret's tag (logged): nothing of it is taken.
                    return Future.failedFuture(new StatusException(GrpcStatus.PERMISSION_DENIED, "refused: not a"
                            + " record of the network's faults sealed by a process of the cluster"));
                }
                // Taken if above what this process holds; the answer is what it holds now (held by this process's
                // record, read under the same lock as the check, so that a refusal answers the record that beat it).
                synchronized (record) {
                    record.received(sealed.getText());
                    String held = record.record();
                    return Future.succeededFuture(Sealed.newBuilder().setText(held == null ? "" : held).build());
                }
            }));
            server.callHandler(FaultServiceGrpcService.CurrentNetwork, call -> unary(call,
                    FaultServiceGrpcService.CurrentNetwork.decoder(), query -> {
                String held = record.record();
                return Future.succeededFuture(Sealed.newBuilder().setText(held == null ? "" : held).build());
            }));
            server.callHandler(FaultServiceGrpcService.InflictNodeFault, call -> unary(call,
                    FaultServiceGrpcService.InflictNodeFault.decoder(), sealed -> requests
                    .serve(sealed.getText()).map(state -> Sealed.newBuilder().setText(state.encode()).build())
                    .recover(e -> Future.failedFuture(e instanceof NodeFaultRequest.Refused r
                            ? new StatusException(status(r.code()), r.getMessage())
                            : new StatusException(GrpcStatus.INTERNAL, String.valueOf(e.getMessage()))))));
        }

        /**
         * Runs {@code method} on the call's one message, decoded here (OneMessageCall): a message that is no message
         * of the method is answered INVALID_ARGUMENT with the reason, where Vert.x's own decoding reset the stream with
         * CANCEL and no status, and the calling process could not tell it from a lost connection.
         */
        private <Req> void unary(GrpcServerRequest<Req, Sealed> call, GrpcMessageDecoder<Req> decoder,
                java.util.function.Function<Req, Future<Sealed>> method) {
            String refusal = refusal(call.connection());
            if (refusal != null) {
                // Answered once the caller has sent its request, or after a grace if it never ends it (a stream held
                // open by a caller without a certificate would hold a slot of the connection): DeferredRefusal.
                call.messageHandler(m -> { });
                DeferredRefusal answer = DeferredRefusal.afterRequest(vertx, call.end(),
                        () -> call.response().status(GrpcStatus.UNAUTHENTICATED).statusMessage(refusal).end());
                call.errorHandler(e -> answer.abandon());
                return;
            }
            OneMessageCall.bind(call, decoder, msg -> {
                Future<Sealed> answer;
                try {
                    answer = method.apply(msg);
                } catch (RuntimeException e) {
                    answer = Future.failedFuture(new StatusException(GrpcStatus.INTERNAL, e.toString()));
                }
                answer.onComplete(ar -> {
                    if (ar.succeeded()) {
                        call.response().end(ar.result());
                    } else {
                        call.response().fail(ar.cause());
                    }
                });
            }, more -> call.response().fail(new StatusException(GrpcStatus.INVALID_ARGUMENT, call.methodName()
                    + " takes one request message per call, and this call sent " + (more ? "more" : "none")
                    + ": nothing was done")), why -> call.response().fail(new StatusException(
                            GrpcStatus.INVALID_ARGUMENT, call.methodName() + ": " + why + " (nothing was done)")));
        }

        /** With TLS: null if the caller presented a node's certificate of the cluster CA, else why not. */
        private String refusal(HttpConnection connection) {
            if (guard == null) {
                return null;
            }
            PeerGuard.Refusal r = guard.checkSenders(GrpcTransport.callerIdentity(guard, connection), List.of());
            if (r == null) {
                return null;
            }
            guard.refused(connection.remoteAddress() == null ? "unknown"
                    : String.valueOf(connection.remoteAddress().hostAddress()), r);
            return "the fault service is the nodes' only: " + r.message();
        }
    }

    private static GrpcStatus status(int code) {
        return switch (code) {
            case 403 -> GrpcStatus.PERMISSION_DENIED;
            case 400 -> GrpcStatus.INVALID_ARGUMENT;
            case 404 -> GrpcStatus.NOT_FOUND;
            default -> GrpcStatus.INTERNAL;
        };
    }
}
