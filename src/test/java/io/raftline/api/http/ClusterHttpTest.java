package io.raftline.api.http;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.raftline.kv.KvCommand;
import io.raftline.kv.KvResult;
import io.raftline.node.NodeRequestException;
import io.raftline.server.ClusterVerticle;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A real 3-node cluster in one JVM, driven only through its HTTP APIs (and, where a test needs a request in
 * flight at a precise moment, through a node's client API): elections, forwarding, consistency levels,
 * compare-and-set, crashes, partitions, idempotency and input validation.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class ClusterHttpTest {

    private static final long REQUEST_TIMEOUT_MS = 3000;

    InJvmCluster harness;
    ClusterVerticle cluster;
    private WebClient client;

    /**
     * The cluster's configuration; {@link ClusterHttpOverGrpcTest} runs the same tests with another transport.
     *
     * @return the test cluster's JSON configuration
     */
    JsonObject config() {
        return ClusterConfigs.cluster(3, 7, REQUEST_TIMEOUT_MS);
    }

    @BeforeEach
    void start(Vertx vertx) throws Exception {
        this.harness = InJvmCluster.builder(config()).start();
        this.cluster = harness.verticle();
        this.client = WebClient.create(vertx);
    }

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        if (harness != null) {
            harness.close();
        }
    }

    // ---------------------------------------------------------------- helpers

    HttpResponse<Buffer> send(HttpMethod method, String url, Buffer body, MultiMap headers)
            throws InterruptedException {
        var req = client.requestAbs(method, url).timeout(8000);
        if (headers != null) {
            req.putHeaders(headers);
        }
        if (body != null && !url.contains("/v1/kv/") && (headers == null || !headers.contains("Content-Type"))) {
            req.putHeader("Content-Type", "application/json");
        }
        return await(body == null ? req.send() : req.sendBuffer(body));
    }

    HttpResponse<Buffer> put(int node, String path, String value) throws InterruptedException {
        return send(HttpMethod.PUT, cluster.nodeUrl(node) + path, Buffer.buffer(value), null);
    }

    HttpResponse<Buffer> get(int node, String path) throws InterruptedException {
        return send(HttpMethod.GET, cluster.nodeUrl(node) + path, null, null);
    }

    /**
     * A read as a client does it right after a failover: a 503 with Retry-After (no leader known yet, or leadership
     * moved again while the read was confirmed, which a starved machine makes likely) is the documented "ask again",
     * so it is asked again, for at most 10 s; any other answer is returned as it is.
     */
    private HttpResponse<Buffer> getRetrying(int node, String path) throws InterruptedException {
        java.util.concurrent.atomic.AtomicReference<HttpResponse<Buffer>> last =
                new java.util.concurrent.atomic.AtomicReference<>();
        eventually("node " + node + " answers " + path + " with something other than 503", () -> {
            last.set(get(node, path));
            return last.get().statusCode() != 503 || last.get().getHeader("Retry-After") == null;
        });
        return last.get();
    }

    HttpResponse<Buffer> admin(HttpMethod method, String path, String body) throws InterruptedException {
        return send(method, cluster.adminUrl() + path, body == null ? null : Buffer.buffer(body), null);
    }

    JsonObject clusterState() throws InterruptedException {
        return admin(HttpMethod.GET, "/v1/cluster", null).bodyAsJsonObject();
    }

    private int leader() throws InterruptedException {
        return clusterState().getInteger("leader");
    }

    /**
     * The leader of the group that owns a key: on a sharded cluster ({@code "groups"} above 1) the groups' leaders
     * differ, and {@code /v1/cluster}'s {@code leader} is group 0's.
     */
    int leaderFor(String key) throws InterruptedException {
        int[] found = {0};
        eventually("a known leader of the group of key " + key, () -> {
            JsonObject c = clusterState();
            JsonArray groups = c.getJsonArray("groups");
            found[0] = groups == null ? c.getInteger("leader")
                    : groups.getJsonObject(new io.raftline.shard.KeyGroups(groups.size()).groupOf(key))
                            .getInteger("leader");
            return found[0] != 0;
        });
        return found[0];
    }

    /**
     * Two keys a transaction may change together: in one group. A sharded variant picks keys of one group.
     *
     * @return two different keys
     */
    String[] txnKeys() {
        return keysOfOneGroup("account/a", "account/b");
    }

    /**
     * Two keys in one Raft group: {@code a} and {@code b} here; a sharded variant keeps {@code a} and picks the first
     * of {@code b0}, {@code b1}, ... in {@code a}'s group.
     */
    String[] keysOfOneGroup(String a, String b) {
        return new String[] {a, b};
    }

    private int aFollower(int leader) {
        return leader == 1 ? 2 : 1;
    }

    /**
     * Waits until a node other than {@code old} leads and every other running node but {@code old} knows it (a
     * follower that still believes in the old leader would send it the request and answer 503, which a client
     * retries), and returns it.
     */
    private int awaitNewLeader(int old) throws InterruptedException {
        int[] found = {0};
        eventually("a leader other than node " + old + ", known to the other running nodes", () -> {
            JsonObject c = clusterState();
            int l = c.getInteger("leader");
            found[0] = l;
            if (l == 0 || l == old) {
                return false;
            }
            JsonArray nodes = c.getJsonArray("nodes");
            for (int i = 0; i < nodes.size(); i++) {
                JsonObject n = nodes.getJsonObject(i);
                if (n.getInteger("id") != old && Boolean.TRUE.equals(n.getBoolean("up")) && n.getInteger("leader", 0) != l) {
                    return false;
                }
            }
            return true;
        });
        return found[0];
    }

    /**
     * On a sharded cluster, waits until every group has a leader other than {@code node} (a node cut off or paused
     * may have led some): until then a write to one of its keys is refused with 503, which clients retry. A cluster
     * of one group has nothing more to wait for once {@link #awaitNewLeader} returned.
     */
    void awaitEveryGroupLedWithout(int node) throws InterruptedException {
        eventually("every group led by a node other than " + node, () -> {
            JsonArray groups = clusterState().getJsonArray("groups", new JsonArray());
            for (int g = 0; g < groups.size(); g++) {
                int l = groups.getJsonObject(g).getInteger("leader", 0);
                if (l == 0 || l == node) {
                    return false;
                }
            }
            return true;
        });
    }

    static String errorOf(HttpResponse<Buffer> r) {
        return r.bodyAsJsonObject().getString("error");
    }

    // ---------------------------------------------------------------- tests

    /**
     * Every route that takes {@code ?group=G} refuses a value that names no group of this cluster the same way: 400
     * with {@code field} {@code group} and the range. The membership routes answered without a field, and on a
     * cluster of one group took any value ({@code ?group=7}, {@code ?group=x}) as if none had been given.
     */
    @Test
    void everyRouteRefusesAGroupOutsideTheClusterAlike() throws Exception {
        int groups = config().getInteger("groups", 1);
        String rule = "group: must be a group of this cluster, an integer in 0.." + (groups - 1) + ", got '";
        String[][] cases = {{"GET", "/v1/members?group=" + groups}, {"GET", "/v1/members?group=x"},
            {"POST", "/v1/members?group=-1"}, {"POST", "/v1/members/9/promote?group=%2B0"},
            {"DELETE", "/v1/members/9?group=99999999999"}, {"POST", "/v1/leader?group=" + groups},
            {"POST", "/v1/leader?group=0.0"}, {"GET", "/v1/members?group="}};
        for (String[] c : cases) {
            HttpResponse<Buffer> r = send(HttpMethod.valueOf(c[0]), cluster.nodeUrl(1) + c[1],
                    c[0].equals("GET") ? null : Buffer.buffer("{\"id\":9,\"url\":\"http://127.0.0.1:1\"}"), null);
            assertThat(r.statusCode()).as(c[0] + " " + c[1] + ": " + r.bodyAsString()).isEqualTo(400);
            assertThat(r.bodyAsJsonObject().getString("field")).as(c[1]).isEqualTo("group");
            assertThat(r.bodyAsJsonObject().getString("message")).as(c[1]).startsWith(rule);
        }
        assertThat(get(1, "/v1/members?group=" + (groups - 1)).statusCode()).isEqualTo(200);
        if (groups > 1) {
            HttpResponse<Buffer> r = send(HttpMethod.POST, cluster.nodeUrl(1) + "/v1/leader", Buffer.buffer("{}"), null);
            assertThat(r.statusCode()).isEqualTo(400);
            assertThat(r.bodyAsJsonObject().getString("field")).isEqualTo("group");
            assertThat(r.bodyAsJsonObject().getString("message"))
                    .startsWith("group: required on a cluster sharded over " + groups + " Raft groups");
        }
    }

    @Test
    void electsExactlyOneLeaderThatEveryNodeFollows() throws Exception {
        eventually("all nodes agree on one leader and term", () -> {
            JsonObject c = clusterState();
            JsonArray nodes = c.getJsonArray("nodes");
            long leaders = nodes.stream().map(JsonObject.class::cast).filter(n -> n.getString("role").equals("Leader"))
                    .count();
            boolean agree = nodes.stream().map(JsonObject.class::cast)
                    .allMatch(n -> n.getInteger("leader").equals(c.getInteger("leader"))
                            && n.getLong("term").equals(c.getLong("term")));
            return leaders == 1 && agree && c.getInteger("leader") != 0;
        });
        int leader = leader();
        // Every node port answers /v1/cluster and /health.
        for (int id = 1; id <= 3; id++) {
            assertThat(get(id, "/v1/cluster").bodyAsJsonObject().getInteger("leader")).isEqualTo(leader);
            HttpResponse<Buffer> health = get(id, "/health");
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.bodyAsJsonObject().getString("status")).isEqualTo("ok");
            int node = id;
            eventually("node " + node + " is ready", () -> get(node, "/readyz").statusCode() == 200);
            JsonObject ready = get(id, "/readyz").bodyAsJsonObject();
            assertThat(ready.getString("status")).isEqualTo("ready");
            assertThat(ready.getInteger("leader")).isEqualTo(leader);
            assertThat(ready.getLong("lag")).isLessThanOrEqualTo(KvApi.DEFAULT_READY_LAG);
            assertThat(get(id, "/livez").bodyAsJsonObject().getString("status")).isEqualTo("alive");
            // A load balancer may probe with HEAD: the GET's status, no body (it was 405).
            for (String probe : List.of("/health", "/readyz", "/livez")) {
                HttpResponse<Buffer> head = send(HttpMethod.HEAD, cluster.nodeUrl(id) + probe, null, null);
                assertThat(head.statusCode()).as("HEAD %s on node %d", probe, id).isEqualTo(200);
                assertThat(head.body()).as("HEAD %s's body", probe).isNull();
            }
        }
        assertThat(send(HttpMethod.HEAD, cluster.adminUrl() + "/health", null, null).statusCode()).isEqualTo(200);
        assertThat(get(1, "/readyz?max_lag=-1").statusCode()).isEqualTo(400);
    }

    @Test
    void writeThroughAFollowerIsReadableFromEveryNode() throws Exception {
        int leader = leaderFor("greeting");
        int follower = aFollower(leader);
        HttpResponse<Buffer> w = put(follower, "/v1/kv/greeting", "hello");
        assertThat(w.statusCode()).isEqualTo(200);
        long revision = w.bodyAsJsonObject().getLong("revision");
        assertThat(revision).isPositive();
        assertThat(w.getHeader(KvApi.SERVED_BY)).isEqualTo(String.valueOf(leader));

        for (int id = 1; id <= 3; id++) {
            HttpResponse<Buffer> r = get(id, "/v1/kv/greeting");
            assertThat(r.statusCode()).as("linearizable read on node %d: %s", id, r.bodyAsString()).isEqualTo(200);
            assertThat(r.bodyAsString()).isEqualTo("hello");
            assertThat(r.getHeader("Raft-Revision")).isEqualTo(String.valueOf(revision));
            assertThat(r.getHeader("Content-Type")).isEqualTo("application/octet-stream");
            int node = id;
            eventually("stale read of the write on node " + id, () -> {
                HttpResponse<Buffer> s = get(node, "/v1/kv/greeting?consistency=stale");
                return s.statusCode() == 200 && s.bodyAsString().equals("hello")
                        && s.getHeader(KvApi.SERVED_BY).equals(String.valueOf(node));
            });
        }
        HttpResponse<Buffer> lease = get(follower, "/v1/kv/greeting?consistency=lease");
        assertThat(lease.statusCode()).isEqualTo(200);
        assertThat(lease.bodyAsString()).isEqualTo("hello");

        // Listing, delete, and 404 after the delete.
        put(leader, "/v1/kv/bin", "x");
        send(HttpMethod.PUT, cluster.nodeUrl(leader) + "/v1/kv/bin", Buffer.buffer(new byte[] {(byte) 0xff, 0}), null);
        JsonObject list = get(follower, "/v1/kv?prefix=&limit=10").bodyAsJsonObject();
        assertThat(list.getInteger("count")).isEqualTo(2);
        JsonObject bin = list.getJsonArray("items").getJsonObject(0);
        assertThat(bin.getString("key")).isEqualTo("bin");
        assertThat(bin.getBoolean("base64")).isTrue();
        assertThat(bin.getString("value")).isEqualTo("/wA=");
        assertThat(list.getJsonArray("items").getJsonObject(1).getString("value")).isEqualTo("hello");
        HttpResponse<Buffer> d = send(HttpMethod.DELETE, cluster.nodeUrl(follower) + "/v1/kv/greeting", null, null);
        assertThat(d.statusCode()).isEqualTo(200);
        assertThat(d.bodyAsJsonObject().getInteger("deleted")).isEqualTo(1);
        HttpResponse<Buffer> gone = get(follower, "/v1/kv/greeting");
        assertThat(gone.statusCode()).isEqualTo(404);
        assertThat(errorOf(gone)).isEqualTo("not_found");
    }

    @Test
    void compareAndSetConflictsWith412AndSucceedsOnTheRightRevision() throws Exception {
        int node = aFollower(leader());
        HttpResponse<Buffer> created = put(node, "/v1/kv/lock?ifRevision=0", "a");
        assertThat(created.statusCode()).isEqualTo(200);
        long r1 = created.bodyAsJsonObject().getLong("revision");

        HttpResponse<Buffer> again = put(node, "/v1/kv/lock?ifRevision=0", "b");
        assertThat(again.statusCode()).isEqualTo(412);
        assertThat(errorOf(again)).isEqualTo("precondition_failed");
        assertThat(again.bodyAsJsonObject().getLong("revision")).isEqualTo(r1);

        HttpResponse<Buffer> swapped = put(node, "/v1/kv/lock?ifRevision=" + r1, "c");
        assertThat(swapped.statusCode()).isEqualTo(200);
        long r2 = swapped.bodyAsJsonObject().getLong("revision");
        assertThat(r2).isGreaterThan(r1);

        HttpResponse<Buffer> stale = put(node, "/v1/kv/lock?ifRevision=" + r1, "d");
        assertThat(stale.statusCode()).isEqualTo(412);
        assertThat(stale.bodyAsJsonObject().getLong("revision")).isEqualTo(r2);

        HttpResponse<Buffer> r = get(node, "/v1/kv/lock");
        assertThat(r.bodyAsString()).isEqualTo("c");
        assertThat(r.getHeader("Raft-Revision")).isEqualTo(String.valueOf(r2));

        // Compare-and-delete: only at the key's revision.
        HttpResponse<Buffer> staleDelete = send(HttpMethod.DELETE, cluster.nodeUrl(node) + "/v1/kv/lock?ifRevision="
                + r1, null, null);
        assertThat(staleDelete.statusCode()).isEqualTo(412);
        assertThat(staleDelete.bodyAsJsonObject().getLong("revision")).isEqualTo(r2);
        assertThat(get(node, "/v1/kv/lock").statusCode()).isEqualTo(200);
        HttpResponse<Buffer> deleted = send(HttpMethod.DELETE, cluster.nodeUrl(node) + "/v1/kv/lock?ifRevision=" + r2,
                null, null);
        assertThat(deleted.statusCode()).isEqualTo(200);
        assertThat(deleted.bodyAsJsonObject().getInteger("deleted")).isEqualTo(1);
        assertThat(get(node, "/v1/kv/lock").statusCode()).isEqualTo(404);
        assertThat(send(HttpMethod.DELETE, cluster.nodeUrl(node) + "/v1/kv/lock?ifRevision=x", null, null)
                .statusCode()).isEqualTo(400);
    }

    @Test
    void crashingTheLeaderElectsANewOneAndKeepsEveryAcknowledgedWrite() throws Exception {
        int old = leader();
        List<Long> revisions = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            HttpResponse<Buffer> w = put(aFollower(old), "/v1/kv/k" + i, "v" + i);
            assertThat(w.statusCode()).isEqualTo(200);
            revisions.add(w.bodyAsJsonObject().getLong("revision"));
        }
        HttpResponse<Buffer> crash = admin(HttpMethod.POST, "/v1/admin/nodes/" + old + "/crash", null);
        assertThat(crash.statusCode()).isEqualTo(200);
        assertThat(crash.bodyAsJsonObject().getJsonArray("crashedNodes")).containsExactly(old);
        assertThat(get(old, "/health").statusCode()).isEqualTo(503);
        HttpResponse<Buffer> notReady = get(old, "/readyz");
        assertThat(notReady.statusCode()).isEqualTo(503);
        assertThat(notReady.bodyAsJsonObject().getString("error")).isEqualTo("node_down");
        assertThat(get(old, "/livez").statusCode()).as("a crashed node's process is alive").isEqualTo(200);

        int next = awaitNewLeader(old);
        for (int id = 1; id <= 3; id++) {
            if (id == old) {
                continue;
            }
            for (int i = 0; i < 20; i++) {
                HttpResponse<Buffer> r = getRetrying(id, "/v1/kv/k" + i);
                assertThat(r.statusCode()).as("read of k%d on node %d: %s", i, id, r.bodyAsString()).isEqualTo(200);
                assertThat(r.bodyAsString()).isEqualTo("v" + i);
                assertThat(r.getHeader("Raft-Revision")).isEqualTo(String.valueOf(revisions.get(i)));
            }
        }
        assertThat(put(next, "/v1/kv/after", "crash").statusCode()).isEqualTo(200);

        // The crashed node comes back from its log store and catches up.
        assertThat(admin(HttpMethod.POST, "/v1/admin/nodes/" + old + "/restart", null).statusCode()).isEqualTo(200);
        eventually("node " + old + " caught up after restart", () -> {
            HttpResponse<Buffer> r = get(old, "/v1/kv/after?consistency=stale");
            return r.statusCode() == 200 && r.bodyAsString().equals("crash");
        });
        for (int i = 0; i < 20; i++) {
            assertThat(get(old, "/v1/kv/k" + i + "?consistency=stale").bodyAsString()).isEqualTo("v" + i);
        }
    }

    @Test
    void aPartitionedMinorityCannotServeWhileTheMajorityCan() throws Exception {
        int old = leader();
        List<Integer> majority = new ArrayList<>(List.of(1, 2, 3));
        majority.remove(Integer.valueOf(old));
        HttpResponse<Buffer> cut = admin(HttpMethod.PUT, "/v1/admin/network",
                new JsonObject().put("partitions", new JsonArray().add(new JsonArray().add(old))
                        .add(new JsonArray(majority))).encode());
        assertThat(cut.statusCode()).isEqualTo(200);
        assertThat(cut.bodyAsJsonObject().getJsonArray("partitions")).hasSize(2);

        // A write proposed on the old leader right away lands in its log but can never commit there.
        long proposedAt = System.nanoTime();
        Future<KvResult> doomed = cluster.nodes().get(old).propose(new KvCommand.Put("doomed", new byte[] {1}));

        int next = awaitNewLeader(old);
        assertThat(majority).contains(next);
        awaitEveryGroupLedWithout(old);
        HttpResponse<Buffer> w = put(majority.get(0), "/v1/kv/majority", "y");
        assertThat(w.statusCode()).isEqualTo(200);
        HttpResponse<Buffer> r = get(majority.get(1), "/v1/kv/majority");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.bodyAsString()).isEqualTo("y");

        // The minority side: CheckQuorum makes the old leader step down; it then serves no write and no
        // linearizable read (its own stale view is all it has).
        // On a sharded cluster it also follows no leader in any group any more (a follower keeps forwarding to the
        // leader it knew until its election timeout passes).
        eventually("old leader steps down and knows no leader", () -> {
            JsonObject n = clusterState().getJsonArray("nodes").getJsonObject(old - 1);
            JsonArray groups = n.getJsonArray("groups", new JsonArray());
            for (int g = 0; g < groups.size(); g++) {
                if (groups.getJsonObject(g).getInteger("leader", 0) != 0) {
                    return false;
                }
            }
            return !n.getString("role").equals("Leader");
        });
        HttpResponse<Buffer> minorityWrite = put(old, "/v1/kv/minority", "x");
        assertThat(minorityWrite.statusCode()).isIn(503, 504);
        HttpResponse<Buffer> minorityRead = get(old, "/v1/kv/majority");
        assertThat(minorityRead.statusCode()).isIn(503, 504);
        if (minorityRead.statusCode() == 503) {
            assertThat(minorityRead.getHeader("Retry-After")).isNotNull();
        }
        assertThat(get(old, "/v1/kv/majority?consistency=stale").statusCode()).isEqualTo(404);

        assertThat(admin(HttpMethod.DELETE, "/v1/admin/network", null).bodyAsJsonObject().getJsonArray("partitions"))
                .isEmpty();
        long healedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - proposedAt);
        // Healing lets the new leader overwrite the old leader's uncommitted entry, and that client is told the
        // write was dropped (unless this slow machine let its request time out first).
        Throwable t = catchThrowable(() -> await(doomed));
        assertThat(t).isInstanceOf(NodeRequestException.class);
        NodeRequestException.Reason reason = ((NodeRequestException) t).reason();
        // On a starved machine the old leader may already have stepped down (CheckQuorum) when the proposal
        // reached it: then it was refused outright (NOT_LEADER / NO_LEADER). Either way it was never applied,
        // which the 404 below checks.
        if (healedAfterMs < REQUEST_TIMEOUT_MS - 500) {
            assertThat(reason).isIn(NodeRequestException.Reason.PROPOSAL_DROPPED, NodeRequestException.Reason.NOT_LEADER,
                    NodeRequestException.Reason.NO_LEADER);
        } else {
            assertThat(reason).isIn(NodeRequestException.Reason.PROPOSAL_DROPPED, NodeRequestException.Reason.TIMEOUT,
                    NodeRequestException.Reason.NOT_LEADER, NodeRequestException.Reason.NO_LEADER);
        }
        eventually("old leader catches up after heal", () -> {
            HttpResponse<Buffer> s = get(old, "/v1/kv/majority?consistency=stale");
            return s.statusCode() == 200 && s.bodyAsString().equals("y");
        });
        assertThat(get(old, "/v1/kv/minority?consistency=stale").statusCode()).isEqualTo(404);
        assertThat(get(old, "/v1/kv/doomed?consistency=stale").statusCode()).isEqualTo(404);
    }

    @Test
    void aRetriedWriteWithTheSameIdempotencyKeyAppliesOnce() throws Exception {
        int leader = leader();
        MultiMap headers = MultiMap.caseInsensitiveMultiMap().add("Idempotency-Key", "req-1");
        HttpResponse<Buffer> first = send(HttpMethod.PUT, cluster.nodeUrl(aFollower(leader)) + "/v1/kv/counter",
                Buffer.buffer("1"), headers);
        assertThat(first.statusCode()).isEqualTo(200);
        long revision = first.bodyAsJsonObject().getLong("revision");

        // The retry may reach another node: it is the same request (the same key, body and ifRevision).
        HttpResponse<Buffer> retry = send(HttpMethod.PUT, cluster.nodeUrl(leader) + "/v1/kv/counter",
                Buffer.buffer("1"), headers);
        assertThat(retry.statusCode()).isEqualTo(200);
        assertThat(retry.bodyAsJsonObject().getLong("revision")).isEqualTo(revision);

        HttpResponse<Buffer> r = get(leader, "/v1/kv/counter");
        assertThat(r.bodyAsString()).isEqualTo("1");
        assertThat(r.getHeader("Raft-Revision")).isEqualTo(String.valueOf(revision));

        HttpResponse<Buffer> fresh = put(leader, "/v1/kv/counter", "3");
        assertThat(fresh.bodyAsJsonObject().getLong("revision")).isGreaterThan(revision);
    }

    @Test
    void aPutReusingAnIdempotencyKeyForAnotherKeyOrBodyIsRefusedAndWritesNothing() throws Exception {
        int leader = leader();
        // In one group: each group of a sharded cluster keeps its own table (docs/sharding.md).
        String[] keys = keysOfOneGroup("reuse-a", "reuse-b");
        String a = "/v1/kv/" + keys[0];
        String b = "/v1/kv/" + keys[1];
        MultiMap headers = MultiMap.caseInsensitiveMultiMap().add("Idempotency-Key", "req-other");
        HttpResponse<Buffer> first = send(HttpMethod.PUT, cluster.nodeUrl(leader) + a,
                Buffer.buffer("1"), headers);
        assertThat(first.statusCode()).isEqualTo(200);
        long revision = first.bodyAsJsonObject().getLong("revision");

        // Another key, through a follower: it used to answer 200 {"revision": <the first put's>} and write nothing.
        HttpResponse<Buffer> otherKey = send(HttpMethod.PUT, cluster.nodeUrl(aFollower(leader)) + b,
                Buffer.buffer("2"), headers);
        assertThat(otherKey.statusCode()).as(otherKey.bodyAsString()).isEqualTo(409);
        JsonObject body = otherKey.bodyAsJsonObject();
        assertThat(body.getString("error")).isEqualTo("idempotency_key_reused");
        assertThat(body.getString("message")).contains("'req-other'", "another put", "revision " + revision);
        assertThat(body.getString("firstUse")).isEqualTo("put");
        assertThat(body.getLong("firstRevision")).isEqualTo(revision);
        // Another body for the same key, or another condition.
        HttpResponse<Buffer> otherBody = send(HttpMethod.PUT, cluster.nodeUrl(leader) + a,
                Buffer.buffer("2"), headers);
        assertThat(otherBody.statusCode()).as(otherBody.bodyAsString()).isEqualTo(409);
        HttpResponse<Buffer> otherCondition = send(HttpMethod.PUT,
                cluster.nodeUrl(leader) + a + "?ifRevision=" + revision, Buffer.buffer("1"), headers);
        assertThat(otherCondition.statusCode()).as(otherCondition.bodyAsString()).isEqualTo(409);

        assertThat(get(leader, b).statusCode()).isEqualTo(404);
        HttpResponse<Buffer> stored = get(leader, a);
        assertThat(stored.bodyAsString()).isEqualTo("1");
        assertThat(stored.getHeader("Raft-Revision")).isEqualTo(String.valueOf(revision));
        HttpResponse<Buffer> retry = send(HttpMethod.PUT, cluster.nodeUrl(aFollower(leader)) + a,
                Buffer.buffer("1"), headers);
        assertThat(retry.statusCode()).isEqualTo(200);
        assertThat(retry.bodyAsJsonObject().getLong("revision")).isEqualTo(revision);
    }

    @Test
    void anEmptyIdempotencyKeyHeaderIsRefusedNamingItNotReadAsNone() throws Exception {
        int node = aFollower(leader());
        // A client that sends the header means its write to be safe to retry; an empty one (an unset variable) read
        // as none would apply each retry again. gRPC reads an empty idempotency_key as none: proto3 cannot tell.
        MultiMap empty = MultiMap.caseInsensitiveMultiMap().add("Idempotency-Key", "");
        for (HttpMethod method : new HttpMethod[] {HttpMethod.PUT, HttpMethod.DELETE}) {
            HttpResponse<Buffer> r = send(method, cluster.nodeUrl(node) + "/v1/kv/empty-idem", Buffer.buffer("x"),
                    empty);
            assertThat(r.statusCode()).as(method + " " + r.bodyAsString()).isEqualTo(400);
            assertThat(errorOf(r)).isEqualTo("bad_request");
            assertThat(r.bodyAsJsonObject().getString("message")).as(method.name())
                    .startsWith("the Idempotency-Key header is empty: send a non-empty key (at most "
                            + KvCommand.MAX_IDEMPOTENCY_KEY_BYTES + " bytes)")
                    .endsWith("or no header for one that is not");
        }
        assertThat(get(node, "/v1/kv/empty-idem").statusCode()).isEqualTo(404);
    }

    @Test
    void aWriteReusingTheIdempotencyKeyOfAnotherKindOfWriteIsRefusedAndChangesNothing() throws Exception {
        int leader = leader();
        MultiMap headers = MultiMap.caseInsensitiveMultiMap().add("Idempotency-Key", "req-kind");
        HttpResponse<Buffer> written = send(HttpMethod.PUT, cluster.nodeUrl(leader) + "/v1/kv/kind",
                Buffer.buffer("1"), headers);
        assertThat(written.statusCode()).isEqualTo(200);
        long revision = written.bodyAsJsonObject().getLong("revision");

        // A delete with the put's key, through a follower: refused, where it used to answer the put's {"revision"}.
        HttpResponse<Buffer> refused = send(HttpMethod.DELETE, cluster.nodeUrl(aFollower(leader)) + "/v1/kv/kind",
                null, headers);
        assertThat(refused.statusCode()).as(refused.bodyAsString()).isEqualTo(409);
        JsonObject body = refused.bodyAsJsonObject();
        assertThat(body.getString("error")).isEqualTo("idempotency_key_reused");
        assertThat(body.getString("message")).contains("'req-kind'", "put", "delete");
        assertThat(body.getString("firstUse")).isEqualTo("put");
        assertThat(body.getLong("firstRevision")).isEqualTo(revision);
        assertThat(get(leader, "/v1/kv/kind").getHeader("Raft-Revision")).isEqualTo(String.valueOf(revision));

        // The put's retry is still answered as before.
        HttpResponse<Buffer> retry = send(HttpMethod.PUT, cluster.nodeUrl(leader) + "/v1/kv/kind",
                Buffer.buffer("1"), headers);
        assertThat(retry.bodyAsJsonObject().getLong("revision")).isEqualTo(revision);
    }

    @Test
    void malformedRequestsAreRefusedAndChangeNothing() throws Exception {
        int node = aFollower(leader());
        String base = cluster.nodeUrl(node);
        String longKey = "k".repeat(KvCommand.MAX_KEY_BYTES + 1);

        HttpResponse<Buffer> tooLongKey = put(node, "/v1/kv/" + longKey, "x");
        assertThat(tooLongKey.statusCode()).isEqualTo(400);
        assertThat(errorOf(tooLongKey)).isEqualTo("bad_request");
        HttpResponse<Buffer> badEscape = put(node, "/v1/kv/%zz", "x");
        assertThat(badEscape.statusCode()).as(badEscape.bodyAsString()).isEqualTo(400);
        assertThat(put(node, "/v1/kv/", "x").statusCode()).isEqualTo(400);
        HttpResponse<Buffer> badRevision = put(node, "/v1/kv/a?ifRevision=abc", "x");
        assertThat(badRevision.statusCode()).isEqualTo(400);
        assertThat(badRevision.bodyAsJsonObject().getString("message")).contains("ifRevision");
        assertThat(put(node, "/v1/kv/a?ifRevision=-1", "x").statusCode()).isEqualTo(400);
        assertThat(get(node, "/v1/kv/a?consistency=bogus").statusCode()).isEqualTo(400);
        assertThat(get(node, "/v1/kv?limit=0").statusCode()).isEqualTo(400);

        byte[] big = new byte[1024 * 1024 + 1];
        HttpResponse<Buffer> tooBig = send(HttpMethod.PUT, base + "/v1/kv/big", Buffer.buffer(big), null);
        assertThat(tooBig.statusCode()).isEqualTo(413);
        assertThat(errorOf(tooBig)).isEqualTo("payload_too_large");
        // A transaction's body is held to the same limit, and its refusal names it as a key's does.
        Buffer bigTxn = Buffer.buffer("{\"success\":[{\"put\":{\"key\":\"t\",\"value\":\"" + "x".repeat(1024 * 1024)
                + "\"}}]}");
        HttpResponse<Buffer> tooBigTxn = send(HttpMethod.POST, base + "/v1/txn", bigTxn, null);
        assertThat(tooBigTxn.statusCode()).isEqualTo(413);
        assertThat(tooBigTxn.bodyAsJsonObject().getString("message")).isEqualTo(tooBig.bodyAsJsonObject()
                .getString("message"));
        assertThat(tooBig.bodyAsJsonObject().getString("message")).isEqualTo("request body exceeds the configured"
                + " limit of 1048576 bytes (service.max_body_bytes)");

        // Two Idempotency-Key headers: the first was taken and the second ignored without a word.
        HttpResponse<Buffer> twoKeys = send(HttpMethod.PUT, base + "/v1/kv/twice", Buffer.buffer("x"),
                MultiMap.caseInsensitiveMultiMap().add("Idempotency-Key", "a").add("Idempotency-Key", "b"));
        assertThat(twoKeys.statusCode()).isEqualTo(400);
        assertThat(twoKeys.bodyAsJsonObject().getString("message")).isEqualTo("the Idempotency-Key header is sent 2"
                + " times: send it once, with the write's one key");

        HttpResponse<Buffer> notJson = admin(HttpMethod.PUT, "/v1/admin/network", "{not json");
        assertThat(notJson.statusCode()).isEqualTo(400);
        // Jackson's bracket about the source it hides ("[Source: REDACTED (`StreamReadFeature...` disabled); line: 1,
        // column: 2]") used to reach the client; now the reason and where it stopped, as a configuration file gets.
        assertThat(notJson.bodyAsJsonObject().getString("message")).isEqualTo("the body is not valid JSON: Unexpected"
                + " character ('n' (code 110)): was expecting double-quote to start field name (line 1, column 2)");
        HttpResponse<Buffer> cutTxn = send(HttpMethod.POST, base + "/v1/txn", Buffer.buffer("{\"compare\":["), null);
        assertThat(cutTxn.bodyAsJsonObject().getString("message")).isEqualTo("the body is not valid JSON: Unexpected"
                + " end-of-input: expected close marker for Array (line 1, column 13)");
        // A field given twice: the JSON reader kept the last copy, so the first success list was dropped unsaid.
        HttpResponse<Buffer> twoLists = send(HttpMethod.POST, base + "/v1/txn", Buffer.buffer("{\"success\":[{\"put\":"
                + "{\"key\":\"dup1\",\"value\":\"1\"}}],\"success\":[{\"put\":{\"key\":\"dup2\",\"value\":\"2\"}}]}"),
                MultiMap.caseInsensitiveMultiMap().add("Content-Type", "application/json"));
        assertThat(twoLists.statusCode()).as(twoLists.bodyAsString()).isEqualTo(400);
        assertThat(twoLists.bodyAsJsonObject().getString("message")).isEqualTo("success: given more than once (line 1,"
                + " column 58); a field may appear once in an object");
        assertThat(get(node, "/v1/kv/dup2").statusCode()).isEqualTo(404);
        // A query parameter given twice: each endpoint read the first one and ignored the others.
        HttpResponse<Buffer> twoConsistencies = get(node, "/v1/kv/dup1?consistency=stale&consistency=linearizable");
        assertThat(twoConsistencies.statusCode()).isEqualTo(400);
        assertThat(twoConsistencies.bodyAsJsonObject().getString("field")).isEqualTo("consistency");
        assertThat(twoConsistencies.bodyAsJsonObject().getString("message")).isEqualTo("consistency: given more than"
                + " once in the query; a parameter may appear once");
        assertThat(get(node, "/v1/members?group=0&gr%6Fup=0").bodyAsJsonObject().getString("field")).isEqualTo("group");
        // A parameter the endpoint does not read was ignored: a misspelt ifRevision made a compare-and-set an
        // unconditional write.
        HttpResponse<Buffer> misspelt = send(HttpMethod.PUT, base + "/v1/kv/dup1?ifRevison=5", Buffer.buffer("x"),
                null);
        assertThat(misspelt.statusCode()).isEqualTo(400);
        assertThat(misspelt.bodyAsJsonObject().getString("field")).isEqualTo("ifRevison");
        assertThat(misspelt.bodyAsJsonObject().getString("message")).isEqualTo("ifRevison: not a query parameter of"
                + " this endpoint (it takes ifRevision)");
        assertThat(get(node, "/v1/kv/dup1").statusCode()).as("nothing written").isEqualTo(404);
        assertThat(get(node, "/v1/kv?prefix=a&consistancy=stale").bodyAsJsonObject().getString("message"))
                .isEqualTo("consistancy: not a query parameter of this endpoint (it takes prefix, limit, startAfter,"
                        + " consistency)");
        assertThat(get(node, "/health?verbose").bodyAsJsonObject().getString("message")).isEqualTo("verbose: not a"
                + " query parameter of this endpoint (it takes none)");
        assertThat(get(node, "/v1/cluster?scope=all").bodyAsJsonObject().getString("field")).isEqualTo("scope");
        assertThat(get(node, "/v1/members?local=yes").bodyAsJsonObject().getString("field")).isEqualTo("local");
        assertThat(get(node, "/v1/kv/dup1?consistency=stale&").statusCode()).as("an empty part names nothing")
                .isEqualTo(404);
        HttpResponse<Buffer> adminParam = admin(HttpMethod.GET, "/v1/admin/network?verbose=1", null);
        assertThat(adminParam.statusCode()).isEqualTo(400);
        assertThat(adminParam.bodyAsJsonObject().getString("field")).isEqualTo("verbose");
        // An empty consistency was taken as the default; it is no consistency the API knows.
        HttpResponse<Buffer> emptyConsistency = get(node, "/v1/kv/dup1?consistency=");
        assertThat(emptyConsistency.statusCode()).isEqualTo(400);
        assertThat(emptyConsistency.bodyAsJsonObject().getString("message")).isEqualTo("consistency must be"
                + " linearizable, lease or stale, got ''");
        HttpResponse<Buffer> twoRates = admin(HttpMethod.PUT, "/v1/admin/network", "{\"dropRate\":0.5,\"dropRate\":0}");
        assertThat(twoRates.statusCode()).isEqualTo(400);
        assertThat(twoRates.bodyAsJsonObject().getString("message")).startsWith("dropRate: given more than once");
        HttpResponse<Buffer> quotedRate = admin(HttpMethod.PUT, "/v1/admin/network", "{\"dropRate\":\"0.1\"}");
        assertThat(quotedRate.bodyAsJsonObject().getString("message")).isEqualTo("dropRate: must be a number in"
                + " [0, 1] (a JSON number, without quotes), got \"0.1\"");
        HttpResponse<Buffer> longDelay = admin(HttpMethod.PUT, "/v1/admin/network", "{\"delayMs\":[5,99999999999]}");
        assertThat(longDelay.bodyAsJsonObject().getString("message")).isEqualTo("delayMs: must be [min, max], two"
                + " integers with 0 <= min <= max <= 60000, got [5,99999999999]");
        HttpResponse<Buffer> badRate = admin(HttpMethod.PUT, "/v1/admin/network", "{\"dropRate\":2}");
        assertThat(badRate.statusCode()).isEqualTo(400);
        assertThat(badRate.bodyAsJsonObject().getString("field")).isEqualTo("dropRate");
        HttpResponse<Buffer> badNode = admin(HttpMethod.PUT, "/v1/admin/network", "{\"partitions\":[[9]]}");
        assertThat(badNode.bodyAsJsonObject().getString("field")).isEqualTo("partitions");
        HttpResponse<Buffer> badDelay = admin(HttpMethod.PUT, "/v1/admin/network", "{\"delayMs\":[50,5]}");
        assertThat(badDelay.bodyAsJsonObject().getString("field")).isEqualTo("delayMs");
        assertThat(admin(HttpMethod.POST, "/v1/admin/nodes/9/crash", null).statusCode()).isEqualTo(404);
        assertThat(admin(HttpMethod.POST, "/v1/admin/nodes/1/explode", null).statusCode()).isEqualTo(404);

        HttpResponse<Buffer> unknown = get(node, "/v2/nothing");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(errorOf(unknown)).isEqualTo("not_found");
        assertThat(unknown.getHeader("Content-Type")).isEqualTo("application/json");

        // Nothing changed: no key was written and the network is still healthy.
        JsonObject list = get(node, "/v1/kv?prefix=").bodyAsJsonObject();
        assertThat(list.getInteger("count")).isZero();
        JsonObject net = admin(HttpMethod.GET, "/v1/admin/network", null).bodyAsJsonObject();
        assertThat(net.getDouble("dropRate")).isZero();
        assertThat(net.getJsonArray("partitions")).isEmpty();
        assertThat(net.getJsonArray("crashedNodes")).isEmpty();
        // A key with a slash and non-ASCII text round-trips through percent-encoding.
        String key = "dir/ключ";
        String encoded = java.net.URLEncoder.encode(key, StandardCharsets.UTF_8).replace("%2F", "/");
        assertThat(put(node, "/v1/kv/" + encoded, "ok").statusCode()).isEqualTo(200);
        assertThat(get(node, "/v1/kv?prefix=dir/").bodyAsJsonObject().getJsonArray("items").getJsonObject(0)
                .getString("key")).isEqualTo(key);
        assertThat(get(node, "/v1/kv?startAfter=").statusCode()).isEqualTo(200);
        assertThat(get(node, "/v1/kv?startAfter=" + "x".repeat(1025)).statusCode()).isEqualTo(400);
    }

    @Test
    void aTransactionComparesThenRunsOneBranchAtomicallyFromAnyNode() throws Exception {
        String a = txnKeys()[0];
        String b = txnKeys()[1];
        int leader = leaderFor(a);
        int follower = aFollower(leader);
        long r1 = put(leader, "/v1/kv/" + a, "100").bodyAsJsonObject().getLong("revision");
        String move = "{\"compare\":[{\"key\":\"" + a + "\",\"target\":\"revision\",\"op\":\"=\",\"value\":" + r1
                + "},{\"key\":\"" + b + "\",\"exists\":false}],"
                + "\"success\":[{\"put\":{\"key\":\"" + a + "\",\"value\":\"60\"}},"
                + "{\"put\":{\"key\":\"" + b + "\",\"valueBase64\":\"NDA=\"}},{\"get\":{\"key\":\"" + b + "\"}}],"
                + "\"failure\":[{\"get\":{\"key\":\"" + a + "\"}}]}";
        HttpResponse<Buffer> done = send(HttpMethod.POST, cluster.nodeUrl(follower) + "/v1/txn", Buffer.buffer(move),
                null);
        assertThat(done.statusCode()).as(done.bodyAsString()).isEqualTo(200);
        JsonObject r = done.bodyAsJsonObject();
        assertThat(r.getBoolean("succeeded")).isTrue();
        long rev = r.getLong("revision");
        assertThat(r.getJsonArray("results").getJsonObject(0).getJsonObject("put").getLong("revision")).isEqualTo(rev);
        JsonObject got = r.getJsonArray("results").getJsonObject(2).getJsonObject("get");
        assertThat(got.getBoolean("found")).isTrue();
        assertThat(got.getString("value")).isEqualTo("40");
        assertThat(got.getLong("revision")).isEqualTo(rev);
        assertThat(done.getHeader(KvApi.SERVED_BY)).isEqualTo(String.valueOf(leader));
        assertThat(get(follower, "/v1/kv/" + a).getHeader("Raft-Revision")).isEqualTo(String.valueOf(rev));

        // The same transaction again: the comparisons fail, only the failure branch runs, nothing is written.
        JsonObject again = send(HttpMethod.POST, cluster.nodeUrl(follower) + "/v1/txn", Buffer.buffer(move), null)
                .bodyAsJsonObject();
        assertThat(again.getBoolean("succeeded")).isFalse();
        assertThat(again.getJsonArray("results").getJsonObject(0).getJsonObject("get").getString("value"))
                .isEqualTo("60");
        assertThat(get(follower, "/v1/kv/" + a).getHeader("Raft-Revision")).isEqualTo(String.valueOf(rev));

        // Mistakes name the field.
        for (String[] bad : new String[][] {
                {"{\"compare\":[{\"key\":\"k\",\"target\":\"size\",\"op\":\"=\",\"value\":1}]}", "compare[0].target"},
                {"{\"compare\":[{\"key\":\"k\",\"target\":\"version\",\"op\":\"~\",\"value\":1}]}", "compare[0].op"},
                {"{\"compare\":[{\"key\":\"k\",\"target\":\"version\",\"op\":\"=\",\"value\":\"1\"}]}", "compare[0].value"},
                {"{\"success\":[{\"put\":{\"key\":\"k\"}}]}", "success[0].put"},
                {"{\"success\":[{\"put\":{\"key\":\"k\",\"value\":\"1\"}},{\"delete\":{\"key\":\"k\"}}]}", "twice"},
                {"{\"failure\":[{\"move\":{\"key\":\"k\"}}]}", "failure[0]"},
                {"{\"succes\":[]}", "succes: unknown field"},
                {"[1]", "JSON object"},
                {"{", "not valid JSON"}}) {
            HttpResponse<Buffer> refused = send(HttpMethod.POST, cluster.nodeUrl(follower) + "/v1/txn",
                    Buffer.buffer(bad[0]), null);
            assertThat(refused.statusCode()).as(bad[0]).isEqualTo(400);
            assertThat(refused.bodyAsJsonObject().getString("message")).as(bad[0]).contains(bad[1]);
        }
        // A transaction has no idempotency key: the header is refused, not ignored (each retry would apply again).
        String keyed = "{\"success\":[{\"put\":{\"key\":\"" + a + "\",\"value\":\"once\"}}]}";
        HttpResponse<Buffer> withKey = send(HttpMethod.POST, cluster.nodeUrl(follower) + "/v1/txn",
                Buffer.buffer(keyed), MultiMap.caseInsensitiveMultiMap().add("Idempotency-Key", "t-1")
                        .add("Content-Type", "application/json"));
        assertThat(withKey.statusCode()).isEqualTo(400);
        assertThat(withKey.bodyAsJsonObject().getString("message")).contains("Idempotency-Key");
        assertThat(get(follower, "/v1/kv/" + a).bodyAsString()).isNotEqualTo("once");
    }

    @Test
    void aListingPagesThroughEveryKeyOnceWithTheCursor() throws Exception {
        int leader = leader();
        int follower = aFollower(leader);
        for (int i = 0; i < 25; i++) {
            assertThat(put(leader, "/v1/kv/page/" + String.format("%02d", i), "v" + i).statusCode()).isEqualTo(200);
        }
        put(leader, "/v1/kv/pagf", "outside the prefix");
        List<String> seen = new ArrayList<>();
        String cursor = "";
        int pages = 0;
        while (true) {
            JsonObject page = get(follower, "/v1/kv?prefix=page/&limit=10&startAfter="
                    + java.net.URLEncoder.encode(cursor, StandardCharsets.UTF_8)).bodyAsJsonObject();
            pages++;
            JsonArray items = page.getJsonArray("items");
            for (int i = 0; i < items.size(); i++) {
                seen.add(items.getJsonObject(i).getString("key"));
            }
            if (!page.getBoolean("more")) {
                assertThat(page.containsKey("next")).isFalse();
                break;
            }
            cursor = page.getString("next");
            assertThat(cursor).isEqualTo(seen.get(seen.size() - 1));
        }
        assertThat(pages).isEqualTo(3);
        assertThat(seen).hasSize(25).doesNotHaveDuplicates().isSorted().allMatch(k -> k.startsWith("page/"));
    }

    @Test
    void aPrefixOrCursorThatIsNotUtf8IsRefusedNotReadAsAnotherText() throws Exception {
        int leader = leader();
        int follower = aFollower(leader);
        for (String key : new String[] {"q/a", "q/a+b", "q/a b", "q/\u00e9", "q/\uFFFD"}) {
            assertThat(put(leader, "/v1/kv/" + java.net.URLEncoder.encode(key, StandardCharsets.UTF_8)
                    .replace("+", "%20").replace("%2F", "/"), "v").statusCode()).isEqualTo(200);
        }
        // %FF is no UTF-8: it used to be read as U+FFFD, a cursor past "q/é" (an empty last page) or a prefix of
        // another key, answered 200 as if the client had asked for that.
        for (String query : new String[] {"prefix=q/&startAfter=q/%FF", "prefix=q/%C3", "prefix=q/&startAfter=%E9"}) {
            HttpResponse<Buffer> r = get(follower, "/v1/kv?" + query);
            assertThat(r.statusCode()).as(query).isEqualTo(400);
            assertThat(r.bodyAsJsonObject().getString("message")).as(query)
                    .isEqualTo((query.contains("startAfter") ? "startAfter" : "prefix")
                            + " is not valid UTF-8 after %-decoding");
        }
        HttpResponse<Buffer> watch = get(follower, "/v1/watch?prefix=q/%FF");
        assertThat(watch.statusCode()).isEqualTo(400);
        assertThat(watch.bodyAsJsonObject().getString("message")).isEqualTo("prefix is not valid UTF-8 after %-decoding");
        // What is text keeps its meaning: %C3%A9 is é, %EF%BF%BD the real U+FFFD, + a space and %2B a plus.
        assertThat(keys(get(follower, "/v1/kv?prefix=q/%C3%A9"))).containsExactly("q/\u00e9");
        assertThat(keys(get(follower, "/v1/kv?prefix=q/%EF%BF%BD"))).containsExactly("q/\uFFFD");
        assertThat(keys(get(follower, "/v1/kv?prefix=q/a+"))).containsExactly("q/a b");
        assertThat(keys(get(follower, "/v1/kv?prefix=q/a%2B"))).containsExactly("q/a+b");
        assertThat(keys(get(follower, "/v1/kv?prefix=q/&startAfter=q/a%20b"))).containsExactly("q/a+b", "q/\u00e9",
                "q/\uFFFD");
    }

    /**
     * A request line whose path carries bytes outside ASCII, unescaped (what {@code nc}, a hand-made request or a
     * lenient client sends): each byte means what its %-escape means. They used to be read one byte to a character,
     * so a raw UTF-8 {@code café} was stored as the key {@code cafÃ©}, which neither a %-escaped request nor the Redis
     * protocol names, and a raw byte that is no UTF-8 was stored where its %-escape is refused.
     */
    @Test
    void rawBytesOutsideAsciiInThePathMeanWhatTheirEscapesMean() throws Exception {
        int leader = leader();
        int follower = aFollower(leader);
        byte[] cafe = "raw/caf\u00e9".getBytes(StandardCharsets.UTF_8);
        assertThat(rawRequest(leader, "PUT", "/v1/kv/", cafe, "", "v1")).startsWith("HTTP/1.1 200");
        HttpResponse<Buffer> escaped = getRetrying(follower, "/v1/kv/raw/caf%C3%A9");
        assertThat(escaped.statusCode()).isEqualTo(200);
        assertThat(escaped.bodyAsString()).isEqualTo("v1");
        assertThat(keys(get(follower, "/v1/kv?prefix=raw/"))).containsExactly("raw/caf\u00e9");
        assertThat(rawRequest(leader, "GET", "/v1/kv?prefix=", cafe, "", null)).startsWith("HTTP/1.1 200")
                .contains("\"count\":1");
        String refused = rawRequest(leader, "PUT", "/v1/kv/", new byte[] {'r', 'a', 'w', '/', (byte) 0xff}, "", "v2");
        assertThat(refused).startsWith("HTTP/1.1 400").contains("key is not valid UTF-8");
        assertThat(keys(get(follower, "/v1/kv?prefix=raw/"))).containsExactly("raw/caf\u00e9");
    }

    /** Sends one HTTP/1.1 request whose path is {@code prefix}, the raw bytes, then {@code suffix}; its answer. */
    private String rawRequest(int node, String method, String prefix, byte[] raw, String suffix, String body)
            throws java.io.IOException {
        java.net.URI uri = java.net.URI.create(cluster.nodeUrl(node));
        try (java.net.Socket socket = new java.net.Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(8000);
            byte[] content = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            out.writeBytes((method + " " + prefix).getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(raw);
            out.writeBytes((suffix + " HTTP/1.1\r\nHost: " + uri.getHost() + "\r\nConnection: close\r\n"
                    + "Content-Length: " + content.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(content);
            socket.getOutputStream().write(out.toByteArray());
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void aPrefixLongerThanTheLongestKeyIsRefusedNamingTheRule() throws Exception {
        int leader = leader();
        int follower = aFollower(leader);
        // 512 characters, 1,024 bytes: the longest key there can be. The limit counts bytes, not characters.
        String longest = "\u00e9".repeat(KvCommand.MAX_KEY_BYTES / 2);
        String encoded = java.net.URLEncoder.encode(longest, StandardCharsets.UTF_8);
        assertThat(put(leader, "/v1/kv/" + encoded, "v").statusCode()).isEqualTo(200);
        assertThat(keys(get(follower, "/v1/kv?prefix=" + encoded))).containsExactly(longest);
        // One byte more can match no key: it was answered 200 with an empty page, hiding the client's mistake.
        String expected = "prefix is " + (KvCommand.MAX_KEY_BYTES + 1) + " bytes in UTF-8, more than the longest key ("
                + KvCommand.MAX_KEY_BYTES + " bytes): it can match no key";
        HttpResponse<Buffer> list = get(follower, "/v1/kv?prefix=" + encoded + "x");
        assertThat(list.statusCode()).as(list.bodyAsString()).isEqualTo(400);
        assertThat(errorOf(list)).isEqualTo("bad_request");
        assertThat(list.bodyAsJsonObject().getString("message")).isEqualTo(expected);
        // A watch of it would never see a change.
        HttpResponse<Buffer> watch = get(follower, "/v1/watch?prefix=" + encoded + "x");
        assertThat(watch.statusCode()).as(watch.bodyAsString()).isEqualTo(400);
        assertThat(watch.bodyAsJsonObject().getString("message")).isEqualTo(expected);
    }

    private static List<String> keys(HttpResponse<Buffer> listing) {
        assertThat(listing.statusCode()).as(listing.bodyAsString()).isEqualTo(200);
        JsonArray items = listing.bodyAsJsonObject().getJsonArray("items");
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            keys.add(items.getJsonObject(i).getString("key"));
        }
        return keys;
    }

    @Test
    void aPausedFollowerRefusesWritesAndReadsInsteadOfForwardingThem() throws Exception {
        // The leader of the key's group, and a follower in it: on a sharded cluster group 0's follower may lead the
        // key's group, and the check below through group 0's leader then read from the paused node (503).
        int leader = leaderFor("through-paused");
        int follower = aFollower(leader);
        admin(HttpMethod.POST, "/v1/admin/nodes/" + follower + "/pause", null);
        // A paused node is cut off and refuses its clients: it must not hand their requests to the leader it knew.
        HttpResponse<Buffer> write = put(follower, "/v1/kv/through-paused", "1");
        assertThat(write.statusCode()).as("a write on the paused follower").isEqualTo(503);
        assertThat(errorOf(write)).isEqualTo("node_paused");
        HttpResponse<Buffer> read = get(follower, "/v1/kv/through-paused");
        assertThat(read.statusCode()).as("a linearizable read on the paused follower").isEqualTo(503);
        assertThat(errorOf(read)).isEqualTo("node_paused");
        assertThat(get(leader, "/v1/kv/through-paused").statusCode()).as("nothing was written").isEqualTo(404);
        admin(HttpMethod.POST, "/v1/admin/nodes/" + follower + "/resume", null);
        eventually("the resumed follower forwards again", () -> put(follower, "/v1/kv/after-resume", "2")
                .statusCode() == 200);
    }

    @Test
    void aFrozenFollowerHoldsItsClientsRequestsUntilThawed() throws Exception {
        // The leader of the key's group, and a follower in it (as in the paused follower's test).
        int leader = leaderFor("through-frozen");
        int follower = aFollower(leader);
        admin(HttpMethod.POST, "/v1/admin/nodes/" + follower + "/freeze", null);
        // Frozen as under SIGSTOP: a client's request waits for the node, it is neither refused nor handed on.
        io.vertx.core.Future<HttpResponse<Buffer>> write = client.requestAbs(HttpMethod.PUT, cluster.nodeUrl(follower)
                + "/v1/kv/through-frozen").timeout(8000).sendBuffer(Buffer.buffer("1"));
        Thread.sleep(500);
        assertThat(write.isComplete()).as("a write on the frozen follower answered before it thawed: "
                + (write.isComplete() ? write.result().statusCode() + " " + write.result().bodyAsString() : ""))
                .isFalse();
        assertThat(get(leader, "/v1/kv/through-frozen").statusCode()).as("nothing was written yet").isEqualTo(404);
        admin(HttpMethod.POST, "/v1/admin/nodes/" + follower + "/thaw", null);
        assertThat(await(write).statusCode()).as("the write, once the follower thawed").isEqualTo(200);
    }

    @Test
    void pausedNodeDropsMessagesAndRefusesClientsUntilResumed() throws Exception {
        int leader = leader();
        int follower = aFollower(leader);
        HttpResponse<Buffer> paused = admin(HttpMethod.POST, "/v1/admin/nodes/" + follower + "/pause", null);
        assertThat(paused.bodyAsJsonObject().getJsonArray("pausedNodes")).containsExactly(follower);
        HttpResponse<Buffer> refused = get(follower, "/v1/kv/x?consistency=stale");
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(errorOf(refused)).isEqualTo("node_paused");
        // The other two still form a majority (on a sharded cluster, once the groups the paused node led elected).
        awaitEveryGroupLedWithout(follower);
        assertThat(put(leader, "/v1/kv/while-paused", "1").statusCode()).isEqualTo(200);
        admin(HttpMethod.POST, "/v1/admin/nodes/" + follower + "/resume", null);
        eventually("resumed follower catches up", () -> {
            HttpResponse<Buffer> r = get(follower, "/v1/kv/while-paused?consistency=stale");
            return r.statusCode() == 200;
        });
    }

    /**
     * {@code GET /v1/snapshot?consistency=lease} on a node that does not lead: every node answers the key-value API at
     * every consistency (a follower forwards a lease read to the leader), and a backup must too. A backup is served
     * where it is asked (it is not forwarded), so on a follower a lease read is a ReadIndex read through the leader,
     * which is at least as fresh; before, the follower answered 503 {@code not_leader} (an audit of reads).
     */
    @Test
    void aLeaseBackupAskedOfAFollowerIsServedAndSeesTheLastWrite() throws Exception {
        await(harness.awaitHealthy(java.time.Duration.ofSeconds(20)));
        int leader = await(harness.leader());
        int follower = leader == 1 ? 2 : 1;
        HttpResponse<Buffer> put = await(client.putAbs(cluster.nodeUrl(leader) + "/v1/kv/backed-up")
                .sendBuffer(Buffer.buffer("yes")));
        assertThat(put.statusCode()).isEqualTo(200);
        long revision = put.bodyAsJsonObject().getLong("revision");

        HttpResponse<Buffer> backup = await(client.getAbs(cluster.nodeUrl(follower) + "/v1/snapshot?consistency=lease")
                .send());
        assertThat(backup.statusCode()).as("lease backup on follower %d: %s", follower, backup.bodyAsString())
                .isEqualTo(200);
        // One revision per group (one, unsharded); the write's is that of its key's group.
        String[] revisions = backup.getHeader("Raft-Revision").split(",");
        int group = new io.raftline.shard.KeyGroups(revisions.length).groupOf("backed-up");
        assertThat(Long.parseLong(revisions[group])).isGreaterThanOrEqualTo(revision);
    }
}
