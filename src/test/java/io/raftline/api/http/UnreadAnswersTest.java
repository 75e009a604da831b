package io.raftline.api.http;

import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.api.AnswerBudget;
import io.raftline.server.Http2Frames;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.raftline.verify.nemesis.Waits;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A client that asks and does not read holds no more than the port's {@link AnswerBudget} of answers in the node. Over
 * HTTP/2 one connection may open 1,024 streams; each answer waits in the server until the client's flow-control window
 * lets it go. A review opened 1,000 streams on one connection, each a GET of a 1 MiB value it never read: the node's
 * memory grew by 460 MiB, and with two connections the node ran out of heap. Now reads beyond the budget are answered
 * 503 {@code overloaded} at once, the budget comes back when the connection closes, and answers left unread past
 * {@code limits.request_timeout_ms} are dropped.
 *
 * <p>The client that does not read is a plain socket that speaks just enough HTTP/2 (the preface, SETTINGS, one
 * HEADERS frame per request) and never reads a byte: the server's flow-control windows stop its answers at 64 KiB.
 */
class UnreadAnswersTest {

    private static final int VALUE_BYTES = 1_000_000;
    private static final int STREAMS = 100;
    private static final byte[] VALUE = new byte[VALUE_BYTES];
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    static {
        Arrays.fill(VALUE, (byte) 'v');
    }

    private InJvmCluster cluster;

    @AfterEach
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void readsBeyondTheBudgetOfUnreadAnswersAreRefusedUntilTheConnectionThatHoldsThemCloses() throws Exception {
        URI node = start(new JsonObject());
        try (Socket unread = askAndNeverRead(node)) {
            assertThat(unread.isConnected()).isTrue();
            eventually("a read refused while " + STREAMS + " answers of " + VALUE_BYTES + " bytes wait unread",
                    Duration.ofSeconds(30), () -> read(node) == 503);
            HttpResponse<String> refused = get(node);
            JsonObject error = new JsonObject(refused.body());
            assertThat(error.getString("error")).isEqualTo("overloaded");
            assertThat(error.getString("message")).contains("wait on this port for their clients to read them");
            assertThat(refused.headers().firstValue("Retry-After")).isPresent();
        }
        eventually("reads served again once the connection closed", Duration.ofSeconds(30), () -> read(node) == 200);
    }

    @Test
    void answersLeftUnreadPastTheDeadlineAreDroppedAndTheirBytesGivenBack() throws Exception {
        URI node = start(new JsonObject().put("request_timeout_ms", 2000));
        try (Socket unread = askAndNeverRead(node)) {
            assertThat(unread.isConnected()).isTrue();
            eventually("a read refused while " + STREAMS + " answers wait unread", Duration.ofSeconds(30),
                    () -> read(node) == 503);
            // The connection stays open and its answers unread: the deadline drops them.
            eventually("reads served again, the answers dropped", Duration.ofSeconds(30), () -> read(node) == 200);
        }
    }

    /** A 3-node cluster with one value of {@link #VALUE_BYTES} under {@code big}: its leader's client URL. */
    private URI start(JsonObject limits) throws Exception {
        cluster = InJvmCluster.builder(ClusterConfigs.cluster(3, 43, 4000)
                .put("storage", new JsonObject().put("engine", "memory")).put("limits", limits)).start();
        URI node = cluster.nodeUrls().get(Waits.await(cluster.leader()));
        HttpResponse<String> put = HTTP.send(HttpRequest.newBuilder(node.resolve("/v1/kv/big"))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(VALUE)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        return node;
    }

    /** Opens an HTTP/2 connection (prior knowledge) and asks for the value {@link #STREAMS} times on it. */
    private static Socket askAndNeverRead(URI node) throws IOException {
        Socket socket = new Socket(node.getHost(), node.getPort());
        OutputStream out = socket.getOutputStream();
        out.write(Http2Frames.PREFACE.getBytes(StandardCharsets.US_ASCII));
        out.write(Http2Frames.frame(0x4, 0, 0, new byte[0])); // SETTINGS, all defaults (windows of 64 KiB)
        byte[] block = headerBlock("/v1/kv/big", node.getHost() + ":" + node.getPort());
        for (int i = 0; i < STREAMS; i++) {
            out.write(Http2Frames.frame(0x1, 0x1 | 0x4, 2 * i + 1, block)); // HEADERS, END_STREAM | END_HEADERS
        }
        out.flush();
        return socket;
    }

    /** GET {@code path} in HPACK: indexed :method GET and :scheme http, literal :path and :authority. */
    private static byte[] headerBlock(String path, String authority) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(0x82);
        b.write(0x86);
        literal(b, 0x04, path);
        literal(b, 0x01, authority);
        return b.toByteArray();
    }

    /** A literal header field without indexing, its name from the static table, its value not Huffman-coded. */
    private static void literal(ByteArrayOutputStream b, int nameIndex, String value) {
        byte[] v = value.getBytes(StandardCharsets.US_ASCII);
        b.write(nameIndex);
        b.write(v.length);
        b.writeBytes(v);
    }

    private static HttpResponse<String> get(URI node) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(node.resolve("/v1/kv/big")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** A read of the value over another connection, read whole: its status (the value checked when 200). */
    private static int read(URI node) throws Exception {
        HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(node.resolve("/v1/kv/big"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() == 200) {
            assertThat(Arrays.equals(r.body(), VALUE)).as("the value read whole").isTrue();
        }
        return r.statusCode();
    }
}
