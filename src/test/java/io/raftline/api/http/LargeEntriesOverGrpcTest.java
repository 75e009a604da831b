package io.raftline.api.http;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.config.RaftlineConfig;
import io.raftline.kv.KvCommand;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The largest command a client may send ({@code max_body_bytes} at its limit, 64 MiB, and a Redis MSET's keys beyond
 * it) becomes a log entry that reaches every replica over the gRPC transport, through a follower too: the transport's
 * messages are sized from the configuration. With the transport's fixed 64 MiB, such an entry was refused by every
 * follower, again and again, and the group committed nothing after it.
 *
 * <p>Moving 64 MiB through three nodes that share one JVM and two cores takes seconds of copying and collection, long
 * enough for a follower to miss its leader's heartbeats and call an election: a leader change is a legitimate outcome
 * then, and the write comes back {@code TRYAGAIN}, as the Redis contract says (docs/redis.md). So the test runs with
 * the product's default election timeouts, and does what a client must: retries a write refused as retryable, a few
 * times. The bug it guards against refuses the entry on every try, so no retry ever succeeds.
 */
@Tag("slow")
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, timeUnit = TimeUnit.SECONDS)
class LargeEntriesOverGrpcTest {

    private static final int VALUES = (int) (RaftlineConfig.MAX_BODY_BYTES_LIMIT / KvCommand.MAX_VALUE_BYTES);

    private static final int TRIES = 4;

    @Test
    void theLargestCommandAClientMaySendReachesEveryReplica(Vertx vertx) throws Exception {
        JsonObject config = ClusterConfigs.cluster(3, 11, 30_000).put("transport", "grpc");
        config.put("raft", new JsonObject()); // the product's timing, not the suite's fast one
        config.getJsonObject("service").put("max_body_bytes", RaftlineConfig.MAX_BODY_BYTES_LIMIT);
        InJvmCluster harness = InJvmCluster.builder(config).start();
        WebClient client = WebClient.create(vertx);
        RedisConnection redis = null;
        try {
            int leader = await(harness.leader());
            int follower = leader == 1 ? 2 : 1;
            redis = await(Redis.createClient(vertx, new RedisOptions()
                    .setConnectionString("redis://" + harness.verticle().respAddress(follower))).connect());
            // 64 values of 1 MiB under 64 keys: one entry just over 64 MiB.
            Request mset = Request.cmd(Command.MSET);
            byte[] value = new byte[KvCommand.MAX_VALUE_BYTES];
            for (int i = 0; i < VALUES; i++) {
                Arrays.fill(value, (byte) ('a' + i % 26));
                mset.arg("big/" + i).arg(value.clone());
            }
            assertThat(msetWithRetries(redis, mset)).isEqualTo("OK");
            for (int node = 1; node <= 3; node++) {
                String url = harness.verticle().nodeUrl(node) + "/v1/kv/big/" + (VALUES - 1) + "?consistency=stale";
                eventually("node " + node + " holds the last value", Duration.ofSeconds(30), () -> {
                    HttpResponse<Buffer> r = await(client.getAbs(url).send());
                    return r.statusCode() == 200 && r.body().length() == KvCommand.MAX_VALUE_BYTES;
                });
            }
            // And the group goes on: a small write after it commits (through whichever node leads by then).
            String after = harness.verticle().nodeUrl(follower) + "/v1/kv/after";
            eventually("a write after the large one commits", Duration.ofSeconds(30), () -> await(client
                    .requestAbs(HttpMethod.PUT, after).sendBuffer(Buffer.buffer("x"))).statusCode() == 200);
        } finally {
            if (redis != null) {
                redis.close();
            }
            client.close();
            harness.close();
        }
    }

    /** Sends the MSET, again after a retryable refusal (a leader change), at most {@value #TRIES} times. */
    private static String msetWithRetries(RedisConnection redis, Request mset) throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
            long start = System.nanoTime();
            try {
                String reply = await(redis.send(mset), Duration.ofSeconds(60)).toString();
                System.out.printf("[large] MSET of %d MiB acknowledged in %d ms (attempt %d)%n", VALUES,
                        (System.nanoTime() - start) / 1_000_000, attempt);
                return reply;
            } catch (Throwable e) {
                // A Redis error reply arrives as Vert.x's ErrorType, a Throwable that is no Exception, and await
                // throws a failed future's cause as it is: catching RuntimeException let every TRYAGAIN through.
                if (attempt == TRIES || e.getMessage() == null || !e.getMessage().startsWith("TRYAGAIN")) {
                    throw e;
                }
                System.out.printf("[large] attempt %d refused after %d ms: %s%n", attempt,
                        (System.nanoTime() - start) / 1_000_000, e.getMessage());
            }
        }
    }
}
