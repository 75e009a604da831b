package io.raftline.security;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Raft over gRPC without TLS, with {@code security.client_token}: the Raft service shares each node's client port with
 * the key-value API, and no certificate tells a node from a client there. A caller without the token used to reach the
 * Raft service anyway (only the KV service asked for it), so a local process refused by every KV protocol could send a
 * heartbeat at a huge term (or entries, or a snapshot) and take over the log. Now Raft calls need the nodes' credential,
 * which the nodes present on their own calls: the cluster elects and serves writes through a follower.
 */
class RaftGrpcTokenTest {

    private static final String CLIENT_TOKEN = "client-0123456789abcdef";
    private static final long FORGED_TERM = 1_000_000;
    private static final HttpClient HTTP = HttpClient.newHttpClient();
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
        URI u = cluster.nodeUrls().get(to);
        SocketAddress address = SocketAddress.inetSocketAddress(u.getPort(), u.getHost());
        int from = to % 3 + 1;
        return await(client.request(address, RaftServiceGrpcClient.AppendEntries).compose(req -> {
            if (authorization != null) {
                req.headers().set("authorization", authorization);
            }
            return req.send(ProtoMapping.toEnvelope(new Heartbeat(from, to, term, 0, 0)));
        }).compose(resp -> resp.last().transform(ar -> Future.succeededFuture(resp.status()))));
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
            assertThat(term(follower)).as("the forged term never reached the node").isLessThan(FORGED_TERM);
            // The nodes' own credential passes (a stale heartbeat: term 0 changes nothing).
            assertThat(heartbeat(client, follower, 0, "Bearer " + CLIENT_TOKEN)).isEqualTo(GrpcStatus.OK);
        } finally {
            await(client.close());
        }
        // The nodes present their credential on their own Raft calls: a write through a follower is replicated.
        eventually("a write through a follower", () -> call(follower, "PUT", "/v1/kv/raft-token", "v")
                .statusCode() == 200);
        assertThat(call(follower, "GET", "/v1/kv/raft-token?consistency=linearizable", null).body()).isEqualTo("v");
    }
}
