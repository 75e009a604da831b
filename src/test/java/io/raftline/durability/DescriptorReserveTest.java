package io.raftline.durability;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.TestHttp;
import io.raftline.verify.nemesis.FreePorts;
import io.raftline.verify.nemesis.Waits;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 17: a flood of idle connections must not take the file descriptors the storage needs. A node process runs
 * with a descriptor limit of 1024 ({@code ulimit -n}) and {@code limits.max_connections} far above it; 1,400 connections
 * are opened to its Redis and HTTP ports and held. The connections beyond the process's budget are closed at once, the
 * silent HTTP ones fill the descriptor table anyway, and the storage's reserve of descriptors keeps it working: writes (on a connection opened before the flood) that open new log segments and snapshots go on
 * being acknowledged (without the reserve,
 * the storage's next file open failed with "Too many open files" and the node fail-stopped).
 */
@Tag("slow")
class DescriptorReserveTest {

    private static final int DESCRIPTOR_LIMIT = 1024;
    private static final int FLOOD = 1400;

    @Test
    void heldConnectionsBeyondTheBudgetAreClosedAndTheStorageKeepsWorking() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/bin/sh")), "needs /bin/sh for ulimit");
        Path dir = Files.createTempDirectory("raftline-fds-");
        int port = FreePorts.next();
        int respPort = FreePorts.next();
        JsonObject config = new JsonObject().put("cluster_name", "fds").put("single_node", true).put("node_id", 1)
                .put("nodes", new JsonArray().add(new JsonObject().put("id", 1).put("http_port", port)
                        .put("resp_port", respPort).put("data_dir", dir.resolve("node-1").toString())))
                // Small segments and frequent snapshots: the storage opens new files all the time.
                .put("storage", new JsonObject().put("segment_bytes", 4096))
                .put("raft", new JsonObject().put("snapshot_interval_entries", 20))
                .put("limits", new JsonObject().put("max_connections", 10_000).put("idle_timeout_ms", 600_000)
                        // No head deadline: it would close the silent HTTP connections below after 10 s, and the
                        // worst case here is a flood that stays (a deadline off, or a flood renewed faster).
                        .put("request_head_timeout_ms", 0));
        Path conf = dir.resolve("node.json");
        Files.writeString(conf, config.encode());
        Path log = dir.resolve("node.log");
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process node = new ProcessBuilder("/bin/sh", "-c", "ulimit -n " + DESCRIPTOR_LIMIT + " && exec \"$0\" \"$@\"",
                javaBin, "-Xmx256m", "-cp", System.getProperty("java.class.path"), "io.raftline.app.Main", "node",
                "--conf", conf.toString()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        HttpClient http = TestHttp.builder().connectTimeout(Duration.ofSeconds(2)).build();
        URI base = URI.create("http://127.0.0.1:" + port);
        List<SocketChannel> flood = new ArrayList<>();
        try {
            Waits.eventually("the node is ready", Duration.ofSeconds(60), () -> {
                assertThat(node.isAlive()).as("the node process runs").isTrue();
                try {
                    return http.send(HttpRequest.newBuilder(base.resolve("/readyz")).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
                } catch (IOException e) {
                    return false;
                }
            });
            // Warm-up: the write path's classes load now (from target/classes a class load opens a file too; a node
            // run from its jar has the jar open already), a snapshot and segment rolls included.
            byte[] value = new byte[512];
            for (int i = 0; i < 60; i++) {
                assertThat(put(http, base.resolve("/v1/kv/warm" + i), value).statusCode()).isEqualTo(200);
            }
            for (int i = 0; i < FLOOD; i++) {
                try {
                    // Redis-protocol connections are seen at once (the budget closes those beyond it); HTTP ones that
                    // send nothing are not counted before their first bytes and (no head deadline) hold their
                    // descriptor until the idle timeout.
                    flood.add(SocketChannel.open(new InetSocketAddress("127.0.0.1", i < FLOOD - 300 ? respPort
                            : port)));
                } catch (IOException e) {
                    break; // the kernel's backlog is full: the server is not accepting, which is what is tested
                }
            }
            // Writes: each one appends to the log; every 20 a snapshot; segments of 4 KiB roll over constantly.
            int acknowledged = 0;
            for (int i = 0; i < 200; i++) {
                // The client's connection from before the flood is kept alive and reused.
                HttpResponse<String> r = put(http, base.resolve("/v1/kv/k" + (i % 50)), value);
                assertThat(r.statusCode()).as("write %d: %s", i, r.body()).isEqualTo(200);
                acknowledged++;
            }
            assertThat(acknowledged).isEqualTo(200);
            assertThat(http.send(HttpRequest.newBuilder(base.resolve("/health")).build(),
                    HttpResponse.BodyHandlers.ofString()).body()).doesNotContain("storage_failed");
            assertThat(Files.readString(log)).contains("closing new connections")
                    .doesNotContain("cannot persist its log");
        } finally {
            for (SocketChannel c : flood) {
                c.close();
            }
            node.destroyForcibly();
            node.waitFor(30, TimeUnit.SECONDS);
            try (java.util.stream.Stream<Path> files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    private static HttpResponse<String> put(HttpClient http, URI uri, byte[] value) throws Exception {
        return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(value)).build(), HttpResponse.BodyHandlers.ofString());
    }

}
