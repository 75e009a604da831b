package io.raftline.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.config.RaftlineConfig;
import io.raftline.security.TestCa;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.raftline.verify.nemesis.Waits;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code local} prints once its cluster is up: the leader of a cluster of one Raft group, and for a sharded
 * cluster how many groups each node leads (group 0's leader alone would hide that the others lead too).
 */
class LocalBannerTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(45);

    @Test
    void aSingleGroupClusterNamesItsLeader() throws Exception {
        JsonObject conf = ClusterConfigs.cluster(3, 7, 5_000);
        try (InJvmCluster cluster = InJvmCluster.builder(conf).start()) {
            int leader = Waits.await(cluster.leader(), TIMEOUT);
            String banner = LocalCommand.banner(RaftlineConfig.fromJson(conf), cluster.verticle(), leader,
                    Waits.await(cluster.verticle().describe(), TIMEOUT));
            assertThat(banner).startsWith("\nRaftline 3-node local cluster is up; leader: node " + leader + "\n")
                    .contains("  node 1     : http://localhost:").contains("Ctrl-C stops the cluster.");
        }
    }

    /**
     * With TLS, every example of the banner works as printed: curl names the CA the nodes' certificates chain to, and
     * redis-cli speaks TLS (without them curl fails on the certificate and redis-cli on the connection).
     */
    @Test
    void withTlsTheExamplesNameTheCaAndRedisCliSpeaksTls(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl is needed to make certificates");
        TestCa.make(dir);
        String ca = dir.resolve("ca.pem").toString();
        JsonObject conf = ClusterConfigs.cluster(3, 7, 5_000).put("storage", new JsonObject().put("engine", "memory"))
                .put("tls", new JsonObject().put("cert_file", dir.resolve("node.pem").toString())
                        .put("key_file", dir.resolve("node-key.pem").toString()).put("ca_file", ca));
        try (InJvmCluster cluster = InJvmCluster.builder(conf).start()) {
            int leader = Waits.await(cluster.leader(), TIMEOUT);
            String banner = LocalCommand.banner(RaftlineConfig.fromJson(conf), cluster.verticle(), leader,
                    Waits.await(cluster.verticle().describe(), TIMEOUT));
            assertThat(banner).containsPattern("  curl --cacert " + Pattern.quote(ca) + " -X PUT --data-binary 'hello'"
                    + " https://localhost:[0-9]+/v1/kv/greeting\n")
                    .containsPattern("redis-cli --tls --cacert " + Pattern.quote(ca) + " -p [0-9]+\n");
            assertThat(banner.lines().filter(l -> l.startsWith("  curl ")).toList())
                    .allSatisfy(l -> assertThat(l).startsWith("  curl --cacert " + ca + " "));
        }
    }

    @Test
    void aShardedClusterCountsTheGroupsEachNodeLeads() throws Exception {
        JsonObject conf = ClusterConfigs.cluster(3, 7, 5_000).put("groups", 4);
        try (InJvmCluster cluster = InJvmCluster.builder(conf).start()) {
            cluster.awaitLeadersSpread(TIMEOUT);
            int leader = Waits.await(cluster.leader(), TIMEOUT);
            String banner = LocalCommand.banner(RaftlineConfig.fromJson(conf), cluster.verticle(), leader,
                    Waits.await(cluster.verticle().describe(), TIMEOUT));
            Matcher m = Pattern.compile("\nRaftline 3-node local cluster of 4 Raft groups is up; groups led:"
                    + " node 1 (\\d), node 2 (\\d), node 3 (\\d)\n").matcher(banner);
            assertThat(m.lookingAt()).as(banner).isTrue();
            // Spread: 4 groups over 3 nodes, each node leading one or two.
            int sum = 0;
            for (int i = 1; i <= 3; i++) {
                assertThat(Integer.parseInt(m.group(i))).isBetween(1, 2);
                sum += Integer.parseInt(m.group(i));
            }
            assertThat(sum).isEqualTo(4);
        }
    }
}
