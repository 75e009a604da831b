package io.raftline.server;

import io.raftline.events.EventPublisher;
import io.raftline.events.ClusterState;
import io.raftline.kv.KvResult;
import io.raftline.node.NodeListener;
import io.raftline.node.NodeStatus;
import io.raftline.node.QueueStats;
import io.raftline.node.RaftNode;
import io.raftline.node.RaftNodeVerticle;
import io.raftline.raft.CoreEvent;
import io.raftline.raft.Entry;
import io.raftline.raft.Role;
import io.raftline.raft.message.Message;
import io.raftline.shard.ReplicaSet;
import io.raftline.ui.GroupFocus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * What the live view sees of a sharded cluster ({@code "groups"} above 1): a grid of every group's roles, terms and
 * commit indexes, and one group followed in detail.
 *
 * <p>The grid: while someone watches the event stream ({@link EventPublisher#watched()}), every
 * {@value #GRID_MS} ms the statuses of this process's replicas are gathered (each on its own event loop, answered
 * asynchronously) and published as one {@code GroupsState} event. Unwatched, the timer only reads a flag.
 *
 * <p>The focus: each replica reports through its own gate ({@link #listener}), open only for the followed group. A
 * switch closes the old group's gates on their replicas' event loops (so whatever they reported before is in the
 * stream before the switch), publishes {@code FocusChanged}, then on each new replica's event loop captures its
 * state, publishes it as {@code ReplicaState} and opens its gate: every event of the new group that follows was
 * reported after the state it starts from. The stream never carries two groups' events for one node, and a view
 * that folds it holds a clean state of the new group right after the switch.
 *
 * <p>With one node per process on a clustered event bus, each process's view switches its own node's gates, and a
 * switch asked of any process is published to all of them ({@value #FOCUS_ADDRESS}): every process switches, and its
 * {@code FocusChanged} and {@code ReplicaState} reach the browsers through the relay like its other events. The group
 * followed is also kept in a cluster-wide map ({@value #FOCUS_MAP}), written before the switch is published: a process
 * that starts later reads it once it has joined the cluster and follows the same group. (It first asked the other
 * processes on the bus, which failed when a process had just joined and did not see their consumers yet: under load
 * a restarted process stayed on group 0 for good. The map is the cluster manager's, there as soon as the process is
 * a member.)
 */
public final class GroupView implements GroupFocus {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(GroupView.class);

    /** How often the grid is published while someone watches. */
    static final long GRID_MS = 500;
    /** Clustered: where a switch is published to every process (the body is the group). */
    static final String FOCUS_ADDRESS = "raftline.groups.focus";
    /** Clustered: the cluster-wide map that holds the group followed, under {@value #FOCUS_KEY}. */
    static final String FOCUS_MAP = "raftline.groups";
    static final String FOCUS_KEY = "focused";
    /** How long a switch asked of a clustered view waits for its own process to have switched. */
    static final long FOCUS_TIMEOUT_MS = 10_000;

    private final Vertx vertx;
    private final EventPublisher publisher;
    private final int groups;
    private final boolean canFocus;
    /** One node per process on a clustered event bus: switches go to every process. */
    private final boolean clustered;
    /** Clustered: switches asked here, waiting for this process to reach their group. */
    private final List<Map.Entry<Integer, io.vertx.core.Promise<Integer>>> waiting = new ArrayList<>();
    private final List<io.vertx.core.eventbus.MessageConsumer<?>> consumers = new ArrayList<>();
    private final Supplier<Map<Integer, List<? extends RaftNode>>> replicas;
    /** Each local node's gates, by group. */
    private final Map<Integer, Gate[]> gates = new ConcurrentHashMap<>();
    private volatile int focused;
    /** Clustered: a switch arrived since this process started (it wins over what the map said at start). */
    private volatile boolean switchedSinceStart;
    /** Switches run one after the other. */
    private Future<Integer> switching = Future.succeededFuture(0);
    private long timer = -1;
    private boolean gathering;

    /**
     * Creates the view of a sharded cluster's groups.
     *
     * @param vertx     the Vert.x instance (the grid's timer)
     * @param publisher the event stream
     * @param groups    G
     * @param canFocus  whether the followed group may be switched: the local cluster (all nodes are here), or one node
     *                  per process on a clustered event bus (every process switches)
     * @param clustered one node per process on a clustered event bus: switches are published to every process
     * @param replicas  each local node's replica of every group, by group (a live map)
     */
    public GroupView(Vertx vertx, EventPublisher publisher, int groups, boolean canFocus, boolean clustered,
            Supplier<Map<Integer, List<? extends RaftNode>>> replicas) {
        this.vertx = vertx;
        this.publisher = publisher;
        this.groups = groups;
        this.canFocus = canFocus;
        this.clustered = clustered;
        this.replicas = replicas;
    }

    /**
     * What one replica reports through: to the event stream while its group is followed, nowhere otherwise.
     *
     * @param node  the node
     * @param group the replica's group
     * @return the replica's listener
     */
    public NodeListener listener(int node, int group) {
        // Under the lock a switch takes to set the group followed: a node's gates are made either before the switch
        // sets it (and the switch sets them) or after (open for the new group).
        synchronized (gates) {
            Gate[] byGroup = gates.computeIfAbsent(node, k -> {
                Gate[] all = new Gate[groups];
                for (int g = 0; g < groups; g++) {
                    all[g] = new Gate(g == focused);
                }
                return all;
            });
            return byGroup[group];
        }
    }

    /**
     * Whether a local replica reports to the event stream now (its gate is open).
     *
     * @param node  the node
     * @param group the replica's group
     * @return true while its group is followed
     */
    boolean reports(int node, int group) {
        Gate[] byGroup = gates.get(node);
        return byGroup != null && byGroup[group].open;
    }

    /**
     * Starts publishing the grid while someone watches; clustered, starts following the switches of the other
     * processes, after asking one of them which group they follow.
     *
     * @return completes once the view takes part in switches
     */
    public Future<Void> start() {
        startGrid();
        if (!clustered) {
            return Future.succeededFuture();
        }
        io.vertx.core.eventbus.MessageConsumer<Integer> switches = vertx.eventBus().consumer(FOCUS_ADDRESS, m -> {
            switchedSinceStart = true;
            switchLocally(m.body());
        });
        consumers.add(switches);
        // Read in the background, so that a process starts at once whatever the cluster manager does meanwhile; a
        // switch that arrives first wins (the map may be read before that switch wrote it).
        switches.completion().compose(v -> focusMap()).compose(m -> m.get(FOCUS_KEY)).onComplete(ar -> {
            if (ar.succeeded() && ar.result() != null && !switchedSinceStart) {
                switchLocally(ar.result());
            } else if (ar.failed()) {
                LOG.warn("cannot read the group the live view follows from the cluster ({}): following group {}",
                        ar.cause().toString(), focused);
            }
        });
        return switches.completion();
    }

    private Future<io.vertx.core.shareddata.AsyncMap<String, Integer>> focusMap() {
        return vertx.sharedData().<String, Integer>getClusterWideMap(FOCUS_MAP);
    }

    private void startGrid() {
        timer = vertx.setPeriodic(GRID_MS, t -> {
            if (publisher.watched() && !gathering) {
                gathering = true;
                gather().onComplete(ar -> {
                    gathering = false;
                    if (ar.succeeded() && publisher.watched()) {
                        publisher.groupsState(ar.result());
                    }
                });
            }
        });
    }

    /** Stops the grid's timer and, clustered, taking part in switches. */
    public void stop() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
        consumers.forEach(io.vertx.core.eventbus.MessageConsumer::unregister);
    }

    @Override
    public int groups() {
        return groups;
    }

    @Override
    public int focused() {
        return focused;
    }

    @Override
    public synchronized Future<Integer> focus(int group) {
        if (!canFocus) {
            return Future.failedFuture(new UnsupportedOperationException("with one node per process and no clustered"
                    + " event bus (the gRPC transport), each process publishes its own node only and cannot tell the"
                    + " others to switch: the followed group stays group 0; the grid of every group is shown anyway"));
        }
        if (!clustered) {
            return switchLocally(group);
        }
        // Every process switches, this one included, in the order the bus delivers the switches: this answer waits
        // for this process to reach the group.
        io.vertx.core.Promise<Integer> done = io.vertx.core.Promise.promise();
        waiting.add(Map.entry(group, done));
        long timeout = vertx.setTimer(FOCUS_TIMEOUT_MS, t -> done.tryFail("the switch to group " + group
                + " did not reach this process within " + FOCUS_TIMEOUT_MS + " ms"));
        // Recorded for processes that start later, then told to every process now; if the map cannot be written, the
        // processes running still switch.
        focusMap().compose(m -> m.put(FOCUS_KEY, group)).onComplete(ar -> {
            if (ar.failed()) {
                LOG.warn("cannot record the group followed in the cluster ({}): a process started later follows the"
                        + " group recorded before", ar.cause().toString());
            }
            vertx.eventBus().publish(FOCUS_ADDRESS, group);
        });
        return done.future().andThen(ar -> vertx.cancelTimer(timeout));
    }

    /**
     * Reports each local replica of the followed group as it is now, after any switch under way: the stream resumes
     * after a spell in which no one watched and the per-write events were not reported
     * ({@link EventPublisher#onAudienceReturn}).
     */
    public synchronized void resync() {
        switching = switching.transform(x -> {
            int group = focused;
            List<Future<?>> captured = new ArrayList<>();
            replicas.get().forEach((node, list) -> {
                if (list.size() > group) {
                    captured.add(reportState(publisher, node, group, list.get(group), () -> { }));
                }
            });
            return Future.join(captured).transform(y -> Future.succeededFuture(group));
        });
    }

    /**
     * Reports a replica's state to the stream as a {@code ReplicaState}, captured on its event loop, then runs
     * {@code then} there (so that whatever the replica reports afterwards comes after the capture); {@code then} also
     * runs when there is nothing to capture (not a verticle, or not deployed).
     *
     * @param publisher the event stream
     * @param node      the node
     * @param group     the replica's group
     * @param replica   the replica
     * @param then      what follows the capture
     * @return completes once captured (or skipped)
     */
    static Future<Void> reportState(EventPublisher publisher, int node, int group, RaftNode replica, Runnable then) {
        if (!(replica instanceof RaftNodeVerticle v)) {
            then.run();
            return Future.succeededFuture();
        }
        return v.replicaView(ClusterState.LOG_TAIL, view -> {
            publisher.replicaState(node, group, view);
            then.run();
        }).<Void>mapEmpty().otherwise(e -> {
            then.run();
            return null;
        });
    }

    /** Switches this process's gates to {@code group}, after any switch under way. */
    private synchronized Future<Integer> switchLocally(int group) {
        switching = switching.transform(x -> doFocus(group)).andThen(ar -> {
            if (ar.succeeded()) {
                reached(ar.result());
            }
        });
        return switching;
    }

    /** Completes the switches asked here that wanted the group this process now follows. */
    private synchronized void reached(int group) {
        waiting.removeIf(w -> {
            if (w.getKey() == group) {
                w.getValue().tryComplete(group);
                return true;
            }
            return w.getValue().future().isComplete();
        });
    }

    private Future<Integer> doFocus(int group) {
        int previous = focused;
        if (group == previous) {
            return Future.succeededFuture(group);
        }
        Map<Integer, List<? extends RaftNode>> now = replicas.get();
        List<Integer> nodes = new ArrayList<>(now.keySet());
        List<Future<Void>> closed = new ArrayList<>();
        for (int node : nodes) {
            Gate old = gates.get(node)[previous];
            closed.add(onLoop(now.get(node).get(previous), () -> old.open = false));
        }
        return Future.join(closed).transform(x -> {
            // The grid names the new group from the switch on, not before the stream switched.
            synchronized (gates) {
                focused = group;
                // A node whose replicas are deploying has gates and is not among the replicas yet (a node joins
                // that map once all its groups run): switched here, without a captured state. Before, such a node
                // kept reporting the group followed before, and never the new one.
                gates.forEach((node, byGroup) -> {
                    if (!now.containsKey(node)) {
                        byGroup[previous].open = false;
                        byGroup[group].open = true;
                    }
                });
            }
            publisher.focusChanged(group, previous, nodes);
            List<Future<?>> opened = new ArrayList<>();
            for (int node : nodes) {
                Gate gate = gates.get(node)[group];
                opened.add(reportState(publisher, node, group, now.get(node).get(group), () -> gate.open = true));
            }
            return Future.join(opened).transform(y -> Future.succeededFuture(group));
        });
    }

    private static Future<Void> onLoop(RaftNode replica, Runnable action) {
        if (replica instanceof RaftNodeVerticle v) {
            return v.onLoop(action).otherwise(e -> {
                action.run();
                return null;
            });
        }
        action.run();
        return Future.succeededFuture();
    }

    /**
     * The grid now: every local replica's status, by node and group, summed up per group as {@code /v1/cluster}
     * does, with the number of groups each node leads.
     */
    Future<JsonObject> gather() {
        Map<Integer, List<? extends RaftNode>> now = replicas.get();
        List<Integer> nodes = new ArrayList<>(now.keySet());
        List<Future<List<NodeStatus>>> all = new ArrayList<>();
        for (int node : nodes) {
            all.add(ReplicaSet.statuses(now.get(node)));
        }
        return Future.all(all).map(done -> {
            List<JsonObject> reported = new ArrayList<>();
            for (int k = 0; k < nodes.size(); k++) {
                int node = nodes.get(k);
                JsonArray list = new JsonArray();
                boolean up = true;
                for (NodeStatus s : all.get(k).result()) {
                    up &= s.up();
                    list.add(new JsonObject().put("role", s.roleName()).put("term", s.term())
                            .put("leader", s.leader()).put("commit", s.commit()).put("quiet", s.quiesced()));
                }
                reported.add(new JsonObject().put("id", node).put("up", up).put("groups", list));
            }
            JsonArray grid = ClusterStatus.groups(reported, groups);
            JsonObject leads = new JsonObject();
            for (int node : nodes) {
                leads.put(String.valueOf(node), 0);
            }
            for (int g = 0; g < grid.size(); g++) {
                JsonObject row = grid.getJsonObject(g);
                JsonObject roles = row.getJsonObject("roles");
                for (int node : nodes) {
                    if (!roles.containsKey(String.valueOf(node))) {
                        roles.put(String.valueOf(node), "Down"); // a crashed node's replicas
                    }
                }
                int leader = row.getInteger("leader");
                if (leads.containsKey(String.valueOf(leader))) {
                    leads.put(String.valueOf(leader), leads.getInteger(String.valueOf(leader)) + 1);
                }
            }
            return new JsonObject().put("count", groups).put("focusedGroup", focused).put("focusable", canFocus)
                    .put("nodes", new JsonArray(nodes)).put("groups", grid).put("leads", leads);
        });
    }

    /** One replica's listener: hands everything to the event stream while open. */
    private final class Gate implements NodeListener {
        volatile boolean open;

        Gate(boolean open) {
            this.open = open;
        }

        @Override
        public void coreEvent(int node, long term, Role role, CoreEvent event) {
            if (open) {
                publisher.coreEvent(node, term, role, event);
            }
        }

        @Override
        public void messageSent(Message m) {
            if (open) {
                publisher.messageSent(m);
            }
        }

        @Override
        public void messageReceived(Message m) {
            if (open) {
                publisher.messageReceived(m);
            }
        }

        @Override
        public void messageDropped(Message m, String reason) {
            if (open) {
                publisher.messageDropped(m, reason);
            }
        }

        @Override
        public void entriesAppended(int node, List<Entry> entries) {
            if (open) {
                publisher.entriesAppended(node, entries);
            }
        }

        @Override
        public void committed(int node, long commit) {
            if (open) {
                publisher.committed(node, commit);
            }
        }

        @Override
        public void applied(int node, Entry entry, KvResult result) {
            if (open) {
                publisher.applied(node, entry, result);
            }
        }

        @Override
        public void snapshotTaken(int node, long index) {
            if (open) {
                publisher.snapshotTaken(node, index);
            }
        }

        @Override
        public void snapshotInstalled(int node, long index) {
            if (open) {
                publisher.snapshotInstalled(node, index);
            }
        }

        @Override
        public void crashed(int node) {
            if (open) {
                publisher.crashed(node);
            }
        }

        @Override
        public void restarted(int node, long applied) {
            if (open) {
                publisher.restarted(node, applied);
            }
        }

        @Override
        public void pausedChanged(int node, boolean paused) {
            if (open) {
                publisher.pausedChanged(node, paused);
            }
        }

        @Override
        public void frozenChanged(int node, boolean frozen) {
            if (open) {
                publisher.frozenChanged(node, frozen);
            }
        }

        @Override
        public boolean wantsQueueStats() {
            return open && publisher.wantsQueueStats();
        }

        @Override
        public void queueStats(QueueStats stats) {
            if (open) {
                publisher.queueStats(stats);
            }
        }
    }
}
