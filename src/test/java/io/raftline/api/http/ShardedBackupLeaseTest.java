package io.raftline.api.http;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.server.ClusterVerticle;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /v1/snapshot?consistency=lease} on a sharded cluster: no node leads every group once the balancer has
 * spread the leaders, so a backup that asked each replica for a lease read (served by leaders only) was refused on
 * every node. A group this node does not lead is read through its leader instead (a ReadIndex round: at least as
 * fresh as a lease read).
 */
class ShardedBackupLeaseTest {

    @Test
    void aLeaseBackupOfAShardedClusterIsServedByANodeThatDoesNotLeadEveryGroup() throws Exception {
        try (InJvmCluster cluster = InJvmCluster.builder(ClusterConfigs.cluster(3, 41, 3000).put("groups", 4))
                .start()) {
            ClusterVerticle c = cluster.verticle();
            WebClient web = WebClient.create(cluster.vertx());
            await(c.awaitLeader(20_000));
            cluster.awaitLeadersSpread(Duration.ofSeconds(45));
            for (int i = 0; i < 8; i++) {
                assertThat(await(web.putAbs(c.nodeUrl(1) + "/v1/kv/b" + i).sendBuffer(Buffer.buffer("v"))).statusCode())
                        .isEqualTo(200);
            }
            for (int node = 1; node <= 3; node++) {
                HttpResponse<Buffer> r = await(web.getAbs(c.nodeUrl(node) + "/v1/snapshot?consistency=lease").send());
                assertThat(r.statusCode()).as("lease backup from node %d: %s", node,
                        r.statusCode() == 200 ? "" : r.bodyAsString()).isEqualTo(200);
                assertThat(r.getHeader("Raft-Revision").split(",")).hasSize(4);
            }
            web.close();
        }
    }
}
