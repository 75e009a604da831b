package io.raftline.server;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.TestHttp;
import io.raftline.config.RaftlineConfig;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.FreePorts;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sharded cluster on the gRPC transport, one node per Vert.x instance with its own configuration (as one node per
 * process runs), learns the address of a member added at runtime from whichever group's membership records it, not
 * from group 0's alone. A node that is a member of some group but not of group 0 ({@code ?group=g}, or a sharded change
 * that stopped before group 0) was otherwise unknown to the processes that did not run it: the group's leader could
 * neither send to it (no address) nor take its answers (not a known node).
 */
class ShardedMemberAddressTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    /** The Vert.x instance of each node, by id. */
    private final Map<Integer, Vertx> instances = new TreeMap<>();
    private final Map<Integer, Integer> ports = new TreeMap<>();
    private final HttpClient http = TestHttp.builder().connectTimeout(Duration.ofSeconds(5)).build();
    private JsonObject base;
    private URI node1;

    @AfterEach
    void stop() throws Exception {
        for (Vertx v : instances.values()) {
            await(v.close(), WAIT);
        }
    }

    @Test
    void aNodeAddedToOneGroupOnlyIsReachedByThatGroupsLeaderAndPromotedAndNotAddedAgainAsALearner() throws Exception {
        startWithJoiningNode4();
        eventually("node 4 added as a learner of group 1", WAIT, () -> {
            // A retry after an answer that was lost may find the change made already.
            HttpResponse<String> r = post(node1, "/v1/members?group=1", add4());
            return r.statusCode() == 200 || r.body().contains("is already a learner");
        });
        // Group 0 does not have node 4: what every process knows of it comes from group 1's membership.
        eventually("group 1's leader to bring learner 4 up to date and promote it", WAIT, () -> {
            HttpResponse<String> r = post(node1, "/v1/members/4/promote?group=1", "");
            return r.statusCode() == 200 || r.body().contains("already a voter");
        });
        assertThat(voters(1)).containsExactly(1, 2, 3, 4);

        // Adding node 4 as a learner of every group: group 1 has it as a voter, which is not the change asked for. It
        // was counted as a group that has the change, group 0 took node 4 as a learner and the answer was 200, node 4
        // a voter in one group and a learner in the other.
        HttpResponse<String> asLearner = post(node1, "/v1/members", add4());
        assertThat(asLearner.statusCode()).as(asLearner.body()).isEqualTo(409);
        assertThat(new JsonObject(asLearner.body()).getString("message"))
                .contains("group 1 refused").contains("node 4 is already a voter");
        assertThat(members(0)).doesNotContain(4);
    }

    /**
     * Node 4 is a voter of both groups, then leaves group 0 only; nodes 1 to 3 restart. What they learn of node 4 at
     * start comes from group 1's recovered membership: group 0's no longer lists it.
     */
    @Test
    void aRestartedNodeReachesAMemberThatGroupZeroNoLongerLists() throws Exception {
        startWithJoiningNode4();
        makeNode4AVoterOfEveryGroup();
        removeNode4From(0);
        for (int id = 1; id <= 3; id++) {
            await(instances.remove(id).close(), WAIT);
        }
        for (int id = 1; id <= 3; id++) {
            deploy(id, base.copy().put("node_id", id));
        }
        assertThat(voters(1)).containsExactly(1, 2, 3, 4);
        // Group 1's leader (one of nodes 1-3, or node 4 itself, reached through node 1) hears node 4 acknowledge its
        // whole log.
        eventually("group 1's leader to hear node 4 acknowledge its log after the restart", WAIT, () -> {
            HttpResponse<String> r = get(node1, "/v1/members?group=1");
            for (Object m : new JsonObject(r.body()).getJsonArray("members")) {
                JsonObject member = (JsonObject) m;
                if (member.getInteger("id") == 4) {
                    return member.getLong("match", 0L) > 0 && member.getLong("lag", 1L) == 0;
                }
            }
            return false;
        });
    }

    /**
     * Node 4 is a member of every group, is removed from every group and stopped, and comes back at another port (a
     * new process with empty storage) as a learner of group 1 only. Group 0 no longer lists it, so where the other
     * processes reach it is group 1's to say. Regression: the directory of addresses never dropped one, and group 0's
     * (the old port) won over group 1's: group 1's leader sent to a port no one listened on, the learner never caught
     * up and its promotion was refused for ever.
     */
    @Test
    void aNodeRemovedFromEveryGroupAndReaddedElsewhereToOneGroupIsReachedAtItsNewAddress() throws Exception {
        startWithJoiningNode4();
        eventually("node 4 added as a learner of every group", WAIT, () -> {
            HttpResponse<String> r = post(node1, "/v1/members", add4());
            return r.statusCode() == 200 || r.body().contains("is already a learner");
        });
        eventually("node 4 removed from every group", WAIT, () -> {
            HttpResponse<String> r = send(node1, "/v1/members/4", "DELETE", "");
            return r.statusCode() == 200 || r.body().contains("unknown_member");
        });
        assertThat(members(0)).doesNotContain(4);
        assertThat(members(1)).doesNotContain(4);
        await(instances.remove(4).close(), WAIT);

        ports.put(4, FreePorts.next());
        JsonObject again = base.copy().put("node_id", 4);
        again.getJsonArray("nodes").add(node(4).put("join", true)
                .put("data_dir", dir.resolve("node-4-again").toString()));
        deploy(4, again);
        eventually("node 4 added again, at its new port, as a learner of group 1", WAIT, () -> {
            HttpResponse<String> r = post(node1, "/v1/members?group=1", add4());
            return r.statusCode() == 200 || r.body().contains("is already a learner");
        });
        eventually("group 1's leader to bring learner 4 up to date at its new address and promote it", WAIT, () -> {
            HttpResponse<String> r = post(node1, "/v1/members/4/promote?group=1", "");
            return r.statusCode() == 200 || r.body().contains("already a voter");
        });
        assertThat(voters(1)).containsExactly(1, 2, 3, 4);
        assertThat(members(0)).doesNotContain(4);
    }

    /**
     * Node 4 is a voter of every group, then is removed from group 1 only (what a sharded removal that stopped part way
     * leaves too). Its replica of group 1 knows no leader any more, but node 4 still takes any key: it asks the group's
     * other members, and the leader one of them names serves. Regression (membership review on 2026-12-08): node 4
     * answered every request for group 1's keys 503 {@code no_leader} "retry shortly", for ever, and a read too.
     */
    @Test
    void aNodeRemovedFromOneGroupServesThatGroupsKeysThroughItsMembers() throws Exception {
        startWithJoiningNode4();
        makeNode4AVoterOfEveryGroup();
        removeNode4From(1);
        assertThat(voters(1)).containsExactly(1, 2, 3);
        // Group 1 elects another leader, which node 4's replica never hears of (a leader sends to members only).
        int before = new JsonObject(get(node1, "/v1/members?group=1").body()).getInteger("leader");
        int next = before == 2 ? 3 : 2;
        eventually("group 1's leadership handed to node " + next, WAIT, () -> {
            HttpResponse<String> r = post(node1, "/v1/leader?group=1", new JsonObject().put("id", next).encode());
            return r.statusCode() == 200;
        });
        String key = "k0";
        for (int i = 1; new io.raftline.shard.KeyGroups(2).groupOf(key) != 1; i++) {
            key = "k" + i;
        }
        URI node4 = URI.create("http://127.0.0.1:" + ports.get(4));
        HttpResponse<String> put = send(node4, "/v1/kv/" + key, "PUT", "through-4");
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        assertThat(put.headers().firstValue("Raft-Served-By")).as("served by group 1's leader").isPresent()
                .get().isNotEqualTo("4");
        HttpResponse<String> read = get(node4, "/v1/kv/" + key);
        assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
        assertThat(read.body()).isEqualTo("through-4");
        // Once its replica of group 1 has given up on any leader (no heartbeat reaches it), node 4 asks the members.
        eventually("node 4's replica of group 1 to know no leader", WAIT, () -> new JsonObject(get(node4,
                "/v1/members?group=1&local=true").body()).getInteger("leader", -1) == 0);
        HttpResponse<String> again = send(node4, "/v1/kv/" + key, "PUT", "again");
        assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
        assertThat(get(node4, "/v1/kv/" + key).body()).isEqualTo("again");
    }

    /** Node 4 added as a learner of every group and promoted (a retry may find either step made already). */
    private void makeNode4AVoterOfEveryGroup() throws Exception {
        eventually("node 4 added as a learner of every group", WAIT, () -> {
            HttpResponse<String> r = post(node1, "/v1/members", add4());
            return r.statusCode() == 200 || r.body().contains("is already a learner");
        });
        eventually("node 4 promoted in every group", WAIT, () -> {
            HttpResponse<String> r = post(node1, "/v1/members/4/promote", "");
            return r.statusCode() == 200 || r.body().contains("already a voter");
        });
    }

    private void removeNode4From(int group) throws Exception {
        eventually("node 4 removed from group " + group, WAIT, () -> {
            HttpResponse<String> r = send(node1, "/v1/members/4?group=" + group, "DELETE", "");
            return r.statusCode() == 200 || r.body().contains("unknown_member");
        });
    }

    /** Nodes 1 to 3 (durable, gRPC, 2 groups), then node 4 joining: its configuration lists them, theirs not it. */
    private void startWithJoiningNode4() throws Exception {
        for (int id = 1; id <= 4; id++) {
            ports.put(id, FreePorts.next());
        }
        JsonArray members = new JsonArray();
        for (int id = 1; id <= 3; id++) {
            members.add(node(id));
        }
        base = ClusterConfigs.cluster(3, 47).put("nodes", members).put("transport", "grpc").put("groups", 2);
        for (int id = 1; id <= 3; id++) {
            deploy(id, base.copy().put("node_id", id));
        }
        JsonObject joining = base.copy().put("node_id", 4);
        joining.getJsonArray("nodes").add(node(4).put("join", true));
        deploy(4, joining);
        node1 = URI.create("http://127.0.0.1:" + ports.get(1));
    }

    private JsonObject node(int id) {
        return new JsonObject().put("id", id).put("http_port", ports.get(id)).put("resp_port", -1)
                .put("data_dir", dir.resolve("node-" + id).toString());
    }

    private String add4() {
        return new JsonObject().put("id", 4).put("url", "http://127.0.0.1:" + ports.get(4)).put("learner", true)
                .encode();
    }

    private void deploy(int id, JsonObject conf) throws Exception {
        Vertx v = Vertx.vertx();
        instances.put(id, v);
        await(v.deployVerticle(new ClusterVerticle(RaftlineConfig.fromJson(conf))), WAIT);
    }

    /** The voters of a group, as its leader lists them (asked through node 1). */
    private List<Integer> voters(int group) throws Exception {
        List<Integer> voters = new ArrayList<>();
        eventually("group " + group + "'s membership", WAIT, () -> {
            HttpResponse<String> r = get(node1, "/v1/members?group=" + group);
            if (r.statusCode() != 200) {
                return false;
            }
            voters.clear();
            new JsonObject(r.body()).getJsonArray("members").forEach(m -> {
                JsonObject member = (JsonObject) m;
                if ("voter".equals(member.getString("role"))) {
                    voters.add(member.getInteger("id"));
                }
            });
            return true;
        });
        return voters;
    }

    /** Every member of a group (voters and learners), as its leader lists them (asked through node 1). */
    private List<Integer> members(int group) throws Exception {
        List<Integer> members = new ArrayList<>();
        eventually("group " + group + "'s membership", WAIT, () -> {
            HttpResponse<String> r = get(node1, "/v1/members?group=" + group);
            if (r.statusCode() != 200) {
                return false;
            }
            members.clear();
            new JsonObject(r.body()).getJsonArray("members")
                    .forEach(m -> members.add(((JsonObject) m).getInteger("id")));
            return true;
        });
        return members;
    }

    private HttpResponse<String> post(URI node, String path, String body) throws Exception {
        return send(node, path, "POST", body);
    }

    private HttpResponse<String> send(URI node, String path, String method, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(node.resolve(path)).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(URI node, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(node.resolve(path)).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
