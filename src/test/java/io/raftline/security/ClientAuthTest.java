package io.raftline.security;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.raftline.RawHttp;
import io.raftline.TestHttp;
import io.raftline.api.http.HttpLeaderLink;
import io.raftline.api.resp.RawResp;
import io.raftline.app.Main;
import io.raftline.proto.kv.GetRequest;
import io.raftline.proto.kv.GetResponse;
import io.raftline.proto.kv.KvServiceGrpcClient;
import io.raftline.proto.kv.PutRequest;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * With {@code security.client_token} set, every client protocol of every node asks for it (HTTP
 * {@code Authorization: Bearer}, gRPC metadata, Redis {@code AUTH}), the admin token passes too, health probes stay
 * open, and nodes present a credential to each other (a write through a follower is forwarded and succeeds). Loopback
 * is not trusted here, so membership changes on the client port need the admin token, also when a follower relays them.
 */
class ClientAuthTest {

    private static final String CLIENT_TOKEN = "client-0123456789abcdef";
    private static final String ADMIN_TOKEN = "admin-0123456789abcdef";
    private static final HttpClient HTTP = TestHttp.builder().build();
    private static InJvmCluster cluster;
    private static int leader;
    private static int follower;

    @BeforeAll
    static void start() throws Exception {
        cluster = InJvmCluster.builder(ClusterConfigs.cluster(3, 31)
                .put("storage", new JsonObject().put("engine", "memory"))
                .put("admin", new JsonObject().put("token", ADMIN_TOKEN))
                .put("security", new JsonObject().put("client_token", CLIENT_TOKEN).put("trust_loopback", false)))
                .start();
        leader = await(cluster.leader());
        follower = leader % 3 + 1;
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static HttpResponse<String> call(int node, String method, String path, String body, String token)
            throws Exception {
        URI uri = cluster.nodeUrls().get(node).resolve(path);
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(15))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (body != null && !path.startsWith("/v1/kv/")) {
            b.header("Content-Type", "application/json");
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A call retried while the cluster has no leader (503): only the token decides the other answers. */
    private static HttpResponse<String> settled(int node, String method, String path, String body, String token)
            throws Exception {
        AtomicReference<HttpResponse<String>> last = new AtomicReference<>();
        eventually(method + " " + path + " answered other than 503", () -> {
            last.set(call(node, method, path, body, token));
            return last.get().statusCode() != 503;
        });
        return last.get();
    }

    @Test
    void theKeyValueApiAsksForTheTokenOnEveryNodeAndForwardsWithIt() throws Exception {
        for (String path : new String[] {"/v1/kv/k", "/v1/kv?prefix=", "/v1/cluster", "/v1/members", "/v1/snapshot",
                "/v1/watch?prefix=", "/v1/state-hash"}) {
            HttpResponse<String> none = call(follower, "GET", path, null, null);
            assertThat(none.statusCode()).as(path).isEqualTo(401);
            assertThat(none.headers().firstValue("WWW-Authenticate")).as(path).contains(ClientAccess.CHALLENGE);
            JsonObject error = new JsonObject(none.body());
            assertThat(error.getString("error")).isEqualTo("unauthorized");
            assertThat(error.getString("message")).contains("security.client_token");
        }
        // Malformed paths and queries too: the client hears that it needs the token, not what else is wrong (a 400
        // naming the malformed part came first).
        java.net.URI node = cluster.nodeUrls().get(follower);
        for (String line : new String[] {"GET /v1/kv/%ZZ", "GET /v1/kv?limit=%ZZ", "GET /v1/kv/a/../b",
                "GET /v1/nothing/%ZZ"}) {
            RawHttp.Answer raw = RawHttp.send(node, line + " HTTP/1.1\r\nHost: 127.0.0.1:" + node.getPort(), null);
            assertThat(raw.status()).as(line).isEqualTo(401);
            assertThat(raw.body()).as(line).contains("\"unauthorized\"");
        }
        assertThat(call(follower, "PUT", "/v1/kv/k", "v", null).statusCode()).isEqualTo(401);
        assertThat(call(follower, "PUT", "/v1/kv/k", "v", "wrong-token-0123456789").body()).contains("wrong token");
        assertThat(call(follower, "PUT", "/v1/kv/k", "v", "Basic x").statusCode()).isEqualTo(401);
        // The leader's endpoint for forwarded requests is no back door.
        assertThat(call(leader, "POST", HttpLeaderLink.PATH, "x", null).statusCode()).isEqualTo(401);
        assertThat(settled(leader, "GET", "/v1/kv/k", null, CLIENT_TOKEN).statusCode())
                .as("nothing was written without the token").isEqualTo(404);

        // With the token, through a follower: forwarded to the leader with the node's own credential.
        assertThat(settled(follower, "PUT", "/v1/kv/k", "through a follower", CLIENT_TOKEN).statusCode())
                .isEqualTo(200);
        assertThat(settled(follower, "GET", "/v1/kv/k", null, CLIENT_TOKEN).body()).isEqualTo("through a follower");
        assertThat(settled(leader, "GET", "/v1/kv/k", null, ADMIN_TOKEN).body()).as("the admin token passes too")
                .isEqualTo("through a follower");
        assertThat(settled(follower, "GET", "/v1/cluster", null, CLIENT_TOKEN).statusCode()).isEqualTo(200);

        // Probes and metrics carry no data and stay open for supervisors and scrapers.
        for (String path : new String[] {"/livez", "/readyz", "/health", "/metrics"}) {
            assertThat(call(follower, "GET", path, null, null).statusCode()).as(path).isNotEqualTo(401);
        }
    }

    @Test
    void membershipChangesNeedTheAdminTokenAlsoWhenAFollowerRelaysThem() throws Exception {
        HttpResponse<String> asClient = call(follower, "POST", "/v1/leader", "{\"id\":" + follower + "}",
                CLIENT_TOKEN);
        assertThat(asClient.statusCode()).isEqualTo(403);
        assertThat(new JsonObject(asClient.body()).getString("error")).isEqualTo("forbidden");
        assertThat(call(follower, "DELETE", "/v1/members/" + leader, null, CLIENT_TOKEN).statusCode()).isEqualTo(403);
        assertThat(call(follower, "GET", "/v1/members", null, CLIENT_TOKEN).statusCode()).isEqualTo(200);

        // Sent to a follower, the transfer is relayed to the leader, which checks the follower's credential.
        int target = follower;
        HttpResponse<String> asAdmin = settled(follower, "POST", "/v1/leader", "{\"id\":" + target + "}",
                ADMIN_TOKEN);
        assertThat(asAdmin.statusCode()).as(asAdmin.body()).isEqualTo(200);
        assertThat(new JsonObject(asAdmin.body()).getInteger("leader")).isEqualTo(target);
        leader = target;
        follower = leader % 3 + 1;
    }

    @Test
    void grpcCallsNeedTheTokenInTheirMetadata() throws Exception {
        GrpcClient client = GrpcClient.client(cluster.vertx());
        try {
            URI u = cluster.nodeUrls().get(follower);
            SocketAddress address = SocketAddress.inetSocketAddress(u.getPort(), u.getHost());
            GetRequest get = GetRequest.newBuilder().setKey("g").build();
            GrpcStatus refused = await(client.request(address, KvServiceGrpcClient.Get)
                    .compose(req -> req.send(get)).map(resp -> resp.status()));
            assertThat(refused).isEqualTo(GrpcStatus.UNAUTHENTICATED);

            PutRequest put = PutRequest.newBuilder().setKey("g").setValue(ByteString.copyFromUtf8("over grpc"))
                    .setIdempotencyKey("client-auth-g").build();
            GrpcStatus[] status = new GrpcStatus[1];
            eventually("a put over gRPC with the token", () -> {
                status[0] = await(client.request(address, KvServiceGrpcClient.Put).compose(req -> {
                    req.headers().set("authorization", "Bearer " + CLIENT_TOKEN);
                    return req.send(put);
                }).compose(resp -> resp.last().<GrpcStatus>transform(ar -> Future.succeededFuture(resp.status()))));
                return status[0] != GrpcStatus.UNAVAILABLE;
            });
            assertThat(status[0]).isEqualTo(GrpcStatus.OK);
            GetResponse got = await(client.request(address, KvServiceGrpcClient.Get).compose(req -> {
                req.headers().set("authorization", "Bearer " + CLIENT_TOKEN);
                return req.send(get);
            }).compose(resp -> resp.last()));
            assertThat(got.getKv().getValue().toStringUtf8()).isEqualTo("over grpc");
        } finally {
            await(client.close());
        }
    }

    @Test
    void everyRefusalIsCountedForTheOperator() throws Exception {
        AuthRefusals refusals = AuthRefusals.process();
        long before = refusals.total();
        assertThat(call(follower, "GET", "/v1/kv/k", null, "wrong-token-0123456789").statusCode()).isEqualTo(401);
        assertThat(refusals.total()).as("HTTP").isEqualTo(before + 1);
        assertThat(exchange(follower, array("AUTH", "wrong-token-0123456789") + array("QUIT"))).contains("WRONGPASS");
        assertThat(refusals.total()).as("Redis protocol").isEqualTo(before + 2);
        assertThat(call(follower, "POST", "/v1/leader", "{\"id\":" + follower + "}", CLIENT_TOKEN).statusCode())
                .as("a membership change with the client token only").isEqualTo(403);
        assertThat(refusals.total()).as("admin API").isEqualTo(before + 3);
    }

    @Test
    void theRedisProtocolAsksForAuthFirst() throws Exception {
        String before = exchange(follower, array("GET", "r") + array("PING") + array("HELLO", "3")
                + array("AUTH", "wrong-token-0123456789") + array("AUTH", "someone", CLIENT_TOKEN) + array("QUIT"));
        assertThat(before).isEqualTo("-NOAUTH Authentication required.\r\n-NOAUTH Authentication required.\r\n"
                + "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto>"
                + " AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol"
                + " version at the same time\r\n"
                + "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
                + "-WRONGPASS invalid username-password pair or user is disabled.\r\n+OK\r\n");

        String after = exchange(follower, array("AUTH", CLIENT_TOKEN) + array("SET", "r", "over resp")
                + array("GET", "r") + array("QUIT"));
        assertThat(after).isEqualTo("+OK\r\n+OK\r\n$9\r\nover resp\r\n+OK\r\n");

        // HELLO 3 AUTH default <token>: authenticates and switches protocol in one step (a RESP3 map answers).
        String hello = exchange(follower, array("HELLO", "3", "AUTH", "default", ADMIN_TOKEN) + array("GET", "r")
                + array("QUIT"));
        assertThat(hello).startsWith("%").contains("raftline").endsWith("$9\r\nover resp\r\n+OK\r\n");
    }

    /**
     * Before AUTH a request may be 16 KiB at most (Redis's rule since CVE-2021-32675): a client with no credential
     * made the port buffer up to a value's size per connection, and an audit ran a node out of heap with 400 of them.
     * Authenticated, the same connection takes a value of the full size.
     */
    @Test
    void beforeAuthARequestIsSmallAndAfterItAValueOfFullSizeIsTaken() throws Exception {
        String big = "v".repeat(100_000);
        String refused = exchange(follower, array("SET", "big", big));
        assertThat(refused).startsWith("-ERR Protocol error: request larger than 16384 bytes");
        // Pipelined after the AUTH, as some clients send their first commands: read with the limits AUTH earned.
        String taken = exchange(follower, array("AUTH", CLIENT_TOKEN) + array("SET", "big", big)
                + array("GET", "big") + array("QUIT"));
        assertThat(taken).isEqualTo("+OK\r\n+OK\r\n$100000\r\n" + big + "\r\n+OK\r\n");
    }

    /** The exact bytes a node answers; the request ends with QUIT, so the server closes the connection. */
    private static String exchange(int node, String request) throws Exception {
        return RawResp.exchange(cluster.vertx(), cluster.respAddresses().get(node), request, Integer.MAX_VALUE);
    }

    private static String array(String... words) {
        return RawResp.array(words);
    }

    @Test
    void theCommandLineClientsSendTheToken() throws Exception {
        String url = cluster.nodeUrls().get(follower).toString();
        CliResult refused = cli("kv", "get", "cli", "--url", url);
        assertThat(refused.code()).isEqualTo(1);
        assertThat(refused.err()).contains("401 unauthorized");
        CliResult[] put = new CliResult[1];
        eventually("kv put with --token", () -> {
            put[0] = cli("kv", "put", "cli", "from the cli", "--url", url, "--token", CLIENT_TOKEN);
            return !put[0].err().contains("503");
        });
        assertThat(put[0].code()).as(put[0].err()).isZero();
        assertThat(cli("kv", "get", "cli", "--url", url, "--token=" + CLIENT_TOKEN).out().trim())
                .isEqualTo("from the cli");
        Path backup = Files.createTempDirectory("client-auth-").resolve("backup.snap");
        assertThat(cli("snapshot", "save", backup.toString(), "--url", url).code()).isEqualTo(1);
        CliResult saved = cli("snapshot", "save", backup.toString(), "--url", url, "--token",
                CLIENT_TOKEN);
        assertThat(saved.code()).as(saved.err()).isZero();
        Files.deleteIfExists(backup);
    }

    /** What a command printed and its exit code. */
    private record CliResult(int code, String out, String err) {
    }

    private static CliResult cli(String... args) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        int code = Main.run(args, new java.io.PrintStream(out, true, StandardCharsets.UTF_8),
                new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
        return new CliResult(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void theTokenIsComparedWholeAndTheAdminTokenIsAcceptedToo() {
        ClientAccess access = new ClientAccess(CLIENT_TOKEN, ADMIN_TOKEN);
        assertThat(access.refusal("Bearer " + CLIENT_TOKEN)).isNull();
        assertThat(access.refusal("bearer " + ADMIN_TOKEN)).isNull();
        assertThat(access.refusal("Bearer " + CLIENT_TOKEN.substring(1))).isEqualTo("wrong token");
        assertThat(access.refusal("Bearer " + CLIENT_TOKEN + "x")).isEqualTo("wrong token");
        assertThat(access.refusal(null)).contains("a token is required");
        assertThat(access.peerAuthorization()).isEqualTo("Bearer " + ADMIN_TOKEN);
        assertThat(new ClientAccess(CLIENT_TOKEN, "").peerAuthorization()).isEqualTo("Bearer " + CLIENT_TOKEN);
        assertThat(ClientAccess.open().refusal(null)).isNull();
        assertThat(ClientAccess.open().peerAuthorization()).isNull();
    }

    @Test
    void aMembershipBodyOverItsLimitIsRefusedNamingTheLimit() throws Exception {
        // 4 KiB is no setting a client can look up: the answer names it (Vert.x's said "the configured limit").
        String large = "{\"id\":4,\"url\":\"http://127.0.0.1:1/" + "a".repeat(5000) + "\"}";
        for (String path : new String[] {"/v1/members", "/v1/leader"}) {
            HttpResponse<String> refused = call(follower, "POST", path, large, ADMIN_TOKEN);
            assertThat(refused.statusCode()).as(path).isEqualTo(413);
            JsonObject error = new JsonObject(refused.body());
            assertThat(error.getString("error")).isEqualTo("payload_too_large");
            assertThat(error.getString("message")).as(path).contains("limit of 4096 bytes");
        }
    }
}
