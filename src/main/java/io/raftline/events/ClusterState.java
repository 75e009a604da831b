package io.raftline.events;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The cluster as the event stream describes it: a fold of published events, so that a browser that connects
 * late starts from a {@code Snapshot} at some {@code seq} and then applies only the events after it, reaching
 * the state it would have had from the start. The browser's reducer ({@code webroot/js/reducer.js}) applies
 * the same rules to the same JSON; the two are kept in step by the browser test that compares a live page
 * with the replay of a recording.
 *
 * <p>Each node keeps only the last {@link #LOG_TAIL} log entries: enough to draw, bounded under load.
 * Not thread-safe: the publisher uses it on its own event loop.
 *
 * <p>Membership: each node's {@code MembershipChanged} reports are kept per node, and the cluster's membership
 * (who the view draws, voters and learners) is the newest one reported: the highest configuration index, and when a
 * node that held it reverts (its configuration entry was truncated) the highest one any node still holds. Until a
 * node reports a membership (old recordings), every node seen is a member, as before.
 */
public final class ClusterState implements EventSink {

    /** Log entries kept per node (the newest). */
    public static final int LOG_TAIL = 200;

    private final Map<Integer, NodeState> nodes = new TreeMap<>();
    /** The cluster's membership (the newest reported), or null before any node reported one. */
    private JsonObject membership;
    private JsonObject faults = new JsonObject();
    private long seq;
    private long ts;
    /** The configured Raft timing a {@code ClusterInfo} announced, or null. */
    private JsonObject timing;
    /** What of keys and values the events carry, as a {@code ClusterInfo} announced ({@code eventValues}), or null. */
    private String eventValues;
    /** The group the stream follows in detail, or -1 before a sharded cluster said (a cluster of one group). */
    private int focusedGroup = -1;
    /** The newest {@code GroupsState} of each process, by the nodes it covers. */
    private final Map<String, JsonObject> grids = new TreeMap<>();

    /**
     * Creates the state of a cluster that has not done anything yet.
     *
     * @param members the node ids
     */
    public ClusterState(List<Integer> members) {
        for (Integer id : members) {
            nodes.put(id, new NodeState(id));
        }
    }

    @Override
    public void accept(JsonObject e) {
        apply(e);
    }

    /**
     * Folds one published event into the state.
     *
     * @param e the event's JSON
     */
    public void apply(JsonObject e) {
        seq = e.getLong("seq", seq);
        ts = e.getLong("ts", ts);
        String type = e.getString("type", "");
        if (type.equals("ClusterInfo")) {
            if (e.getValue("raft") instanceof JsonObject t) {
                timing = t.copy();
            }
            if (e.getValue("eventValues") instanceof String v) {
                eventValues = v;
            }
            for (Object id : e.getJsonArray("members", new JsonArray())) {
                nodes.computeIfAbsent((Integer) id, NodeState::new);
            }
            return;
        }
        if (type.equals("MembershipChanged")) {
            membershipChanged(e);
            return;
        }
        if (type.equals("FaultChanged")) {
            faults = e.getJsonObject("faults", new JsonObject()).copy();
            return;
        }
        if (type.equals("GroupsState")) {
            // The newest grid of each process (the nodes it covers), for a late joiner's first frame.
            grids.put(e.getJsonArray("nodes", new JsonArray()).encode(), e.copy());
            focusedGroup = e.getInteger("focusedGroup", focusedGroup);
            return;
        }
        if (type.equals("FocusChanged")) {
            focusedGroup = e.getInteger("group", focusedGroup);
            for (Object id : e.getJsonArray("nodes", new JsonArray())) {
                NodeState n = nodes.get((Integer) id);
                if (n != null) {
                    n.forgetReplica();
                }
            }
            return;
        }
        int id = e.getInteger("node", 0);
        if (id <= 0) {
            return;
        }
        NodeState n = nodes.computeIfAbsent(id, NodeState::new);
        switch (type) {
            case "StateChange":
                n.role = e.getString("to");
                n.term = e.getLong("term");
                n.leader = e.getInteger("leader");
                break;
            case "ElectionStarted":
                if (!e.getBoolean("preVote")) {
                    n.votedFor = id;
                    n.voteTerm = e.getLong("electionTerm");
                }
                break;
            case "VoteGranted":
                if (!e.getBoolean("preVote")) {
                    n.votedFor = e.getInteger("candidate");
                    n.voteTerm = e.getLong("voteTerm");
                }
                break;
            case "LeaderElected":
                n.leader = e.getInteger("leader");
                break;
            case "LogAppended":
                n.append(e);
                break;
            case "LogCommitted":
                n.commit = e.getLong("commit");
                break;
            case "Applied":
                n.applied = e.getLong("last");
                break;
            case "SnapshotTaken":
                n.snapshotIndex = e.getLong("index");
                n.log.headMap(n.snapshotIndex, true).clear();
                break;
            case "SnapshotInstalled":
                n.snapshotIndex = e.getLong("index");
                n.log.clear();
                n.lastIndex = n.snapshotIndex;
                n.applied = n.snapshotIndex;
                n.commit = Math.max(n.commit, n.snapshotIndex);
                break;
            case "NodeCrashed":
                n.up = false;
                n.role = "Down";
                n.leader = 0;
                // A crash ends a pause and a freeze (the node clears both; no NodePaused or NodeFrozen says so).
                n.paused = false;
                n.frozen = false;
                break;
            case "NodeRestarted":
                n.up = true;
                n.paused = false;
                n.frozen = false;
                n.role = "Follower";
                n.leader = 0;
                n.applied = e.getLong("applied");
                n.commit = n.applied;
                break;
            case "NodePaused":
                n.paused = e.getBoolean("paused");
                break;
            case "NodeFrozen":
                n.frozen = e.getBoolean("frozen");
                break;
            case "ReplicaState":
                n.replica(e.getJsonObject("state", new JsonObject()));
                break;
            default:
                break;
        }
    }

    /**
     * Keeps the node's view, and makes it the cluster's membership if it is the newest (the same rule as
     * {@code reducer.js}).
     */
    private void membershipChanged(JsonObject e) {
        int id = e.getInteger("node", 0);
        if (id <= 0) {
            return;
        }
        NodeState n = nodes.computeIfAbsent(id, NodeState::new);
        long before = n.configIndex;
        long index = e.getLong("index", 0L);
        n.configIndex = index;
        n.voters = e.getJsonArray("voters", new JsonArray()).copy();
        n.learners = e.getJsonArray("learners", new JsonArray()).copy();
        boolean empty = n.voters.isEmpty() && n.learners.isEmpty();
        long current = membership == null ? -1 : membership.getLong("configIndex");
        if (!empty && index >= current) {
            membership = new JsonObject().put("configIndex", index).put("voters", n.voters.copy())
                    .put("learners", n.learners.copy())
                    .put("addresses", e.getJsonObject("addresses", new JsonObject()).copy());
        } else if (index < current && before == current) {
            // A reverted configuration: the newest one a node still holds (lowest id among equals).
            NodeState best = null;
            for (NodeState o : nodes.values()) {
                if ((!o.voters.isEmpty() || !o.learners.isEmpty()) && (best == null || o.configIndex > best.configIndex)) {
                    best = o;
                }
            }
            if (best != null && best.configIndex != current) {
                membership = new JsonObject().put("configIndex", best.configIndex).put("voters", best.voters.copy())
                        .put("learners", best.learners.copy()).put("addresses", membership.getJsonObject("addresses"));
            }
        }
        // A member no event spoke of yet (it was just added) has a fresh state, as in reducer.js.
        for (Integer member : members()) {
            nodes.computeIfAbsent(member, NodeState::new);
        }
    }

    /**
     * The ids the view draws: the voters and learners of the cluster's membership, or every node seen before any
     * membership was reported.
     *
     * @return ascending ids
     */
    public List<Integer> members() {
        if (membership == null) {
            return List.copyOf(nodes.keySet());
        }
        java.util.TreeSet<Integer> ids = new java.util.TreeSet<>();
        for (Object o : membership.getJsonArray("voters")) {
            ids.add((Integer) o);
        }
        for (Object o : membership.getJsonArray("learners")) {
            ids.add((Integer) o);
        }
        return List.copyOf(ids);
    }

    /**
     * The last folded event's sequence number.
     *
     * @return the seq, 0 before any event
     */
    public long seq() {
        return seq;
    }

    /**
     * The state as a {@code Snapshot} event the browser's reducer starts from.
     *
     * @return {@code {"type":"Snapshot","seq":S,"ts":T,"node":0,"members":[..],"nodes":[..],"faults":{..}}}, with
     *         {@code "membership":{"configIndex","voters","learners","addresses"}} once a node reported one; {@code nodes}
     *         holds every node seen (removed ones too), {@code members} only those the view draws
     */
    public JsonObject toJson() {
        JsonArray list = new JsonArray();
        for (NodeState n : nodes.values()) {
            list.add(n.toJson());
        }
        JsonObject o = new JsonObject().put("seq", seq).put("ts", ts).put("node", 0).put("term", 0).put("role", "")
                .put("type", "Snapshot").put("members", new JsonArray(members())).put("nodes", list)
                .put("faults", faults.copy());
        if (membership != null) {
            o.put("membership", membership.copy());
        }
        if (timing != null) {
            o.put("raft", timing.copy());
        }
        if (eventValues != null) {
            o.put("eventValues", eventValues);
        }
        if (focusedGroup >= 0) {
            o.put("focusedGroup", focusedGroup);
        }
        if (!grids.isEmpty()) {
            JsonArray g = new JsonArray();
            grids.values().forEach(x -> g.add(x.copy()));
            o.put("groupsStates", g);
        }
        return o;
    }

    /** One node's state. */
    private static final class NodeState {
        final int id;
        String role = "Follower";
        long term;
        int leader;
        int votedFor;
        long voteTerm;
        long commit;
        long applied;
        long lastIndex;
        long snapshotIndex;
        boolean up = true;
        boolean paused;
        boolean frozen;
        long configIndex;
        JsonArray voters = new JsonArray();
        JsonArray learners = new JsonArray();
        final TreeMap<Long, JsonObject> log = new TreeMap<>();

        NodeState(int id) {
            this.id = id;
        }

        /** The live view switched groups: nothing of the old group's replica stays (its next ReplicaState says). */
        void forgetReplica() {
            role = up ? "Follower" : "Down";
            term = 0;
            leader = 0;
            votedFor = 0;
            voteTerm = 0;
            commit = 0;
            applied = 0;
            lastIndex = 0;
            snapshotIndex = 0;
            log.clear();
        }

        /** Starts from the replica of the followed group as its node captured it. */
        void replica(JsonObject s) {
            role = s.getString("role", role);
            term = s.getLong("term", 0L);
            leader = s.getInteger("leader", 0);
            votedFor = s.getInteger("votedFor", 0);
            voteTerm = s.getLong("voteTerm", 0L);
            commit = s.getLong("commit", 0L);
            applied = s.getLong("applied", 0L);
            lastIndex = s.getLong("lastIndex", 0L);
            snapshotIndex = s.getLong("snapshotIndex", 0L);
            up = s.getBoolean("up", up);
            paused = s.getBoolean("paused", paused);
            frozen = s.getBoolean("frozen", frozen);
            log.clear();
            for (Object o : s.getJsonArray("log", new JsonArray())) {
                JsonObject en = (JsonObject) o;
                log.put(en.getLong("i"), en.copy());
            }
            log.headMap(lastIndex - LOG_TAIL, true).clear();
        }

        /** Entries from {@code first} on are replaced, as the node's log replaced them. */
        void append(JsonObject e) {
            long first = e.getLong("first");
            long last = e.getLong("last");
            log.tailMap(first, true).clear();
            Map<Long, JsonObject> given = new TreeMap<>();
            for (Object o : e.getJsonArray("entries", new JsonArray())) {
                JsonObject en = (JsonObject) o;
                given.put(en.getLong("i"), en);
            }
            JsonArray runs = e.getJsonArray("terms", new JsonArray());
            for (long i = Math.max(first, last - LOG_TAIL + 1); i <= last; i++) {
                JsonObject en = given.get(i);
                log.put(i, en != null ? en.copy() : new JsonObject().put("i", i).put("t", termAt(runs, i)).put("op", "elided"));
            }
            lastIndex = last;
            log.headMap(last - LOG_TAIL, true).clear();
        }

        private static long termAt(JsonArray runs, long index) {
            long t = 0;
            for (Object o : runs) {
                JsonArray run = (JsonArray) o;
                if (run.getLong(0) <= index) {
                    t = run.getLong(1);
                }
            }
            return t;
        }

        JsonObject toJson() {
            JsonArray entries = new JsonArray();
            for (JsonObject en : log.values()) {
                entries.add(en.copy());
            }
            return new JsonObject().put("id", id).put("role", role).put("term", term).put("leader", leader)
                    .put("votedFor", votedFor).put("voteTerm", voteTerm).put("commit", commit).put("applied", applied)
                    .put("lastIndex", lastIndex).put("snapshotIndex", snapshotIndex).put("up", up).put("paused", paused)
                    .put("frozen", frozen).put("configIndex", configIndex).put("voters", voters.copy())
                    .put("learners", learners.copy()).put("log", entries);
        }
    }
}
