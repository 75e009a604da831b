package io.raftline.server;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.raftline.proto.kv.GetRequest;
import io.raftline.proto.kv.KvServiceGrpcClient;
import io.raftline.proto.kv.PutRequest;
import io.raftline.proto.kv.PutResponse;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.common.GrpcStatus;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Compressed gRPC messages on a node's client port ({@link GrpcFrameCheck}). One marked compressed in a call that names
 * no compression is answered INTERNAL, naming the rule: Vert.x's deframer threw "Handle me" onto the event loop's log
 * and the call was never answered (a review's curl waited 10 s for nothing). A gzip message is inflated at most to the
 * largest message: Vert.x inflated it whole on the event loop (a 1 MiB message of zeros became 1 GiB and held a
 * leader's event loop for a minute). The node goes on serving gRPC afterwards.
 */
class GrpcFrameCheckTest {

    private static InJvmCluster cluster;
    private static Vertx vertx;
    private static HttpClient h2c;

    @BeforeAll
    static void start() throws Exception {
        cluster = InJvmCluster.builder(ClusterConfigs.cluster(3, 53)
                .put("storage", new JsonObject().put("engine", "memory"))).start();
        await(cluster.leader());
        vertx = Vertx.vertx();
        h2c = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
                .setHttp2ClearTextUpgrade(false));
    }

    @AfterAll
    static void stop() throws Exception {
        if (vertx != null) {
            await(vertx.close());
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    /** A gRPC call whose body is the given bytes, as a client that frames messages by hand sends it. */
    private static HttpClientResponse rawCall(URI node, String encoding, Buffer body) throws Exception {
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
                .setPort(node.getPort()).setURI("/raftline.kv.v1.KvService/Get")
                .putHeader("content-type", "application/grpc").putHeader("te", "trailers");
        if (encoding != null) {
            options.putHeader("grpc-encoding", encoding);
        }
        // Read whole (a trailers-only answer ends with its head): the status is in the headers or the trailers.
        return await(h2c.request(options).compose(r -> r.send(body)).compose(r -> r.body().map(b -> r)),
                Duration.ofSeconds(10));
    }

    private static Buffer framed(int flag, byte[] message) {
        return Buffer.buffer().appendByte((byte) flag).appendInt(message.length).appendBytes(message);
    }

    private static byte[] gzip(byte[] bytes) throws java.io.IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream z = new java.util.zip.GZIPOutputStream(out)) {
            z.write(bytes);
        }
        return out.toByteArray();
    }

    private static String status(HttpClientResponse response) {
        String s = response.getHeader("grpc-status");
        return s != null ? s : response.getTrailer("grpc-status");
    }

    private static String message(HttpClientResponse response) {
        String m = response.getHeader("grpc-message");
        m = m != null ? m : response.getTrailer("grpc-message");
        return m == null ? null : URLDecoder.decode(m, StandardCharsets.UTF_8);
    }

    @Test
    void aCompressedMessageWithoutAnEncodingIsAnsweredAndTheNodeServesOn() throws Exception {
        URI node = cluster.nodeUrls().get(1);
        byte[] get = GetRequest.newBuilder().setKey("k").build().toByteArray();

        HttpClientResponse refused = rawCall(node, null, framed(1, get));
        assertThat(status(refused)).as("a compressed message in a call without grpc-encoding")
                .isEqualTo(String.valueOf(GrpcStatus.INTERNAL.code));
        assertThat(message(refused)).contains("message 1").contains("marked compressed").contains("grpc-encoding");

        // The second message of a call, after a well-formed first one, and an encoding Vert.x cannot undo.
        HttpClientResponse second = rawCall(node, null, framed(0, get).appendBuffer(framed(1, get)));
        assertThat(status(second)).isEqualTo(String.valueOf(GrpcStatus.INTERNAL.code));
        assertThat(message(second)).contains("message 2");
        HttpClientResponse brotli = rawCall(node, "br", framed(1, get));
        assertThat(status(brotli)).isEqualTo(String.valueOf(GrpcStatus.INTERNAL.code));
        assertThat(message(brotli)).contains("\"br\"");

        // gzip: inflated within the largest message (1 MiB + 8 KiB here), else refused before it is all inflated.
        assertThat(status(rawCall(node, "gzip", framed(1, gzip(get))))).isEqualTo(String.valueOf(
                GrpcStatus.NOT_FOUND.code));
        HttpClientResponse bomb = rawCall(node, "gzip", framed(1, gzip(new byte[16 << 20])));
        assertThat(status(bomb)).as("16 MiB of zeros in a gzip message of %d bytes", gzip(new byte[16 << 20]).length)
                .isEqualTo(String.valueOf(GrpcStatus.RESOURCE_EXHAUSTED.code));
        assertThat(message(bomb)).contains("inflates to more than 1056768 bytes");
        HttpClientResponse notGzip = rawCall(node, "gzip", framed(1, get));
        assertThat(status(notGzip)).isEqualTo(String.valueOf(GrpcStatus.INTERNAL.code));
        assertThat(message(notGzip)).contains("not valid gzip");

        // Uncompressed messages pass as before, whatever the call names.
        assertThat(status(rawCall(node, null, framed(0, get)))).isEqualTo(String.valueOf(GrpcStatus.NOT_FOUND.code));
        assertThat(status(rawCall(node, "gzip", framed(0, get)))).isEqualTo(String.valueOf(GrpcStatus.NOT_FOUND.code));

        GrpcClient client = GrpcClient.client(vertx, new GrpcClientOptions(), new HttpClientOptions()
                .setHttp2ClearTextUpgrade(false));
        GrpcClientResponse<PutRequest, PutResponse> put = await(client.request(SocketAddress.inetSocketAddress(
                node.getPort(), "127.0.0.1"), KvServiceGrpcClient.Put).compose(call -> {
                    call.end(PutRequest.newBuilder().setKey("k").setValue(ByteString.copyFromUtf8("v")).build());
                    return call.response();
                }), Duration.ofSeconds(20));
        assertThat(await(put.last(), Duration.ofSeconds(20)).getRevision()).isPositive();
    }
}
