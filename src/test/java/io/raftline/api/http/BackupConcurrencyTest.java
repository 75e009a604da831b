package io.raftline.api.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.TestHttp;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.raftline.verify.nemesis.Waits;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /v1/snapshot} writes a whole copy of the state to a temporary file before sending it: a node writes and
 * sends at most {@link BackupApi#MAX_IN_FLIGHT} at once and answers 503 {@code overloaded} beyond, so that a client
 * asking for many at once cannot fill the disk with copies nor take every worker thread.
 */
class BackupConcurrencyTest {

    private static InJvmCluster cluster;
    private static URI node;
    private static final HttpClient HTTP = TestHttp.builder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        cluster = InJvmCluster.builder(ClusterConfigs.cluster(1, 29)
                .put("storage", new JsonObject().put("engine", "memory"))).start();
        node = cluster.nodeUrls().values().iterator().next();
        // A state larger than what socket buffers hold, so that a backup whose client reads nothing stays in flight.
        byte[] value = new byte[1_000_000];
        for (int i = 0; i < 16; i++) {
            HttpResponse<String> put = HTTP.send(HttpRequest.newBuilder(node.resolve("/v1/kv/big-" + i))
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(value)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        }
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** Asks for a backup and reads only the response's head: the body stays unread, the backup in flight. */
    private static Socket slowBackup() throws Exception {
        Socket s = new Socket();
        s.setReceiveBufferSize(4096);
        s.setSoTimeout(30_000);
        s.connect(new java.net.InetSocketAddress(node.getHost(), node.getPort()));
        s.getOutputStream().write(("GET /v1/snapshot HTTP/1.1\r\nHost: " + node.getHost() + ":" + node.getPort()
                + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().flush();
        InputStream in = s.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            assertThat(b).as("the response's head").isNotNegative();
            head.write(b);
        }
        assertThat(head.toString(StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 200");
        return s;
    }

    private static HttpResponse<byte[]> backup() throws Exception {
        return HTTP.send(HttpRequest.newBuilder(node.resolve("/v1/snapshot")).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void aNodeWritesAtMostAFewBackupsAtOnce() throws Exception {
        List<Socket> slow = new ArrayList<>();
        try {
            for (int i = 0; i < BackupApi.MAX_IN_FLIGHT; i++) {
                slow.add(slowBackup());
            }
            HttpResponse<byte[]> refused = backup();
            assertThat(refused.statusCode()).as("a backup beyond the limit").isEqualTo(503);
            assertThat(new JsonObject(new String(refused.body(), StandardCharsets.UTF_8)).getString("error"))
                    .isEqualTo("overloaded");
            assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
        } finally {
            for (Socket s : slow) {
                s.close();
            }
        }
        // Once the slow clients went away their backups are no longer in flight: backups are served again.
        Waits.eventually("a backup served once the others ended", () -> backup().statusCode() == 200);
    }
}
