package io.raftline.server;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.WebClient;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@code /metrics} serves Prometheus text with Vert.x's metrics and the Raft gauges of every node. */
class MetricsTest {

    @Test
    void metricsExposeRaftGaugesAndVertxMetrics() throws Exception {
        try (InJvmCluster harness = InJvmCluster.builder(ClusterConfigs.cluster(3, 7, 2000))
                .vertxOptions(Metrics.enable(new VertxOptions())).start()) {
            ClusterVerticle cluster = harness.verticle();
            WebClient client = WebClient.create(harness.vertx());
            await(client.putAbs(cluster.nodeUrl(1) + "/v1/kv/m").sendBuffer(Buffer.buffer("1")));
            eventually("the leader's gauges show the write", () -> client.getAbs(cluster.adminUrl() + "/metrics").send()
                    .map(r -> r.bodyAsString().lines().anyMatch(l -> l.startsWith("raftline_is_leader{") && l.endsWith(" 1.0"))
                            && r.bodyAsString().contains("raftline_commit_index{node=\"1\"} 2.0")));
            String node = await(client.getAbs(cluster.nodeUrl(2) + "/metrics").send()).bodyAsString();
            assertThat(node).contains("raftline_term{node=\"2\"}").contains("raftline_fsyncs_total{node=\"2\"}")
                    .contains("vertx_http_server_requests_total")
                    .contains("raftline_connections_refused_descriptors_total ").contains("raftline_connections_allowed ")
                    .contains("raftline_request_head_timeouts_total{listener=\"node 2 HTTP API\"}");
            client.close(); // held to the end: Vert.x closes a client that became garbage, requests in flight and all
        }
    }

    /**
     * A node the live view adds to a sharded local cluster gets the per-group gauges of its replicas, as the
     * configured nodes do, and loses every series once the live view removes it. Regressions: only its
     * {@code raftline_*} gauges were registered, so {@code /metrics} had no {@code raftline_group_*} line of the new
     * node in any group; and a removed node's gauges stayed in {@code /metrics} for ever, NaN.
     */
    @Test
    void aNodeAddedToAShardedClusterHasItsGaugesUntilItIsRemoved() throws Exception {
        try (InJvmCluster harness = InJvmCluster.builder(ClusterConfigs.cluster(3, 7, 3000).put("groups", 2))
                .vertxOptions(Metrics.enable(new VertxOptions())).start()) {
            ClusterVerticle cluster = harness.verticle();
            WebClient client = WebClient.create(harness.vertx());
            eventually("the configured nodes' group gauges", () -> client.getAbs(cluster.adminUrl() + "/metrics").send()
                    .map(r -> r.bodyAsString().contains("raftline_group_term{group=\"1\",node=\"3\"}")));
            assertThat(await(cluster.addNode(), Duration.ofSeconds(90)).getInteger("id")).isEqualTo(4);
            eventually("the added node's group gauges show its replicas", () -> client.getAbs(cluster.adminUrl()
                    + "/metrics").send().map(r -> r.bodyAsString().lines().anyMatch(l -> l.startsWith(
                            "raftline_group_commit_index{group=\"1\",node=\"4\"}") && !l.endsWith(" NaN"))));

            await(cluster.removeNode(4), Duration.ofSeconds(90));
            String scrape = await(client.getAbs(cluster.adminUrl() + "/metrics").send()).bodyAsString();
            assertThat(scrape.lines().filter(l -> l.contains("node=\"4\"")).toList()).isEmpty();
            assertThat(scrape).contains("raftline_term{node=\"3\"}")
                    .contains("raftline_group_term{group=\"1\",node=\"3\"}");
            client.close(); // held to the end: Vert.x closes a client that became garbage, requests in flight and all
        }
    }
}
