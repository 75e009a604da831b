package io.raftline.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.kv.KvCodec;
import io.raftline.kv.KvCommand;
import io.raftline.raft.Entry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClusterStateTest {

    private long seq;

    private JsonObject published(RaftEvent e) {
        EventHeader h = e.header();
        return EventJson.toJson(e.withHeader(new EventHeader(++seq, h.ts(), h.node(), h.term(), h.role())));
    }

    private static EventHeader at(int node) {
        return new EventHeader(0, 1, node, 0, "");
    }

    private static List<Entry> puts(long from, long to, long term) {
        List<Entry> es = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            es.add(Entry.normal(i, term, KvCodec.encode(new KvCommand.Put("k" + i, "v".getBytes(StandardCharsets.UTF_8)))));
        }
        return es;
    }

    private static JsonObject node(JsonObject snapshot, int id) {
        for (Object o : snapshot.getJsonArray("nodes")) {
            if (((JsonObject) o).getInteger("id") == id) {
                return (JsonObject) o;
            }
        }
        throw new AssertionError("no node " + id);
    }

    @Test
    void keepsTheLogTailWithEveryTermEvenWhenEntriesWereElided() {
        ClusterState s = new ClusterState(List.of(1, 2, 3));
        s.apply(published(new RaftEvent.LogAppended(at(1), puts(1, 300, 2))));
        JsonArray log = node(s.toJson(), 1).getJsonArray("log");
        assertThat(log).hasSize(ClusterState.LOG_TAIL);
        assertThat(log.getJsonObject(0).getLong("i")).isEqualTo(101);
        assertThat(log.getJsonObject(0).getString("op")).isEqualTo("elided");
        assertThat(log.getJsonObject(0).getLong("t")).isEqualTo(2);
        assertThat(log.getJsonObject(199).getString("key")).isEqualTo("k300");
        assertThat(node(s.toJson(), 1).getLong("lastIndex")).isEqualTo(300);
    }

    @Test
    void appendedEntriesReplaceTheSuffixAndSnapshotsCompact() {
        ClusterState s = new ClusterState(List.of(1, 2, 3));
        s.apply(published(new RaftEvent.LogAppended(at(2), puts(1, 10, 1))));
        s.apply(published(new RaftEvent.LogAppended(at(2), puts(8, 8, 3))));
        JsonObject n = node(s.toJson(), 2);
        assertThat(n.getLong("lastIndex")).isEqualTo(8);
        assertThat(n.getJsonArray("log")).hasSize(8);
        assertThat(n.getJsonArray("log").getJsonObject(7).getLong("t")).isEqualTo(3);
        s.apply(published(new RaftEvent.SnapshotTaken(at(2), 5)));
        n = node(s.toJson(), 2);
        assertThat(n.getLong("snapshotIndex")).isEqualTo(5);
        assertThat(n.getJsonArray("log").getJsonObject(0).getLong("i")).isEqualTo(6);
    }

    @Test
    void rolesVotesAndFaultsFollowTheEvents() {
        ClusterState s = new ClusterState(List.of(1, 2, 3));
        s.apply(published(new RaftEvent.ElectionStarted(new EventHeader(0, 1, 1, 2, "Candidate"), 2, false, false)));
        s.apply(published(new RaftEvent.VoteGranted(new EventHeader(0, 1, 2, 2, "Follower"), 1, 2, false)));
        s.apply(published(new RaftEvent.StateChange(new EventHeader(0, 1, 1, 2, "Leader"), "Candidate", "Leader", 1, "won")));
        s.apply(published(new RaftEvent.LogCommitted(at(1), 4)));
        s.apply(published(new RaftEvent.NodeCrashed(at(3))));
        s.apply(published(new RaftEvent.FaultChanged(new EventHeader(0, 1, 0, 0, ""), new JsonObject().put("dropRate", 0.1))));
        JsonObject snap = s.toJson();
        assertThat(snap.getString("type")).isEqualTo("Snapshot");
        assertThat(snap.getLong("seq")).isEqualTo(6);
        assertThat(node(snap, 1).getString("role")).isEqualTo("Leader");
        assertThat(node(snap, 1).getInteger("votedFor")).isEqualTo(1);
        assertThat(node(snap, 1).getLong("commit")).isEqualTo(4);
        assertThat(node(snap, 2).getInteger("votedFor")).isEqualTo(1);
        assertThat(node(snap, 3).getString("role")).isEqualTo("Down");
        assertThat(node(snap, 3).getBoolean("up")).isFalse();
        assertThat(snap.getJsonObject("faults").getDouble("dropRate")).isEqualTo(0.1);
        s.apply(published(new RaftEvent.NodeRestarted(at(3), 3)));
        assertThat(node(s.toJson(), 3).getString("role")).isEqualTo("Follower");
        assertThat(node(s.toJson(), 3).getLong("commit")).isEqualTo(3);
    }

    /**
     * A crash ends a pause and a freeze (NodeHost.stop and RaftNodeVerticle.crash clear them, and no NodePaused or
     * NodeFrozen says so): a late joiner must see a crashed node as down, not as down and still paused or frozen.
     */
    @Test
    void aCrashEndsAPauseAndAFreeze() {
        ClusterState s = new ClusterState(List.of(1, 2, 3));
        s.apply(published(new RaftEvent.NodePaused(at(3), true)));
        s.apply(published(new RaftEvent.NodeFrozen(at(2), true)));
        s.apply(published(new RaftEvent.NodeCrashed(at(3))));
        s.apply(published(new RaftEvent.NodeCrashed(at(2))));
        JsonObject snap = s.toJson();
        assertThat(node(snap, 3).getBoolean("up")).isFalse();
        assertThat(node(snap, 3).getBoolean("paused")).isFalse();
        assertThat(node(snap, 2).getBoolean("frozen")).isFalse();
    }

    private static RaftEvent.MembershipChanged membership(int node, long index, List<Integer> voters,
            List<Integer> learners) {
        return new RaftEvent.MembershipChanged(at(node), index, voters, learners,
                learners.isEmpty() ? Map.of() : Map.of(learners.get(0), "http://127.0.0.1:808" + learners.get(0)),
                "configuration entry at " + index + " appended");
    }

    @Test
    void membersFollowTheNewestMembershipSoNodesAddedAtRuntimeAreListedAndRemovedOnesAreNot() {
        ClusterState s = new ClusterState(List.of(1, 2, 3));
        for (int id = 1; id <= 3; id++) {
            s.apply(published(membership(id, 0, List.of(1, 2, 3), List.of())));
        }
        // Node 4 starts waiting to join: its own (empty) membership changes nothing, its events keep its state.
        s.apply(published(membership(4, 0, List.of(), List.of())));
        s.apply(published(new RaftEvent.StateChange(at(4), "Follower", "Follower", 0, "start")));
        assertThat(s.members()).containsExactly(1, 2, 3);

        s.apply(published(membership(1, 5, List.of(1, 2, 3), List.of(4))));
        JsonObject snap = s.toJson();
        assertThat(snap.getJsonArray("members").encode()).isEqualTo("[1,2,3,4]");
        assertThat(snap.getJsonObject("membership").encode()).isEqualTo("{\"configIndex\":5,\"voters\":[1,2,3],"
                + "\"learners\":[4],\"addresses\":{\"4\":\"http://127.0.0.1:8084\"}}");
        assertThat(node(snap, 1).getJsonArray("learners").encode()).isEqualTo("[4]");
        assertThat(node(snap, 2).getLong("configIndex")).isZero();
        // A node that has not caught up yet reports an older membership: the newest stays.
        s.apply(published(membership(2, 0, List.of(1, 2, 3), List.of())));
        assertThat(s.members()).containsExactly(1, 2, 3, 4);

        s.apply(published(membership(2, 6, List.of(1, 2, 3, 4), List.of())));
        s.apply(published(membership(1, 7, List.of(1, 2, 4), List.of())));
        snap = s.toJson();
        assertThat(snap.getJsonArray("members").encode()).isEqualTo("[1,2,4]");
        assertThat(snap.getJsonObject("membership").getJsonArray("voters").encode()).isEqualTo("[1,2,4]");
        // The removed node's state is kept (a replay and a late joiner agree on it), it is just not a member.
        assertThat(node(snap, 3).getInteger("id")).isEqualTo(3);
        assertThat(node(snap, 4).getString("role")).isEqualTo("Follower");
    }

    @Test
    void aTruncatedConfigurationRevertsToTheNewestOneANodeStillHolds() {
        ClusterState s = new ClusterState(List.of(1, 2, 3));
        s.apply(published(membership(1, 0, List.of(1, 2, 3), List.of())));
        s.apply(published(membership(2, 4, List.of(1, 2, 3), List.of(4))));
        s.apply(published(membership(3, 9, List.of(1, 2, 3, 4), List.of())));
        assertThat(s.members()).containsExactly(1, 2, 3, 4);
        // Node 3's uncommitted promotion was overwritten by a new leader: it reverts to the learner configuration.
        s.apply(published(new RaftEvent.MembershipChanged(at(3), 4, List.of(1, 2, 3), List.of(4), Map.of(),
                "configuration at 9 truncated, back to the one at 4")));
        JsonObject m = s.toJson().getJsonObject("membership");
        assertThat(m.getLong("configIndex")).isEqualTo(4);
        assertThat(m.getJsonArray("learners").encode()).isEqualTo("[4]");
        s.apply(published(membership(2, 0, List.of(1, 2, 3), List.of())));
        s.apply(published(membership(3, 0, List.of(1, 2, 3), List.of())));
        assertThat(s.members()).containsExactly(1, 2, 3);
    }

    @Test
    void withoutAnyMembershipEveryNodeSeenIsAMember() {
        ClusterState s = new ClusterState(List.of(1, 2, 3));
        s.apply(published(new RaftEvent.NodeCrashed(at(5))));
        assertThat(s.members()).containsExactly(1, 2, 3, 5);
        assertThat(s.toJson().containsKey("membership")).isFalse();
        // A member added before it said anything is drawn with a fresh state.
        s.apply(published(membership(1, 3, List.of(1, 2, 3), List.of(9))));
        assertThat(s.members()).containsExactly(1, 2, 3, 9);
        assertThat(node(s.toJson(), 9).getString("role")).isEqualTo("Follower");
    }
    /** A replica of group {@code g} as its node captured it: Leader of term 4 with the given log. */
    private static io.raftline.node.NodeHost.ReplicaView replica(int id, List<Entry> log) {
        long last = log.isEmpty() ? 0 : log.get(log.size() - 1).index();
        io.raftline.node.NodeStatus s = new io.raftline.node.NodeStatus(id, true, false, io.raftline.raft.Role.LEADER, 4,
                id, last, last, last, 0, 0, io.raftline.node.StorageStats.MEMORY, false, false, null, 0, Map.of(), last);
        return new io.raftline.node.NodeHost.ReplicaView(s, id, log);
    }

    @Test
    void aFocusSwitchForgetsTheOldGroupsReplicasAndStartsFromTheNewOnesStates() {
        ClusterState s = new ClusterState(List.of(1, 2, 3));
        s.apply(published(new RaftEvent.LogAppended(at(1), puts(1, 9, 2))));
        s.apply(published(new RaftEvent.LogCommitted(at(1), 9)));
        s.apply(published(new RaftEvent.GroupsState(at(0), new JsonObject().put("count", 4).put("focusedGroup", 0)
                .put("nodes", new JsonArray().add(1).add(2).add(3)).put("groups", new JsonArray()))));
        assertThat(s.toJson().getInteger("focusedGroup")).isZero();

        s.apply(published(new RaftEvent.FocusChanged(at(0), 3, 0, List.of(1, 2, 3))));
        JsonObject forgotten = node(s.toJson(), 1);
        assertThat(forgotten.getJsonArray("log")).isEmpty();
        assertThat(forgotten.getLong("commit")).isZero();
        assertThat(forgotten.getLong("lastIndex")).isZero();
        assertThat(s.toJson().getInteger("focusedGroup")).isEqualTo(3);

        s.apply(published(new RaftEvent.ReplicaState(at(1), 3, replica(1, puts(1, 2, 4)))));
        JsonObject n1 = node(s.toJson(), 1);
        assertThat(n1.getString("role")).isEqualTo("Leader");
        assertThat(n1.getLong("term")).isEqualTo(4);
        assertThat(n1.getInteger("votedFor")).isEqualTo(1);
        assertThat(n1.getLong("commit")).isEqualTo(2);
        assertThat(n1.getLong("lastIndex")).isEqualTo(2);
        assertThat(n1.getJsonArray("log")).hasSize(2);
        assertThat(n1.getJsonArray("log").getJsonObject(1).getString("key")).isEqualTo("k2");
        assertThat(n1.getJsonArray("log").getJsonObject(1).getLong("t")).isEqualTo(4);
        // The grids of each process are kept for a late joiner.
        assertThat(s.toJson().getJsonArray("groupsStates")).hasSize(1);
    }

    @Test
    void aSnapshotSaysWhatTheEventsLeaveOut() {
        ClusterState s = new ClusterState(List.of(1, 2, 3));
        assertThat(s.toJson().containsKey("eventValues")).isFalse();
        s.apply(new EventJson.Mapper(EventValues.HIDE).toJson(new RaftEvent.ClusterInfo(
                new EventHeader(1, 1, 0, 0, ""), List.of(1, 2, 3), null)));
        assertThat(s.toJson().getString("eventValues")).isEqualTo("hide");
    }

    @Test
    void aReplicaStateHidesValuesWhenSoConfigured() {
        RaftEvent e = new RaftEvent.ReplicaState(new EventHeader(1, 1, 1, 4, "Leader"), 2, replica(1, puts(1, 2, 4)));
        JsonArray hidden = new EventJson.Mapper(EventValues.HIDE).toJson(e).getJsonObject("state").getJsonArray("log");
        assertThat(hidden.getJsonObject(0).containsKey("value")).isFalse();
        assertThat(hidden.getJsonObject(0).getString("key")).isEqualTo("k1");
        JsonArray shown = new EventJson.Mapper(EventValues.SHOW).toJson(e).getJsonObject("state").getJsonArray("log");
        assertThat(shown.getJsonObject(0).getString("value")).isEqualTo("v");
    }
}
