package io.raftline.durability;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.server.BusPeers;
import io.raftline.verify.nemesis.ChildProcessCluster;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.MembershipClient;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Every node of a cluster over the clustered event bus replaced as docs/membership.md says (nodes 4-6 started from
 * files that list nodes 1-3 and themselves, as {@code conf/node-4.json}; nodes 1-3 removed and stopped), then every
 * process killed and restarted: the new members find each other again and elect a leader. Before, each of them joined
 * Hazelcast only through nodes 1-3, found nobody, and campaigned alone for ever without a line saying why. Node 4,
 * restarted alone first, logs the ERROR naming the voters it cannot find; its banner names its current peers.
 */
@Tag("slow")
class ReplacedMembersRestartProcessTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final Duration CHANGE = Duration.ofSeconds(30);

    @Test
    void aClusterWhoseMembersWereAllReplacedRestartsByItself() throws Exception {
        Path logs = Path.of("target", "test-data", "replaced-" + UUID.randomUUID()).toAbsolutePath();
        JsonObject config = ClusterConfigs.cluster(3, 29).put("cluster_name", "replaced-" + UUID.randomUUID())
                .put("transport", "eventbus");
        try (ChildProcessCluster c = ChildProcessCluster.builder(config, logs).start()) {
            MembershipClient members = c.membership();
            List<URI> joining = c.startJoiningAsConfigured(4, 5, 6);
            for (int id = 4; id <= 6; id++) {
                await(members.addVoter(id, joining.get(id - 4), CHANGE), CHANGE.plusSeconds(5));
            }
            for (int id = 1; id <= 3; id++) {
                await(members.remove(id, CHANGE), CHANGE.plusSeconds(5));
                c.stopAndForget(id);
            }
            c.awaitLeader(WAIT);
            assertThat(MembershipClient.ids(await(members.view(), WAIT), "voter")).containsExactly(4, 5, 6);
            for (int id = 4; id <= 6; id++) {
                Path dir = c.dataDir(id);
                Set<Integer> others = new TreeSet<>(List.of(4, 5, 6));
                others.remove(id);
                eventually("node " + id + " to record the bus addresses of nodes " + others, WAIT,
                        () -> Future.succeededFuture(BusPeers.read(dir).keySet().equals(others)));
            }

            for (int id = 4; id <= 6; id++) {
                await(c.crash(id), WAIT);
            }
            await(c.restart(4), WAIT);
            eventually("node 4 to say it finds no other voter on the bus", WAIT,
                    () -> Future.succeededFuture(lastLog(logs, 4).contains("ERROR")
                            && lastLog(logs, 4).contains("no other voter of group 0 (voters [5, 6]) has been on the"
                                    + " clustered event bus")));
            assertThat(lastLog(logs, 4)).contains("Peers [5, 6] are reached over the clustered event bus");
            await(c.restart(5), WAIT);
            await(c.restart(6), WAIT);
            int leader = c.awaitLeader(WAIT);
            assertThat(leader).isBetween(4, 6);
            assertThat(MembershipClient.ids(await(members.view(), WAIT), "voter")).containsExactly(4, 5, 6);
            System.out.printf("[replaced 1-3 by 4-6, all restarted] leader %d (logs in %s)%n", leader, logs);
        }
    }

    /** The output of the node's latest process. */
    private static String lastLog(Path logs, int node) {
        try (Stream<Path> files = Files.list(logs)) {
            Path last = files.filter(p -> p.getFileName().toString().startsWith("node-" + node + "-run"))
                    .max(Comparator.comparing(p -> Integer.parseInt(p.getFileName().toString()
                            .replaceAll("^node-\\d+-run(\\d+)\\.log$", "$1")))).orElseThrow();
            return Files.readString(last, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
