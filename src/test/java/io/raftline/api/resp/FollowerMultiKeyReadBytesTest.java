package io.raftline.api.resp;

import static io.raftline.api.resp.RawResp.array;
import static io.raftline.api.resp.RawResp.bulk;
import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.server.ClusterVerticle;
import io.raftline.server.Metrics;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A follower's multi-key reads of large values, on a real 3-node cluster, measured by the bytes the follower's
 * forwarding client receives ({@code vertx_http_client_bytes_read} of {@code /metrics}; the nodes of this cluster share
 * one process, so the figure counts every node's HTTP client). Before, the leader answered every forwarded lookup or
 * listing with every value: a follower's {@code EXISTS k0 … k99} of 1 MiB values moved 100 MiB, blocked the leader's
 * event loop for 21 s (it lost its leadership) and took nodes of 1 GiB of heap out of memory, and an MGET above the
 * 64 MiB reply limit was refused only once its values had all been sent. Now the reads that need no value carry none,
 * and the leader refuses to send more values than the reply may hold before it encodes any.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FollowerMultiKeyReadBytesTest {

    /** Keys of 1 MiB: 66 MiB together, more than an MGET reply may hold (64 MiB). */
    private static final int KEYS = 66;
    private static final String VALUE = "z".repeat(1 << 20);
    /** What the commands that need no value may move through the forwarding link, all together: no value. */
    private static final long NO_VALUE_BYTES = 512 * 1024;

    private InJvmCluster harness;
    private ClusterVerticle cluster;
    private int leader;
    private int follower;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    void start() throws Exception {
        JsonObject config = ClusterConfigs.cluster(3, 17, 3000);
        config.getJsonObject("raft").put("heartbeat_ms", 100).put("election_timeout_min_ms", 1500)
                .put("election_timeout_max_ms", 3000);
        harness = InJvmCluster.builder(config).vertxOptions(Metrics.enable(new VertxOptions())).start();
        cluster = harness.verticle();
        leader = await(harness.leader());
        follower = leader % 3 + 1;
        for (int i = 0; i < KEYS; i += 8) {
            StringBuilder sets = new StringBuilder();
            StringBuilder oks = new StringBuilder();
            for (int j = i; j < Math.min(KEYS, i + 8); j++) {
                sets.append(array("SET", key(j), VALUE));
                oks.append("+OK\r\n");
            }
            assertThat(exchange(leader, sets + array("QUIT"))).isEqualTo(oks + "+OK\r\n");
        }
    }

    @AfterAll
    void stop() {
        if (harness != null) {
            harness.close();
        }
    }

    private static String key(int i) {
        return "lk:" + i;
    }

    private static String[] command(String name) {
        List<String> words = new ArrayList<>();
        words.add(name);
        for (int i = 0; i < KEYS; i++) {
            words.add(key(i));
        }
        return words.toArray(String[]::new);
    }

    private String exchange(int node, String request) throws Exception {
        return RawResp.exchange(harness.vertx(), cluster.respAddress(node), request, Integer.MAX_VALUE);
    }

    /** The bytes every HTTP client of the process has read so far (the forwarding links'). */
    private long forwardedBytes() throws Exception {
        HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(cluster.nodeUrl(follower)
                + "/metrics")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        for (String line : metrics.body().split("\n")) {
            if (line.startsWith("vertx_http_client_bytes_read_total")) {
                return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no vertx_http_client_bytes_read_total in /metrics: " + metrics.statusCode() + " "
                + metrics.body().lines().filter(l -> l.contains("client")).toList());
    }

    @Test
    void readsThatNeedNoValueMoveNoValueThroughTheLeader() throws Exception {
        long before = forwardedBytes();
        String pattern = "lk:*";
        String request = array(command("EXISTS")) + array("TYPE", key(0)) + array("STRLEN", key(1))
                + array("TTL", key(2)) + array("PTTL", key(3)) + array("PERSIST", key(4)) + array(command("WATCH"))
                + array("UNWATCH") + array("KEYS", pattern) + array("SCAN", "0", "MATCH", pattern, "COUNT", "1000")
                + array("DBSIZE") + array("QUIT");
        String replies = exchange(follower, request);
        long moved = forwardedBytes() - before;

        assertThat(moved).as("bytes forwarded for %d keys of 1 MiB", KEYS).isLessThan(NO_VALUE_BYTES);
        assertThat(replies).startsWith(":" + KEYS + "\r\n+string\r\n:" + (1 << 20) + "\r\n:-1\r\n:-1\r\n:0\r\n"
                + "+OK\r\n+OK\r\n*" + KEYS + "\r\n");
        // SCAN's page of keys alone holds every key (a page with values stopped at 4 MiB: four keys and a cursor).
        assertThat(replies).contains(bulk(key(KEYS - 1))).contains("*2\r\n$1\r\n0\r\n*" + KEYS + "\r\n")
                .endsWith(":" + KEYS + "\r\n+OK\r\n");
    }

    /**
     * An MGET whose values pass the reply limit is refused through the follower as on the leader, word for word, and
     * the leader sends none of the values.
     */
    @Test
    void anMgetAboveTheReplyLimitIsRefusedWithoutItsValuesComingThrough() throws Exception {
        String onLeader = exchange(leader, array(command("MGET")) + array("QUIT"));
        assertThat(onLeader).startsWith("-ERR MGET reply of " + (long) KEYS * (1 << 20) + " bytes");

        long before = forwardedBytes();
        String onFollower = exchange(follower, array(command("MGET")) + array("QUIT"));
        long moved = forwardedBytes() - before;

        assertThat(moved).as("bytes forwarded for a refused MGET of %d MiB", KEYS).isLessThan(NO_VALUE_BYTES);
        assertThat(onFollower).isEqualTo(onLeader);
    }

    /** GETs of those keys, pipelined, are all answered: read in parts through the leader if they must be. */
    @Test
    void pipelinedGetsOfMoreThanOneAnswerHoldsAreAllAnswered() throws Exception {
        StringBuilder gets = new StringBuilder();
        for (int i = 0; i < KEYS; i++) {
            gets.append(array("GET", key(i)));
        }
        String replies = exchange(follower, gets + array("QUIT"));
        assertThat(replies.length()).isEqualTo(KEYS * bulk(VALUE).length() + "+OK\r\n".length());
        assertThat(replies).isEqualTo(bulk(VALUE).repeat(KEYS) + "+OK\r\n");
    }
}
