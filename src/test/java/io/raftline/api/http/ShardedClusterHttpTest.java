package io.raftline.api.http;

import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.TestHttp;
import io.raftline.shard.KeyGroups;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every test of {@link ClusterHttpTest} on a cluster sharded over 4 Raft groups ({@code "groups": 4}): the HTTP API
 * and its answers are the same whichever group owns a key and whichever node leads it. Then what only a sharded
 * cluster has: keys spread over the groups and served from any node, listings that merge the groups in key order,
 * transactions refused across groups, leaders spread over the nodes, and a crash of a node that leads several groups.
 */
class ShardedClusterHttpTest extends ClusterHttpTest {

    private static final int GROUPS = 4;
    private static final KeyGroups MAP = new KeyGroups(GROUPS);

    /** Raft messages and keepalives sent over the event bus, counted by the quiet-groups test. */
    private final java.util.concurrent.atomic.AtomicLong raft = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong keepalives = new java.util.concurrent.atomic.AtomicLong();
    /** The last Raft messages sent, named in a failure: which group woke, and why, is then in the report. */
    private final java.util.concurrent.ConcurrentLinkedDeque<String> lastRaft =
            new java.util.concurrent.ConcurrentLinkedDeque<>();
    /**
     * Vote and pre-vote requests sent over the event bus: in a quiet cluster only a follower woken by what its node
     * knows of its peers (its leader's node found silent) asks for votes; a quiet follower's timer stands still.
     */
    private final java.util.concurrent.atomic.AtomicLong voteRequests = new java.util.concurrent.atomic.AtomicLong();

    @Override
    JsonObject config() {
        return super.config().put("groups", GROUPS);
    }

    @Override
    String[] keysOfOneGroup(String a, String b) {
        for (int i = 0; ; i++) {
            if (MAP.groupOf(b + i) == MAP.groupOf(a)) {
                return new String[] {a, b + i};
            }
        }
    }

    /**
     * Before each test, waits until the leaders are spread (at most one group more on one node than on another):
     * the balancer's leadership transfers are over, so a test sees stable leaders unless it injects a fault.
     */
    @BeforeEach
    void awaitBalanced() throws Exception {
        harness.awaitLeadersSpread(Duration.ofSeconds(45));
    }

    /** Each group's leader, from {@code /v1/cluster}; 0 where none is known. */
    private List<Integer> groupLeaders() throws InterruptedException {
        JsonArray groups = clusterState().getJsonArray("groups");
        assertThat(groups).as("/v1/cluster lists the groups").isNotNull().hasSize(GROUPS);
        List<Integer> leaders = new ArrayList<>();
        for (int g = 0; g < GROUPS; g++) {
            JsonObject group = groups.getJsonObject(g);
            assertThat(group.getInteger("id")).isEqualTo(g);
            leaders.add(group.getInteger("leader"));
        }
        return leaders;
    }

    private static Map<Integer, Integer> leadsPerNode(List<Integer> leaders) {
        Map<Integer, Integer> leads = new HashMap<>();
        for (int l : leaders) {
            leads.merge(l, 1, Integer::sum);
        }
        return leads;
    }

    /**
     * An add's address is checked against every group's members, not only the group changed: learner 5 at an address
     * in group 1 only, then node 6 at the same address, or node 5 at another, added to group 0. Each group checked its
     * own membership alone, so both were taken: two nodes at one address, or one node at two, which no process can be.
     */
    @Test
    void anAddIsCheckedAgainstTheAddressesOfEveryGroup() throws Exception {
        String at = "http://127.0.0.1:1";
        eventually("learner 5 added to group 1 only", () -> {
            HttpResponse<Buffer> r = send(HttpMethod.POST, cluster.nodeUrl(1) + "/v1/members?group=1",
                    Buffer.buffer(new JsonObject().put("id", 5).put("url", at).put("learner", true).encode()), null);
            return r.statusCode() == 200 || r.bodyAsString().contains("is already a learner");
        });
        HttpResponse<Buffer> other = send(HttpMethod.POST, cluster.nodeUrl(1) + "/v1/members?group=0",
                Buffer.buffer(new JsonObject().put("id", 6).put("url", at).put("learner", true).encode()), null);
        assertThat(other.statusCode()).as(other.bodyAsString()).isEqualTo(409);
        assertThat(other.bodyAsJsonObject().getString("error")).isEqualTo("member_exists");
        assertThat(other.bodyAsJsonObject().getString("message"))
                .isEqualTo("node 5 already has the address " + at + " in another group");
        HttpResponse<Buffer> moved = send(HttpMethod.POST, cluster.nodeUrl(2) + "/v1/members?group=0",
                Buffer.buffer(new JsonObject().put("id", 5).put("url", "http://127.0.0.1:2").put("learner", true)
                        .encode()), null);
        assertThat(moved.statusCode()).as(moved.bodyAsString()).isEqualTo(409);
        assertThat(moved.bodyAsJsonObject().getString("message"))
                .startsWith("add 5 refused: node 5 is a learner at " + at + ", not at http://127.0.0.1:2");
        JsonArray members = get(1, "/v1/members?group=0").bodyAsJsonObject().getJsonArray("members");
        assertThat(members.stream().map(o -> ((JsonObject) o).getInteger("id"))).containsExactlyInAnyOrder(1, 2, 3);
    }

    @Test
    void keysSpreadOverTheGroupsAndEveryNodeServesEveryKey() throws Exception {
        int[] perGroup = new int[GROUPS];
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            String key = "spread/" + i;
            keys.add(key);
            perGroup[MAP.groupOf(key)]++;
            HttpResponse<Buffer> w = put(1 + i % 3, "/v1/kv/" + key, "v" + i);
            assertThat(w.statusCode()).as(w.bodyAsString()).isEqualTo(200);
            assertThat(w.getHeader(KvApi.SERVED_BY)).isEqualTo(String.valueOf(leaderFor(key)));
        }
        assertThat(perGroup).as("40 keys land in every one of 4 groups").doesNotContain(0);
        for (int node = 1; node <= 3; node++) {
            for (int i = 0; i < keys.size(); i += 7) {
                HttpResponse<Buffer> r = get(node, "/v1/kv/" + keys.get(i));
                assertThat(r.statusCode()).as("node %d, %s: %s", node, keys.get(i), r.bodyAsString()).isEqualTo(200);
                assertThat(r.bodyAsString()).isEqualTo("v" + i);
            }
        }
        JsonArray groups = clusterState().getJsonArray("groups");
        for (int g = 0; g < GROUPS; g++) {
            JsonObject group = groups.getJsonObject(g);
            assertThat(group.getLong("term")).as("group %d", g).isPositive();
            assertThat(group.getLong("commit")).as("group %d holds its keys", g).isGreaterThanOrEqualTo(perGroup[g]);
            assertThat(group.getJsonObject("roles").fieldNames()).containsExactlyInAnyOrder("1", "2", "3");
        }

        // A listing merges the groups in key order, page by page, each key once.
        List<String> seen = new ArrayList<>();
        String cursor = "";
        while (true) {
            JsonObject page = get(2, "/v1/kv?prefix=spread/&limit=7&startAfter="
                    + URLEncoder.encode(cursor, StandardCharsets.UTF_8)).bodyAsJsonObject();
            JsonArray items = page.getJsonArray("items");
            assertThat(items.size()).isLessThanOrEqualTo(7);
            for (int i = 0; i < items.size(); i++) {
                seen.add(items.getJsonObject(i).getString("key"));
            }
            if (!page.getBoolean("more")) {
                break;
            }
            cursor = page.getString("next");
        }
        assertThat(seen).isSorted().doesNotHaveDuplicates().containsExactlyElementsOf(new TreeSet<>(keys));
    }

    /**
     * An add of an id that is a member already (at another address, in another role) is refused as on a cluster of one
     * group (409 {@code member_exists}), not answered 200 with nothing changed (an audit's finding: every group's
     * refusal counted as "this group has the change already", so an operator reusing an id was told it worked).
     */
    @Test
    void anAddOfAnIdThatIsAMemberAlreadyIsRefusedLikeOnOneGroup() throws Exception {
        Buffer add = Buffer.buffer(new JsonObject().put("id", 2).put("url", "http://127.0.0.1:1").put("learner", true)
                .encode());
        MultiMap json = MultiMap.caseInsensitiveMultiMap().add("Content-Type", "application/json");
        List<HttpResponse<Buffer>> answers = new ArrayList<>();
        eventually("an answer that is not a leader change", () -> {
            answers.add(send(HttpMethod.POST, cluster.nodeUrl(1) + "/v1/members", add, json));
            return answers.get(answers.size() - 1).statusCode() != 503;
        });
        HttpResponse<Buffer> r = answers.get(answers.size() - 1);
        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(409);
        assertThat(r.bodyAsJsonObject().getString("error")).isEqualTo("member_exists");
        JsonArray members = get(1, "/v1/members?group=0").bodyAsJsonObject().getJsonArray("members");
        assertThat(members.stream().map(m -> ((JsonObject) m).getInteger("id")).toList()).containsExactlyInAnyOrder(1,
                2, 3);
    }

    /**
     * An add that finds the id a member of some groups at another address (an add made with {@code ?group=0} alone, or
     * a run that stopped part way) is refused by the group that has it, not counted as done: the run answered 200
     * with the other groups changed, every group but group 0 recording an address group 0 did not, and the address
     * shown being group 0's (seen on a 3-process cluster of 16 groups). The same address in another spelling still
     * finishes the job, as a retry should.
     */
    @Test
    void anAddThatFindsTheIdAtAnotherAddressInSomeGroupIsRefused() throws Exception {
        MultiMap json = MultiMap.caseInsensitiveMultiMap().add("Content-Type", "application/json");
        HttpResponse<Buffer> inGroup0 = untilNotLeaderChange(() -> send(HttpMethod.POST, cluster.nodeUrl(1)
                + "/v1/members?group=0", learner(9, "http://127.0.0.1:1"), json));
        assertThat(inGroup0.statusCode()).as(inGroup0.bodyAsString()).isEqualTo(200);

        HttpResponse<Buffer> elsewhere = untilNotLeaderChange(() -> send(HttpMethod.POST, cluster.nodeUrl(1)
                + "/v1/members", learner(9, "http://127.0.0.1:2"), json));
        assertThat(elsewhere.statusCode()).as(elsewhere.bodyAsString()).isEqualTo(409);
        assertThat(elsewhere.bodyAsJsonObject().getString("error")).isEqualTo("member_exists");
        // Refused by the first group asked (the last; group 0 goes last), which checks every group's membership: no
        // group records node 9 at the second address (each used to check its own alone, so groups 3, 2 and 1 added
        // it there and group 0 refused).
        assertThat(elsewhere.bodyAsJsonObject().getInteger("group")).isEqualTo(GROUPS - 1);
        assertThat(elsewhere.bodyAsJsonObject().getString("message")).contains("learner at http://127.0.0.1:1")
                .contains("not at http://127.0.0.1:2").contains("another group's membership");
        for (int g = 1; g < GROUPS; g++) {
            JsonArray members = get(1, "/v1/members?group=" + g).bodyAsJsonObject().getJsonArray("members");
            assertThat(members.stream().map(m -> ((JsonObject) m).getInteger("id")).toList()).as("group " + g)
                    .doesNotContain(9);
        }

        HttpResponse<Buffer> inGroup0Too = untilNotLeaderChange(() -> send(HttpMethod.POST, cluster.nodeUrl(1)
                + "/v1/members?group=0", learner(8, "http://127.0.0.1:5"), json));
        assertThat(inGroup0Too.statusCode()).as(inGroup0Too.bodyAsString()).isEqualTo(200);
        HttpResponse<Buffer> sameServer = untilNotLeaderChange(() -> send(HttpMethod.POST, cluster.nodeUrl(1)
                + "/v1/members", learner(8, "http://localhost:5/"), json));
        assertThat(sameServer.statusCode()).as(sameServer.bodyAsString()).isEqualTo(200);
        for (int g = 0; g < GROUPS; g++) {
            JsonArray members = get(1, "/v1/members?group=" + g).bodyAsJsonObject().getJsonArray("members");
            assertThat(members.stream().map(m -> ((JsonObject) m).getInteger("id")).toList()).as("group " + g)
                    .contains(8);
        }
    }

    private static Buffer learner(int id, String url) {
        return Buffer.buffer(new JsonObject().put("id", id).put("url", url).put("learner", true).encode());
    }

    private HttpResponse<Buffer> untilNotLeaderChange(java.util.concurrent.Callable<HttpResponse<Buffer>> request)
            throws Exception {
        List<HttpResponse<Buffer>> answers = new ArrayList<>();
        eventually("an answer that is not a leader change", () -> {
            answers.add(request.call());
            return answers.get(answers.size() - 1).statusCode() != 503;
        });
        return answers.get(answers.size() - 1);
    }

    /**
     * {@code /readyz} on a sharded node looks at every group's replica, not group 0's alone: a node taken out of one
     * group (a removal that stopped half way: {@code DELETE /v1/members/3?group=1}) knows no leader of that group any
     * more and cannot serve its keys, so a load balancer must not be told it is ready. Regression: the answer was
     * group 0's, 200 "ready", for as long as the node ran.
     */
    @Test
    void aNodeTakenOutOfOneGroupIsNotReady() throws Exception {
        eventually("node 3 is ready", () -> get(3, "/readyz").statusCode() == 200);
        List<HttpResponse<Buffer>> answers = new ArrayList<>();
        eventually("node 3 is removed from group 1", () -> {
            answers.add(send(HttpMethod.DELETE, cluster.nodeUrl(1) + "/v1/members/3?group=1", null, null));
            return answers.get(answers.size() - 1).statusCode() != 503;
        });
        HttpResponse<Buffer> removed = answers.get(answers.size() - 1);
        assertThat(removed.statusCode()).as(removed.bodyAsString()).isEqualTo(200);
        eventually("node 3 is not ready", () -> get(3, "/readyz").statusCode() == 503);
        HttpResponse<Buffer> ready = get(3, "/readyz");
        assertThat(ready.bodyAsJsonObject().getInteger("group")).as(ready.bodyAsString()).isEqualTo(1);
        assertThat(ready.bodyAsJsonObject().getString("message")).contains("group 1");
    }

    @Test
    void aTransactionAcrossGroupsIsRefusedAndChangesNothing() throws Exception {
        String a = "pair/a";
        String b = "pair/b0";
        for (int i = 1; MAP.groupOf(b) == MAP.groupOf(a); i++) {
            b = "pair/b" + i;
        }
        String txn = "{\"success\":[{\"put\":{\"key\":\"" + a + "\",\"value\":\"1\"}},{\"put\":{\"key\":\"" + b
                + "\",\"value\":\"2\"}}]}";
        HttpResponse<Buffer> refused = send(HttpMethod.POST, cluster.nodeUrl(2) + "/v1/txn", Buffer.buffer(txn), null);
        assertThat(refused.statusCode()).as(refused.bodyAsString()).isEqualTo(400);
        assertThat(errorOf(refused)).isEqualTo("cross_group");
        assertThat(refused.bodyAsJsonObject().getString("message")).contains(a).contains(b)
                .contains("group " + MAP.groupOf(a)).contains("group " + MAP.groupOf(b));
        assertThat(get(1, "/v1/kv/" + a).statusCode()).isEqualTo(404);
        assertThat(get(1, "/v1/kv/" + b).statusCode()).isEqualTo(404);
    }

    @Test
    void leadersSpreadOverTheNodesAndACrashedLeaderOfSeveralGroupsIsReplacedInAll() throws Exception {
        // Balanced before each test (awaitBalanced): with 4 groups on 3 nodes, one node leads 2, the others 1 each.
        List<Integer> before = groupLeaders();
        int victim = leadsPerNode(before).entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow()
                .getKey();
        assertThat(admin(HttpMethod.POST, "/v1/admin/nodes/" + victim + "/crash", null).statusCode()).isEqualTo(200);
        eventually("every group led by a node that is up", Duration.ofSeconds(30), () -> {
            List<Integer> now = groupLeaders();
            return now.stream().allMatch(l -> l != 0 && l != victim);
        });
        // Every group takes writes again, through either survivor.
        int survivor = victim == 1 ? 2 : 1;
        for (int g = 0; g < GROUPS; g++) {
            String key = keyOfGroup("after-crash/", g);
            eventually("a write to group " + g + " after the crash", () -> put(survivor, "/v1/kv/" + key, "x")
                    .statusCode() == 200);
        }
        assertThat(admin(HttpMethod.POST, "/v1/admin/nodes/" + victim + "/restart", null).statusCode())
                .isEqualTo(200);
        eventually("node " + victim + " leads again once it is back", Duration.ofSeconds(45), () -> {
            Map<Integer, Integer> leads = leadsPerNode(groupLeaders());
            return leads.getOrDefault(victim, 0) >= 1 && leads.values().stream().allMatch(n -> n <= 2);
        });
    }

    /** The data lines of a watch stream and the last id it sent (with an event or not), as EventSource keeps it. */
    private static final class Sse {
        final List<String> data = new java.util.concurrent.CopyOnWriteArrayList<>();
        volatile String lastId;
        final java.net.http.HttpResponse<java.util.stream.Stream<String>> response;

        Sse(String url, String lastEventId) throws Exception {
            java.net.http.HttpRequest.Builder request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(url));
            if (lastEventId != null) {
                request.header("Last-Event-ID", lastEventId);
            }
            response = TestHttp.builder().build().send(request.build(),
                    java.net.http.HttpResponse.BodyHandlers.ofLines());
            assertThat(response.statusCode()).isEqualTo(200);
            Thread reader = new Thread(() -> {
                try {
                    response.body().forEach(l -> {
                        if (l.startsWith("id: ")) {
                            lastId = l.substring(4);
                        } else if (l.startsWith("data: ")) {
                            data.add(l);
                        }
                    });
                } catch (java.io.UncheckedIOException closed) {
                    // The test closed the stream, or the node serving it crashed: the lines read so far stay.
                }
            });
            reader.setDaemon(true);
            reader.start();
        }
    }

    /**
     * A watch merges every group's changes; its ids name every group's position, so a stream that breaks resumes in
     * each group right where it was: the changes made while it was away, and none it had. A revision alone names a
     * place in one group's log and is refused.
     */
    @Test
    void aWatchSeesEveryGroupAndResumesFromItsLastIdInEachGroupWithoutGapOrDuplicate() throws Exception {
        Sse stream = new Sse(cluster.nodeUrl(2) + "/v1/watch?prefix=w/", null);
        List<String> keys = new ArrayList<>();
        for (int g = 0; g < GROUPS; g++) {
            keys.add(keyOfGroup("w/", g));
        }
        for (String key : keys) {
            assertThat(put(1, "/v1/kv/" + key, "x").statusCode()).isEqualTo(200);
        }
        eventually("the watch saw a change in each of the " + GROUPS + " groups", () -> keys.stream()
                .allMatch(k -> stream.data.stream().anyMatch(d -> d.contains("\"" + k + "\""))));
        stream.response.body().close();
        String lastId = stream.lastId;
        assertThat(lastId.split(",")).as(lastId).hasSize(GROUPS);

        // While the client is away, every group changes; resumed from its last id, it gets exactly those.
        for (String key : keys) {
            assertThat(put(1, "/v1/kv/" + key, "y").statusCode()).isEqualTo(200);
        }
        Sse resumed = new Sse(cluster.nodeUrl(3) + "/v1/watch?prefix=w/", lastId);
        // Then one more change per group: once the stream has them, it has sent whatever it was to send before them.
        for (String key : keys) {
            assertThat(put(1, "/v1/kv/" + key, "z").statusCode()).isEqualTo(200);
        }
        eventually("the resumed watch got the change of each group made after it resumed",
                () -> resumed.data.stream().filter(d -> d.contains("\"value\":\"z\"")).count() == GROUPS);
        resumed.response.body().close();
        for (String key : keys) {
            assertThat(resumed.data.stream().filter(d -> d.contains("\"" + key + "\"")).map(d -> d.contains(
                    "\"value\":\"y\"") ? "y" : d.contains("\"value\":\"z\"") ? "z" : d)).as(key)
                    .containsExactly("y", "z");
        }

        HttpResponse<Buffer> fromRevision = get(2, "/v1/watch?prefix=w/&fromRevision=2");
        assertThat(fromRevision.statusCode()).as(fromRevision.bodyAsString()).isEqualTo(400);
        assertThat(fromRevision.bodyAsJsonObject().getString("message")).contains("per group");
        // An id of one group's position (an unsharded cluster's) is refused too.
        java.net.http.HttpResponse<String> oneGroup = TestHttp.builder().build().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(cluster.nodeUrl(2) + "/v1/watch?prefix=w/"))
                        .header("Last-Event-ID", "14:0").build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(oneGroup.statusCode()).as(oneGroup.body()).isEqualTo(400);
        assertThat(oneGroup.body()).contains("names 1 Raft group");
    }

    /**
     * Idle groups go quiet (docs/sharding.md): once every group is quiet the nodes exchange keepalives only, not one
     * Raft message; a write wakes its group; and a crash of the node leading the most groups, all of them quiet,
     * gets every one of them a new leader (the survivors find the node silent) and they take writes again.
     */
    @Test
    void idleGroupsGoQuietExchangeOnlyKeepalivesAndWakeForAWriteAndForTheirLeadersCrash() throws Exception {
        harness.vertx().eventBus().addOutboundInterceptor(ctx -> {
            Object body = ctx.message().body();
            // Each message with its group, where the frame names it (-1: not named).
            Map<io.raftline.raft.message.Message, Integer> messages = new java.util.IdentityHashMap<>();
            if (body instanceof io.raftline.transport.GroupBatches frame) {
                frame.parts().forEach(p -> p.messages().forEach(m -> messages.put(m, p.group())));
            } else if (body instanceof io.raftline.transport.RaftBatch batch) {
                batch.messages().forEach(m -> messages.put(m, -1));
            } else if (body instanceof io.raftline.raft.message.Message m) {
                messages.put(m, -1);
            }
            for (var e : messages.entrySet()) {
                io.raftline.raft.message.Message m = e.getKey();
                if (m instanceof io.raftline.raft.message.Keepalive) {
                    keepalives.incrementAndGet();
                } else {
                    raft.incrementAndGet();
                    if (m instanceof io.raftline.raft.message.VoteRequest) {
                        voteRequests.incrementAndGet();
                    }
                    lastRaft.addLast("group " + e.getValue() + " " + m.getClass().getSimpleName() + " " + m.from()
                            + "->" + m.to() + " term " + m.term());
                    while (lastRaft.size() > 16) {
                        lastRaft.pollFirst();
                    }
                }
            }
            ctx.next();
        });
        eventually("every group quiet", Duration.ofSeconds(30), this::allQuiet);
        // What crosses the event bus is counted when Raft travels on it (not with the gRPC transport).
        boolean overBus = !"grpc".equals(config().getString("transport", "eventbus"));
        if (overBus) {
            // Ten keepalive rounds of the three nodes (two peers each): ten heartbeat intervals of a quiet cluster.
            assertQuietSpell("every group was quiet", 60);
        }
        long raftBefore = raft.get();
        assertThat(allQuiet()).isTrue();

        String key = keyOfGroup("quiet/", 2);
        assertThat(put(1, "/v1/kv/" + key, "woken").statusCode()).isEqualTo(200);
        if (overBus) {
            assertThat(raft.get()).as("the write woke its group").isGreaterThan(raftBefore);
        }
        assertThat(get(3, "/v1/kv/" + key).bodyAsString()).isEqualTo("woken");

        eventually("every group quiet again", Duration.ofSeconds(30), this::allQuiet);
        List<Integer> before = groupLeaders();
        int victim = leadsPerNode(before).entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow()
                .getKey();
        long crashedAt = System.nanoTime();
        assertThat(admin(HttpMethod.POST, "/v1/admin/nodes/" + victim + "/crash", null).statusCode()).isEqualTo(200);
        eventually("every group led by a node that is up", Duration.ofSeconds(30), () ->
                groupLeaders().stream().allMatch(l -> l != 0 && l != victim));
        System.out.printf("[quiet] %d quiet groups of node %d re-elected in %d ms%n",
                leadsPerNode(before).get(victim), victim, (System.nanoTime() - crashedAt) / 1_000_000);
        // The balancer spreads the leaderships over the two survivors (2 each), waking the group it moves: that move
        // is over before the quiet spell is counted, or its transfer's messages would be counted as a quiet group's
        // (the CI run of 2026-12-03 failed so, 21 messages: a 3-1 split after the election, moved during the count).
        harness.awaitLeadersSpread(Duration.ofSeconds(30));
        int survivor = victim == 1 ? 2 : 1;
        for (int g = 0; g < GROUPS; g++) {
            String k = keyOfGroup("after-quiet-crash/", g);
            eventually("a write to group " + g + " after the crash", () -> put(survivor, "/v1/kv/" + k, "x")
                    .statusCode() == 200);
        }

        // With the node still down its replicas lack those writes, yet every group goes quiet without it: the
        // survivors find its node silent, and an outage must not keep every group awake.
        eventually("every group quiet with node " + victim + " down", Duration.ofSeconds(30), this::allQuiet);
        if (overBus) {
            // The two survivors send each other keepalives (and the down node's share, lost): ten intervals' worth.
            assertQuietSpell("every group was quiet, a node down", 20);
        }
        // Back, the node is heard again: the groups that went quiet without it wake and bring its replicas up to
        // date (its own stale reads see every write), then go quiet again with every member.
        assertThat(admin(HttpMethod.POST, "/v1/admin/nodes/" + victim + "/restart", null).statusCode())
                .isEqualTo(200);
        for (int g = 0; g < GROUPS; g++) {
            String k = keyOfGroup("after-quiet-crash/", g);
            eventually("node " + victim + "'s replica of group " + g + " caught up", Duration.ofSeconds(30), () -> {
                HttpResponse<Buffer> r = get(victim, "/v1/kv/" + k + "?consistency=stale");
                return r.statusCode() == 200 && "x".equals(r.bodyAsString());
            });
        }
        eventually("every replica of every node quiet", Duration.ofSeconds(30), () -> {
            for (Object node : clusterState().getJsonArray("nodes")) {
                JsonArray replicas = ((JsonObject) node).getJsonArray("groups");
                if (replicas == null || replicas.stream().anyMatch(r -> !((JsonObject) r).getBoolean("quiet"))) {
                    return false;
                }
            }
            return true;
        });
    }

    /**
     * Counts what the nodes send over {@code keepalivesWanted} keepalives of a quiet cluster: keepalives only, not one
     * Raft message. A spell in which a node asked for (pre-)votes does not count: a quiet follower's timer stands
     * still, so only one woken by its node finding the leader's node silent asks (docs/sharding.md, "Liveness"), as it
     * rightly does when a loaded machine stalls the JVM for the minimum election timeout (300 ms here), everyone's
     * keepalives with it. The spell is then counted again once every group is quiet, three times at most, so that a
     * cluster that wakes in every spell still fails the test.
     */
    private void assertQuietSpell(String what, int keepalivesWanted) throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
            long raftBefore = raft.get();
            long keepalivesBefore = keepalives.get();
            long votesBefore = voteRequests.get();
            eventually(keepalivesWanted + " keepalives", Duration.ofSeconds(10),
                    () -> keepalives.get() >= keepalivesBefore + keepalivesWanted);
            long sent = raft.get() - raftBefore;
            long votes = voteRequests.get() - votesBefore;
            if (sent == 0 || votes == 0 || attempt == 3) {
                assertThat(sent).as("Raft messages while %s (vote requests among them: %d; the last: %s)", what,
                        votes, lastRaft).isZero();
                return;
            }
            System.out.printf("[quiet] spell %d not counted: %d Raft messages, %d of them vote requests (a silence"
                    + " found: a stall of the JVM?)%n", attempt, sent, votes);
            eventually("every group quiet again after an election", Duration.ofSeconds(30), this::allQuiet);
        }
    }

    /** Whether {@code /v1/cluster} shows every group quiet. */
    private boolean allQuiet() throws InterruptedException {
        JsonArray groups = clusterState().getJsonArray("groups");
        for (int g = 0; g < GROUPS; g++) {
            if (!groups.getJsonObject(g).getBoolean("quiet", false)) {
                return false;
            }
        }
        return true;
    }

    private static String keyOfGroup(String prefix, int group) {
        for (int i = 0; ; i++) {
            if (MAP.groupOf(prefix + i) == group) {
                return prefix + i;
            }
        }
    }
}
