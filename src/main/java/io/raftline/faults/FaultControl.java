package io.raftline.faults;

import io.raftline.events.EventPublisher;
import io.raftline.node.NodeStatus;
import io.raftline.node.RaftNode;
import io.raftline.transport.LinkFaults;
import io.raftline.transport.NetworkConditioner;
import io.raftline.transport.NetworkFaults;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.BiFunction;
import java.util.function.Supplier;

/**
 * The one place that inflicts faults on the nodes of this process and on the messages they send: node faults
 * ({@link NodeFault}), network-wide faults ({@link NetworkConditioner}: partitions, loss, delay, duplication)
 * and per-link faults ({@link LinkFaults}). The admin API, the live view's control channel and (through the admin
 * API) the nemesis all go through it, so they cannot disagree on what a fault does or what the fault state is.
 * Every change is published as a {@code FaultChanged} event, so every open live view redraws it.
 *
 * <p>It reads the process's node map and the cluster's membership live, never a copy: a node added at runtime can
 * be crashed, paused or partitioned as soon as it runs, and a removed one is refused like any unknown id.
 *
 * <p>The faults of the network and of the links are the cluster's, not one process's: with one node per process, a
 * change made here is shared with the other processes ({@link #onNetworkChange(Runnable)}, {@link #clusterState()})
 * and theirs adopted here ({@link #adopt(JsonObject)}), so that a partition set on any process splits the whole
 * cluster as it does in the local cluster. Node faults (crash, pause, freeze) stay with the process that runs the
 * node.
 */
public final class FaultControl {

    private final Map<Integer, ? extends RaftNode> nodes;
    private final Supplier<? extends Collection<Integer>> members;
    private final NetworkConditioner network;
    private final LinkFaults links;
    private final EventPublisher publisher;
    /** Told of every change of the network's or the links' faults made here (not of those adopted). */
    private volatile Runnable onNetworkChange = () -> { };
    /** How a fault reaches a member another process runs; null when there is none (the local cluster runs them all). */
    private volatile BiFunction<Integer, NodeFault, Future<JsonObject>> otherProcesses;

    /**
     * Creates the control of one process.
     *
     * @param nodes     the nodes this process runs, by id: a live, thread-safe map (nodes come and go at runtime)
     * @param members   every member of the cluster now (partitions may name any of them), asked on each use
     * @param network   the process's network conditioner
     * @param links     the process's per-link faults
     * @param publisher where changes are reported
     */
    public FaultControl(Map<Integer, ? extends RaftNode> nodes, Supplier<? extends Collection<Integer>> members,
            NetworkConditioner network, LinkFaults links, EventPublisher publisher) {
        this.nodes = nodes;
        this.members = members;
        this.network = network;
        this.links = links;
        this.publisher = publisher;
    }

    /**
     * The ids of the nodes this process runs now.
     *
     * @return ascending ids
     */
    public List<Integer> nodeIds() {
        return List.copyOf(new TreeSet<>(nodes.keySet()));
    }

    /**
     * Every member of the cluster now, and every node this process runs (a node just started to join is not a
     * member yet). In one-node-per-process mode a process runs one node but partitions the messages it sends to any
     * member.
     *
     * @return ascending ids
     */
    public List<Integer> memberIds() {
        TreeSet<Integer> ids = new TreeSet<>(members.get());
        ids.addAll(nodes.keySet());
        return List.copyOf(ids);
    }

    /**
     * Inflicts a fault on one node of this process.
     *
     * @param node  the node
     * @param fault what to do
     * @return completes once the node is in the new state
     * @throws IllegalArgumentException if this process runs no such node
     */
    public Future<Void> apply(int node, NodeFault fault) {
        RaftNode n = nodes.get(node);
        if (n == null) {
            throw new IllegalArgumentException("no node " + node + " here (nodes are " + nodes.keySet() + ")");
        }
        return fault.applyTo(n, network).onComplete(ar -> published());
    }

    /**
     * Inflicts a fault on a node this process runs ({@link #apply}), or on a member another process runs through the
     * route to it ({@link #routeToOtherProcesses}).
     *
     * @param node  the node
     * @param fault what to do
     * @return the fault state ({@link #state()}) of the process that runs the node, once the node is in the new state
     * @throws IllegalArgumentException if this process can reach no such node ({@link #reaches})
     */
    public Future<JsonObject> inflict(int node, NodeFault fault) {
        BiFunction<Integer, NodeFault, Future<JsonObject>> route = otherProcesses;
        if (!nodes.containsKey(node) && route != null && members.get().contains(node)) {
            // The process that runs it inflicts it, and publishes the change as its own FaultChanged.
            return route.apply(node, fault);
        }
        return apply(node, fault).compose(v -> state());
    }

    /**
     * Lets {@link #inflict} reach the members other processes run: with one node per process (over the clustered
     * event bus or the gRPC transport), a crash, pause or freeze asked of any process's page or admin port is carried
     * to the process that runs the node.
     *
     * @param route sends a fault to the process that runs the node, completing with that process's {@link #state()}
     *              once it was inflicted there (null: no route, such a node is refused)
     */
    public void routeToOtherProcesses(BiFunction<Integer, NodeFault, Future<JsonObject>> route) {
        this.otherProcesses = route;
    }

    /**
     * Whether a node fault can be asked of this process for {@code node}: it runs the node, or it can carry the fault
     * to the process that does ({@link #routeToOtherProcesses}).
     *
     * @param node the node
     * @return true if {@link #inflict} takes it
     */
    public boolean reaches(int node) {
        return nodes.containsKey(node) || (otherProcesses != null && members.get().contains(node));
    }

    /**
     * Inflicts a fault on every node of this process (the live view's "pause cluster").
     *
     * @param fault what to do
     * @return completes once every node is in the new state
     */
    public Future<Void> applyToAll(NodeFault fault) {
        List<Future<Void>> done = new ArrayList<>();
        for (RaftNode n : nodes.values()) {
            done.add(fault.applyTo(n, network));
        }
        return Future.all(done).<Void>mapEmpty().onComplete(ar -> published());
    }

    /** The network-wide faults now in force. */
    public NetworkFaults network() {
        return network.faults();
    }

    /**
     * Replaces the network-wide faults.
     *
     * @param faults the new faults (validated)
     */
    public void setNetwork(NetworkFaults faults) {
        network.setFaults(faults);
        changedHere();
    }

    /**
     * The condition of the link {@code from → to}.
     *
     * @return the condition, or null if the link is healthy
     */
    public LinkFaults.Condition link(int from, int to) {
        return links.get(from, to);
    }

    /**
     * Sets the condition of one link, or of both directions.
     *
     * @param from          sender
     * @param to            receiver
     * @param condition     loss and delay on the link
     * @param bidirectional also {@code to → from}
     */
    public void setLink(int from, int to, LinkFaults.Condition condition, boolean bidirectional) {
        links.set(from, to, condition);
        if (bidirectional) {
            links.set(to, from, condition);
        }
        changedHere();
    }

    /** Heals the network and every link. Paused and frozen nodes stay so until resumed or thawed: those are node faults. */
    public void heal() {
        network.heal();
        links.clear();
        changedHere();
    }

    /**
     * Asks to be told of every change of the network's or the links' faults made through this control (and not of
     * those {@link #adopt(JsonObject) adopted} from another process): the way one process shares them with the
     * others.
     *
     * @param listener called after each change, on the changing thread; it reads {@link #clusterState()}
     */
    public void onNetworkChange(Runnable listener) {
        this.onNetworkChange = listener == null ? () -> { } : listener;
    }

    /**
     * The faults that are the cluster's rather than this process's, as {@link #adopt(JsonObject)} takes them.
     *
     * @return {@code {"network": {partitions, dropRate, delayMs, duplicateRate}, "links": [...]}}
     */
    public JsonObject clusterState() {
        return new JsonObject().put("network", network.faults().toJson()).put("links", links.toJson());
    }

    /**
     * Puts in force the faults another process of the cluster set ({@link #clusterState()}'s form), replacing this
     * process's network and link faults; paused nodes stay paused. Published as a {@code FaultChanged} event if
     * anything changed.
     *
     * @param state the faults
     * @throws io.raftline.raft.ConfigException if they are not of that form
     * @throws ClassCastException if a field has the wrong JSON type
     */
    public synchronized void adopt(JsonObject state) {
        NetworkFaults next = NetworkFaults.fromClusterJson(state.getJsonObject("network"));
        JsonObject before = networkState();
        network.setFaults(next);
        links.replaceAll(state.getJsonArray("links"));
        if (!before.equals(networkState())) {
            published();
        }
    }

    private void changedHere() {
        published();
        onNetworkChange.run();
    }

    /**
     * The faults of the network and the links, as published in {@code FaultChanged} events: {@code partitions},
     * {@code dropRate}, {@code delayMs}, {@code duplicateRate}, {@code pausedNodes}, {@code links}.
     *
     * @return a new JSON object
     */
    public JsonObject networkState() {
        return network.toJson().put("links", links.toJson());
    }

    /**
     * The whole fault state: {@link #networkState()} plus {@code crashedNodes} and each node's {@code up},
     * {@code paused}, {@code frozen} and role.
     *
     * @return the state, once every node answered
     */
    public Future<JsonObject> state() {
        List<Future<NodeStatus>> statuses = new ArrayList<>();
        for (RaftNode n : nodes.values()) {
            statuses.add(n.status());
        }
        return Future.all(statuses).map(all -> {
            JsonArray crashed = new JsonArray();
            JsonArray nodeStates = new JsonArray();
            for (int i = 0; i < all.size(); i++) {
                NodeStatus s = all.resultAt(i);
                if (!s.up()) {
                    crashed.add(s.id());
                }
                nodeStates.add(new JsonObject().put("id", s.id()).put("up", s.up()).put("paused", s.paused())
                        .put("frozen", s.frozen()).put("role", s.roleName()));
            }
            return networkState().put("crashedNodes", crashed).put("nodes", nodeStates);
        });
    }

    private void published() {
        publisher.faultChanged(networkState());
    }
}
