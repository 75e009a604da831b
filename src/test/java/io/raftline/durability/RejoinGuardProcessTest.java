package io.raftline.durability;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.TestHttp;
import io.raftline.node.DurableLogStore;
import io.raftline.verify.nemesis.ChildProcessCluster;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 14, replacing a node: a process whose data directory was wiped must not rejoin under its old id. Its
 * node counted for votes and commits; started empty, it would have forgotten both. The process asks the cluster
 * before it starts the node, finds that the leader saw this id acknowledge entries, and exits with a message that
 * says how to replace it, while the two others keep serving.
 */
@Tag("slow")
class RejoinGuardProcessTest {

    private static final Duration WAIT = Duration.ofSeconds(45);
    private static final HttpClient HTTP = TestHttp.builder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void aNodeWithAWipedDataDirectoryRefusesToStartUnderItsOldId() throws Exception {
        Path logs = logs();
        try (ChildProcessCluster c = ChildProcessCluster.builder(config(), logs).start()) {
            int leader = c.awaitLeader(WAIT);
            int wiped = leader % 3 + 1;
            URI leaderUrl = c.nodeUrls().get(leader);
            putKeys(leaderUrl, 10);
            eventually("node " + wiped + " applied the writes", WAIT,
                    () -> appliedIndex(c.nodeUrls().get(wiped)) >= 11);

            wipe(c, wiped);
            assertThat(refusedRestart(c, logs, wiped)).containsPattern("but node [0-9] saw it hold the log up to index")
                    .contains("/v1/members/" + wiped).contains("Replacing a node");
            // The two others still commit.
            assertThat(send("PUT", leaderUrl.resolve("/v1/kv/after"), "x").statusCode()).isEqualTo(200);
        }
    }

    /**
     * The leader itself wiped: the leader elected after its crash never heard from it, so its match for it is 0, and
     * asking the leader alone let the wiped process start every time (docs/membership.md called it a gap). The
     * followers saw it hold the log (its AppendEntries), and say so when asked for their own view.
     */
    @Test
    void aWipedLeaderRefusesToStartAlthoughTheNewLeaderNeverHeardFromIt() throws Exception {
        Path logs = logs();
        try (ChildProcessCluster c = ChildProcessCluster.builder(config(), logs).start()) {
            int wiped = c.awaitLeader(WAIT);
            putKeys(c.nodeUrls().get(wiped), 10);
            wipe(c, wiped);
            int[] next = {0};
            eventually("a survivor leads", WAIT, () -> {
                next[0] = await(c.leader(), WAIT);
                return next[0] != 0 && next[0] != wiped;
            });
            assertThat(matchOf(members(c.nodeUrls().get(next[0]), 0), wiped)).as("the new leader's match").isZero();

            assertThat(refusedRestart(c, logs, wiped)).containsPattern("but node [0-9] saw it hold the log up to index")
                    .contains("Replacing a node");
            assertThat(send("PUT", c.nodeUrls().get(next[0]).resolve("/v1/kv/after"), "x").statusCode())
                    .isEqualTo(200);
        }
    }

    /**
     * The same for a node that joined at runtime ({@code "join": true}) and became a voter: the guard skipped every
     * joining node, so the wiped process started, as a passive node that grants votes by term and log, having forgotten
     * the vote it gave in the current term, until a heartbeat of a leader that knew its match told it the loss (a
     * leader elected since knows nothing). A brand-new joining node still starts: no leader saw it acknowledge.
     */
    @Test
    void aJoinedNodeWithAWipedDataDirectoryRefusesToStartUnderItsOldId() throws Exception {
        Path logs = logs();
        try (ChildProcessCluster c = ChildProcessCluster.builder(config(), logs).start()) {
            c.awaitLeader(WAIT);
            URI joined = c.startJoining(4).get(0);
            await(c.membership().addVoter(4, joined, WAIT), WAIT.plusSeconds(5));
            URI leaderUrl = c.nodeUrls().get(c.awaitLeader(WAIT));
            putKeys(leaderUrl, 10);
            eventually("node 4 applied the writes", WAIT, () -> appliedIndex(joined) >= 12);

            wipe(c, 4);
            assertThat(refusedRestart(c, logs, 4)).containsPattern("but node [0-9] saw it hold the log up to index");
            assertThat(send("PUT", leaderUrl.resolve("/v1/kv/after"), "x").statusCode()).isEqualTo(200);
        }
    }

    /**
     * A sharded node asked group 0's leader only ({@code GET /v1/members} shows group 0): the node wiped here led group
     * 0, so group 0's leader after the crash was elected while it was down and knows nothing of what it acknowledged,
     * and the wiped process started, although the leaders of groups 1 and 2, in office all along, had counted on its
     * acknowledgements. Every group's leader is asked now.
     */
    @Test
    void aShardedNodeWithAWipedDataDirectoryRefusesToStartIfAnyGroupCountedOnIt() throws Exception {
        Path logs = logs();
        try (ChildProcessCluster c = ChildProcessCluster.builder(config().put("groups", 3), logs).start()) {
            c.awaitLeader(WAIT);
            URI first = c.nodeUrls().get(1);
            // Each node leads one group (the balancer spreads them), so a crash of group 0's leader moves group 0 only:
            // one node then leads two groups and the other one, which the balancer leaves as they are.
            Map<Integer, Integer> leaders = new TreeMap<>();
            eventually("each node leads one group", WAIT, () -> {
                leaders.clear();
                for (int g = 0; g < 3; g++) {
                    leaders.put(g, members(first, g).getInteger("leader", 0));
                }
                return new TreeSet<>(leaders.values()).equals(Set.of(1, 2, 3));
            });
            int wiped = leaders.get(0);
            putKeys(first, 30);
            eventually("the leaders of groups 1 and 2 saw node " + wiped + " acknowledge entries", WAIT,
                    () -> matchOf(members(c.nodeUrls().get(leaders.get(1)), 1), wiped) > 1
                            && matchOf(members(c.nodeUrls().get(leaders.get(2)), 2), wiped) > 1);

            wipe(c, wiped);
            assertThat(refusedRestart(c, logs, wiped))
                    .containsPattern("but node [0-9] \\(group [0-9]\\) saw it hold the log up to index");
            URI survivor = c.nodeUrls().get(wiped % 3 + 1);
            assertThat(send("PUT", survivor.resolve("/v1/kv/after"), "x").statusCode()).isEqualTo(200);
        }
    }

    /**
     * A loss that one group of a sharded node recorded (its {@code STATE_LOST} file, in the group's directory) refuses
     * the process a start, as a recorded loss does for a node of one group: the node's groups share its data directory,
     * so what one group found lost the others lost too. The start checked group 0's record only, and the process
     * started with its other groups voting as before.
     */
    @Test
    void aShardedNodeThatRecordedALossInAnyGroupRefusesToStart() throws Exception {
        Path logs = logs();
        try (ChildProcessCluster c = ChildProcessCluster.builder(config().put("groups", 3), logs).start()) {
            int leader = c.awaitLeader(WAIT);
            int lost = leader % 3 + 1;
            await(c.crash(lost), WAIT);
            // What the store of group 2 writes once a leader's heartbeat reveals the loss (DurableLogStore).
            Files.writeString(c.dataDir(lost).resolve("group-2").resolve(DurableLogStore.STATE_LOST_FILE),
                    "Node " + lost + " lost log entries it had acknowledged: found by this test.\n");
            assertThat(refusedRestart(c, logs, lost)).contains("its group 2 recorded earlier that it lost log"
                    + " entries it had acknowledged");
        }
    }

    /** A 3-node cluster (of up to 5) under a name of its own. */
    private static JsonObject config() {
        return ClusterConfigs.cluster(3, 5).put("cluster_name", "rejoin-" + UUID.randomUUID());
    }

    /** A directory of its own for a cluster's process logs. */
    private static Path logs() {
        return Path.of("target", "test-data", "rejoin-" + UUID.randomUUID()).toAbsolutePath();
    }

    /** Writes keys k0, k1 ... through {@code node}, each answered 200. */
    private static void putKeys(URI node, int count) throws Exception {
        for (int i = 0; i < count; i++) {
            assertThat(send("PUT", node.resolve("/v1/kv/k" + i), "v" + i).statusCode()).isEqualTo(200);
        }
    }

    private static long appliedIndex(URI node) throws Exception {
        return new JsonObject(send("GET", node.resolve("/v1/state-hash"), null).body()).getLong("appliedIndex", 0L);
    }

    /** Crashes {@code node} and deletes its data directory, as an operator replacing its disk would. */
    private static void wipe(ChildProcessCluster c, int node) throws Exception {
        await(c.crash(node), WAIT);
        deleteTree(c.dataDir(node));
    }

    /**
     * Relaunches {@code node}'s process and waits for it to exit refusing to rejoin under its old id.
     *
     * @return the log of that second run
     */
    private static String refusedRestart(ChildProcessCluster c, Path logs, int node) throws Exception {
        // The relaunch never becomes healthy: its future is left to fail when the cluster closes.
        c.restart(node);
        eventually("the relaunched process of node " + node + " exits with a refusal", WAIT,
                () -> c.process(node).isEmpty() && secondRunLog(logs, node).filter(s -> s.contains(
                        "node " + node + " must not rejoin under its old id")).isPresent());
        return secondRunLog(logs, node).orElseThrow();
    }

    private static JsonObject members(URI node, int group) throws Exception {
        HttpResponse<String> r = send("GET", node.resolve("/v1/members?group=" + group), null);
        return r.statusCode() == 200 ? new JsonObject(r.body()) : new JsonObject();
    }

    private static long matchOf(JsonObject members, int id) {
        for (Object o : members.getJsonArray("members", new io.vertx.core.json.JsonArray())) {
            JsonObject m = (JsonObject) o;
            if (m.getInteger("id", 0) == id) {
                return m.getLong("match", 0L);
            }
        }
        return 0;
    }

    private static Optional<String> secondRunLog(Path logs, int node) throws Exception {
        try (Stream<Path> files = Files.list(logs)) {
            List<Path> runs = files.filter(p -> p.getFileName().toString().endsWith("-run2.log")
                    && p.getFileName().toString().contains(String.valueOf(node))).toList();
            return runs.isEmpty() ? Optional.empty() : Optional.of(Files.readString(runs.get(0)));
        }
    }

    private static HttpResponse<String> send(String method, URI uri, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void deleteTree(Path dir) throws Exception {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
