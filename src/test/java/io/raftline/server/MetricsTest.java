package io.raftline.server;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.config.RaftlineConfig;
import io.raftline.testing.TestCluster;
import io.raftline.verify.nemesis.Waits;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.WebClient;
import org.junit.jupiter.api.Test;

/** {@code /metrics} serves Prometheus text with Vert.x's metrics and the Raft gauges of every node. */
class MetricsTest {

    @Test
    void metricsExposeRaftGaugesAndVertxMetrics() throws Exception {
        Vertx vertx = Vertx.vertx(Metrics.enable(new VertxOptions()));
        try {
            ClusterVerticle cluster = new ClusterVerticle(RaftlineConfig.fromJson(TestCluster.configJson(3, 2000)));
            await(vertx.deployVerticle(cluster));
            await(cluster.awaitLeader(Waits.TIMEOUT.toMillis()));
            WebClient client = WebClient.create(vertx);
            await(client.putAbs(cluster.nodeUrl(1) + "/v1/kv/m").sendBuffer(Buffer.buffer("1")));
            eventually("the leader's gauges show the write", () -> client.getAbs(cluster.adminUrl() + "/metrics").send()
                    .map(r -> r.bodyAsString().lines().anyMatch(l -> l.startsWith("raftline_is_leader{") && l.endsWith(" 1.0"))
                            && r.bodyAsString().contains("raftline_commit_index{node=\"1\"} 2.0")));
            String node = await(client.getAbs(cluster.nodeUrl(2) + "/metrics").send()).bodyAsString();
            assertThat(node).contains("raftline_term{node=\"2\"}").contains("raftline_fsyncs_total{node=\"2\"}")
                    .contains("vertx_http_server_requests_total");
            client.close();
        } finally {
            await(vertx.close());
        }
    }
}
