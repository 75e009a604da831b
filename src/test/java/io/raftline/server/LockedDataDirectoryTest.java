package io.raftline.server;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.raftline.config.RaftlineConfig;
import io.raftline.raft.StorageException;
import io.raftline.shard.KeyGroups;
import io.raftline.storage.DataDirLock;
import io.raftline.storage.RestoreMark;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.FreePorts;
import io.raftline.verify.nemesis.InJvmCluster;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A node takes its data directory's lock before it writes anything under it, and one that cannot get it leaves the
 * directory exactly as it was. Regression: a node checked and wrote its marks ({@code CLUSTER}, a sharded node's
 * {@code groups}, the removal of a restore's {@code RESTORING}) and a sharded node opened its shared log in
 * {@code data_dir/wal} before it locked {@code data_dir}, so a node started on a directory that {@code snapshot
 * restore} held wrote all that there before it gave up (the restore never locks {@code data_dir/wal}); and a second
 * sharded node on a running node's directory was refused on {@code data_dir/wal} instead of the directory it was given.
 */
class LockedDataDirectoryTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @ParameterizedTest(name = "groups={0}")
    @ValueSource(ints = {1, 4})
    void aSecondNodeOnARunningNodesDirectoryIsRefusedOnItsLockAndTouchesNothing(int groups) throws Exception {
        JsonObject json = ClusterConfigs.cluster(1, 11, 5000).put("node_id", 1).put("groups", groups);
        try (InJvmCluster first = InJvmCluster.builder(json).start()) {
            first.awaitLeadersSpread(WAIT);
            WebClient client = WebClient.create(first.vertx());
            String url = first.verticle().nodeUrl(1);
            // A key in every group: each group's leader has written its log, so the node writes nothing more while
            // nobody asks it to.
            KeyGroups keyGroups = new KeyGroups(groups);
            boolean[] written = new boolean[groups];
            for (int i = 0; i < 64; i++) {
                put(client, url, "k" + i, "v" + i);
                written[keyGroups.groupOf("k" + i)] = true;
            }
            for (int g = 0; g < groups; g++) {
                assertThat(written[g]).as("a key of group %d written", g).isTrue();
            }
            Path data = first.dataDir(1);
            Map<String, String> before = tree(data);

            Throwable refused = startOn(json, data);

            assertThat(tree(data)).as("the running node's data directory").isEqualTo(before);
            assertThat(lockMessage(refused)).as("the second node's failure: %s", refused)
                    .contains("data directory " + data.toAbsolutePath().normalize() + " is in use by another running"
                            + " node");
            put(client, url, "after", "still here");
            HttpResponse<Buffer> read = await(client.getAbs(url + "/v1/kv/k7").send());
            assertThat(read.statusCode()).isEqualTo(200);
            assertThat(read.bodyAsString()).isEqualTo("v7");
            assertThat(await(client.getAbs(url + "/v1/kv/after").send()).bodyAsString()).isEqualTo("still here");
            client.close();
        }
    }

    @ParameterizedTest(name = "groups={0}")
    @ValueSource(ints = {1, 4})
    void aNodeStartedOnADirectoryARestoreHoldsWritesNothingThere(int groups, @TempDir Path dir) throws Exception {
        Path data = dir.resolve("node-1");
        Files.createDirectories(data);
        // As `snapshot restore` holds a directory once it has written every node's state and marked it so, while it
        // removes the marks.
        try (DataDirLock restore = DataDirLock.acquire(data)) {
            RestoreMark.mark(data, RestoreMark.Phase.WRITTEN);
            Map<String, String> before = tree(data);

            Throwable refused = startOn(ClusterConfigs.cluster(1, 11, 5000).put("node_id", 1).put("groups", groups),
                    data);

            assertThat(tree(data)).as("the directory the restore holds").isEqualTo(before);
            assertThat(lockMessage(refused)).as("the node's failure: %s", refused)
                    .contains("data directory " + data.toAbsolutePath().normalize() + " is in use by another running"
                            + " node");
            assertThat(restore.dir()).isEqualTo(data);
        }
    }

    /**
     * Two nodes started at once on one new directory (two processes a script started with the same configuration, two
     * entries naming one {@code data_dir}): one starts, the other is refused on the lock, and once both stopped the
     * directory opens again with what the node that ran wrote there. Before the lock came first, both could find the
     * directory empty and each record its own marks in it.
     */
    @ParameterizedTest(name = "groups={0}")
    @ValueSource(ints = {1, 4})
    void twoNodesStartedTogetherOnANewDirectoryOneRunsAndTheOtherIsRefused(int groups, @TempDir Path dir)
            throws Exception {
        Path data = dir.resolve("node-1");
        JsonObject json = ClusterConfigs.cluster(1, 11, 5000).put("node_id", 1).put("groups", groups);
        List<Vertx> instances = List.of(Vertx.vertx(), Vertx.vertx());
        try {
            List<ClusterVerticle> nodes = List.of(new ClusterVerticle(on(json, data)),
                    new ClusterVerticle(on(json, data)));
            List<Future<String>> starts = List.of(instances.get(0).deployVerticle(nodes.get(0)),
                    instances.get(1).deployVerticle(nodes.get(1)));
            await(Future.join(starts).otherwiseEmpty(), WAIT);
            assertThat(starts).extracting(Future::succeeded).as("which start succeeded")
                    .containsExactlyInAnyOrder(true, false);
            int ran = starts.get(0).succeeded() ? 0 : 1;
            assertThat(lockMessage(starts.get(1 - ran).cause())).as("the other start's failure")
                    .contains("data directory " + data.toAbsolutePath().normalize() + " is in use by another running"
                            + " node");
            WebClient client = WebClient.create(instances.get(ran));
            String url = nodes.get(ran).nodeUrl(1);
            eventually("the node that ran takes a write", () -> await(client.putAbs(url + "/v1/kv/first")
                    .sendBuffer(Buffer.buffer("one"))).statusCode() == 200);
            client.close();
        } finally {
            for (Vertx v : instances) {
                await(v.close(), WAIT);
            }
        }
        Vertx again = Vertx.vertx();
        try {
            ClusterVerticle node = new ClusterVerticle(on(json, data));
            await(again.deployVerticle(node), WAIT);
            WebClient client = WebClient.create(again);
            eventually("the write read back once the node leads again", () -> {
                HttpResponse<Buffer> r = await(client.getAbs(node.nodeUrl(1) + "/v1/kv/first").send());
                return r.statusCode() == 200 && r.bodyAsString().equals("one");
            });
            client.close();
        } finally {
            await(again.close(), WAIT);
        }
    }

    /** Node 1 of {@code json}, on {@code data}, with a port of its own. */
    private static RaftlineConfig on(JsonObject json, Path data) throws IOException {
        return RaftlineConfig.fromJson(json.copy().put("nodes", new JsonArray().add(new JsonObject().put("id", 1)
                .put("http_port", FreePorts.next()).put("resp_port", -1).put("data_dir", data.toString()))));
    }

    private static void put(WebClient client, String url, String key, String value) throws InterruptedException {
        HttpResponse<Buffer> w = await(client.putAbs(url + "/v1/kv/" + key).sendBuffer(Buffer.buffer(value)));
        assertThat(w.statusCode()).as("PUT %s: %s", key, w.bodyAsString()).isEqualTo(200);
    }

    /**
     * Starts node 1 of {@code json} on {@code data} (in a Vert.x instance of its own, closed again) and returns why it
     * failed; it must fail.
     */
    private static Throwable startOn(JsonObject json, Path data) throws Exception {
        Vertx v = Vertx.vertx();
        try {
            Throwable t = catchThrowable(() -> await(v.deployVerticle(new ClusterVerticle(on(json, data))), WAIT));
            assertThat(t).as("the start of a node on %s", data).isNotNull();
            return t;
        } finally {
            await(v.close(), WAIT);
        }
    }

    /** The message of the {@link StorageException} among {@code t}'s causes, or {@code t}'s own if none. */
    private static String lockMessage(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof StorageException) {
                return c.getMessage();
            }
        }
        return String.valueOf(t);
    }

    /** Every directory and file under {@code root}, by relative path, with a SHA-256 of each file's bytes. */
    private static Map<String, String> tree(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.toList()) {
                String name = root.relativize(p).toString();
                out.put(name, Files.isDirectory(p) ? "dir" : sha256(Files.readAllBytes(p)));
            }
        }
        return out;
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
