package io.raftline.server;

import io.raftline.faults.FaultControl;
import io.raftline.faults.NodeFault;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node fault one process asks of the process that runs the node, whatever carries it there (the clustered event
 * bus, {@link RemoteNodeFaults}; the gRPC transport, {@link GrpcFaults}): the request {@code {"node", "fault"}}
 * sealed by {@link CoordinationSeal} for {@link #ADDRESS_PREFIX} and the node's id (with a cluster secret only a holder
 * of it is obeyed, and a request sealed for one node is not taken by another's process), and what the receiving
 * process does with it, so that both transports check and answer it alike.
 *
 * <p>A request is a command, not state: it is obeyed once, and only shortly after it was made. The asking process
 * stamps it with its issue time and a random nonce under the seal ({@link SingleUseStamps}), and the receiving process
 * refuses (403) one issued too long ago, or whose nonce it has taken already. Before, a sealed "crash node 2" captured
 * on the clustered event bus by a member without the secret could be sent again at will, each copy obeyed.
 */
final class NodeFaultRequest {

    private static final Logger LOG = LoggerFactory.getLogger(NodeFaultRequest.class);

    /** What a request for a node is sealed for: this prefix and the node's id (the event bus's address of it too). */
    static final String ADDRESS_PREFIX = "raftline.faults.node.";

    /** Why a request was not carried out: {@code code} is 403 (seal), 400 (not this node's), 404, 500, as HTTP. */
    static final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final int code;

        Refused(int code, String message) {
            super(message, null, false, false);
            this.code = code;
        }

        int code() {
            return code;
        }
    }

    private final FaultControl control;
    private final int self;
    private final CoordinationSeal seal;
    private final SingleUseStamps stamps;

    /**
     * Creates the requests of one process.
     *
     * @param control the process's fault control
     * @param self    the id of the node this process runs
     * @param secret  the cluster secret, empty for none
     */
    NodeFaultRequest(FaultControl control, int self, String secret) {
        this(control, self, secret, System::currentTimeMillis);
    }

    /**
     * Creates the requests of one process with the wall clock given.
     *
     * @param control the process's fault control
     * @param self    the id of the node this process runs
     * @param secret  the cluster secret, empty for none
     * @param clock   the wall clock (epoch milliseconds) that stamps requests made here and checks those that come
     */
    NodeFaultRequest(FaultControl control, int self, String secret, java.util.function.LongSupplier clock) {
        this.control = control;
        this.self = self;
        this.seal = new CoordinationSeal(secret);
        this.stamps = new SingleUseStamps(clock);
    }

    /**
     * A request for the process that runs {@code node}.
     *
     * @param node  the node
     * @param fault what to do
     * @return the sealed request
     */
    String request(int node, NodeFault fault) {
        return seal.seal(ADDRESS_PREFIX + node, stamps.stamp(new JsonObject().put("node", node)
                .put("fault", fault.wireName())));
    }

    /**
     * Carries out a request that came for this process's node, here only (never routed again: a process that no
     * longer runs the node says so).
     *
     * @param sealed the request as it came
     * @return this process's fault state once the node is in the new state; fails with {@link Refused}
     */
    Future<JsonObject> serve(String sealed) {
        JsonObject request;
        try {
            request = seal.open(ADDRESS_PREFIX + self, sealed);
        } catch (IllegalArgumentException e) {
            LOG.warn("a node fault for node {} was refused: {}", self, e.getMessage());
            return Future.failedFuture(new Refused(403, "refused: " + e.getMessage()));
        }
        NodeFault fault = NodeFault.parse(String.valueOf(request.getValue("fault"))).orElse(null);
        if (fault == null || !Integer.valueOf(self).equals(request.getValue("node"))) {
            return Future.failedFuture(new Refused(400, "not a fault of node " + self + ": " + request.encode()));
        }
        // Taken before it is carried out: a copy that arrives while the first one runs is refused too.
        String stale = stamps.take(request);
        if (stale != null) {
            LOG.warn("a node fault ({}) for node {} was refused: {}", fault.wireName(), self, stale);
            return Future.failedFuture(new Refused(403, "refused: " + stale));
        }
        Future<JsonObject> done;
        try {
            done = control.apply(self, fault).compose(v -> control.state());
        } catch (IllegalArgumentException e) {
            // This process does not run the node (any more): the asker hears why.
            return Future.failedFuture(new Refused(404, e.getMessage()));
        }
        return done.recover(e -> Future.failedFuture(new Refused(500, String.valueOf(e.getMessage()))));
    }
}
