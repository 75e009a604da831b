package io.raftline.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.raftline.config.RaftlineConfig;
import io.raftline.raft.Membership;
import io.raftline.verify.nemesis.FreePorts;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link BusPeers}: the processes of members that replaced every configured node find each other on the clustered
 * event bus after a restart, through the addresses recorded in their data directories; a node that finds no other
 * voter of a group on the bus says so in an ERROR naming them, at most once a minute.
 */
class BusPeersTest {

    private final List<HazelcastInstance> started = new ArrayList<>();

    @AfterEach
    void stop() {
        started.forEach(HazelcastInstance::shutdown);
    }

    /**
     * Nodes 5 and 6 joined a cluster of nodes 1-3 as {@code conf/node-4.json} does: each file lists nodes 1-3 and
     * itself. Nodes 1-3 are gone. Restarted, they meet through what node 6 recorded of node 5; before, each formed a
     * Hazelcast cluster of its own and no leader was ever elected.
     */
    @Test
    void replacementsOfEveryConfiguredNodeMeetThroughTheRecordedAddresses(@TempDir Path dir) throws Exception {
        JsonArray old = new JsonArray();
        for (int id = 1; id <= 3; id++) {
            old.add(new JsonObject().put("id", id).put("http_port", FreePorts.next()).put("bus_port", FreePorts.next())
                    .put("data_dir", dir.resolve("node-" + id).toString()));
        }
        JsonObject five = node(5, dir);
        JsonObject six = node(6, dir);
        Files.createDirectories(dir.resolve("node-6"));
        BusPeers.write(dir.resolve("node-6"), Map.of(5, "127.0.0.1:" + five.getInteger("bus_port")));

        HazelcastInstance a = start(config(old, five));
        HazelcastInstance b = start(config(old, six));

        assertThat(a.getCluster().getMembers()).hasSize(2);
        assertThat(b.getCluster().getMembers()).hasSize(2);
        assertThat(Clustering.joinAddresses(config(old, six)))
                .endsWith("127.0.0.1:" + six.getInteger("bus_port"), "127.0.0.1:" + five.getInteger("bus_port"));
    }

    /** What is recorded: the current members seen on the bus, without this node; a removed member leaves. */
    @Test
    void recordsTheCurrentMembersSeenOnTheBus(@TempDir Path dir) throws Exception {
        Map<Integer, Membership> groups = Map.of(0, Membership.ofVoters(List.of(1, 4, 5)));
        BusPeers peers = new BusPeers(4, dir, Map::of, List.of(), () -> groups);
        peers.observe(Map.of(1, "127.0.0.1:5701", 4, "127.0.0.1:5704", 5, "127.0.0.1:5705"), groups, 0);
        assertThat(peers.toRecord(groups)).isEqualTo(Map.of(1, "127.0.0.1:5701", 5, "127.0.0.1:5705"));
        assertThat(peers.toRecord(Map.of(0, Membership.ofVoters(List.of(4, 5, 6)), 1,
                new Membership(List.of(4, 5, 6), List.of(7))))).isEqualTo(Map.of(5, "127.0.0.1:5705"));

        BusPeers.write(dir, peers.toRecord(groups));
        assertThat(BusPeers.read(dir)).isEqualTo(Map.of(1, "127.0.0.1:5701", 5, "127.0.0.1:5705"));
        // A restarted process starts from the record: node 5 is recorded still while it is not on the bus.
        BusPeers again = new BusPeers(4, dir, Map::of, List.of(), () -> groups);
        again.observe(Map.of(4, "127.0.0.1:5704"), groups, 0);
        assertThat(again.toRecord(groups)).containsEntry(5, "127.0.0.1:5705");
        Files.writeString(dir.resolve(BusPeers.FILE), "garbled\n");
        assertThat(BusPeers.read(dir)).isEmpty();
    }

    /**
     * No other voter of group 1 on the bus for {@link BusPeers#SILENT_ERROR_MS}: one ERROR naming them and the
     * addresses joined through, then none for a minute; none for a group one of whose voters is there.
     */
    @Test
    void saysWhenNoOtherVoterOfAGroupIsOnTheBus() {
        Map<Integer, Membership> groups = Map.of(0, Membership.ofVoters(List.of(4, 5, 6)), 1,
                Membership.ofVoters(List.of(4, 5, 6)));
        BusPeers peers = new BusPeers(4, null, Map::of, List.of("127.0.0.1:5701", "127.0.0.1:5705"), () -> groups);
        Map<Integer, String> alone = Map.of(4, "127.0.0.1:5704");
        assertThat(peers.observe(alone, groups, 1_000)).isNull();
        assertThat(peers.observe(alone, groups, 1_000 + BusPeers.SILENT_ERROR_MS - 1)).isNull();
        String error = peers.observe(alone, groups, 1_000 + BusPeers.SILENT_ERROR_MS);
        assertThat(error).contains("no other voter of groups [0, 1] (voters [5, 6])")
                .contains("joined through [127.0.0.1:5701, 127.0.0.1:5705]").contains("finds no other process");
        assertThat(peers.observe(alone, groups, 2_000 + BusPeers.SILENT_ERROR_MS)).isNull();
        assertThat(peers.observe(alone, groups, 1_000 + BusPeers.SILENT_ERROR_MS + BusPeers.ERROR_EVERY_MS))
                .isNotNull();

        BusPeers other = new BusPeers(4, null, Map::of, List.of(), () -> groups);
        Map<Integer, String> withFive = Map.of(4, "127.0.0.1:5704", 5, "127.0.0.1:5705");
        assertThat(other.observe(withFive, groups, 0)).isNull();
        assertThat(other.observe(withFive, groups, 10 * BusPeers.SILENT_ERROR_MS)).isNull();
        Map<Integer, Membership> single = Map.of(0, Membership.ofVoters(List.of(4)));
        assertThat(other.observe(alone, single, 20 * BusPeers.SILENT_ERROR_MS)).isNull();
    }

    private static JsonObject node(int id, Path dir) throws Exception {
        return new JsonObject().put("id", id).put("http_port", FreePorts.next()).put("bus_port", FreePorts.next())
                .put("data_dir", dir.resolve("node-" + id).toString()).put("join", true);
    }

    private static RaftlineConfig config(JsonArray old, JsonObject self) {
        return RaftlineConfig.fromJson(new JsonObject().put("cluster_name", "bus-peers-test")
                .put("http_host", "127.0.0.1").put("nodes", old.copy().add(self)).put("node_id", self.getInteger("id"))
                .put("storage", new JsonObject().put("engine", "durable")));
    }

    private HazelcastInstance start(RaftlineConfig config) {
        HazelcastInstance hz = Hazelcast.newHazelcastInstance(Clustering.hazelcastConfig(config));
        started.add(hz);
        return hz;
    }
}
