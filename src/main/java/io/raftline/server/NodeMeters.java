package io.raftline.server;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.raftline.node.NodeStatus;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The Raft meters of this process's local nodes in {@code /metrics} ({@link Metrics#registerNode},
 * {@link Metrics#registerGroups}) and the statuses they read. It exists so that a node's meters leave with the node:
 * before, a removed local node's gauges stayed registered for the life of the process (NaN in every scrape), and a
 * refresh that asked the node for its status just before it was stopped put the status back once it answered.
 *
 * <p>Each registration holds its own readings, and a refresh writes into the registration that was current when it
 * asked: a refresh that completes after {@link #remove} writes into readings no meter reads any more, whatever the
 * order in which the node's answer and the removal come, and a node added again under the same id starts from
 * readings of its own.
 *
 * <p>Thread-safe: statuses complete on the nodes' event loops, additions and removals come from the cluster runtime.
 */
final class NodeMeters {

    /** One node's meters and what they read (the meters hold their readers weakly; this holds them). */
    private static final class Registration {
        volatile NodeStatus status;
        volatile List<NodeStatus> groupStatuses;
        final Supplier<NodeStatus> statusReader = () -> status;
        final Supplier<List<NodeStatus>> groupsReader = () -> groupStatuses;
        final List<Meter> meters = new ArrayList<>();
    }

    private final MeterRegistry registry;
    private final int groups;
    private final Map<Integer, Registration> registered = new ConcurrentHashMap<>();

    /**
     * Creates the meters of a process's nodes.
     *
     * @param registry where they are registered; null: metrics are off, and every method does nothing
     * @param groups   how many Raft groups each node runs (above 1: the per-group gauges too)
     */
    NodeMeters(MeterRegistry registry, int groups) {
        this.registry = registry;
        this.groups = groups;
    }

    /**
     * Registers a node's meters (nothing if they are registered already); they read NaN until its first refresh.
     *
     * @param nodeId the local node
     */
    synchronized void add(int nodeId) {
        if (registry == null || registered.containsKey(nodeId)) {
            return;
        }
        Registration r = new Registration();
        r.meters.addAll(Metrics.registerNode(registry, nodeId, r.statusReader));
        if (groups > 1) {
            r.meters.addAll(Metrics.registerGroups(registry, nodeId, groups, r.groupsReader));
        }
        registered.put(nodeId, r);
    }

    /**
     * Removes a node's meters from the registry: {@code /metrics} no longer lists its series.
     *
     * @param nodeId the node, stopped or about to be
     */
    synchronized void remove(int nodeId) {
        Registration r = registered.remove(nodeId);
        if (r != null) {
            r.meters.forEach(registry::remove);
        }
    }

    /**
     * Takes a node's statuses once they come, into the registration current now: if the node is removed before they
     * come, they go nowhere.
     *
     * @param nodeId        the node
     * @param status        its status (group 0's replica when sharded)
     * @param groupStatuses its replicas' statuses by group, or null for a node of one group
     */
    void refresh(int nodeId, Future<NodeStatus> status, Future<List<NodeStatus>> groupStatuses) {
        Registration r = registered.get(nodeId);
        if (r == null) {
            return;
        }
        status.onSuccess(s -> r.status = s);
        if (groupStatuses != null) {
            groupStatuses.onSuccess(st -> r.groupStatuses = st);
        }
    }

    /** Removes every node's meters: the runtime stops (a runtime deployed next in the same Vert.x registers its own). */
    synchronized void removeAll() {
        List.copyOf(registered.keySet()).forEach(this::remove);
    }
}
