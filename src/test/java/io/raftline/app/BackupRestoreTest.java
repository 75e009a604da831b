package io.raftline.app;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.raftline.config.RaftlineConfig;
import io.raftline.server.ClusterVerticle;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Backup and restore end to end: a consistent backup of a running cluster ({@code GET /v1/snapshot}, saved and
 * checked by {@code snapshot save}), a new cluster seeded from it ({@code snapshot restore}) that has every key at
 * the revision it had and goes on writing after it (its state hash is not the backup's: it covers the applied index,
 * which the new leader's first entry advances); a damaged backup and a non-empty data directory are refused.
 */
class BackupRestoreTest {

    @Test
    void aRestoredClusterHasEveryKeyAndRevisionOfTheBackup() throws Exception {
        Path dir = Files.createTempDirectory("raftline-backup-");
        Path backup = dir.resolve("backup.snap");
        Map<String, Long> revisions = new HashMap<>();
        String hash;
        long revision;
        try (InJvmCluster source = InJvmCluster.builder(ClusterConfigs.cluster(3, 17, 3000)).start()) {
            ClusterVerticle cluster = source.verticle();
            WebClient web = WebClient.create(source.vertx());
            int leader = await(cluster.awaitLeader(10_000));
            for (int i = 0; i < 30; i++) {
                HttpResponse<Buffer> w = await(web.putAbs(cluster.nodeUrl(leader) + "/v1/kv/k" + i)
                        .sendBuffer(Buffer.buffer("v" + i)));
                revisions.put("k" + i, w.bodyAsJsonObject().getLong("revision"));
            }
            await(web.deleteAbs(cluster.nodeUrl(leader) + "/v1/kv/k0").send());
            revisions.remove("k0");
            int follower = leader % 3 + 1;
            assertThat(await(web.getAbs(cluster.nodeUrl(follower) + "/v1/snapshot?consistency=fresh").send())
                    .statusCode()).isEqualTo(400);
            Backups.Info info = Backups.save(KvClientCommand.Target.of(URI.create(cluster.nodeUrl(follower)), null), backup);
            assertThat(info.keys()).isEqualTo(29);
            hash = info.hash();
            revision = info.revision();
            JsonObject leaderHash = await(web.getAbs(cluster.nodeUrl(leader) + "/v1/state-hash").send())
                    .bodyAsJsonObject();
            assertThat(leaderHash.getLong("appliedIndex")).isEqualTo(revision);
            assertThat(leaderHash.getString("stateHash")).isEqualTo(hash);
            web.close(); // held to the end: Vert.x closes a client that became garbage, requests in flight and all
        }

        JsonObject json = ClusterConfigs.cluster(3, 19, 3000);
        JsonArray nodes = json.getJsonArray("nodes");
        for (int i = 0; i < nodes.size(); i++) {
            JsonObject n = nodes.getJsonObject(i);
            n.put("http_port", 0).put("data_dir", dir.resolve("restored-" + n.getInteger("id")).toString());
        }
        RaftlineConfig config = RaftlineConfig.fromJson(json);
        Backups.Restored restoredInfo = Backups.restore(backup, config);
        assertThat(restoredInfo.seeded()).hasSize(3);
        assertThat(restoredInfo.backup().hash()).isEqualTo(hash);
        assertThatThrownBy(() -> Backups.restore(backup, config)).isInstanceOf(IOException.class)
                .hasMessageContaining("is not empty");
        Path damaged = dir.resolve("damaged.snap");
        byte[] bytes = Files.readAllBytes(backup);
        bytes[bytes.length / 2] ^= 1;
        Files.write(damaged, bytes);
        assertThatThrownBy(() -> Backups.check(damaged)).isInstanceOf(IOException.class)
                .hasMessageContaining("not a Raftline backup");

        Vertx vertx = Vertx.vertx();
        try {
            ClusterVerticle restored = new ClusterVerticle(config);
            await(vertx.deployVerticle(restored), Duration.ofSeconds(30));
            int leader = await(restored.awaitLeader(10_000));
            WebClient web = WebClient.create(vertx);
            for (Map.Entry<String, Long> e : revisions.entrySet()) {
                HttpResponse<Buffer> r = answered(() -> web.getAbs(restored.nodeUrl(leader) + "/v1/kv/" + e.getKey())
                        .send());
                assertThat(r.statusCode()).as("%s: %s", e.getKey(), r.bodyAsString()).isEqualTo(200);
                assertThat(r.getHeader("Raft-Revision")).isEqualTo(String.valueOf(e.getValue()));
            }
            assertThat(answered(() -> web.getAbs(restored.nodeUrl(leader) + "/v1/kv/k0").send()).statusCode())
                    .isEqualTo(404);
            // What docs/operations.md says an operator can check: a backup of the restored cluster, before any write,
            // holds as many keys at a revision above the backup's; its state hash, like /v1/state-hash, is not the
            // backup's (the applied index is in it, and the new leader's first entry advanced it).
            // Asked again if the leader happens to lose its term meanwhile (503), as the reads above are.
            Backups.Info[] saved = new Backups.Info[1];
            eventually("a backup of the restored cluster", () -> (saved[0] = Backups.save(KvClientCommand.Target.of(
                    URI.create(restored.nodeUrl(leader)), null), dir.resolve("again.snap"))) != null);
            Backups.Info again = saved[0];
            assertThat(again.keys()).isEqualTo(29);
            assertThat(again.revision()).isGreaterThan(revision);
            assertThat(again.hash()).isNotEqualTo(hash);
            JsonObject restoredHash = await(web.getAbs(restored.nodeUrl(leader) + "/v1/state-hash").send())
                    .bodyAsJsonObject();
            assertThat(restoredHash.getLong("appliedIndex")).isGreaterThan(revision);
            assertThat(restoredHash.getString("stateHash")).isNotEqualTo(hash);
            HttpResponse<Buffer> next = answered(() -> web.putAbs(restored.nodeUrl(leader) + "/v1/kv/after")
                    .sendBuffer(Buffer.buffer("x")));
            assertThat(next.bodyAsJsonObject().getLong("revision")).isGreaterThan(revision);
            for (int id = 1; id <= 3; id++) {
                String url = restored.nodeUrl(id);
                eventually("node " + id + " has the restored state and the new write", () -> web.getAbs(url
                        + "/v1/kv/after?consistency=stale").send().map(r -> r.statusCode() == 200));
            }
            web.close(); // held to the end: Vert.x closes a client that became garbage, requests in flight and all
        } finally {
            await(vertx.close(), Duration.ofSeconds(30));
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    /**
     * A request's answer, asked again while the cluster answers 503 (a fresh cluster's first leader can lose its term
     * under load, and a read then answers {@code leadership_lost}: retry), for up to 20 s.
     */
    private static HttpResponse<Buffer> answered(java.util.function.Supplier<io.vertx.core.Future<HttpResponse<Buffer>>>
            request) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            HttpResponse<Buffer> r = await(request.get());
            if (r.statusCode() != 503 || System.nanoTime() > deadline) {
                return r;
            }
            Thread.sleep(100);
        }
    }

    /**
     * A sharded cluster's backup holds every group's state at its own revision; it restores into a cluster of as many
     * groups only, where every key is back at its revision in its group and writes go on.
     */
    @Test
    void aShardedClustersBackupRestoresIntoAClusterOfAsManyGroups() throws Exception {
        Path dir = Files.createTempDirectory("raftline-backup-groups-");
        Path backup = dir.resolve("backup.snap");
        Map<String, Long> revisions = new HashMap<>();
        Backups.Info saved;
        try (InJvmCluster source = InJvmCluster.builder(ClusterConfigs.cluster(3, 23, 3000).put("groups", 4)).start()) {
            ClusterVerticle cluster = source.verticle();
            WebClient web = WebClient.create(source.vertx());
            await(cluster.awaitLeader(20_000));
            for (int i = 0; i < 40; i++) {
                HttpResponse<Buffer> w = await(web.putAbs(cluster.nodeUrl(1 + i % 3) + "/v1/kv/g" + i)
                        .sendBuffer(Buffer.buffer("v" + i)));
                assertThat(w.statusCode()).as("write g%d: %s", i, w.bodyAsString()).isEqualTo(200);
                revisions.put("g" + i, w.bodyAsJsonObject().getLong("revision"));
            }
            saved = Backups.save(KvClientCommand.Target.of(URI.create(cluster.nodeUrl(2)), null), backup);
            assertThat(saved.keys()).isEqualTo(40);
            assertThat(saved.groupRevisions()).hasSize(4);
            assertThat(Backups.check(backup)).isEqualTo(saved);
            // Once node 3 has applied what the backup holds, its sharded state hash is the backup's.
            eventually("node 3's state hash is the backup's", () -> web.getAbs(cluster.nodeUrl(3) + "/v1/state-hash")
                    .send().map(r -> saved.hash().equals(r.bodyAsJsonObject().getString("stateHash"))));
            web.close(); // held to the end: Vert.x closes a client that became garbage, requests in flight and all
        }

        JsonObject one = ClusterConfigs.cluster(3, 29, 3000);
        assertThatThrownBy(() -> Backups.restore(backup, RaftlineConfig.fromJson(relocated(one, dir, "one"))))
                .isInstanceOf(IOException.class).hasMessageContaining("backup of 4 Raft groups")
                .hasMessageContaining("\"groups\": 1");
        RaftlineConfig config = RaftlineConfig.fromJson(relocated(ClusterConfigs.cluster(3, 31, 3000).put("groups", 4),
                dir, "restored"));
        Backups.Restored restored = Backups.restore(backup, config);
        assertThat(restored.backup()).isEqualTo(saved);
        assertThat(restored.seeded()).hasSize(3);

        Vertx vertx = Vertx.vertx();
        try {
            ClusterVerticle cluster = new ClusterVerticle(config);
            await(vertx.deployVerticle(cluster), Duration.ofSeconds(30));
            await(cluster.awaitLeader(20_000));
            WebClient web = WebClient.create(vertx);
            for (Map.Entry<String, Long> e : revisions.entrySet()) {
                HttpResponse<Buffer> r = await(web.getAbs(cluster.nodeUrl(1) + "/v1/kv/" + e.getKey()).send());
                assertThat(r.statusCode()).as("%s: %s", e.getKey(), r.bodyAsString()).isEqualTo(200);
                assertThat(r.getHeader("Raft-Revision")).as(e.getKey()).isEqualTo(String.valueOf(e.getValue()));
            }
            HttpResponse<Buffer> next = await(web.putAbs(cluster.nodeUrl(2) + "/v1/kv/g0").sendBuffer(Buffer.buffer("x")));
            assertThat(next.statusCode()).isEqualTo(200);
            assertThat(next.bodyAsJsonObject().getLong("revision")).isGreaterThan(revisions.get("g0"));
            web.close(); // held to the end: Vert.x closes a client that became garbage, requests in flight and all
        } finally {
            await(vertx.close(), Duration.ofSeconds(30));
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    /** The configuration with every node on a free port and its data in {@code dir/prefix-<id>}. */
    private static JsonObject relocated(JsonObject json, Path dir, String prefix) {
        JsonArray nodes = json.getJsonArray("nodes");
        for (int i = 0; i < nodes.size(); i++) {
            JsonObject n = nodes.getJsonObject(i);
            n.put("http_port", 0).put("data_dir", dir.resolve(prefix + "-" + n.getInteger("id")).toString());
        }
        return json;
    }
}
