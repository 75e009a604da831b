package io.raftline.app;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.server.ClusterVerticle;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The client commands ({@code kv}, {@code members}, {@code cluster}) against a running 3-node cluster: what they
 * print, and exit code 1 with the node's error when it refuses.
 */
class ClientCommandsTest {

    private static InJvmCluster harness;
    private static String follower;

    @BeforeAll
    static void start() throws Exception {
        harness = InJvmCluster.builder(ClusterConfigs.cluster(3, 23, 3000)).start();
        ClusterVerticle cluster = harness.verticle();
        int leader = await(cluster.awaitLeader(10_000));
        follower = cluster.nodeUrl(leader % 3 + 1);
    }

    @AfterAll
    static void stop() {
        harness.close();
    }

    @Test
    void kvCommandsWriteReadListAndDeleteThroughAFollower() {
        MainTest.Result put = MainTest.run("kv", "put", "dir/ключ one", "blue", "--url", follower);
        assertThat(put.code()).as(put.err()).isZero();
        long revision = new JsonObject(put.out().trim()).getLong("revision");
        MainTest.Result get = MainTest.run("kv", "get", "dir/ключ one", "--url", follower);
        assertThat(get.out().trim()).isEqualTo("blue");
        MainTest.Result cas = MainTest.run("kv", "put", "dir/ключ one", "red", "--if-revision", "1", "--url", follower);
        assertThat(cas.code()).isEqualTo(1);
        assertThat(cas.err()).contains("412 precondition_failed");
        MainTest.Result list = MainTest.run("kv", "list", "--prefix", "dir/", "--url", follower);
        assertThat(new JsonObject(list.out().trim()).getInteger("count")).isEqualTo(1);
        MainTest.Result txn = MainTest.run("kv", "txn", "{\"compare\":[{\"key\":\"dir/ключ one\",\"target\":\"revision\","
                + "\"op\":\"=\",\"value\":" + revision + "}],\"success\":[{\"delete\":{\"key\":\"dir/ключ one\"}}]}",
                "--url", follower);
        assertThat(new JsonObject(txn.out().trim()).getBoolean("succeeded")).isTrue();
        MainTest.Result gone = MainTest.run("kv", "get", "dir/ключ one", "--url", follower);
        assertThat(gone.code()).isEqualTo(1);
        assertThat(gone.err()).contains("404 not_found");
        MainTest.Result del = MainTest.run("kv", "del", "nothing", "--url", follower);
        assertThat(new JsonObject(del.out().trim()).getInteger("deleted")).isZero();
        assertThat(MainTest.run("kv").code()).isEqualTo(2);
        MainTest.Result unreachable = MainTest.run("kv", "get", "k", "--url", "http://127.0.0.1:1");
        assertThat(unreachable.code()).isEqualTo(1);
        assertThat(unreachable.err()).contains("cannot reach");
    }

    @Test
    void kvGetPrintsAValueThatIsNotTextByteForByte() throws Exception {
        byte[] value = {0, (byte) 0xff, (byte) 0xfe, 'a', (byte) 0xc3};
        var put = ApiCall.HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(follower + "/v1/kv/bin"))
                .PUT(java.net.http.HttpRequest.BodyPublishers.ofByteArray(value)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        int code = Main.run(new String[] {"kv", "get", "bin", "--url", follower},
                new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8),
                new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
        assertThat(code).as(err.toString(java.nio.charset.StandardCharsets.UTF_8)).isZero();
        // The stored bytes and a newline; each byte that is not UTF-8 used to come out as U+FFFD (ef bf bd).
        byte[] expected = java.util.Arrays.copyOf(value, value.length + System.lineSeparator().length());
        System.arraycopy(System.lineSeparator().getBytes(java.nio.charset.StandardCharsets.UTF_8), 0, expected,
                value.length, System.lineSeparator().length());
        assertThat(out.toByteArray()).isEqualTo(expected);
    }

    @Test
    void kvWatchPrintsEachChangeOnceFromARevisionOn() {
        MainTest.Result first = MainTest.run("kv", "put", "watch/a", "1", "--url", follower);
        long from = new JsonObject(first.out().trim()).getLong("revision");
        MainTest.run("kv", "put", "elsewhere", "x", "--url", follower);
        MainTest.run("kv", "put", "watch/b", "2", "--url", follower);
        MainTest.run("kv", "del", "watch/a", "--url", follower);
        MainTest.Result watch = MainTest.run("kv", "watch", "--prefix", "watch/", "--from-revision",
                String.valueOf(from), "--count", "3", "--url", follower);
        assertThat(watch.code()).as(watch.err()).isZero();
        java.util.List<JsonObject> changes = watch.out().lines().map(JsonObject::new).toList();
        assertThat(changes).extracting(c -> c.getString("type") + " " + c.getString("key"))
                .containsExactly("put watch/a", "put watch/b", "delete watch/a");
        assertThat(changes.get(0).getLong("revision")).isEqualTo(from);
        assertThat(changes.get(1).getString("value")).isEqualTo("2");
        MainTest.Result bad = MainTest.run("kv", "watch", "--from-revision", "-3", "--url", follower);
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.err()).startsWith("raftline kv watch: 400");
        MainTest.Result unreachable = MainTest.run("kv", "watch", "--url", "http://127.0.0.1:1");
        assertThat(unreachable.code()).isEqualTo(1);
        assertThat(unreachable.err()).contains("cannot reach");
    }

    @Test
    void membersAndClusterCommandsShowAndChangeTheMembership() {
        MainTest.Result list = MainTest.run("members", "list", "--url", follower);
        assertThat(new JsonObject(list.out().trim()).getJsonArray("members")).hasSize(3);
        MainTest.Result add = MainTest.run("members", "add", "9", "http://127.0.0.1:1", "--learner", "--url", follower);
        assertThat(add.code()).as(add.err()).isZero();
        MainTest.Result promote = MainTest.run("members", "promote", "9", "--url", follower);
        assertThat(promote.code()).isEqualTo(1);
        assertThat(promote.err()).contains("409 learner_lagging");
        assertThat(MainTest.run("members", "remove", "9", "--url", follower).code()).isZero();
        MainTest.Result unknown = MainTest.run("members", "remove", "9", "--url", follower);
        assertThat(unknown.err()).contains("404 unknown_member");
        MainTest.Result status = MainTest.run("cluster", "status", "--url", follower);
        assertThat(new JsonObject(status.out().trim()).getInteger("leader")).isPositive();
    }
}
