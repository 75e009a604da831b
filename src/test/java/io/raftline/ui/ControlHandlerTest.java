package io.raftline.ui;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.TestHttp;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Commands on {@code raft.control}: invalid ones are refused with a reason and change nothing. */
class ControlHandlerTest {

    private static InJvmCluster cluster;

    @BeforeAll
    static void start() throws Exception {
        cluster = InJvmCluster.builder(ClusterConfigs.cluster(3, 7).put("storage", new JsonObject()
                .put("engine", "memory"))).start();
        cluster.awaitLeader(Duration.ofSeconds(10));
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static JsonObject send(JsonObject cmd) throws Exception {
        return await(cluster.vertx().eventBus().<JsonObject>request(ControlHandler.ADDRESS, cmd, new DeliveryOptions()
                .setSendTimeout(10_000)), Duration.ofSeconds(15)).body();
    }

    private static JsonObject cmd(String action) {
        return new JsonObject().put("action", action);
    }

    private static void assertRefused(JsonObject cmd, String error, String mentions) throws Exception {
        String before = cluster.verticle().faults().networkState().encode();
        JsonObject r = send(cmd);
        assertThat(r.getBoolean("ok")).as(cmd.encode()).isFalse();
        assertThat(r.getString("error")).as(cmd.encode()).isEqualTo(error);
        assertThat(r.getString("message")).as(cmd.encode()).contains(mentions);
        assertThat(cluster.verticle().faults().networkState().encode()).isEqualTo(before);
    }

    @Test
    void invalidCommandsAreRefusedWithTheProblemNamed() throws Exception {
        assertRefused(new JsonObject(), "missing_field", "action");
        assertRefused(cmd("explode"), "unknown_action", "explode");
        assertRefused(cmd("crash"), "missing_field", "node");
        assertRefused(cmd("crash").put("node", "1"), "invalid_field", "integer");
        assertRefused(cmd("crash").put("node", 4), "unknown_node", "node 4");
        assertRefused(cmd("heal").put("force", true), "unknown_field", "force");
        assertRefused(cmd("partition").put("groups", new JsonArray("[[1,2],[2,3]]")), "invalid_field", "more than one group");
        assertRefused(cmd("partition").put("groups", new JsonArray("[[1,2],[7]]")), "unknown_node", "unknown node id 7");
        assertRefused(cmd("network").put("dropRate", 1.5), "invalid_field", "dropRate");
        assertRefused(cmd("link").put("from", 1).put("to", 1), "invalid_field", "different");
        assertRefused(cmd("link").put("from", 1).put("to", 2).put("delayMs", new JsonArray("[50,10]")), "invalid_field",
                "delayMs");
        assertRefused(cmd("put").put("value", "x"), "missing_field", "key");
        assertRefused(cmd("put").put("key", "").put("value", "x"), "invalid_field", "key");
        assertRefused(cmd("transfer"), "missing_field", "to");
        assertRefused(cmd("transfer").put("to", 9), "unknown_node", "node 9");
        JsonObject notAnObject = await(cluster.vertx().eventBus().<JsonObject>request(ControlHandler.ADDRESS, "crash"),
                Duration.ofSeconds(5)).body();
        assertThat(notAnObject.getString("error")).isEqualTo("bad_request");
    }

    @Test
    void faultCommandsChangeTheFaultStateAndHealUndoesThem() throws Exception {
        JsonObject r = send(cmd("partition").put("groups", new JsonArray("[[1,2],[3]]")));
        assertThat(r.getBoolean("ok")).isTrue();
        assertThat(r.getJsonObject("faults").getJsonArray("partitions").encode()).isEqualTo("[[1,2],[3]]");
        r = send(cmd("link").put("from", 1).put("to", 2).put("dropRate", 0.25).put("delayMs", new JsonArray("[20,40]")));
        assertThat(r.getJsonObject("faults").getJsonArray("links").encode()).isEqualTo(
                "[{\"from\":1,\"to\":2,\"dropRate\":0.25,\"delayMs\":[20,40]},"
                        + "{\"from\":2,\"to\":1,\"dropRate\":0.25,\"delayMs\":[20,40]}]");
        r = send(cmd("network").put("delayMs", 5));
        assertThat(r.getJsonObject("faults").getJsonArray("delayMs").encode()).isEqualTo("[5,5]");
        r = send(cmd("heal"));
        assertThat(r.getJsonObject("faults").getJsonArray("partitions")).isEmpty();
        assertThat(r.getJsonObject("faults").getJsonArray("links")).isEmpty();
        assertThat(r.getJsonObject("faults").getDouble("dropRate")).isZero();
    }

    @Test
    void transferHandsLeadershipToTheChosenNode() throws Exception {
        int leader = cluster.awaitLeader(Duration.ofSeconds(10));
        int target = leader % 3 + 1;
        JsonObject r = send(cmd("transfer").put("to", target));
        assertThat(r.getBoolean("ok")).as(r.encode()).isTrue();
        assertThat(r.getInteger("from")).isEqualTo(leader);
        eventually("node " + target + " leads after the transfer", Duration.ofSeconds(10),
                () -> cluster.awaitLeader(Duration.ofSeconds(10)) == target);
        JsonObject again = send(cmd("transfer").put("to", target));
        assertThat(again.getString("error")).isEqualTo("invalid_field");
    }

    @Test
    void writesGoToTheLeaderFromAnyNode() throws Exception {
        int leader = cluster.awaitLeader(Duration.ofSeconds(10));
        int follower = leader % 3 + 1;
        JsonObject r = send(cmd("put").put("key", "color").put("value", "blue").put("node", follower));
        assertThat(r.getBoolean("ok")).as(r.encode()).isTrue();
        assertThat(r.getLong("revision")).isPositive();
        r = send(cmd("delete").put("key", "color"));
        assertThat(r.getBoolean("ok")).as(r.encode()).isTrue();
        assertThat(r.getString("result")).isEqualTo("1");
    }

    private static int adminStatus(String method, String path) throws Exception {
        java.net.http.HttpClient http = TestHttp.builder().build();
        java.net.http.HttpRequest req = java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(cluster.verticle().adminUrl() + path))
                .method(method, java.net.http.HttpRequest.BodyPublishers.noBody()).build();
        return http.send(req, java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void aNodeAddedFromTheLiveViewJoinsTakesFaultsAndLeavesWhenRemoved() throws Exception {
        JsonObject added = send(cmd("addNode"));
        assertThat(added.getBoolean("ok")).as(added.encode()).isTrue();
        int id = added.getInteger("id");
        assertThat(id).isGreaterThan(3);
        assertThat(added.getString("url")).startsWith("http://");
        assertThat(added.getJsonArray("members").encode()).contains("{\"id\":" + id + ",\"role\":\"voter\"}");
        assertThat(cluster.verticle().nodes()).containsKey(id);

        // The late joiner's snapshot lists it, and faults reach it: through the control channel and the admin API.
        JsonObject snapshot = send(cmd("state")).getJsonObject("snapshot");
        assertThat(snapshot.getJsonArray("members").contains(id)).as("lists node " + id).isTrue();
        assertThat(snapshot.getJsonObject("membership").getJsonArray("voters").contains(id)).as("lists node " + id).isTrue();
        JsonObject paused = send(cmd("pause").put("node", id));
        assertThat(paused.getBoolean("ok")).as(paused.encode()).isTrue();
        assertThat(paused.getJsonObject("faults").getJsonArray("pausedNodes").contains(id)).as("lists node " + id).isTrue();
        assertThat(send(cmd("resume").put("node", id)).getBoolean("ok")).isTrue();
        JsonObject cut = send(cmd("partition").put("groups", new JsonArray().add(new JsonArray().add(1).add(2))
                .add(new JsonArray().add(3).add(id))));
        assertThat(cut.getBoolean("ok")).as(cut.encode()).isTrue();
        assertThat(send(cmd("heal")).getBoolean("ok")).isTrue();
        assertThat(adminStatus("POST", "/v1/admin/nodes/" + id + "/pause")).isEqualTo(200);
        assertThat(adminStatus("POST", "/v1/admin/nodes/" + id + "/resume")).isEqualTo(200);

        JsonObject removed = send(cmd("removeNode").put("node", id));
        assertThat(removed.getBoolean("ok")).as(removed.encode()).isTrue();
        assertThat(removed.getInteger("removed")).isEqualTo(id);
        assertThat(removed.getJsonArray("members").encode()).doesNotContain("\"id\":" + id + ",");
        assertThat(cluster.verticle().nodes()).doesNotContainKey(id);
        assertRefused(cmd("crash").put("node", id), "unknown_node", "node " + id);
        assertThat(adminStatus("POST", "/v1/admin/nodes/" + id + "/pause")).isEqualTo(404);
        eventually("the snapshot no longer lists node " + id, Duration.ofSeconds(10),
                () -> !send(cmd("state")).getJsonObject("snapshot").getJsonArray("members").contains(id));
        cluster.awaitLeader(Duration.ofSeconds(10));
    }

    @Test
    void membershipCommandsAreValidatedAndRefusalsNamed() throws Exception {
        assertRefused(cmd("addNode").put("node", 4), "unknown_field", "node");
        assertRefused(cmd("removeNode"), "missing_field", "node");
        assertRefused(cmd("removeNode").put("node", 42), "unknown_node", "node 42");
        assertRefused(cmd("removeNode").put("node", "2"), "invalid_field", "integer");
    }
}
