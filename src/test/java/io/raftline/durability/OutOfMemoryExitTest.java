package io.raftline.durability;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.TestHttp;
import io.raftline.verify.nemesis.FreePorts;
import io.raftline.verify.nemesis.Waits;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 17: a node process that runs out of heap exits with code 3 and says why, instead of leaving every event loop
 * to log the error and answer nothing (SIGTERM included). A one-node cluster in a child JVM with a 64 MiB heap takes
 * 1 MB writes until its state no longer fits; started again with a normal heap, it has every value it acknowledged.
 */
@Tag("slow")
class OutOfMemoryExitTest {

    private static final HttpClient HTTP = TestHttp.builder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void aNodeOutOfHeapExitsWithCode3AndLosesNothingItAcknowledged() throws Exception {
        Path dir = Files.createTempDirectory("raftline-oom-");
        int port = FreePorts.next();
        JsonObject config = new JsonObject().put("cluster_name", "oom").put("single_node", true).put("node_id", 1)
                .put("nodes", new JsonArray().add(new JsonObject().put("id", 1).put("http_port", port)
                        .put("resp_port", FreePorts.next()).put("data_dir", dir.resolve("node-1").toString())));
        Path conf = dir.resolve("node.json");
        Files.writeString(conf, config.encode());
        Path log = dir.resolve("first-run.log");

        Process node = launch(conf, "-Xmx64m", log);
        URI base = URI.create("http://127.0.0.1:" + port);
        awaitReady(node, base);
        byte[] value = new byte[1_000_000];
        Arrays.fill(value, (byte) 'v');
        List<String> acknowledged = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        for (int batch = 0; node.isAlive() && System.nanoTime() < deadline; batch++) {
            List<CompletableFuture<HttpResponse<Void>>> puts = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                puts.add(HTTP.sendAsync(HttpRequest.newBuilder(base.resolve("/v1/kv/big-" + batch + "-" + i))
                        .timeout(Duration.ofSeconds(20)).header("Content-Type", "application/octet-stream")
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(value)).build(),
                        HttpResponse.BodyHandlers.discarding()));
            }
            for (int i = 0; i < puts.size(); i++) {
                try {
                    if (puts.get(i).get().statusCode() == 200) {
                        acknowledged.add("big-" + batch + "-" + i);
                    }
                } catch (java.util.concurrent.ExecutionException e) {
                    // the process died under it, or it timed out: not acknowledged
                }
            }
        }
        assertThat(node.waitFor(30, TimeUnit.SECONDS)).as("the process exits by itself").isTrue();
        assertThat(node.exitValue()).isEqualTo(3);
        assertThat(Files.readString(log)).contains("raftline: out of memory (java.lang.OutOfMemoryError): exiting"
                + " with code 3");

        Process again = launch(conf, "-Xmx512m", dir.resolve("second-run.log"));
        try {
            awaitReady(again, base);
            for (String key : acknowledged) {
                HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(base.resolve("/v1/kv/" + key)).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                assertThat(r.statusCode()).as(key).isEqualTo(200);
                assertThat(r.body()).as(key).isEqualTo(value);
            }
        } finally {
            again.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
        }
    }

    private static Process launch(Path conf, String heap, Path log) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, heap, "-cp", System.getProperty("java.class.path"), "io.raftline.app.Main",
                "node", "--conf", conf.toString()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static void awaitReady(Process p, URI base) throws Exception {
        Waits.eventually("the node is ready", Duration.ofSeconds(60), () -> {
            assertThat(p.isAlive()).as("the node process runs").isTrue();
            try {
                return HTTP.send(HttpRequest.newBuilder(base.resolve("/readyz")).timeout(Duration.ofSeconds(2))
                        .build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
            } catch (IOException e) {
                return false; // not listening yet
            }
        });
    }

}
