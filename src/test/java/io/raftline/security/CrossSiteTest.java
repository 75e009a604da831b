package io.raftline.security;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.RawHttp;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What a web page can make a browser send to a Raftline on loopback: a simple cross-site POST (no preflight), and
 * requests through a rebound DNS name. Both are refused before anything happens; JSON bodies must say they are JSON.
 */
class CrossSiteTest {

    private static InJvmCluster cluster;
    private static URI admin;
    private static URI node;

    @BeforeAll
    static void start() throws Exception {
        cluster = InJvmCluster.builder(ClusterConfigs.cluster(3, 17)
                .put("storage", new JsonObject().put("engine", "memory"))
                .put("security", new JsonObject().put("allowed_hosts", new io.vertx.core.json.JsonArray()
                        .add("kv.example.test")))).start();
        admin = URI.create(cluster.liveViewUrl());
        node = cluster.nodeUrls().get(1);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static String host(URI u) {
        return u.getHost() + ":" + u.getPort();
    }

    private static RawHttp.Answer send(URI base, String head, String body) throws Exception {
        return RawHttp.send(base, head, body == null ? null : body.getBytes(StandardCharsets.UTF_8));
    }

    private static String error(RawHttp.Answer a) {
        return new JsonObject(a.body()).getString("error");
    }

    @Test
    void aCrossSiteSimplePostCannotCrashANode() throws Exception {
        RawHttp.Answer a = send(admin, "POST /v1/admin/nodes/3/crash HTTP/1.1\r\nHost: " + host(admin)
                + "\r\nOrigin: http://evil.example\r\nContent-Type: text/plain", "");
        assertThat(a.status()).isEqualTo(403);
        assertThat(error(a)).isEqualTo("forbidden_origin");
        JsonObject c = await(cluster.verticle().describe(), Duration.ofSeconds(5));
        assertThat(c.getJsonArray("nodes").getJsonObject(2).getBoolean("up")).isTrue();
        // The page's own origin (the live view) passes the check: here to a node that does not exist.
        RawHttp.Answer own = send(admin, "POST /v1/admin/nodes/9/crash HTTP/1.1\r\nHost: " + host(admin)
                + "\r\nOrigin: http://" + host(admin), "");
        assertThat(own.status()).isEqualTo(404);
        assertThat(error(own)).isEqualTo("not_found");
    }

    @Test
    void foreignOriginsCannotWriteKeysOrChangeMembersEither() throws Exception {
        RawHttp.Answer put = send(node, "PUT /v1/kv/x HTTP/1.1\r\nHost: " + host(node)
                + "\r\nOrigin: https://evil.example", "v");
        assertThat(put.status()).isEqualTo(403);
        assertThat(error(put)).isEqualTo("forbidden_origin");
        RawHttp.Answer members = send(node, "DELETE /v1/members/2 HTTP/1.1\r\nHost: " + host(node)
                + "\r\nOrigin: null", null);
        assertThat(members.status()).isEqualTo(403);
        // Reads are not refused by origin (the browser keeps a foreign page from reading the answer).
        RawHttp.Answer read = send(node, "GET /v1/kv/x?consistency=stale HTTP/1.1\r\nHost: " + host(node)
                + "\r\nOrigin: https://evil.example", null);
        assertThat(read.status()).isEqualTo(404);
    }

    @Test
    void reboundNamesAreRefusedAndConfiguredOnesAccepted() throws Exception {
        for (URI base : new URI[] {admin, node}) {
            RawHttp.Answer rebound = send(base, "GET /v1/cluster HTTP/1.1\r\nHost: evil.example:" + base.getPort(), null);
            assertThat(rebound.status()).as(base.toString()).isEqualTo(403);
            assertThat(error(rebound)).isEqualTo("forbidden_host");
            assertThat(send(base, "GET /v1/cluster HTTP/1.1\r\nHost: localhost:" + base.getPort(), null).status())
                    .isEqualTo(200);
            assertThat(send(base, "GET /v1/cluster HTTP/1.1\r\nHost: KV.example.test.", null).status()).isEqualTo(200);
            assertThat(send(base, "GET /v1/cluster HTTP/1.1\r\nHost: [::1]:" + base.getPort(), null).status())
                    .isEqualTo(200);
        }
    }

    @Test
    void aReboundNameCannotUseTheKeyValueApiThroughGrpcWeb() throws Exception {
        // gRPC-Web is plain HTTP/1.1 that a page's fetch sends to its own origin without a preflight: through a
        // rebound name (Host: evil.example) it must meet the host check as every other request does. gRPC calls were
        // routed by content type before the guard ran, so such a page read and wrote every key (and could reach the
        // Raft service) of a loopback cluster.
        byte[] put = io.raftline.proto.kv.PutRequest.newBuilder().setKey("rebound")
                .setValue(com.google.protobuf.ByteString.copyFromUtf8("v")).build().toByteArray();
        byte[] frame = java.nio.ByteBuffer.allocate(5 + put.length).put((byte) 0).putInt(put.length).put(put).array();
        RawHttp.Answer rebound = RawHttp.send(node, "POST /raftline.kv.v1.KvService/Put HTTP/1.1\r\nHost: evil.example:"
                + node.getPort() + "\r\nContent-Type: application/grpc-web+proto\r\nX-Grpc-Web: 1", frame);
        assertThat(rebound.status()).as(rebound.head()).isEqualTo(403);
        assertThat(error(rebound)).isEqualTo("forbidden_host");
        assertThat(send(node, "GET /v1/kv/rebound HTTP/1.1\r\nHost: " + host(node), null).status())
                .as("nothing was written").isEqualTo(404);
        // The same call by a name of this server is still served (gRPC-Web clients keep working).
        RawHttp.Answer own = RawHttp.send(node, "POST /raftline.kv.v1.KvService/Put HTTP/1.1\r\nHost: " + host(node)
                + "\r\nContent-Type: application/grpc-web+proto\r\nX-Grpc-Web: 1", frame);
        assertThat(own.status()).as(own.head()).isEqualTo(200);
        assertThat(send(node, "GET /v1/kv/rebound HTTP/1.1\r\nHost: " + host(node), null).status())
                .as("a gRPC-Web Put writes").isEqualTo(200);
    }

    @Test
    void jsonEndpointsRequireAJsonContentType() throws Exception {
        String network = "{\"dropRate\":0.0}";
        RawHttp.Answer plain = send(admin, "PUT /v1/admin/network HTTP/1.1\r\nHost: " + host(admin)
                + "\r\nContent-Type: text/plain", network);
        assertThat(plain.status()).isEqualTo(415);
        assertThat(error(plain)).isEqualTo("unsupported_media_type");
        assertThat(send(admin, "PUT /v1/admin/network HTTP/1.1\r\nHost: " + host(admin)
                + "\r\nContent-Type: application/json; charset=utf-8", network).status()).isEqualTo(200);
        String txn = "{\"success\":[{\"get\":{\"key\":\"k\"}}]}";
        RawHttp.Answer form = send(node, "POST /v1/txn HTTP/1.1\r\nHost: " + host(node)
                + "\r\nContent-Type: application/x-www-form-urlencoded", txn);
        assertThat(form.status()).isEqualTo(415);
        assertThat(send(node, "POST /v1/txn HTTP/1.1\r\nHost: " + host(node)
                + "\r\nContent-Type: application/json", txn).status()).isEqualTo(200);
        assertThat(send(node, "POST /v1/members HTTP/1.1\r\nHost: " + host(node), "{\"id\":4}").status())
                .isEqualTo(415);
        assertThat(send(node, "POST /v1/leader HTTP/1.1\r\nHost: " + host(node)
                + "\r\nContent-Type: multipart/form-data; boundary=x", "{\"id\":2}").status()).isEqualTo(415);
    }

    @Test
    void theAdminPortAnswersUnknownRoutesAndMethodsAsJson() throws Exception {
        RawHttp.Answer missing = send(admin, "GET /v1/nope HTTP/1.1\r\nHost: " + host(admin), null);
        assertThat(missing.status()).isEqualTo(404);
        assertThat(error(missing)).isEqualTo("not_found");
        RawHttp.Answer method = send(admin, "PATCH /v1/admin/network HTTP/1.1\r\nHost: " + host(admin), "{}");
        assertThat(method.status()).isEqualTo(405);
        assertThat(error(method)).isEqualTo("method_not_allowed");
        // A 405 says what the resource takes (RFC 9110): it had no Allow header, as Vert.x adds one to its own 405 only.
        assertThat(allow(method)).isEqualTo("DELETE, GET, PUT");
        assertThat(allow(send(admin, "GET /v1/admin/nodes/2 HTTP/1.1\r\nHost: " + host(admin), null)))
                .isEqualTo("DELETE");
        assertThat(allow(send(admin, "PUT /v1/admin/nodes/2/crash HTTP/1.1\r\nHost: " + host(admin), "")))
                .isEqualTo("POST");
    }

    @Test
    void theClientPortSaysWhichMethodsAResourceTakes() throws Exception {
        RawHttp.Answer patch = send(node, "PATCH /v1/kv/a/b HTTP/1.1\r\nHost: " + host(node), "x");
        assertThat(patch.status()).isEqualTo(405);
        assertThat(error(patch)).isEqualTo("method_not_allowed");
        assertThat(allow(patch)).isEqualTo("DELETE, GET, PUT");
        assertThat(allow(send(node, "DELETE /v1/txn HTTP/1.1\r\nHost: " + host(node), null))).isEqualTo("POST");
        assertThat(allow(send(node, "POST /health HTTP/1.1\r\nHost: " + host(node), ""))).isEqualTo("GET, HEAD");
        assertThat(allow(send(node, "PUT /v1/members/4 HTTP/1.1\r\nHost: " + host(node), "")))
                .isEqualTo("DELETE");
        assertThat(allow(send(node, "PUT /v1/members HTTP/1.1\r\nHost: " + host(node), ""))).isEqualTo("GET, POST");
    }

    /** The answer's Allow header, or null. */
    private static String allow(RawHttp.Answer answer) {
        return answer.head().lines().filter(l -> l.toLowerCase(java.util.Locale.ROOT).startsWith("allow:"))
                .map(l -> l.substring("allow:".length()).trim()).findFirst().orElse(null);
    }
}
