package io.raftline.ui;

import io.raftline.config.ServiceConfig;
import io.raftline.events.EventPublisher;
import io.raftline.faults.FaultControl;
import io.raftline.faults.LocalNodeControl;
import io.raftline.faults.NodeFault;
import io.raftline.kv.KvCommand;
import io.raftline.kv.KvResult;
import io.raftline.node.NodeRequestException;
import io.raftline.node.NodeStatus;
import io.raftline.node.RaftNode;
import io.raftline.raft.ConfigException;
import io.raftline.raft.Role;
import io.raftline.transport.LinkFaults;
import io.raftline.transport.NetworkFaults;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Executes the commands the live view sends on {@value #ADDRESS} (bridged inbound from browsers). Every
 * command is validated completely before anything is done: an unknown action, an unknown node, a missing,
 * extra or ill-typed field is answered with {@code {"ok":false,"error":code,"message":...}} naming the
 * problem. A command that was carried out is answered with {@code {"ok":true,...}}. The schema is documented
 * in {@code docs/live-view.md}.
 *
 * <p>Faults go through the process's {@link FaultControl}, the same one the admin API uses (which publishes each
 * change, so every open view sees it), and client writes are proposed to the leader (found from the nodes'
 * status, following a not-leader hint once).
 */
public final class ControlHandler implements Handler<Message<Object>> {

    /** The event-bus address commands arrive on. */
    public static final String ADDRESS = "raft.control";


    private final Vertx vertx;
    private final Map<Integer, ? extends RaftNode> nodes;
    private final FaultControl faults;
    private final EventPublisher publisher;
    private final LocalNodeControl lifecycle;
    private final GroupFocus focus;
    private final AtomicLong requestIds = new AtomicLong();
    /** The largest value a {@code put} may write: {@code service.max_body_bytes}, as on the HTTP API. */
    private final long maxValueBytes;

    /**
     * Creates the handler.
     *
     * @param vertx     the Vert.x instance
     * @param nodes     the nodes this process runs, by id: a live, thread-safe map (nodes are added and removed at
     *                  runtime), read on every command
     * @param faults    how faults are inflicted (shared with the admin API)
     * @param publisher where client requests are reported and snapshots come from
     * @param lifecycle adds and removes nodes ({@code addNode}, {@code removeNode})
     */
    public ControlHandler(Vertx vertx, Map<Integer, ? extends RaftNode> nodes, FaultControl faults,
            EventPublisher publisher, LocalNodeControl lifecycle) {
        this(vertx, nodes, faults, publisher, lifecycle, GroupFocus.SINGLE);
    }

    /**
     * Creates the handler of a cluster that may have several Raft groups.
     *
     * @param vertx     the Vert.x instance
     * @param nodes     the nodes this process runs, by id (a live, thread-safe map)
     * @param faults    how faults are inflicted (shared with the admin API)
     * @param publisher where client requests are reported and snapshots come from
     * @param lifecycle adds and removes nodes ({@code addNode}, {@code removeNode})
     * @param focus     which group the live view follows ({@code focusGroup})
     */
    public ControlHandler(Vertx vertx, Map<Integer, ? extends RaftNode> nodes, FaultControl faults,
            EventPublisher publisher, LocalNodeControl lifecycle, GroupFocus focus) {
        this(vertx, nodes, faults, publisher, lifecycle, focus, ServiceConfig.DEFAULT_MAX_BODY_BYTES);
    }

    /**
     * Creates the handler with the process's limit on a written value.
     *
     * @param vertx         the Vert.x instance
     * @param nodes         the nodes this process runs, by id (a live, thread-safe map)
     * @param faults        how faults are inflicted (shared with the admin API)
     * @param publisher     where client requests are reported and snapshots come from
     * @param lifecycle     adds and removes nodes ({@code addNode}, {@code removeNode})
     * @param focus         which group the live view follows ({@code focusGroup})
     * @param maxValueBytes the largest value a {@code put} may write ({@code service.max_body_bytes}, the HTTP API's
     *                      limit on a value's body): a larger one is refused with {@code payload_too_large}
     */
    public ControlHandler(Vertx vertx, Map<Integer, ? extends RaftNode> nodes, FaultControl faults,
            EventPublisher publisher, LocalNodeControl lifecycle, GroupFocus focus, long maxValueBytes) {
        if (maxValueBytes < 1) {
            throw new IllegalArgumentException("maxValueBytes must be >= 1, got " + maxValueBytes);
        }
        this.maxValueBytes = maxValueBytes;
        this.vertx = vertx;
        this.nodes = nodes;
        this.faults = faults;
        this.publisher = publisher;
        this.lifecycle = lifecycle;
        this.focus = focus;
    }

    /**
     * The event publisher the live view reads, told by the bridge when viewers come and go.
     *
     * @return the publisher
     */
    EventPublisher publisher() {
        return publisher;
    }

    /**
     * Starts consuming {@value #ADDRESS}, in this process only: the commands come from this process's SockJS bridge,
     * which checks the admin token, and act on this process's nodes. Registered on a clustered event bus as an
     * ordinary consumer, any other member of the bus (a holder of a client certificate of the cluster CA, with TLS)
     * could send them without the token, and a browser's command could reach another process's handler (an audit's
     * finding).
     *
     * @return the consumer, once registered (unregister it to stop)
     */
    public Future<MessageConsumer<Object>> register() {
        MessageConsumer<Object> consumer = vertx.eventBus().localConsumer(ADDRESS, this);
        return consumer.completion().map(v -> consumer);
    }

    @Override
    public void handle(Message<Object> msg) {
        Future<JsonObject> result;
        try {
            if (!(msg.body() instanceof JsonObject cmd)) {
                throw new ControlException("bad_request", "a command must be a JSON object with an \"action\"");
            }
            result = execute(cmd);
        } catch (ControlException e) {
            result = Future.failedFuture(e);
        } catch (IllegalArgumentException | ConfigException e) {
            result = Future.failedFuture(new ControlException("invalid_field", e.getMessage()));
        }
        result.onComplete(ar -> {
            if (ar.succeeded()) {
                msg.reply(ar.result().put("ok", true));
            } else {
                msg.reply(error(ar.cause()));
            }
        });
    }

    private static JsonObject error(Throwable t) {
        if (t instanceof ControlException c) {
            return new JsonObject().put("ok", false).put("error", c.code()).put("message", c.getMessage());
        }
        if (t instanceof NodeRequestException n) {
            return new JsonObject().put("ok", false).put("error", n.reason().code()).put("message", n.getMessage());
        }
        return new JsonObject().put("ok", false).put("error", "failed").put("message", String.valueOf(t.getMessage()));
    }

    /**
     * Validates and carries out one command.
     *
     * @param cmd the command
     * @return the reply's fields (without {@code ok})
     * @throws ControlException if the command is invalid (nothing was done)
     */
    public Future<JsonObject> execute(JsonObject cmd) {
        Object a = cmd.getValue("action");
        if (!(a instanceof String action)) {
            throw new ControlException("missing_field", "\"action\" (a string) is required");
        }
        switch (action) {
            case "state":
                fields(cmd);
                return publisher.snapshot().map(s -> new JsonObject().put("snapshot", s));
            case "pauseCluster":
            case "resumeCluster":
                fields(cmd);
                return faults.applyToAll(action.equals("pauseCluster") ? NodeFault.PAUSE : NodeFault.RESUME)
                        .map(v -> faultsReply());
            case "crash":
            case "restart":
            case "pause":
            case "resume":
            case "freeze":
            case "thaw":
                fields(cmd, "node");
                // With one node per process, a member another process runs is reached through that process.
                return faults.inflict(reachableNode(cmd, "node"), NodeFault.parse(action).orElseThrow())
                        .map(v -> faultsReply());
            case "partition":
                fields(cmd, "groups");
                return partition(groups(cmd));
            case "heal":
                fields(cmd);
                faults.heal();
                return Future.succeededFuture(faultsReply());
            case "network":
                fields(cmd, "dropRate", "delayMs", "duplicateRate");
                return globalFaults(cmd);
            case "link":
                fields(cmd, "from", "to", "dropRate", "delayMs", "bidirectional");
                return link(cmd);
            case "put":
                fields(cmd, "key", "value", "node");
                return write(cmd, "put", new KvCommand.Put(key(cmd), value(cmd)));
            case "delete":
                fields(cmd, "key", "node");
                return write(cmd, "delete", new KvCommand.Delete(key(cmd)));
            case "transfer": {
                fields(cmd, "to");
                int to = node(cmd, "to");
                return focusedLeader().compose(l -> l.id() == to
                        ? Future.failedFuture(new ControlException("invalid_field", "node " + to + " already leads"))
                        : l.transferLeadership(to).map(v -> new JsonObject().put("from", l.id()).put("to", to)));
            }
            case "addNode":
                fields(cmd);
                return lifecycle.addNode().recover(ControlHandler::unsupported);
            case "removeNode":
                fields(cmd, "node");
                return lifecycle.removeNode(node(cmd, "node")).recover(ControlHandler::unsupported);
            case "focusGroup": {
                fields(cmd, "group");
                Object g = cmd.getValue("group");
                if (g == null) {
                    throw new ControlException("missing_field", "\"group\" (a group number) is required");
                }
                if (!(g instanceof Integer group) || group < 0 || group >= focus.groups()) {
                    throw new ControlException("invalid_field", "\"group\" must be a group number from 0 to "
                            + (focus.groups() - 1) + ", got " + g);
                }
                return focus.focus(group).map(f -> new JsonObject().put("focusedGroup", f))
                        .recover(ControlHandler::unsupported);
            }
            default:
                throw new ControlException("unknown_action", "unknown action '" + action + "' (known: state, "
                        + "pauseCluster, resumeCluster, crash, restart, pause, resume, freeze, thaw, partition, heal, network, link, "
                        + "put, delete, transfer, addNode, removeNode, focusGroup)");
        }
    }

    /** A process that cannot start or stop nodes itself says so with the {@code unsupported} code. */
    private static Future<JsonObject> unsupported(Throwable e) {
        return Future.failedFuture(e instanceof UnsupportedOperationException
                ? new ControlException("unsupported", e.getMessage()) : e);
    }

    // ------------------------------------------------------------------ validation

    private static void fields(JsonObject cmd, String... allowed) {
        Set<String> ok = new HashSet<>(List.of(allowed));
        ok.add("action");
        for (String f : cmd.fieldNames()) {
            if (!ok.contains(f)) {
                throw new ControlException("unknown_field", "unknown field '" + f + "' for action '"
                        + cmd.getValue("action") + "'" + (allowed.length == 0 ? "" : " (allowed: " + String.join(", ",
                        allowed) + ")"));
            }
        }
    }

    private int node(JsonObject cmd, String field) {
        Object v = cmd.getValue(field);
        if (v == null) {
            throw new ControlException("missing_field", "\"" + field + "\" (a node id) is required");
        }
        if (!(v instanceof Integer id)) {
            throw new ControlException("invalid_field", "\"" + field + "\" must be an integer node id, got " + v);
        }
        if (!nodes.containsKey(id)) {
            // With one node per process, the page draws every member but its commands act on this process's nodes:
            // a member run by another process exists, and the refusal says where it can be reached.
            if (faults.memberIds().contains(id)) {
                throw new ControlException("unknown_node", "node " + id + " runs in another process (this one runs "
                        + nodes.keySet() + "): use that process's live view or admin API");
            }
            throw new ControlException("unknown_node", "node " + id + " does not exist (nodes are " + nodes.keySet() + ")");
        }
        return id;
    }

    /** A node a fault may be asked for: one this process runs, or a member it can reach in another process. */
    private int reachableNode(JsonObject cmd, String field) {
        Object v = cmd.getValue(field);
        return v instanceof Integer id && faults.reaches(id) ? id : node(cmd, field);
    }

    private List<Set<Integer>> groups(JsonObject cmd) {
        Object v = cmd.getValue("groups");
        if (!(v instanceof JsonArray outer) || outer.isEmpty()) {
            throw new ControlException(v == null ? "missing_field" : "invalid_field",
                    "\"groups\" must be a non-empty array of arrays of node ids, e.g. [[1,2],[3]]");
        }
        List<Set<Integer>> groups = new ArrayList<>();
        Set<Integer> seen = new HashSet<>();
        // A partition cuts the messages this process's nodes exchange with any member, so it may name any member of
        // the cluster, as the admin API's PUT /v1/admin/network may: with one node per process, the other processes'
        // nodes (before, only this process's own nodes were accepted here).
        List<Integer> members = faults.memberIds();
        for (Object g : outer) {
            if (!(g instanceof JsonArray inner) || inner.isEmpty()) {
                throw new ControlException("invalid_field", "\"groups\" must hold non-empty arrays of node ids, got " + g);
            }
            Set<Integer> group = new TreeSet<>();
            for (Object id : inner) {
                if (!(id instanceof Integer n)) {
                    throw new ControlException("invalid_field", "\"groups\" must hold integer node ids, got " + id);
                }
                if (!members.contains(n)) {
                    throw new ControlException("unknown_node", NetworkFaults.unknownNode(n, members));
                }
                if (!seen.add(n)) {
                    throw new ControlException("invalid_field", "node " + n + " is in more than one group");
                }
                group.add(n);
            }
            groups.add(group);
        }
        return groups;
    }

    private static double rate(JsonObject cmd, String field, double dflt) {
        Object v = cmd.getValue(field);
        if (v == null) {
            return dflt;
        }
        if (!(v instanceof Number n) || !(n.doubleValue() >= 0 && n.doubleValue() <= 1)) {
            throw new ControlException("invalid_field", "\"" + field + "\" must be a number in [0, 1], got " + v);
        }
        return n.doubleValue();
    }

    private static int[] delay(JsonObject cmd, int[] dflt) {
        Object v = cmd.getValue("delayMs");
        if (v == null) {
            return dflt;
        }
        if (v instanceof Integer single) {
            v = new JsonArray().add(single).add(single);
        }
        if (!(v instanceof JsonArray arr) || arr.size() != 2 || !(arr.getValue(0) instanceof Integer)
                || !(arr.getValue(1) instanceof Integer)) {
            throw new ControlException("invalid_field", "\"delayMs\" must be [min, max] in ms (or one integer), got " + v);
        }
        int min = arr.getInteger(0);
        int max = arr.getInteger(1);
        if (min < 0 || max < min || max > NetworkFaults.MAX_DELAY_MS) {
            throw new ControlException("invalid_field", "\"delayMs\" must satisfy 0 <= min <= max <= "
                    + NetworkFaults.MAX_DELAY_MS + ", got [" + min + ", " + max + "]");
        }
        return new int[] {min, max};
    }

    private static String text(JsonObject cmd, String field, boolean emptyOk) {
        Object v = cmd.getValue(field);
        if (v == null) {
            throw new ControlException("missing_field", "\"" + field + "\" (a string) is required");
        }
        if (!(v instanceof String s) || (!emptyOk && s.isEmpty())) {
            throw new ControlException("invalid_field", "\"" + field + "\" must be a " + (emptyOk ? "" : "non-empty ")
                    + "string, got " + v);
        }
        return s;
    }

    private static String key(JsonObject cmd) {
        String key = text(cmd, "key", false);
        try {
            return KvCommand.validateKey(key);
        } catch (IllegalArgumentException e) {
            throw new ControlException("invalid_field", "\"key\": " + e.getMessage());
        }
    }

    // ------------------------------------------------------------------ actions

    private Future<JsonObject> partition(List<Set<Integer>> groups) {
        NetworkFaults f = faults.network();
        faults.setNetwork(new NetworkFaults(groups, f.dropRate(), f.delayMinMs(), f.delayMaxMs(), f.duplicateRate()));
        return Future.succeededFuture(faultsReply());
    }

    private Future<JsonObject> globalFaults(JsonObject cmd) {
        NetworkFaults f = faults.network();
        double drop = rate(cmd, "dropRate", f.dropRate());
        double dup = rate(cmd, "duplicateRate", f.duplicateRate());
        int[] d = delay(cmd, new int[] {f.delayMinMs(), f.delayMaxMs()});
        NetworkFaults next;
        try {
            next = new NetworkFaults(f.partitions(), drop, d[0], d[1], dup);
        } catch (ConfigException e) {
            throw new ControlException("invalid_field", e.getMessage());
        }
        faults.setNetwork(next);
        return Future.succeededFuture(faultsReply());
    }

    private Future<JsonObject> link(JsonObject cmd) {
        // With one node per process over the clustered bus a link's fault is the cluster's (the sender's process
        // inflicts it), so any member may be named.
        int from = reachableNode(cmd, "from");
        int to = reachableNode(cmd, "to");
        if (from == to) {
            throw new ControlException("invalid_field", "\"from\" and \"to\" must be different nodes, got " + from);
        }
        Object bi = cmd.getValue("bidirectional", Boolean.TRUE);
        if (!(bi instanceof Boolean both)) {
            throw new ControlException("invalid_field", "\"bidirectional\" must be true or false, got " + bi);
        }
        LinkFaults.Condition old = faults.link(from, to);
        double drop = rate(cmd, "dropRate", old == null ? 0 : old.dropRate());
        int[] d = delay(cmd, old == null ? new int[] {0, 0} : new int[] {old.delayMinMs(), old.delayMaxMs()});
        faults.setLink(from, to, new LinkFaults.Condition(drop, d[0], d[1]), both);
        return Future.succeededFuture(faultsReply());
    }

    /** The reply to a fault command: the faults now in force (also published as a {@code FaultChanged} event). */
    private JsonObject faultsReply() {
        return new JsonObject().put("faults", faults.networkState());
    }

    /**
     * A put's value as bytes, within {@code service.max_body_bytes}: the HTTP API refuses a larger body (413), and the
     * bridge, which carries the value in a frame of its own limit, must not be a way around it (it was).
     */
    private byte[] value(JsonObject cmd) {
        byte[] value = text(cmd, "value", true).getBytes(StandardCharsets.UTF_8);
        if (value.length > maxValueBytes) {
            throw new ControlException("payload_too_large", "the value is " + value.length + " bytes, above the"
                    + " configured limit of " + maxValueBytes + " bytes (service.max_body_bytes)");
        }
        return value;
    }

    private Future<JsonObject> write(JsonObject cmd, String op, KvCommand.SingleKey command) {
        Integer target = cmd.containsKey("node") ? node(cmd, "node") : null;
        long reqId = requestIds.incrementAndGet();
        long started = System.nanoTime();
        JsonObject req = new JsonObject().put("reqId", reqId).put("op", op).put("key", command.key());
        if (command instanceof KvCommand.Put p) {
            req.put("value", new String(p.value(), StandardCharsets.UTF_8)).put("valueLength", p.value().length);
        }
        Future<RaftNode> to = target != null ? present(target) : leader();
        return to.compose(n -> {
            publisher.clientRequest(n.id(), req.copy().put("phase", "submitted"));
            return n.propose(command).recover(e -> {
                // A follower names the leader: forward there once, as the HTTP API does.
                RaftNode hinted = e instanceof NodeRequestException nre
                        && nre.reason() == NodeRequestException.Reason.NOT_LEADER ? nodes.get(nre.leaderHint()) : null;
                if (hinted != null) {
                    return hinted.propose(command);
                }
                return Future.failedFuture(e);
            }).transform(ar -> {
                JsonObject done = req.copy().put("phase", "completed").put("ok", ar.succeeded())
                        .put("latencyMs", (System.nanoTime() - started) / 1_000_000);
                JsonObject reply = new JsonObject().put("reqId", reqId).put("node", n.id());
                if (ar.succeeded()) {
                    KvResult r = ar.result();
                    done.put("revision", r.revision()).put("result", r.wire());
                    reply.put("revision", r.revision()).put("result", r.wire());
                } else {
                    JsonObject err = error(ar.cause());
                    done.put("error", err.getString("error")).put("message", err.getString("message"));
                }
                publisher.clientRequest(n.id(), done);
                return ar.succeeded() ? Future.succeededFuture(reply) : Future.failedFuture(ar.cause());
            });
        });
    }

    /**
     * The node a command names, read once: it was checked to exist when the command was read, and a removal (on another
     * thread) may have taken it since; read twice, the second read gave null and the command failed with a
     * NullPointerException instead of saying so.
     */
    private Future<RaftNode> present(int id) {
        RaftNode n = nodes.get(id);
        return n != null ? Future.succeededFuture(n) : Future.failedFuture(new ControlException("unknown_node",
                "node " + id + " was removed while the command was on its way (nodes are " + nodes.keySet() + ")"));
    }

    /** The up node that leads in the highest term, from the nodes' own status. */
    private Future<RaftNode> leader() {
        return leader(nodes);
    }

    /**
     * The leader of the group the live view follows: a leadership transfer from the page ("Make leader") moves the
     * leadership the page shows. A cluster of one group: the leader.
     */
    private Future<RaftNode> focusedLeader() {
        if (focus.groups() == 1) {
            return leader();
        }
        int group = focus.focused();
        Map<Integer, RaftNode> replicas = new java.util.TreeMap<>();
        nodes.forEach((id, n) -> replicas.put(id, n instanceof io.raftline.shard.ReplicaSet set ? set.replica(group) : n));
        return leader(replicas);
    }

    private static Future<RaftNode> leader(Map<Integer, ? extends RaftNode> nodes) {
        List<Future<NodeStatus>> all = new ArrayList<>();
        for (RaftNode n : nodes.values()) {
            all.add(n.status().otherwiseEmpty());
        }
        return Future.join(all).transform(ar -> {
            NodeStatus best = null;
            for (Future<NodeStatus> f : all) {
                NodeStatus s = f.result();
                if (s != null && s.up() && !s.paused() && s.role() == Role.LEADER && (best == null || s.term() > best.term())) {
                    best = s;
                }
            }
            // The leader's node is read once: removed since it answered its status, there is none to propose to.
            RaftNode leader = best == null ? null : nodes.get(best.id());
            if (leader == null) {
                return Future.failedFuture(new ControlException("no_leader", "no node leads right now; retry shortly"));
            }
            return Future.succeededFuture(leader);
        });
    }
}
