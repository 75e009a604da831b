package io.raftline.api.http;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.server.ClusterVerticle;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code GET /v1/snapshot?consistency=lease} on a node that does not lead: every node answers the key-value API at
 * every consistency (a follower forwards a lease read to the leader), and a backup must too. A backup is served where
 * it is asked (it is not forwarded), so on a follower a lease read is a follower ReadIndex read, which is at least as
 * fresh; before, the follower answered 503 {@code not_leader}.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class BackupConsistencyTest {

    private InJvmCluster harness;
    private WebClient client;

    @BeforeEach
    void start(Vertx vertx) throws Exception {
        harness = InJvmCluster.builder(ClusterConfigs.cluster(3, 11, 3000)).start();
        client = WebClient.create(vertx);
    }

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    void aLeaseBackupAskedOfAFollowerIsServedAndSeesTheLastWrite() throws Exception {
        ClusterVerticle cluster = harness.verticle();
        await(harness.awaitHealthy(Duration.ofSeconds(20)));
        int leader = await(harness.leader());
        int follower = leader == 1 ? 2 : 1;
        HttpResponse<Buffer> put = await(client.putAbs(cluster.nodeUrl(leader) + "/v1/kv/backed-up")
                .sendBuffer(Buffer.buffer("yes")));
        assertThat(put.statusCode()).isEqualTo(200);
        long revision = put.bodyAsJsonObject().getLong("revision");

        HttpResponse<Buffer> backup = await(client.getAbs(cluster.nodeUrl(follower) + "/v1/snapshot?consistency=lease")
                .send());
        assertThat(backup.statusCode()).as("lease backup on follower %d: %s", follower, backup.bodyAsString())
                .isEqualTo(200);
        assertThat(Long.parseLong(backup.getHeader("Raft-Revision"))).isGreaterThanOrEqualTo(revision);
    }
}
