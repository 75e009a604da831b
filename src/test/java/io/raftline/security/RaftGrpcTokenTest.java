package io.raftline.security;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.TestHttp;
import io.raftline.proto.raft.RaftServiceGrpcClient;
import io.raftline.raft.message.Heartbeat;
import io.raftline.transport.grpc.ProtoMapping;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.common.GrpcStatus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Raft over gRPC without TLS, with {@code security.client_token}: the Raft service shares each node's client port with
 * the key-value API, and no certificate tells a node from a client there. A caller without the token used to reach the
 * Raft service anyway (only the KV service asked for it), so a local process refused by every KV protocol could send a
 * heartbeat at a huge term (or entries, or a snapshot) and take over the log. Then Raft calls asked for the client
 * token, which every key-value client holds, so any of them still could. Now Raft calls need a credential only nodes
 * hold ({@link RaftCallCredential}: in a local cluster a random one of the process, with {@code security.cluster_secret}
 * one derived from it), which the nodes present on their own calls: the cluster elects and serves writes through a
 * follower, and neither the client token nor the admin token gets a Raft message in.
 */
class RaftGrpcTokenTest {

    private static final String CLIENT_TOKEN = "client-0123456789abcdef";
    private static final long FORGED_TERM = 1_000_000;
    private static final HttpClient HTTP = TestHttp.builder().build();
    private static InJvmCluster cluster;

    @BeforeAll
    static void start() throws Exception {
        cluster = InJvmCluster.builder(ClusterConfigs.cluster(3, 53).put("transport", "grpc")
                .put("storage", new JsonObject().put("engine", "memory"))
                .put("security", new JsonObject().put("client_token", CLIENT_TOKEN)))
                .start();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static HttpResponse<String> call(int node, String method, String path, String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(cluster.nodeUrls().get(node).resolve(path))
                .timeout(Duration.ofSeconds(15)).header("Authorization", "Bearer " + CLIENT_TOKEN)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body))
                .build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static long term(int node) throws Exception {
        return new JsonObject(call(node, "GET", "/health", null).body()).getLong("term");
    }

    private static GrpcStatus heartbeat(GrpcClient client, int to, long term, String authorization)
            throws Exception {
        return heartbeat(cluster, client, to, term, authorization == null ? Map.of()
                : Map.of("authorization", authorization));
    }

    private static GrpcStatus heartbeat(InJvmCluster cluster, GrpcClient client, int to, long term,
            Map<String, String> metadata) throws Exception {
        URI u = cluster.nodeUrls().get(to);
        SocketAddress address = SocketAddress.inetSocketAddress(u.getPort(), u.getHost());
        int from = to % 3 + 1;
        return await(client.request(address, RaftServiceGrpcClient.AppendEntries).compose(req -> {
            metadata.forEach(req.headers()::set);
            return req.send(ProtoMapping.toEnvelope(new Heartbeat(from, to, term, 0, 0)));
        }).compose(resp -> resp.last().transform(ar -> Future.succeededFuture(resp.status()))));
    }

    private static long term(InJvmCluster cluster, int node) throws Exception {
        return new JsonObject(HTTP.send(HttpRequest.newBuilder(cluster.nodeUrls().get(node).resolve("/health"))
                .timeout(Duration.ofSeconds(15)).build(), HttpResponse.BodyHandlers.ofString()).body()).getLong("term");
    }

    @Test
    void raftCallsWithoutTheNodesCredentialAreRefusedAndTheNodesStillTalk() throws Exception {
        int leader = await(cluster.leader());
        int follower = leader % 3 + 1;
        GrpcClient client = GrpcClient.client(cluster.vertx());
        try {
            assertThat(heartbeat(client, follower, FORGED_TERM, null)).as("no token").isEqualTo(GrpcStatus.UNAUTHENTICATED);
            assertThat(heartbeat(client, follower, FORGED_TERM, "Bearer wrong-0123456789abcdef")).as("a wrong token")
                    .isEqualTo(GrpcStatus.UNAUTHENTICATED);
            // Every key-value client holds the client token: it is not the nodes' credential.
            assertThat(heartbeat(client, follower, FORGED_TERM, "Bearer " + CLIENT_TOKEN)).as("the client token")
                    .isEqualTo(GrpcStatus.UNAUTHENTICATED);
            assertThat(term(follower)).as("the forged term never reached the node").isLessThan(FORGED_TERM);
        } finally {
            await(client.close());
        }
        // The nodes present their credential on their own Raft calls: a write through a follower is replicated.
        eventually("a write through a follower", () -> call(follower, "PUT", "/v1/kv/raft-token", "v")
                .statusCode() == 200);
        assertThat(call(follower, "GET", "/v1/kv/raft-token?consistency=linearizable", null).body()).isEqualTo("v");
    }

    /**
     * With {@code security.cluster_secret}, Raft calls need the token derived from it: neither the client token nor the
     * admin token gets a message in (the admin token is what nodes presented before, and operators hold it), and the
     * nodes, presenting the derived token, elect and replicate.
     */
    @Test
    void withAClusterSecretOnlyItsDerivedTokenPasses() throws Exception {
        String secret = "secret-0123456789abcdef0123456789";
        String admin = "admin-0123456789abcdef";
        InJvmCluster secured = InJvmCluster.builder(ClusterConfigs.cluster(3, 54).put("transport", "grpc")
                .put("storage", new JsonObject().put("engine", "memory"))
                .put("admin", new JsonObject().put("port", 0).put("token", admin))
                .put("security", new JsonObject().put("client_token", CLIENT_TOKEN).put("cluster_secret", secret)))
                .start();
        GrpcClient client = GrpcClient.client(secured.vertx());
        try {
            int leader = await(secured.leader());
            int follower = leader % 3 + 1;
            assertThat(heartbeat(secured, client, follower, FORGED_TERM, Map.of("authorization", "Bearer "
                    + CLIENT_TOKEN))).as("the client token").isEqualTo(GrpcStatus.UNAUTHENTICATED);
            assertThat(heartbeat(secured, client, follower, FORGED_TERM, Map.of("authorization", "Bearer " + admin)))
                    .as("the admin token").isEqualTo(GrpcStatus.UNAUTHENTICATED);
            assertThat(heartbeat(secured, client, follower, FORGED_TERM, Map.of(RaftCallCredential.HEADER, secret)))
                    .as("the secret itself").isEqualTo(GrpcStatus.UNAUTHENTICATED);
            assertThat(term(secured, follower)).as("no forged term reached the node").isLessThan(FORGED_TERM);
            // The derived token passes (a stale heartbeat: term 0 changes nothing).
            assertThat(heartbeat(secured, client, follower, 0, Map.of(RaftCallCredential.HEADER,
                    RaftCallCredential.derive(secret)))).isEqualTo(GrpcStatus.OK);
        } finally {
            await(client.close());
            secured.close();
        }
    }
}
