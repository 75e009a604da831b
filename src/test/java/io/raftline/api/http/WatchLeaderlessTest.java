package io.raftline.api.http;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.server.ClusterVerticle;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A watch on a node cut off from its leader does not stay open and silent while the rest of the cluster commits:
 * once the node has known no leader for {@code service.watch_leaderless_ms} (three election timeouts by default) its
 * watches end with {@code no_leader} and new ones are refused the same way, so the client resumes on another node
 * with its last id, without a gap; a paused node ends its watches at once. A node that has a leader again serves
 * watches again.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class WatchLeaderlessTest {

    private InJvmCluster harness;
    private ClusterVerticle cluster;
    private WebClient web;
    private HttpClient http;
    private io.vertx.core.Context asking;

    @BeforeEach
    void start(Vertx vertx) throws Exception {
        harness = InJvmCluster.builder(ClusterConfigs.cluster(3, 17, 3000)).start();
        cluster = harness.verticle();
        web = WebClient.create(vertx);
        http = vertx.createHttpClient();
        asking = vertx.getOrCreateContext();
    }

    @AfterEach
    void stop() {
        if (web != null) {
            web.close();
        }
        if (harness != null) {
            harness.close();
        }
    }

    private WatchStream open(int node, String lastEventId) throws InterruptedException {
        WatchStream stream = WatchStream.open(http, asking, cluster.nodeUrl(node) + "/v1/watch?prefix=n/", lastEventId);
        eventually("the stream named its start", () -> stream.lastId != null);
        return stream;
    }

    /** A watch's answer: its status, and its body when it is refused (a served watch is closed after its head). */
    private JsonObject watchAnswer(int node) throws InterruptedException {
        RequestOptions o = new RequestOptions().setMethod(HttpMethod.GET)
                .setAbsoluteURI(cluster.nodeUrl(node) + "/v1/watch?prefix=n/");
        return await(io.raftline.transport.OnContext.call(asking, () -> http.request(o).compose(req -> {
            req.end();
            return req.response().compose(r -> {
                if (r.statusCode() == 200) {
                    req.reset();
                    return Future.succeededFuture(new JsonObject().put("status", 200));
                }
                return r.body().map(b -> b.toJsonObject().put("status", r.statusCode()));
            });
        })));
    }

    private long put(int node, String key) throws InterruptedException {
        HttpResponse<Buffer> r = await(web.putAbs(cluster.nodeUrl(node) + "/v1/kv/" + key)
                .sendBuffer(Buffer.buffer("v")));
        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
        return r.bodyAsJsonObject().getLong("revision");
    }

    @Test
    void aPartitionedFollowersWatchEndsWithNoLeaderAndResumesElsewhereWithoutAGap() throws Exception {
        int leader = await(cluster.awaitLeader(10_000));
        int cut = leader % 3 + 1;
        WatchStream watching = open(cut, null);
        long first = put(leader, "n/a");
        eventually("the follower streamed the first change", () -> watching.kinds.size() == 1);

        await(harness.network(new JsonObject().put("partitions", new JsonArray()
                .add(new JsonArray().add(cut)))));
        long missed = put(leader, "n/b");
        eventually("the cut-off follower's stream ends", () -> watching.ended);
        assertThat(watching.kinds).containsExactly("put", "error");
        assertThat(watching.last().getString("error")).isEqualTo("no_leader");
        assertThat(watching.last().getString("message")).contains("has known no leader for");
        assertThat(watching.lastId).isEqualTo(first + ":0");

        JsonObject refused = watchAnswer(cut);
        assertThat(refused.getInteger("status")).as(refused.encode()).isEqualTo(503);
        assertThat(refused.getString("error")).isEqualTo("no_leader");

        // Resumed on a node that has a leader, with the last id the stream gave: the change made meanwhile first.
        WatchStream resumed = open(leader, watching.lastId);
        long next = put(leader, "n/c");
        eventually("the resumed stream reaches n/c", () -> resumed.kinds.size() == 2);
        assertThat(resumed.data).extracting(d -> d.getLong("revision")).containsExactly(missed, next);

        await(harness.healAll());
        eventually("the follower serves watches again once it has a leader",
                () -> watchAnswer(cut).getInteger("status") == 200);
    }

    @Test
    void aPausedNodesWatchEndsAtOnce() throws Exception {
        int leader = await(cluster.awaitLeader(10_000));
        int paused = leader % 3 + 1;
        WatchStream watching = open(paused, null);
        await(harness.pause(paused));
        eventually("the paused node's stream ends", () -> watching.ended);
        assertThat(watching.kinds).containsExactly("error");
        assertThat(watching.last().getString("error")).isEqualTo("node_paused");
    }
}
