package io.raftline.api.http;

import io.raftline.transport.NetworkConditioner;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The fault-injection surface the admin API drives: node faults (crash, restart, pause, resume) and the
 * network conditioner. Implemented by whatever owns the nodes (the local cluster, or a single node process).
 */
public interface ClusterControl {

    /**
     * The ids of the nodes this process controls.
     *
     * @return node ids
     */
    List<Integer> nodeIds();

    /**
     * The ids of every member of the cluster, which network partitions may name. In one-node-per-process mode a
     * process controls one node but partitions the messages it sends to any member.
     *
     * @return member ids (by default {@link #nodeIds()})
     */
    default List<Integer> memberIds() {
        return nodeIds();
    }

    /**
     * Applies a node fault.
     *
     * @param nodeId the node
     * @param action {@code crash}, {@code restart}, {@code pause} or {@code resume}
     * @return completes once applied
     */
    Future<Void> nodeAction(int nodeId, String action);

    /**
     * The network conditioner shared by this process's transport.
     *
     * @return the conditioner
     */
    NetworkConditioner network();

    /**
     * The current faults: network settings, paused and crashed nodes.
     *
     * @return the fault state
     */
    Future<JsonObject> faultState();

    /**
     * Told after the admin API changed a fault, so that the change reaches the event stream (open live views
     * redraw cut links and crashed nodes at once).
     */
    default void faultsChanged() {
    }
}
