package io.raftline.durability;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.TestHttp;
import io.raftline.verify.nemesis.ChildProcessCluster;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.MembershipClient;
import io.raftline.verify.nemesis.RunRecord;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Membership changes of a cluster whose nodes are operating-system processes, made through the HTTP API while
 * 8 writers keep writing: nodes started later from a joining configuration ({@code "join": true}, as
 * {@code conf/node-4.json}) are added as learners, catch up (by snapshot: the cluster compacts every 200 entries)
 * and are promoted; members are removed, the leader too; a node is replaced. After each story every acknowledged
 * write is readable with its value through the final members, and they all have the same state hash at the same
 * applied index. Every wait has a deadline.
 */
@Tag("slow")
class MembershipProcessTest {

    private static final Duration WAIT = Duration.ofSeconds(45);
    private static final Duration CHANGE = Duration.ofSeconds(30);
    private static final HttpClient HTTP = TestHttp.builder().connectTimeout(Duration.ofSeconds(2)).build();

    /**
     * Grows 3 → 5 with two joining processes, then shrinks back to 3 by removing the leader (it hands over, and once
     * it has committed its own removal it refuses clients) and then another of the original nodes: the data must
     * live on in the nodes that joined.
     */
    @ParameterizedTest(name = "transport {0}")
    @ValueSource(strings = {"eventbus", "grpc"})
    void growsFromThreeToFiveAndBackToThreeUnderWrites(String transport) throws Exception {
        Path logs = logDir();
        try (ChildProcessCluster c = ChildProcessCluster.builder(config(transport), logs).start();
             AckedWrites writes = new AckedWrites(WAIT)) {
            MembershipClient members = c.membership();
            List<URI> targets = new CopyOnWriteArrayList<>(c.nodeUrls().values());
            writes.start("g", () -> List.copyOf(targets));
            List<URI> joining = c.startJoining(4, 5);
            writes.awaitAcknowledged(300);

            for (int id = 4; id <= 5; id++) {
                URI url = joining.get(id - 4);
                await(members.addVoter(id, url, CHANGE), CHANGE.plusSeconds(5));
                targets.add(url);
                writes.awaitAcknowledged(writes.acknowledged() + 100);
            }
            assertThat(voters(members)).containsExactly(1, 2, 3, 4, 5);

            int leader = c.awaitLeader(WAIT);
            URI leaderUrl = c.nodeUrls().get(leader);
            targets.remove(leaderUrl);
            int before = writes.acknowledged();
            await(members.remove(leader, CHANGE), CHANGE.plusSeconds(5));
            int[] next = {0};
            eventually("a new leader among the others", WAIT,
                    () -> c.leader().map(l -> (next[0] = l) != 0 && l != leader));
            writes.awaitAcknowledged(before + 100);
            HttpResponse<String> refused = get(leaderUrl, "/v1/kv/g-0-0");
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
            assertThat(refused.body()).contains("\"not_member\"");
            c.stopAndForget(leader);

            int original = leader == 1 ? 2 : 1;
            targets.remove(c.nodeUrls().get(original));
            await(members.remove(original, CHANGE), CHANGE.plusSeconds(5));
            c.stopAndForget(original);
            writes.awaitAcknowledged(writes.acknowledged() + 100);
            writes.stop();
            List<Integer> left = new ArrayList<>(List.of(1, 2, 3, 4, 5));
            left.removeAll(List.of(leader, original));
            // The second removal may take out the new leader too (whichever of nodes 1 and 2 was not removed
            // first): the voters left are exactly the others.
            assertThat(voters(members)).isEqualTo(left);
            writes.verifyReadable(List.copyOf(targets), logs);
            assertReplicasAgree(c, logs);
            System.out.printf("[membership 3->5->3, %s] leader %d removed, node %d took over; %d acknowledged writes"
                    + " kept; members %s (logs in %s)%n", transport, leader, next[0], writes.acknowledged(),
                    c.nodeIds(), logs);
        }
    }

    /**
     * Replaces node 3 by node 6 under writes, as docs/operations.md says: remove 3 (its data stays where it is),
     * add 6 with a fresh data directory as a learner, promote it, stop 3. Node 3 is never told it was removed:
     * it keeps running and answers 503 {@code no_leader}.
     */
    @Test
    void replacesANodeUnderWrites() throws Exception {
        Path logs = logDir();
        try (ChildProcessCluster c = ChildProcessCluster.builder(config("eventbus"), logs).start();
             AckedWrites writes = new AckedWrites(WAIT)) {
            MembershipClient members = c.membership();
            List<URI> targets = new CopyOnWriteArrayList<>(c.nodeUrls().values());
            writes.start("r", () -> List.copyOf(targets));
            writes.awaitAcknowledged(300);

            URI old = c.nodeUrls().get(3);
            targets.remove(old);
            int leaderBefore = c.awaitLeader(WAIT);
            await(members.remove(3, CHANGE), CHANGE.plusSeconds(5));
            int before = writes.acknowledged();
            // A removed follower hears nothing more from the leader: once its election timeout passes it knows no
            // leader, and (its vote requests ignored by the others) never gets one again. A removed leader committed
            // its removal itself, so it knows.
            String refusal = leaderBefore == 3 ? "not_member" : "no_leader";
            eventually("removed node 3 to answer 503 " + refusal, WAIT, () -> {
                HttpResponse<String> r = get(old, "/v1/kv/r-0-0");
                return r.statusCode() == 503 && r.body().contains("\"" + refusal + "\"");
            });

            URI url = c.startJoining(6).get(0);
            await(members.addLearner(6, url, CHANGE), CHANGE.plusSeconds(5));
            await(members.promote(6, CHANGE), CHANGE.plusSeconds(5));
            targets.add(url);
            writes.awaitAcknowledged(before + 200);
            c.stopAndForget(3);
            writes.awaitAcknowledged(writes.acknowledged() + 100);
            writes.stop();

            assertThat(voters(members)).containsExactly(1, 2, 6);
            writes.verifyReadable(List.copyOf(targets), logs);
            assertReplicasAgree(c, logs);
            System.out.printf("[replace 3 by 6] %d acknowledged writes kept (logs in %s)%n", writes.acknowledged(),
                    logs);
        }
    }

    /**
     * A cluster sharded over 4 Raft groups grows to 4 nodes and loses node 1 under writes: every change is made in
     * every group (the node answers once all have it), the joining process serves every group, and after each
     * change every group's leader lists the same voters. Over gRPC the nodes reach the joining one at the address its
     * change recorded, which every group's change must teach them (the groups change one after the other, group 0
     * last).
     */
    @ParameterizedTest(name = "transport {0}")
    @ValueSource(strings = {"eventbus", "grpc"})
    void aShardedClusterChangesItsMembershipInEveryGroup(String transport) throws Exception {
        Path logs = logDir();
        try (ChildProcessCluster c = ChildProcessCluster.builder(config(transport).put("groups", 4), logs).start();
             AckedWrites writes = new AckedWrites(WAIT)) {
            MembershipClient members = c.membership();
            List<URI> targets = new CopyOnWriteArrayList<>(c.nodeUrls().values());
            writes.start("s", () -> List.copyOf(targets));
            writes.awaitAcknowledged(200);

            URI url = c.startJoining(4).get(0);
            await(members.addVoter(4, url, CHANGE), CHANGE.plusSeconds(5));
            targets.add(url);
            writes.awaitAcknowledged(writes.acknowledged() + 100);
            assertEveryGroupsVoters(url, 4, List.of(1, 2, 3, 4));

            targets.remove(c.nodeUrls().get(1));
            await(members.remove(1, CHANGE), CHANGE.plusSeconds(5));
            c.stopAndForget(1);
            writes.awaitAcknowledged(writes.acknowledged() + 100);
            writes.stop();
            assertEveryGroupsVoters(url, 4, List.of(2, 3, 4));
            writes.verifyReadable(List.copyOf(targets), logs);
            assertReplicasAgree(c, logs);
            System.out.printf("[membership of 4 groups 3->4->3 over %s] %d acknowledged writes kept (logs in %s)%n",
                    transport, writes.acknowledged(), logs);
        }
    }

    /** Every group's leader (asked through {@code node}, {@code ?group=G}) lists exactly {@code voters}. */
    private static void assertEveryGroupsVoters(URI node, int groups, List<Integer> voters) throws Exception {
        for (int g = 0; g < groups; g++) {
            String path = "/v1/members?group=" + g;
            eventually("group of " + path + " lists voters " + voters, WAIT, () -> {
                HttpResponse<String> r = get(node, path);
                return r.statusCode() == 200
                        && MembershipClient.ids(new JsonObject(r.body()), "voter").equals(voters);
            });
        }
    }

    private static JsonObject config(String transport) {
        JsonObject config = ClusterConfigs.cluster(3, 23).put("cluster_name", "members-" + UUID.randomUUID())
                .put("transport", transport);
        config.getJsonObject("raft").put("snapshot_interval_entries", 200);
        config.getJsonObject("storage").put("segment_bytes", 64 * 1024);
        return config;
    }

    private static Path logDir() {
        return Path.of("target", "test-data", "members-" + UUID.randomUUID()).toAbsolutePath();
    }

    private static List<Integer> voters(MembershipClient members) throws InterruptedException {
        return MembershipClient.ids(await(members.view(), WAIT), "voter");
    }

    private static void assertReplicasAgree(ChildProcessCluster c, Path logs) throws InterruptedException {
        RunRecord.Convergence replicas = c.compareReplicas(WAIT);
        assertThat(replicas.agreed()).as("%s; logs in %s", replicas.note(), logs).isTrue();
        assertThat(replicas.hashes().keySet()).containsExactlyInAnyOrderElementsOf(c.nodeIds());
    }

    private static HttpResponse<String> get(URI node, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(node.resolve(path)).timeout(Duration.ofSeconds(5)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
