package io.raftline.server;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.TestHttp;
import io.raftline.events.EventPublisher;
import io.raftline.shard.KeyGroups;
import io.raftline.ui.ControlHandler;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.reactivex.rxjava3.disposables.Disposable;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The live view of a sharded cluster (4 groups on 3 nodes), server side: the {@code GroupsState} grid is published
 * only while someone watches and says what {@code /v1/cluster} says; {@code focusGroup} switches the stream to
 * another group cleanly (its replicas' state first, then only its events, none of the old group's).
 */
class GroupViewTest {

    private static final int GROUPS = 4;
    private static final KeyGroups MAP = new KeyGroups(GROUPS);
    private static InJvmCluster cluster;
    private static final HttpClient HTTP = TestHttp.builder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<JsonObject> seen = new CopyOnWriteArrayList<>();
    private Disposable watching;

    @BeforeAll
    static void start() throws Exception {
        cluster = InJvmCluster.builder(ClusterConfigs.cluster(3, 11).put("groups", GROUPS)
                .put("storage", new JsonObject().put("engine", "memory"))).start();
        cluster.awaitLeader(Duration.ofSeconds(20));
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /**
     * Before each test, waits until the balancer has spread the leaders (its moves come in the cluster's first
     * seconds, and after the transfer a test makes): a test names a group's leader and then expects it to lead, and
     * a move in between made that leader a follower (the focus test ran inside the balancer's first round).
     */
    @BeforeEach
    void subscribe() throws InterruptedException {
        cluster.awaitLeadersSpread(Duration.ofSeconds(45));
        watching = publisher().events().subscribe(seen::add);
    }

    @AfterEach
    void unsubscribe() {
        watching.dispose();
    }

    private static EventPublisher publisher() {
        return cluster.verticle().publisher();
    }

    /**
     * The events seen from index {@code from} on, as a copy: a sub-list view of {@link #seen} fails with a
     * ConcurrentModificationException as soon as another event arrives while it is read.
     */
    private List<JsonObject> seenFrom(int from) {
        List<JsonObject> all = List.copyOf(seen);
        return all.subList(from, all.size());
    }

    private List<JsonObject> ofType(String type, int from) {
        List<JsonObject> out = new ArrayList<>();
        for (JsonObject e : seenFrom(from)) {
            if (e.getString("type").equals(type)) {
                out.add(e);
            }
        }
        return out;
    }

    /** Waits for {@code n} more Rates events (one a second, whoever watches): time passing, told by the stream. */
    private void awaitRates(int from, int n) throws InterruptedException {
        eventually(n + " Rates events", Duration.ofSeconds(n + 10L), () -> ofType("Rates", from).size() >= n);
    }

    private static JsonObject control(JsonObject cmd) throws Exception {
        return await(cluster.vertx().eventBus().<JsonObject>request(ControlHandler.ADDRESS, cmd,
                new DeliveryOptions().setSendTimeout(10_000)), Duration.ofSeconds(15)).body();
    }

    /**
     * Writes a key as a client does: a 503 with Retry-After (a group between two leaders, which the balancer's
     * transfers right after the start make likely) is asked again; any other answer must be 200.
     */
    private static void put(String key, String value) throws Exception {
        String url = cluster.nodeUrls().get(1) + "/v1/kv/" + key;
        List<HttpResponse<String>> last = new ArrayList<>(List.of());
        eventually("PUT " + key + " answered other than 503", () -> {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                    .PUT(HttpRequest.BodyPublishers.ofString(value)).build(), HttpResponse.BodyHandlers.ofString());
            last.clear();
            last.add(r);
            return r.statusCode() != 503 || r.headers().firstValue("Retry-After").isEmpty();
        });
        assertThat(last.get(0).statusCode()).as("PUT " + key + ": " + last.get(0).body()).isEqualTo(200);
    }

    private static String keyIn(int group, String prefix) {
        for (int i = 0; ; i++) {
            if (MAP.groupOf(prefix + i) == group) {
                return prefix + i;
            }
        }
    }

    /** Whether a LogAppended or ReplicaState among the events names the key. */
    private static boolean mentions(JsonObject e, String key) {
        JsonArray entries = e.getString("type").equals("LogAppended") ? e.getJsonArray("entries")
                : e.getString("type").equals("ReplicaState") ? e.getJsonObject("state").getJsonArray("log") : null;
        if (entries == null) {
            return false;
        }
        for (Object o : entries) {
            if (key.equals(((JsonObject) o).getString("key"))) {
                return true;
            }
        }
        return false;
    }

    @Test
    void theGridIsPublishedOnlyWhileSomeoneWatchesAndSaysWhatTheClusterApiSays() throws Exception {
        // A viewer of the previous test may still count for one round of the audience: look from the second
        // Rates event on.
        awaitRates(0, 1);
        int quiet = seen.size();
        awaitRates(quiet, 2);
        assertThat(ofType("GroupsState", quiet)).as("no grid without a viewer").isEmpty();

        publisher().viewerConnected();
        try {
            int from = seen.size();
            eventually("a grid whose roles are those of /v1/cluster", Duration.ofSeconds(20), () -> {
                List<JsonObject> grids = ofType("GroupsState", from);
                if (grids.isEmpty()) {
                    return false;
                }
                JsonObject g = grids.get(grids.size() - 1);
                JsonArray api = await(cluster.verticle().describe()).getJsonArray("groups");
                JsonArray rows = g.getJsonArray("groups");
                for (int i = 0; i < GROUPS; i++) {
                    if (!rows.getJsonObject(i).getJsonObject("roles").equals(api.getJsonObject(i).getJsonObject("roles"))) {
                        return false;
                    }
                }
                return true;
            });
            JsonObject g = ofType("GroupsState", from).get(ofType("GroupsState", from).size() - 1);
            assertThat(g.getInteger("node")).isZero();
            assertThat(g.getInteger("count")).isEqualTo(GROUPS);
            assertThat(g.getInteger("focusedGroup")).isZero();
            assertThat(g.getBoolean("focusable")).as("the local cluster may switch groups").isTrue();
            assertThat(g.getJsonArray("nodes")).containsExactly(1, 2, 3);
            int leads = 0;
            for (int n = 1; n <= 3; n++) {
                leads += g.getJsonObject("leads").getInteger(String.valueOf(n));
            }
            assertThat(leads).as("every group led by one node").isEqualTo(GROUPS);
            for (int i = 0; i < GROUPS; i++) {
                JsonObject row = g.getJsonArray("groups").getJsonObject(i);
                assertThat(row.getInteger("id")).isEqualTo(i);
                assertThat(row.getJsonObject("roles").getString(String.valueOf(row.getInteger("leader"))))
                        .isEqualTo("Leader");
                assertThat(row.getLong("term")).isPositive();
                assertThat(row.getLong("commit")).isPositive();
            }
            // At least twice a second while watched.
            int before = ofType("GroupsState", from).size();
            int rates = ofType("Rates", 0).size();
            awaitRates(0, rates + 2);
            assertThat(ofType("GroupsState", from).size() - before).isGreaterThanOrEqualTo(2);
        } finally {
            publisher().viewerDisconnected();
        }
        await(publisher().flushNow());
        int off = seen.size();
        awaitRates(off, 1);
        int settled = seen.size(); // a grid gathered as the viewer left may still come before this
        awaitRates(settled, 2);
        assertThat(ofType("GroupsState", settled)).as("no grid once the viewer left").isEmpty();
    }

    @Test
    void focusingAGroupPublishesItsStateThenOnlyItsEvents() throws Exception {
        String zeroBefore = keyIn(0, "zero-before-");
        String twoBefore = keyIn(2, "two-before-");
        String zeroAfter = keyIn(0, "zero-after-");
        String twoAfter = keyIn(2, "two-after-");
        publisher().viewerConnected();
        try {
            put(zeroBefore, "a");
            put(twoBefore, "b");
            eventually("group 0's write in the stream", () -> seen.stream().anyMatch(e -> mentions(e, zeroBefore)));
            int beforeSwitch = seen.size();

            JsonObject r = control(new JsonObject().put("action", "focusGroup").put("group", 2));
            assertThat(r.getBoolean("ok")).as(r.encode()).isTrue();
            assertThat(r.getInteger("focusedGroup")).isEqualTo(2);
            eventually("the three replicas' states of group 2", () -> ofType("ReplicaState", beforeSwitch).size() >= 3);

            // Until the switch, nothing of group 2; then the marker, then each node's state before any of its events.
            int marker = -1;
            for (int i = 0; i < seen.size(); i++) {
                JsonObject e = seen.get(i);
                if (e.getString("type").equals("FocusChanged")) {
                    marker = i;
                    assertThat(e.getInteger("group")).isEqualTo(2);
                    assertThat(e.getInteger("previous")).isZero();
                    assertThat(e.getJsonArray("nodes")).containsExactly(1, 2, 3);
                    break;
                }
                assertThat(mentions(e, twoBefore)).as("group 2's write before the switch: " + e.encode()).isFalse();
            }
            assertThat(marker).as("FocusChanged published").isGreaterThanOrEqualTo(beforeSwitch);
            Set<Integer> started = new HashSet<>();
            for (JsonObject e : seenFrom(marker + 1)) {
                int node = e.getInteger("node");
                if (e.getString("type").equals("ReplicaState")) {
                    assertThat(e.getInteger("group")).isEqualTo(2);
                    assertThat(started.add(node)).as("one state per node").isTrue();
                } else if (node > 0) {
                    assertThat(started).as("node " + node + "'s state comes before its events: " + e.encode())
                            .contains(node);
                }
            }
            assertThat(ofType("ReplicaState", marker)).as("group 2's log as the replicas start from it")
                    .anyMatch(e -> mentions(e, twoBefore)).noneMatch(e -> mentions(e, zeroBefore));
            JsonArray api = await(cluster.verticle().describe()).getJsonArray("groups");
            int leader2 = api.getJsonObject(2).getInteger("leader");
            assertThat(ofType("ReplicaState", marker)).filteredOn(e -> e.getInteger("node") == leader2)
                    .singleElement().satisfies(e -> assertThat(e.getJsonObject("state").getString("role"))
                            .isEqualTo("Leader"));

            // From now on, group 2's writes and none of group 0's.
            put(zeroAfter, "c");
            put(twoAfter, "d");
            int m = marker;
            eventually("group 2's new write appended on the 3 nodes", () -> seenFrom(m).stream()
                    .filter(e -> mentions(e, twoAfter) && e.getString("type").equals("LogAppended"))
                    .map(e -> e.getInteger("node")).distinct().count() == 3);
            assertThat(seenFrom(marker)).as("no event of group 0 after the switch")
                    .noneMatch(e -> mentions(e, zeroAfter) || mentions(e, zeroBefore));

            // A late joiner's snapshot is group 2's.
            JsonObject snap = await(publisher().snapshot());
            assertThat(snap.getInteger("focusedGroup")).isEqualTo(2);
            for (Object o : snap.getJsonArray("nodes")) {
                JsonObject n = (JsonObject) o;
                List<String> keys = new ArrayList<>();
                for (Object en : n.getJsonArray("log")) {
                    keys.add(((JsonObject) en).getString("key"));
                }
                assertThat(keys).as("node " + n.getInteger("id") + "'s log").contains(twoBefore, twoAfter)
                        .doesNotContain(zeroBefore, zeroAfter);
            }
            // "Make leader" from the page moves the leadership of the group the page shows.
            int target = leader2 % 3 + 1;
            JsonObject moved = control(new JsonObject().put("action", "transfer").put("to", target));
            assertThat(moved.getBoolean("ok")).as(moved.encode()).isTrue();
            assertThat(moved.getInteger("from")).isEqualTo(leader2);
            eventually("group 2 led by node " + target + " after the transfer", Duration.ofSeconds(10),
                    () -> ofType("StateChange", m).stream().anyMatch(e -> e.getInteger("node") == target
                            && e.getString("to").equals("Leader")));

            JsonObject bad = control(new JsonObject().put("action", "focusGroup").put("group", GROUPS));
            assertThat(bad.getString("error")).isEqualTo("invalid_field");
        } finally {
            control(new JsonObject().put("action", "focusGroup").put("group", 0));
            publisher().viewerDisconnected();
        }
    }
}
