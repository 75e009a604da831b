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
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.common.GrpcStatus;
import java.net.URI;
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
    private static RawGrpcCall.Answer rawCall(URI node, String encoding, Buffer body) throws Exception {
        return encoding == null
                ? RawGrpcCall.call(h2c, node.getPort(), "/raftline.kv.v1.KvService/Get", body, Duration.ofSeconds(10))
                : RawGrpcCall.call(h2c, node.getPort(), "/raftline.kv.v1.KvService/Get", body, Duration.ofSeconds(10),
                        "grpc-encoding", encoding);
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

    @Test
    void aCompressedMessageWithoutAnEncodingIsAnsweredAndTheNodeServesOn() throws Exception {
        URI node = cluster.nodeUrls().get(1);
        byte[] get = GetRequest.newBuilder().setKey("k").build().toByteArray();

        RawGrpcCall.Answer refused = rawCall(node, null, framed(1, get));
        assertThat(refused.status()).as("a compressed message in a call without grpc-encoding")
                .isEqualTo(String.valueOf(GrpcStatus.INTERNAL.code));
        assertThat(refused.message()).contains("message 1").contains("marked compressed").contains("grpc-encoding");

        // The second message of a call, after a well-formed first one, and an encoding Vert.x cannot undo.
        RawGrpcCall.Answer second = rawCall(node, null, framed(0, get).appendBuffer(framed(1, get)));
        assertThat(second.status()).isEqualTo(String.valueOf(GrpcStatus.INTERNAL.code));
        assertThat(second.message()).contains("message 2");
        RawGrpcCall.Answer brotli = rawCall(node, "br", framed(1, get));
        assertThat(brotli.status()).isEqualTo(String.valueOf(GrpcStatus.INTERNAL.code));
        assertThat(brotli.message()).contains("\"br\"");

        // gzip: inflated within the largest message (1 MiB + 8 KiB here), else refused before it is all inflated.
        assertThat(rawCall(node, "gzip", framed(1, gzip(get))).status()).isEqualTo(String.valueOf(
                GrpcStatus.NOT_FOUND.code));
        RawGrpcCall.Answer bomb = rawCall(node, "gzip", framed(1, gzip(new byte[16 << 20])));
        assertThat(bomb.status()).as("16 MiB of zeros in a gzip message of %d bytes", gzip(new byte[16 << 20]).length)
                .isEqualTo(String.valueOf(GrpcStatus.RESOURCE_EXHAUSTED.code));
        assertThat(bomb.message()).contains("inflates to more than 1056768 bytes");
        RawGrpcCall.Answer notGzip = rawCall(node, "gzip", framed(1, get));
        assertThat(notGzip.status()).isEqualTo(String.valueOf(GrpcStatus.INTERNAL.code));
        assertThat(notGzip.message()).contains("not valid gzip");

        // Uncompressed messages pass as before, whatever the call names.
        assertThat(rawCall(node, null, framed(0, get)).status()).isEqualTo(String.valueOf(GrpcStatus.NOT_FOUND.code));
        assertThat(rawCall(node, "gzip", framed(0, get)).status()).isEqualTo(String.valueOf(GrpcStatus.NOT_FOUND.code));

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
