package io.raftline.server;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.TestHttp;
import io.raftline.verify.nemesis.ChildProcessCluster;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * With one node per process over the clustered event bus, the network's faults are the cluster's: a partition set on
 * one process's admin port splits the whole cluster, every process reports it, a process started afterwards puts it
 * in force, and a heal asked of any process heals every one; and a node fault asked of any process reaches the
 * process that runs the node. Before, a partition set on process 1 cut node 1's links
 * only: {@code [[1,2],[3]]} left nodes 2 and 3 talking, and node 3 kept following leader 2.
 */
@Tag("slow")
class NetworkFaultSyncTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final JsonArray SPLIT = new JsonArray().add(new JsonArray().add(1).add(2))
            .add(new JsonArray().add(3));

    private final HttpClient http = TestHttp.builder().build();

    private HttpResponse<String> call(String method, URI base, String path, JsonObject body) throws Exception {
        HttpRequest.Builder req = HttpRequest.newBuilder(base.resolve(path)).timeout(WAIT);
        if (body == null) {
            req.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            req.header("Content-Type", "application/json").method(method,
                    HttpRequest.BodyPublishers.ofString(body.encode()));
        }
        return http.send(req.build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonObject faultsOf(ChildProcessCluster c, int node) throws Exception {
        HttpResponse<String> r = call("GET", c.adminUrl(node), "/v1/admin/network", null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return new JsonObject(r.body());
    }

    private static URI nodeUrl(ChildProcessCluster c, int node) {
        return c.nodeUrls().get(node);
    }

    /**
     * The cluster's configuration: three nodes over the clustered event bus (the default).
     *
     * @return the configuration
     */
    JsonObject config() {
        return ClusterConfigs.cluster(3, 41, 3000);
    }

    @Test
    void aPartitionSetOnOneProcessSplitsTheWholeClusterAndAHealOnAnotherHealsIt() throws Exception {
        Path logs = Files.createTempDirectory("raftline-faultsync-");
        try (ChildProcessCluster c = ChildProcessCluster.builder(config(), logs).start()) {
            c.awaitLeader(WAIT);
            // Node 2 leads, so that a partition process 2 did not enforce would leave node 3 following it.
            eventually("node 2 leading", WAIT, () -> call("POST", nodeUrl(c, 1), "/v1/leader",
                    new JsonObject().put("id", 2)).statusCode() == 200);

            HttpResponse<String> set = call("PUT", c.adminUrl(1), "/v1/admin/network",
                    new JsonObject().put("partitions", SPLIT).put("delayMs", new JsonArray().add(1).add(3)));
            assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
            for (int node : new int[] {2, 3}) {
                eventually("process " + node + " reporting the partition set on process 1", WAIT, () -> {
                    JsonObject f = faultsOf(c, node);
                    return SPLIT.equals(f.getJsonArray("partitions"))
                            && new JsonArray().add(1).add(3).equals(f.getJsonArray("delayMs"));
                });
            }
            // Process 2 cuts node 2's links to node 3 too: node 3 hears no leader.
            eventually("node 3 without a leader", WAIT, () -> {
                HttpResponse<String> ready = call("GET", nodeUrl(c, 3), "/readyz", null);
                return ready.statusCode() == 503 && "no_leader".equals(new JsonObject(ready.body()).getString("error"));
            });

            // A process started afterwards reads the cluster's faults and keeps node 3 cut off.
            await(c.crash(3), WAIT);
            await(c.restart(3), WAIT.plusSeconds(30));
            eventually("the restarted process 3 reporting the partition", WAIT,
                    () -> SPLIT.equals(faultsOf(c, 3).getJsonArray("partitions")));

            // A heal asked of process 3 heals every process, and node 3 follows a leader again.
            HttpResponse<String> heal = call("DELETE", c.adminUrl(3), "/v1/admin/network", null);
            assertThat(heal.statusCode()).as(heal.body()).isEqualTo(200);
            for (int node : new int[] {1, 2, 3}) {
                eventually("process " + node + " healed", WAIT, () -> {
                    JsonObject f = faultsOf(c, node);
                    return f.getJsonArray("partitions").isEmpty()
                            && new JsonArray().add(0).add(0).equals(f.getJsonArray("delayMs"));
                });
            }
            eventually("node 3 following a leader again", WAIT,
                    () -> call("GET", nodeUrl(c, 3), "/readyz", null).statusCode() == 200);

            // A node fault asked of one process for another's node is carried to the process that runs it, and the
            // answer is that process's state.
            HttpResponse<String> crash = call("POST", c.adminUrl(1), "/v1/admin/nodes/3/crash", null);
            assertThat(crash.statusCode()).as(crash.body()).isEqualTo(200);
            assertThat(new JsonObject(crash.body()).getJsonArray("crashedNodes")).containsExactly(3);
            assertThat(call("GET", nodeUrl(c, 3), "/health", null).statusCode()).isEqualTo(503);
            HttpResponse<String> restart = call("POST", c.adminUrl(2), "/v1/admin/nodes/3/restart", null);
            assertThat(restart.statusCode()).as(restart.body()).isEqualTo(200);
            assertThat(new JsonObject(restart.body()).getJsonArray("crashedNodes")).isEmpty();
            eventually("node 3 following a leader after its restart", WAIT,
                    () -> call("GET", nodeUrl(c, 3), "/readyz", null).statusCode() == 200);
            // A node that is no member is still unknown; a member whose process is down cannot be reached.
            HttpResponse<String> unknown = call("POST", c.adminUrl(1), "/v1/admin/nodes/7/crash", null);
            assertThat(unknown.statusCode()).as(unknown.body()).isEqualTo(404);
            await(c.crash(3), WAIT);
            HttpResponse<String> down = call("POST", c.adminUrl(1), "/v1/admin/nodes/3/pause", null);
            assertThat(down.statusCode()).as(down.body()).isEqualTo(503);
            assertThat(new JsonObject(down.body()).getString("message")).contains("process of node 3");
        }
    }
}
