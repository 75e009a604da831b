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
}
