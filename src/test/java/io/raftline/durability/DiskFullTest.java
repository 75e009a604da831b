package io.raftline.durability;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A full disk (issue 17): a node whose data directory is on a 3 MiB tmpfs writes until the disk is full. The write
 * that meets "No space left on device" fails the node cleanly (fail-stop: it stops acknowledging and says
 * {@code storage_failed}), nothing acknowledged is lost, and once space is freed (the tmpfs grown) and the node
 * restarted, it recovers from its write-ahead log (cutting the torn tail of the write that failed), serves every
 * acknowledged value byte for byte, and takes new writes. Needs root to mount the tmpfs; skipped otherwise.
 */
@Tag("slow")
class DiskFullTest {

    @Test
    void aFullDiskFailsTheNodeCleanlyAndItComesBackWithNothingLost() throws Exception {
        Path mount = Files.createTempDirectory("raftline-small-disk-");
        Assumptions.assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", mount.toString()),
                "mounting a tmpfs needs root");
        InJvmCluster harness = null;
        try {
            JsonObject config = ClusterConfigs.cluster(1, 31);
            config.put("storage", new JsonObject().put("engine", "durable").put("segment_bytes", 1 << 20));
            harness = InJvmCluster.builder(config).dataDir(mount).start();
            URI url = harness.nodeUrls().get(1);
            WebClient web = WebClient.create(harness.vertx());
            byte[] value = new byte[8192];
            new Random(7).nextBytes(value);

            List<String> acknowledged = new ArrayList<>();
            HttpResponse<Buffer> last = null;
            for (int i = 0; i < 1000; i++) {
                last = await(web.request(HttpMethod.PUT, url.getPort(), url.getHost(), "/v1/kv/k" + i)
                        .putHeader("Content-Type", "application/octet-stream").sendBuffer(Buffer.buffer(value)));
                if (last.statusCode() != 200) {
                    break;
                }
                acknowledged.add("k" + i);
            }
            assertThat(last.statusCode()).as("a write on a full disk is refused").isEqualTo(503);
            assertThat(acknowledged).as("the disk held a few hundred values first").hasSizeGreaterThan(100);
            HttpResponse<Buffer> health = await(web.get(url.getPort(), url.getHost(), "/health").send());
            assertThat(health.statusCode()).isEqualTo(503);
            assertThat(health.bodyAsJsonObject().getString("error")).isEqualTo("storage_failed");
            HttpResponse<Buffer> write = await(web.request(HttpMethod.PUT, url.getPort(), url.getHost(), "/v1/kv/x")
                    .putHeader("Content-Type", "application/octet-stream").sendBuffer(Buffer.buffer("x")));
            assertThat(write.statusCode()).as("a failed node acknowledges nothing").isEqualTo(503);

            assertThat(run("mount", "-o", "remount,size=64m", mount.toString())).as("grow the tmpfs").isTrue();
            await(harness.restart(1));
            eventually("node 1 is ready again", () -> web.get(url.getPort(), url.getHost(), "/readyz").send()
                    .map(r -> r.statusCode() == 200));
            for (String key : acknowledged) {
                HttpResponse<Buffer> r = await(web.get(url.getPort(), url.getHost(), "/v1/kv/" + key).send());
                assertThat(r.statusCode()).as(key).isEqualTo(200);
                assertThat(r.bodyAsBuffer().getBytes()).as(key).isEqualTo(value);
            }
            HttpResponse<Buffer> after = await(web.request(HttpMethod.PUT, url.getPort(), url.getHost(),
                    "/v1/kv/after").putHeader("Content-Type", "application/octet-stream")
                    .sendBuffer(Buffer.buffer("ok")));
            assertThat(after.statusCode()).isEqualTo(200);
            web.close();
        } finally {
            if (harness != null) {
                harness.close();
            }
            run("umount", mount.toString());
            Files.deleteIfExists(mount);
        }
    }

    private static boolean run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    }
}
