package io.raftline.server;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import java.net.ServerSocket;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The one-node-per-process runtime with {@code single_node}: a cluster of one elects itself, serves the whole
 * HTTP API, and survives a crash and restart through its log store.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class SingleNodeClusterTest {

    @Test
    void aSingleNodeServesWritesAndReadsAndSurvivesACrash() throws Exception {
        JsonObject json = ClusterConfigs.cluster(1, 7, 2000).put("node_id", 1);
        try (InJvmCluster harness = InJvmCluster.builder(json).start()) {
            ClusterVerticle cluster = harness.verticle();
            WebClient client = WebClient.create(harness.vertx());
            String node = cluster.nodeUrl(1);
            HttpResponse<Buffer> w = await(client.putAbs(node + "/v1/kv/solo").sendBuffer(Buffer.buffer("1")));
            assertThat(w.statusCode()).isEqualTo(200);
            long revision = w.bodyAsJsonObject().getLong("revision");
            HttpResponse<Buffer> r = await(client.getAbs(node + "/v1/kv/solo?consistency=lease").send());
            assertThat(r.bodyAsString()).isEqualTo("1");
            JsonObject c = await(client.getAbs(node + "/v1/cluster").send()).bodyAsJsonObject();
            assertThat(c.getInteger("leader")).isEqualTo(1);
            assertThat(c.getJsonArray("nodes").getJsonObject(0).getString("role")).isEqualTo("Leader");

            await(client.postAbs(cluster.adminUrl() + "/v1/admin/nodes/1/crash").send());
            assertThat(await(client.getAbs(node + "/v1/kv/solo").send()).statusCode()).isEqualTo(503);
            await(client.postAbs(cluster.adminUrl() + "/v1/admin/nodes/1/restart").send());
            eventually("the restarted node serves its data", () -> client.getAbs(node + "/v1/kv/solo").send()
                    .map(resp -> resp.statusCode() == 200 && resp.getHeader("Raft-Revision").equals(String.valueOf(revision))));
            client.close(); // held to the end: Vert.x closes a client that became garbage, requests in flight and all
        }
    }

    @Test
    void aPortInUseFailsTheStartWithAClearMessage() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            JsonObject json = ClusterConfigs.cluster(1, 7, 2000).put("node_id", 1);
            json.getJsonArray("nodes").getJsonObject(0).put("http_port", taken.getLocalPort());
            Throwable t = catchThrowable(() -> InJvmCluster.builder(json).start().close());
            assertThat(t).isNotNull();
            assertThat(t.getMessage()).contains("port " + taken.getLocalPort()).contains("already in use")
                    .contains("node 1 HTTP API");
        }
    }
}
