package io.raftline.server;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.TestHttp;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A leadership transfer (the live view's "lead", the sharded cluster's balancer) is planned, and writes sent meanwhile,
 * to the old leader or through a follower, all succeed: a write the old leader can no longer propose is refused with
 * the transferee as the leader hint, and the API layer of the node the client asked forwards it there. Linearizable
 * reads too: a read the old leader had not confirmed when it stepped down did nothing, and is asked again of the next.
 */
class WritesDuringTransferTest {

    private static final int WRITERS = 8;

    @Test
    void writesSentDuringTransfersAllSucceed() throws Exception {
        duringTransfers(false);
    }

    @Test
    void linearizableReadsSentDuringTransfersAllSucceed() throws Exception {
        duringTransfers(true);
    }

    /** Eight clients write (and with {@code reads}, four of them read) while leadership goes round twice. */
    private static void duringTransfers(boolean reads) throws Exception {
        try (InJvmCluster harness = InJvmCluster.builder(ClusterConfigs.cluster(3, 41, 3000)
                .put("storage", new JsonObject().put("engine", "memory"))).start()) {
            ClusterVerticle cluster = harness.verticle();
            int first = await(cluster.awaitLeader(20_000), Duration.ofSeconds(30));
            HttpClient http = TestHttp.builder().build();
            // Messages between the nodes take 15-25 ms, as across a network: a transfer takes several of them (the
            // TimeoutNow, the votes, the new leader's first round), long enough for writes to arrive meanwhile.
            HttpResponse<String> delayed = http.send(HttpRequest.newBuilder(URI.create(cluster.adminUrl()
                    + "/v1/admin/network")).header("Content-Type", "application/json")
                    .PUT(HttpRequest.BodyPublishers.ofString("{\"delayMs\":[15,25]}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(delayed.statusCode()).as(delayed.body()).isEqualTo(200);
            Map<Integer, Integer> failures = new ConcurrentHashMap<>();
            List<String> answers = java.util.Collections.synchronizedList(new ArrayList<>());
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger written = new AtomicInteger();
            CountDownLatch done = new CountDownLatch(WRITERS);
            for (int w = 0; w < WRITERS; w++) {
                int writer = w;
                Thread thread = new Thread(() -> {
                    try {
                        for (int i = 0; !stop.get(); i++) {
                            // Half the writers to the node that led at the start, half through the others.
                            int node = writer % 2 == 0 ? first : first % 3 + 1;
                            boolean read = reads && writer % 4 < 2;
                            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(cluster.nodeUrl(node)
                                    + "/v1/kv/t" + writer + "-" + (read ? i / 2 : i))).timeout(Duration.ofSeconds(10));
                            HttpResponse<String> r = http.send(read ? request.GET().build()
                                    : request.PUT(HttpRequest.BodyPublishers.ofString("v")).build(),
                                    HttpResponse.BodyHandlers.ofString());
                            if (r.statusCode() == 200 || (read && r.statusCode() == 404)) {
                                written.incrementAndGet();
                            } else {
                                failures.merge(r.statusCode(), 1, Integer::sum);
                                answers.add(r.body());
                            }
                        }
                    } catch (Exception e) {
                        answers.add(e.toString());
                    } finally {
                        done.countDown();
                    }
                }, "writer-" + w);
                thread.setDaemon(true);
                thread.start();
            }
            // Leadership goes round the three nodes twice, each transfer while the writers write.
            int leader = first;
            for (int t = 0; t < 6; t++) {
                int target = leader % 3 + 1;
                int before = written.get();
                while (written.get() < before + 20) {
                    Thread.onSpinWait();
                }
                await(cluster.nodes().get(leader).transferLeadership(target), Duration.ofSeconds(10));
                leader = target;
            }
            stop.set(true);
            assertThat(done.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            assertThat(failures).as("failed requests (status -> count); answers: %s", answers).isEmpty();
            assertThat(answers).isEmpty();
            assertThat(written.get()).isGreaterThan(120);
        }
    }
}
