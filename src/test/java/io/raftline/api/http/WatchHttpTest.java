package io.raftline.api.http;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.faults.NodeFault;
import io.raftline.kv.KvChange;
import io.raftline.node.NodeHost;
import io.raftline.node.NodeRequestException;
import io.raftline.server.ClusterVerticle;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code GET /v1/watch} on a real 3-node cluster: every change in log order from any node, transactions as several
 * changes at one revision, resuming with {@code Last-Event-ID} without gap or duplicate, the end of the stream when
 * the node crashes, and 410 with the oldest revision once a restarted node's history starts after its snapshot.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class WatchHttpTest {

    private InJvmCluster harness;
    private ClusterVerticle cluster;
    private WebClient web;
    private HttpClient http;
    /**
     * Where the watches are opened from: asked from the test's thread, the callback that attaches a response's handler
     * could run after the first events had come, and they were dropped (Vert.x 5.0.7, see AdminHttp).
     */
    private io.vertx.core.Context asking;

    @BeforeEach
    void start(Vertx vertx) throws Exception {
        JsonObject config = ClusterConfigs.cluster(3, 13, 3000);
        config.getJsonObject("raft").put("snapshot_interval_entries", 20);
        // Followers partitioned for as long as a test needs keep their watches: what they do once their leader has
        // been unknown for long is WatchLeaderlessTest's.
        config.getJsonObject("service").put("watch_leaderless_ms", 0);
        harness = InJvmCluster.builder(config).start();
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

    private WatchStream open(int node, String query, String lastEventId) throws InterruptedException {
        return WatchStream.open(http, asking, cluster.nodeUrl(node) + "/v1/watch" + query, lastEventId);
    }

    private long put(int node, String key, String value) throws InterruptedException {
        HttpResponse<Buffer> r = await(web.putAbs(cluster.nodeUrl(node) + "/v1/kv/" + key)
                .sendBuffer(Buffer.buffer(value)));
        assertThat(r.statusCode()).isEqualTo(200);
        return r.bodyAsJsonObject().getLong("revision");
    }

    /**
     * A watch "from now" names its start before any change (an id-only block), so a client whose stream breaks
     * before the first change under its prefix resumes at that start, as EventSource and {@code kv watch} do with
     * the last id they got: the change made while it was away is not lost.
     */
    @Test
    void aStreamThatBreaksBeforeItsFirstChangeResumesAtItsStartWithoutAGap() throws Exception {
        int leader = await(cluster.awaitLeader(10_000));
        long before = put(leader, "other", "0");
        WatchStream first = new WatchStream();
        RequestOptions o = new RequestOptions().setMethod(HttpMethod.GET)
                .setAbsoluteURI(cluster.nodeUrl(leader) + "/v1/watch?prefix=gap/");
        HttpClientRequest req = await(io.raftline.transport.OnContext.call(asking, () -> http.request(o).compose(r -> {
            Future<HttpClientResponse> ready = r.response().map(resp -> resp.handler(first::feed));
            r.end();
            return ready.map(resp -> r);
        })));
        eventually("the stream named its start", () -> first.lastId != null);
        assertThat(Long.parseLong(first.lastId)).as("the revision before the start").isGreaterThanOrEqualTo(before);
        assertThat(first.ids).isEmpty();
        // The stream breaks (proxy timeout, network blip) before any change under gap/ ...
        await(req.connection().close());
        // ... a change is applied while the client is away ...
        long missed = put(leader, "gap/x", "1");
        // ... and the client reconnects with the last id it got, as EventSource does.
        WatchStream second = open(leader, "?prefix=gap/", first.lastId);
        long next = put(leader, "gap/y", "2");
        eventually("the reconnected stream sees gap/y", () -> second.ids.contains(next + ":0"));
        assertThat(second.ids).as("the change at revision %d made during the break, then the next", missed)
                .containsExactly(missed + ":0", next + ":0");
    }

    /**
     * A node reports the revisions a quiet watch has passed (what the streams send every 15 s as an id-only block):
     * only once the watch passed its start, and only after every change up to it was handed over.
     */
    @Test
    void aQuietWatchIsToldWhichRevisionsItPassedOnlyOnceItPassedThem() throws Exception {
        int leader = await(cluster.awaitLeader(10_000));
        long before = put(leader, "other", "0");
        List<String> got = new CopyOnWriteArrayList<>();
        NodeHost.Watch w = await(cluster.nodes().get(leader).watch("quiet/", 0, 0, new NodeHost.WatchSink() {
            @Override
            public void changes(List<KvChange> changes) {
                changes.forEach(c -> got.add(c.key() + "@" + c.revision()));
            }

            @Override
            public void progress(long revision) {
                got.add("passed " + revision);
            }

            @Override
            public void ended(NodeRequestException why) {
                got.add("ended");
            }
        }));
        assertThat(w.start()).hasSize(1);
        long start = w.start().get(0).revision();
        assertThat(start).isGreaterThan(before);
        long loud = put(leader, "loud/x", "1");
        long quiet = put(leader, "quiet/a", "1");
        eventually("the change under quiet/ came", () -> got.contains("quiet/a@" + quiet));
        w.requestProgress();
        eventually("the progress came", () -> got.stream().anyMatch(g -> g.startsWith("passed")));
        long passed = Long.parseLong(got.get(got.size() - 1).substring("passed ".length()));
        assertThat(passed).isGreaterThanOrEqualTo(Math.max(loud, quiet));
        assertThat(got).containsExactly("quiet/a@" + quiet, "passed " + passed);
        w.cancel();
    }

    @Test
    void aFollowerStreamsEveryChangeInLogOrderAndAResumedStreamHasNoGapOrDuplicate() throws Exception {
        int leader = await(cluster.awaitLeader(10_000));
        int follower = leader % 3 + 1;
        long first = put(leader, "w/a", "1");
        WatchStream live = open(follower, "?prefix=w/&fromRevision=" + first, null);
        long second = put(leader, "w/b", "2");
        put(leader, "other", "ignored");
        await(web.deleteAbs(cluster.nodeUrl(leader) + "/v1/kv/w/a").send());
        HttpResponse<Buffer> txn = await(web.postAbs(cluster.nodeUrl(leader) + "/v1/txn")
                .putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer(
                "{\"success\":[{\"put\":{\"key\":\"w/c\",\"value\":\"3\"}},{\"put\":{\"key\":\"x\",\"value\":\"no\"}},"
                        + "{\"delete\":{\"key\":\"w/b\"}}]}")));
        long txnRevision = txn.bodyAsJsonObject().getLong("revision");
        eventually("five changes under w/", () -> live.data.size() >= 5);
        assertThat(live.kinds).containsExactly("put", "put", "delete", "put", "delete");
        assertThat(live.ids).containsExactly(first + ":0", second + ":0", (second + 2) + ":0", txnRevision + ":0",
                txnRevision + ":2");
        assertThat(live.data.get(0).getString("key")).isEqualTo("w/a");
        assertThat(live.data.get(0).getString("value")).isEqualTo("1");
        assertThat(live.data.get(4).getString("key")).isEqualTo("w/b");
        assertThat(live.data.stream().map(d -> d.getLong("revision")).toList()).isSorted();

        // Resumed after the transaction's first change: only its last one, then what follows.
        WatchStream resumed = open(leader, "?prefix=w/", txnRevision + ":0");
        long later = put(leader, "w/d", "4");
        eventually("the resumed stream reaches w/d", () -> resumed.ids.contains(later + ":0"));
        assertThat(resumed.ids).containsExactly(txnRevision + ":2", later + ":0");
        eventually("the live stream reaches w/d too", () -> live.ids.contains(later + ":0"));

        // A crash of the node ends its streams with an error event.
        await(cluster.faults().apply(follower, NodeFault.CRASH));
        eventually("the follower's stream ends", () -> live.ended);
        assertThat(live.kinds.get(live.kinds.size() - 1)).isEqualTo("error");
    }

    @Test
    void aWatchFromARevisionTheNodeHasNotReachedStartsThere() throws Exception {
        int leader = await(cluster.awaitLeader(10_000));
        long now = put(leader, "f/a", "0");
        long from = now + 3;
        WatchStream events = open(leader, "?prefix=f/&fromRevision=" + from, null);
        List<Long> written = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            written.add(put(leader, "f/" + i, String.valueOf(i)));
        }
        long last = written.get(written.size() - 1);
        eventually("the stream reaches the last write", () -> events.ids.contains(last + ":0"));
        List<String> expected = written.stream().filter(r -> r >= from).map(r -> r + ":0").toList();
        assertThat(events.ids).as("asked from %d", from).containsExactlyElementsOf(expected);
    }

    @Test
    void resumingOnAFollowerThatLagsRepeatsNothingTheClientSaw() throws Exception {
        int leader = await(cluster.awaitLeader(10_000));
        int lagging = leader % 3 + 1;
        int other = 6 - leader - lagging;
        await(harness.network(new JsonObject().put("partitions", new JsonArray()
                .add(new JsonArray().add(leader).add(other)).add(new JsonArray().add(lagging)))));
        WatchStream onLeader = open(leader, "?prefix=d/", null);
        put(leader, "d/1", "1");
        // A transaction makes two changes at one revision; the client saw the first only.
        HttpResponse<Buffer> txn = await(web.postAbs(cluster.nodeUrl(leader) + "/v1/txn")
                .putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer(
                "{\"success\":[{\"put\":{\"key\":\"d/2\",\"value\":\"2\"}},"
                        + "{\"put\":{\"key\":\"d/3\",\"value\":\"3\"}}]}")));
        long r2 = txn.bodyAsJsonObject().getLong("revision");
        eventually("the leader streamed the transaction", () -> onLeader.ids.contains(r2 + ":1"));
        // The client reconnects to the follower, which has applied neither write yet.
        WatchStream resumed = open(lagging, "?prefix=d/", r2 + ":0");
        await(harness.healAll());
        long r3 = put(leader, "d/4", "4");
        eventually("the follower caught up", () -> resumed.ids.contains(r3 + ":0"));
        assertThat(resumed.ids).as("resumed after %d:0", r2).containsExactly(r2 + ":1", r3 + ":0");
    }

    /**
     * A follower that falls so far behind that the leader sends it a snapshot does not know the changes the snapshot
     * covers: its watches end with an error instead of skipping them, a client resuming there with its last id is told
     * the oldest revision the node can stream (410), and from that revision on nothing is missed.
     */
    @Test
    void aFollowerThatInstallsTheLeadersSnapshotEndsItsWatchesAndSkipsNoChangeSilently() throws Exception {
        int leader = await(cluster.awaitLeader(10_000));
        int behind = leader % 3 + 1;
        int other = 6 - leader - behind;
        long first = put(leader, "s/a", "1");
        WatchStream watching = open(behind, "?prefix=s/&fromRevision=" + first, null);
        eventually("the follower streamed the first change", () -> watching.ids.contains(first + ":0"));
        await(harness.network(new JsonObject().put("partitions", new JsonArray()
                .add(new JsonArray().add(leader).add(other)).add(new JsonArray().add(behind)))));
        long applied = await(cluster.nodes().get(behind).status()).applied();
        List<Long> missed = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            missed.add(put(leader, "s/" + i, "v" + i));
        }
        eventually("the leader compacted past what the follower has", () -> cluster.nodes().get(leader).status()
                .map(s -> s.snapshotIndex() > applied + 1));
        await(harness.healAll());
        eventually("the follower's stream ends", () -> watching.ended);
        assertThat(watching.kinds.get(watching.kinds.size() - 1)).isEqualTo("error");
        assertThat(watching.data.get(watching.data.size() - 1).getString("error")).isEqualTo("outcome_unknown");
        List<String> seen = watching.ids.subList(0, watching.ids.size() - 1);
        assertThat(seen).as("nothing after the partition reached the stream").containsExactly(first + ":0");

        long installed = await(cluster.nodes().get(behind).status()).snapshotIndex();
        assertThat(installed).isGreaterThan(applied);
        HttpResponse<Buffer> gone = await(web.getAbs(cluster.nodeUrl(behind) + "/v1/watch?prefix=s/")
                .putHeader("Last-Event-ID", watching.lastId).send());
        assertThat(gone.statusCode()).as(gone.bodyAsString()).isEqualTo(410);
        assertThat(gone.bodyAsJsonObject().getLong("oldestRevision")).isEqualTo(installed + 1);

        WatchStream rest = open(behind, "?prefix=s/&fromRevision=" + (installed + 1), null);
        long next = put(leader, "s/next", "n");
        eventually("the follower streams what follows its snapshot", () -> rest.ids.contains(next + ":0"));
        List<String> expected = new ArrayList<>(missed.stream().filter(r -> r > installed).map(r -> r + ":0")
                .toList());
        expected.add(next + ":0");
        assertThat(rest.ids).containsExactlyElementsOf(expected);
    }

    /**
     * Opens a watch on a plain connection and completes with the status line of its answer (a served watch writes
     * its head at once), the socket in {@code into}.
     */
    private static Future<String> rawWatch(NetClient net, URI node, List<NetSocket> into) {
        return net.connect(node.getPort(), node.getHost()).compose(s -> {
            into.add(s);
            Promise<String> status = Promise.promise();
            Buffer head = Buffer.buffer();
            s.handler(b -> {
                head.appendBuffer(b);
                String text = head.toString();
                int eol = text.indexOf("\r\n");
                if (eol >= 0) {
                    status.tryComplete(text.substring(0, eol));
                }
            });
            s.closeHandler(v -> status.tryFail("closed before an answer"));
            return s.write("GET /v1/watch?prefix=leak/ HTTP/1.1\r\nHost: " + node.getHost() + "\r\n\r\n")
                    .compose(v -> status.future());
        });
    }

    @Test
    void watchesWhoseClientsLeaveBeforeTheNodeRegistersThemFreeTheirSlots() throws Exception {
        int leader = await(cluster.awaitLeader(10_000));
        int node = leader % 3 + 1;
        URI u = URI.create(cluster.nodeUrl(node));
        NetClient net = harness.vertx().createNetClient();
        // A stalled node holds every registration: each watch waits for it, holding its slot.
        await(harness.stall(node));
        List<NetSocket> waiting = new CopyOnWriteArrayList<>();
        List<Future<String>> answers = new ArrayList<>();
        for (int i = 0; i <= WatchApi.MAX_WATCHES; i++) {
            answers.add(rawWatch(net, u, waiting));
        }
        // Only a refusal can come back from a stalled node: once one came, every slot is held by a waiting watch.
        String refused = await(Future.any(answers).map(v -> answers.stream().filter(Future::succeeded)
                .findFirst().orElseThrow().result()), Duration.ofSeconds(30));
        assertThat(refused).startsWith("HTTP/1.1 503");
        // Every client leaves before the node registered its watch.
        await(Future.all(waiting.stream().map(NetSocket::close).toList()));
        await(harness.unstall(node));
        // Every slot comes back: the node serves as many new watches as before.
        List<NetSocket> served = new ArrayList<>();
        eventually("the node serves " + WatchApi.MAX_WATCHES + " new watches", Duration.ofSeconds(30), () -> {
            while (served.size() < WatchApi.MAX_WATCHES) {
                List<NetSocket> one = new ArrayList<>();
                String status = await(rawWatch(net, u, one));
                if (!status.startsWith("HTTP/1.1 200")) {
                    await(one.get(0).close());
                    return false;
                }
                served.add(one.get(0));
            }
            return true;
        });
        await(Future.all(served.stream().map(NetSocket::close).toList()));
    }

    @Test
    void aRevisionOlderThanTheHistoryIsGoneWithTheOldestRevision() throws Exception {
        int leader = await(cluster.awaitLeader(10_000));
        int follower = leader % 3 + 1;
        List<Long> revisions = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            revisions.add(put(leader, "k" + i, "v" + i));
        }
        eventually("the follower took a snapshot", () -> cluster.nodes().get(follower).status()
                .map(s -> s.snapshotIndex() > 0));
        await(cluster.faults().apply(follower, NodeFault.CRASH));
        await(cluster.faults().apply(follower, NodeFault.RESTART));
        long snapshotIndex = await(cluster.nodes().get(follower).status()).snapshotIndex();
        HttpResponse<Buffer> gone = await(web.getAbs(cluster.nodeUrl(follower) + "/v1/watch?fromRevision=1").send());
        assertThat(gone.statusCode()).isEqualTo(410);
        assertThat(gone.bodyAsJsonObject().getString("error")).isEqualTo("compacted");
        assertThat(gone.bodyAsJsonObject().getLong("oldestRevision")).isEqualTo(snapshotIndex + 1);
        // From the oldest revision on, everything the log still holds is streamed.
        WatchStream rest = open(follower, "?fromRevision=" + (snapshotIndex + 1), null);
        long last = revisions.get(revisions.size() - 1);
        if (last > snapshotIndex) {
            eventually("the follower streams what its log holds", () -> rest.ids.contains(last + ":0"));
        }
        HttpResponse<Buffer> bad = await(web.getAbs(cluster.nodeUrl(follower) + "/v1/watch").putHeader("Last-Event-ID",
                "x").send());
        assertThat(bad.statusCode()).isEqualTo(400);
    }
}
