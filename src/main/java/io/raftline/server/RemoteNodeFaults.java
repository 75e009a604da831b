package io.raftline.server;

import io.raftline.faults.FaultControl;
import io.raftline.faults.NodeFault;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;

/**
 * Carries a node fault (crash, restart, pause, resume, freeze, thaw) asked of one process to the process that runs the
 * node, when each process runs one node over the clustered event bus. The live view of any process draws every member,
 * but its commands could act on its own node only ("node 3 runs in another process: use that process's live view"):
 * this makes every page, and every admin port, control the whole cluster as the local cluster's does.
 *
 * <p>Each process answers on {@code raftline.faults.node.<id>} for the node it runs; a request is sealed as the
 * network's faults are ({@link CoordinationSeal}: with a cluster secret only a holder of it is obeyed), and the answer
 * is the fault state of the process that ran it. The asking process has already checked the admin's authority (the
 * bridge's or the admin API's); a process that is down has no consumer, so the request fails at once
 * ({@code NO_HANDLERS}), and one that does not answer within 10 s fails it with a timeout.
 */
final class RemoteNodeFaults {

    /** The address prefix; the node's id follows. */
    static final String ADDRESS_PREFIX = NodeFaultRequest.ADDRESS_PREFIX;

    /** How long a process waits for another to inflict a fault (a restart reopens the node's storage). */
    private static final long TIMEOUT_MS = 10_000;

    private final Vertx vertx;
    private final FaultControl control;
    private final int self;
    /** Seals the requests made here and carries out those for this process's node (shared with the gRPC transport). */
    private final NodeFaultRequest requests;
    private MessageConsumer<String> consumer;

    /**
     * Creates the route of one process.
     *
     * @param vertx   the clustered Vert.x of the process
     * @param control the process's fault control
     * @param self    the id of the node this process runs
     * @param secret  the cluster secret, empty for none
     */
    RemoteNodeFaults(Vertx vertx, FaultControl control, int self, String secret) {
        this.vertx = vertx;
        this.control = control;
        this.self = self;
        this.requests = new NodeFaultRequest(control, self, secret);
    }

    /**
     * Starts answering for this process's node and routes the faults asked here for other members to their process.
     *
     * @return completes once this process answers
     */
    Future<Void> start() {
        consumer = vertx.eventBus().consumer(ADDRESS_PREFIX + self, m -> requests.serve(m.body()).onComplete(ar -> {
            if (ar.succeeded()) {
                m.reply(ar.result());
            } else {
                m.fail(ar.cause() instanceof NodeFaultRequest.Refused r ? r.code() : 500,
                        String.valueOf(ar.cause().getMessage()));
            }
        }));
        control.routeToOtherProcesses(this::send);
        return consumer.completion();
    }

    /** Stops answering and routing. */
    void stop() {
        control.routeToOtherProcesses(null);
        if (consumer != null) {
            consumer.unregister();
        }
    }

    private Future<JsonObject> send(int node, NodeFault fault) {
        String address = ADDRESS_PREFIX + node;
        String request = requests.request(node, fault);
        return vertx.eventBus().<JsonObject>request(address, request, new DeliveryOptions().setSendTimeout(TIMEOUT_MS))
                .map(io.vertx.core.eventbus.Message::body)
                .recover(e -> Future.failedFuture(e instanceof ReplyException r
                        && r.failureType() != io.vertx.core.eventbus.ReplyFailure.RECIPIENT_FAILURE
                        // 503 node_down: no process answers for the node now.
                        ? new io.raftline.node.NodeRequestException(io.raftline.node.NodeRequestException.Reason
                                .NODE_DOWN, 0, reason(node, fault, e))
                        : new IllegalStateException(reason(node, fault, e), e)));
    }

    private static String reason(int node, NodeFault fault, Throwable e) {
        if (e instanceof ReplyException r) {
            return switch (r.failureType()) {
                case NO_HANDLERS -> "the process of node " + node + " does not answer (down, or not joined yet):"
                        + " cannot " + fault.wireName() + " it";
                case TIMEOUT -> "the process of node " + node + " did not " + fault.wireName() + " it within "
                        + TIMEOUT_MS + " ms";
                default -> "the process of node " + node + " could not " + fault.wireName() + " it: " + r.getMessage();
            };
        }
        return "cannot " + fault.wireName() + " node " + node + ": " + e.getMessage();
    }
}
