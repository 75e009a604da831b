package io.raftline.durability;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.raftline.faults.NodeFault;
import io.raftline.node.DurableLogStore;
import io.raftline.node.NodeRequestException;
import io.raftline.node.ReadConsistency;
import io.raftline.server.ClusterVerticle;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.raftline.verify.nemesis.Waits;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 11, bug 4: a follower whose data directory was deleted while it was down must not come back as if
 * nothing happened. Before the fix it threw "commit N is beyond the last index 0" ten times a second, stayed
 * at index 0, answered reads with 404 for existing keys and reported itself healthy. Now the leader's first
 * heartbeat (which carries what the follower acknowledged) reveals the loss: the node stops voting and serving,
 * says so on /health and in a STATE_LOST file, and the cluster goes on without it.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class WipedDataDirectoryTest {

    @Test
    void aFollowerThatLostItsDataIsDetectedAndRefusesToServe() throws Exception {
        try (InJvmCluster harness = InJvmCluster.builder(ClusterConfigs.cluster(3, 7, 3000)).start()) {
            ClusterVerticle cluster = harness.verticle();
            int leader = harness.awaitLeader(Waits.TIMEOUT);
            int wiped = leader % 3 + 1;
            Path dataDir = harness.dataDir(wiped);
            WebClient client = WebClient.create(harness.vertx());
            for (int i = 0; i < 20; i++) {
                HttpResponse<Buffer> r = await(client.putAbs(cluster.nodeUrl(leader) + "/v1/kv/k" + i)
                        .sendBuffer(Buffer.buffer("v" + i)));
                assertThat(r.statusCode()).isEqualTo(200);
            }
            eventually("node " + wiped + " holds the writes", () -> cluster.nodes().get(wiped).status()
                    .map(s -> s.applied() >= 21));

            await(cluster.faults().apply(wiped, NodeFault.CRASH));
            deleteRecursively(dataDir);
            await(cluster.faults().apply(wiped, NodeFault.RESTART));

            eventually("node " + wiped + " finds out it lost state", () -> cluster.nodes().get(wiped).status()
                    .map(s -> s.stateLost()));
            HttpResponse<Buffer> health = await(client.getAbs(cluster.nodeUrl(wiped) + "/health").send());
            assertThat(health.statusCode()).isEqualTo(503);
            assertThat(health.bodyAsJsonObject().getString("error")).isEqualTo("state_lost");
            Throwable refused = catchThrowable(() -> await(cluster.nodes().get(wiped).read(ReadConsistency.STALE)));
            assertThat(((NodeRequestException) refused).reason()).as("no stale answers from an empty node")
                    .isEqualTo(NodeRequestException.Reason.STATE_LOST);
            assertThat(Files.readString(dataDir.resolve(DurableLogStore.STATE_LOST_FILE)))
                    .contains("lost log entries it had acknowledged");

            // The other two go on: writes commit and are readable on the leader.
            HttpResponse<Buffer> after = await(client.putAbs(cluster.nodeUrl(leader) + "/v1/kv/after")
                    .sendBuffer(Buffer.buffer("x")));
            assertThat(after.statusCode()).isEqualTo(200);
            // Through the API (a linearizable read, sent on to whoever leads now): the node found leading at the start
            // may have lost an election on a loaded machine since, and its own read would then be refused.
            HttpResponse<Buffer> k0 = await(client.getAbs(cluster.nodeUrl(leader) + "/v1/kv/k0").send());
            assertThat(k0.statusCode()).as(k0.bodyAsString()).isEqualTo(200);
            assertThat(k0.bodyAsString()).isEqualTo("v0");

            // A restart does not make it forget: the STATE_LOST record is read back.
            await(cluster.faults().apply(wiped, NodeFault.CRASH));
            await(cluster.faults().apply(wiped, NodeFault.RESTART));
            assertThat(await(cluster.nodes().get(wiped).status()).stateLost()).isTrue();
            assertThat(await(client.getAbs(cluster.nodeUrl(wiped) + "/health").send()).statusCode()).isEqualTo(503);
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
