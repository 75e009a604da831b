package io.raftline.server;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.config.RaftlineConfig;
import io.raftline.faults.NodeFault;
import io.raftline.node.NodeRequestException;
import io.raftline.proto.faults.FaultServiceGrpcClient;
import io.raftline.proto.faults.NetworkQuery;
import io.raftline.proto.faults.Sealed;
import io.raftline.security.RaftCallCredential;
import io.raftline.transport.NetworkFaults;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.FreePorts;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Three nodes on the gRPC transport, each in a Vert.x instance and a configuration of its own (one node per process,
 * no clustered event bus), with a cluster secret: a partition set on one process is put in force by the others, a node
 * fault asked of one process for another's node is inflicted there, a process that is down is {@code node_down}, and
 * a process started again takes the faults set while it was down. The FaultService on the client port refuses a call
 * without the nodes' credential (UNAUTHENTICATED) and a record or a request without the secret's tag
 * (PERMISSION_DENIED), before anything is put in force.
 */
class GrpcFaultsTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String SECRET = "a-cluster-secret-of-32-characters";
    private static final List<Set<Integer>> SPLIT = List.of(Set.of(1, 2), Set.of(3));

    private final Map<Integer, Vertx> processes = new ConcurrentSkipListMap<>();
    private final Map<Integer, ClusterVerticle> nodes = new ConcurrentSkipListMap<>();
    private final Map<Integer, Integer> ports = new ConcurrentSkipListMap<>();
    private JsonObject base;
    private Vertx clientVertx;

    @BeforeEach
    void start() throws Exception {
        JsonArray members = new JsonArray();
        for (int id = 1; id <= 3; id++) {
            ports.put(id, FreePorts.next());
            members.add(new JsonObject().put("id", id).put("http_port", ports.get(id)).put("resp_port", -1));
        }
        base = ClusterConfigs.cluster(3, 37).put("nodes", members).put("transport", "grpc")
                .put("storage", new JsonObject().put("engine", "memory"))
                .put("security", new JsonObject().put("cluster_secret", SECRET));
        for (int id = 1; id <= 3; id++) {
            startProcess(id);
        }
        clientVertx = Vertx.vertx();
        await(nodes.get(1).awaitLeader(WAIT.toMillis()), WAIT);
    }

    private void startProcess(int id) throws Exception {
        startProcess(id, base);
    }

    private void startProcess(int id, JsonObject config) throws Exception {
        Vertx v = Vertx.vertx();
        ClusterVerticle node = new ClusterVerticle(RaftlineConfig.fromJson(config.copy().put("node_id", id)));
        await(v.deployVerticle(node), WAIT);
        processes.put(id, v);
        nodes.put(id, node);
    }

    @AfterEach
    void stop() throws Exception {
        for (Vertx v : processes.values()) {
            await(v.close(), WAIT);
        }
        if (clientVertx != null) {
            await(clientVertx.close(), WAIT);
        }
    }

    @Test
    void faultsSetOnOneProcessAreEveryProcesssAndNodeFaultsReachTheProcessOfTheNode() throws Exception {
        nodes.get(1).faults().setNetwork(new NetworkFaults(SPLIT, 0, 0, 0, 0));
        for (int id : new int[] {2, 3}) {
            ClusterVerticle node = nodes.get(id);
            eventually("process " + id + " holding the partition set on process 1", WAIT,
                    () -> node.faults().network().partitions().equals(SPLIT));
        }
        nodes.get(3).faults().heal();
        for (int id : new int[] {1, 2}) {
            ClusterVerticle node = nodes.get(id);
            eventually("process " + id + " healed by process 3", WAIT,
                    () -> node.faults().network().partitions().isEmpty());
        }

        // Node 3's crash asked of process 1, its restart of process 2: each answered with process 3's state.
        JsonObject crashed = await(nodes.get(1).faults().inflict(3, NodeFault.CRASH), WAIT);
        assertThat(crashed.getJsonArray("crashedNodes")).containsExactly(3);
        assertThat(await(nodes.get(3).nodes().get(3).status(), WAIT).up()).isFalse();
        JsonObject restarted = await(nodes.get(2).faults().inflict(3, NodeFault.RESTART), WAIT);
        assertThat(restarted.getJsonArray("crashedNodes")).isEmpty();
        assertThat(nodes.get(1).faults().reaches(3)).isTrue();

        // Process 3 down: node_down. A partition set meanwhile is put in force by process 3 once it runs again.
        await(processes.remove(3).close(), WAIT);
        Throwable down = failure(nodes.get(1).faults().inflict(3, NodeFault.PAUSE));
        assertThat(down).isInstanceOf(NodeRequestException.class).hasMessageContaining("process of node 3");
        assertThat(((NodeRequestException) down).reason()).isEqualTo(NodeRequestException.Reason.NODE_DOWN);
        List<Set<Integer>> other = List.of(Set.of(1), Set.of(2, 3));
        nodes.get(2).faults().setNetwork(new NetworkFaults(other, 0, 0, 0, 0));
        startProcess(3);
        eventually("the process started again holding the partition set while it was down", WAIT,
                () -> nodes.get(3).faults().network().partitions().equals(other));
    }

    /**
     * A process that missed a change without stopping (here process 1 cannot reach process 3's port: its configuration
     * names a port nobody listens on) is not sent it again; it asks the others for their record every
     * {@link GrpcFaults#CATCH_UP_PERIOD_MS} and takes it so. Before, it kept the old faults until the next change.
     */
    @Test
    void aProcessThatMissedAChangeWithoutStoppingTakesItFromTheOthers() throws Exception {
        await(processes.remove(1).close(), WAIT);
        JsonObject unreachable = base.copy();
        unreachable.getJsonArray("nodes").getJsonObject(2).put("http_port", FreePorts.next());
        startProcess(1, unreachable);
        nodes.get(1).faults().setNetwork(new NetworkFaults(SPLIT, 0, 0, 0, 0));
        eventually("process 2 holding the partition set on process 1", WAIT,
                () -> nodes.get(2).faults().network().partitions().equals(SPLIT));
        eventually("process 3, which process 1 cannot reach, holding it too", WAIT,
                () -> nodes.get(3).faults().network().partitions().equals(SPLIT));
    }

    @Test
    void theFaultServiceRefusesCallsWithoutTheNodesCredentialOrTheSecretsTag() throws Exception {
        GrpcClient client = GrpcClient.client(clientVertx);
        // Without the nodes' credential: refused before the service (the client token is never one).
        assertThat(status(client, FaultServiceGrpcClient.CurrentNetwork, NetworkQuery.getDefaultInstance(), false))
                .isEqualTo(GrpcStatus.UNAUTHENTICATED);

        // With it, but sealed without the secret, or with another one: refused, nothing put in force.
        JsonObject forged = new JsonObject().put("version", 1_000).put("origin", 2).put("state", new JsonObject()
                .put("network", new NetworkFaults(SPLIT, 0.5, 0, 0, 0).toJson()).put("links", new JsonArray()));
        for (String sealed : List.of(new CoordinationSeal("").seal(NetworkFaultRecord.SEAL_ADDRESS, forged),
                new CoordinationSeal("another-secret-of-32-characters").seal(NetworkFaultRecord.SEAL_ADDRESS, forged),
                new CoordinationSeal(SECRET).seal(NodeFaultRequest.ADDRESS_PREFIX + 1, forged))) {
            assertThat(status(client, FaultServiceGrpcClient.ShareNetwork, Sealed.newBuilder().setText(sealed).build(),
                    true)).isEqualTo(GrpcStatus.PERMISSION_DENIED);
        }
        JsonObject crash = new JsonObject().put("node", 1).put("fault", "crash");
        for (String sealed : List.of(new CoordinationSeal("").seal(NodeFaultRequest.ADDRESS_PREFIX + 1, crash),
                new CoordinationSeal(SECRET).seal(NodeFaultRequest.ADDRESS_PREFIX + 2, crash))) {
            assertThat(status(client, FaultServiceGrpcClient.InflictNodeFault, Sealed.newBuilder().setText(sealed)
                    .build(), true)).isEqualTo(GrpcStatus.PERMISSION_DENIED);
        }
        assertThat(nodes.get(1).faults().network().partitions()).isEmpty();
        assertThat(await(nodes.get(1).nodes().get(1).status(), WAIT).up()).isTrue();

        // Sealed with the secret, a record is taken (the path the processes use works with this client too).
        assertThat(status(client, FaultServiceGrpcClient.ShareNetwork, Sealed.newBuilder()
                .setText(new CoordinationSeal(SECRET).seal(NetworkFaultRecord.SEAL_ADDRESS, forged)).build(), true))
                .isEqualTo(GrpcStatus.OK);
        assertThat(nodes.get(1).faults().network().partitions()).isEqualTo(SPLIT);
        await(client.close(), WAIT);
    }

    /**
     * A node fault sealed with the secret (as process 2 makes them), captured by someone with the nodes' credential but
     * not the secret, is obeyed once: sent again after the node was resumed, it is PERMISSION_DENIED and the node stays
     * running. Before, every copy paused node 1 again.
     */
    @Test
    void aCapturedNodeFaultIsObeyedOnceAndItsReplayIsRefused() throws Exception {
        GrpcClient client = GrpcClient.client(clientVertx);
        Sealed captured = Sealed.newBuilder().setText(new NodeFaultRequest(nodes.get(2).faults(), 2, SECRET)
                .request(1, NodeFault.PAUSE)).build();
        assertThat(status(client, FaultServiceGrpcClient.InflictNodeFault, captured, true)).isEqualTo(GrpcStatus.OK);
        assertThat(await(nodes.get(1).nodes().get(1).status(), WAIT).paused()).isTrue();
        await(nodes.get(1).faults().inflict(1, NodeFault.RESUME), WAIT);

        assertThat(status(client, FaultServiceGrpcClient.InflictNodeFault, captured, true))
                .isEqualTo(GrpcStatus.PERMISSION_DENIED);
        assertThat(await(nodes.get(1).nodes().get(1).status(), WAIT).paused()).isFalse();
        await(client.close(), WAIT);
    }

    /**
     * A message that is no message of its method (one byte, a field tag of zero), from a caller with the nodes'
     * credential, is answered INVALID_ARGUMENT with the reason on each method: Vert.x's own decoding reset the stream
     * with CANCEL and no status. Nothing is put in force, and the service goes on answering.
     */
    @Test
    void aMessageThatDoesNotDecodeIsAnsweredInvalidArgumentWithTheReason() throws Exception {
        java.util.List<String> credential = new java.util.ArrayList<>();
        RaftCallCredential.fromSecret(SECRET, null).present((name, value) -> {
            credential.add(name);
            credential.add(value);
        });
        io.vertx.core.http.HttpClient h2c = clientVertx.createHttpClient(new io.vertx.core.http.HttpClientOptions()
                .setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
        for (String method : List.of("ShareNetwork", "CurrentNetwork", "InflictNodeFault")) {
            RawGrpcCall.Answer answer = RawGrpcCall.call(h2c, ports.get(1), "/raftline.faults.v1.FaultService/"
                    + method, io.vertx.core.buffer.Buffer.buffer().appendByte((byte) 0).appendInt(1)
                            .appendByte((byte) 0), WAIT, credential.toArray(String[]::new));
            assertThat(answer.status()).as(method).isEqualTo(String.valueOf(GrpcStatus.INVALID_ARGUMENT.code));
            assertThat(answer.message()).as(method).startsWith(method + ": the request message does not decode: ")
                    .contains("tag").endsWith("(nothing was done)");
        }
        await(h2c.close(), WAIT);
        assertThat(nodes.get(1).faults().network().partitions()).isEmpty();
        assertThat(await(nodes.get(1).nodes().get(1).status(), WAIT).up()).isTrue();
        GrpcClient client = GrpcClient.client(clientVertx);
        assertThat(status(client, FaultServiceGrpcClient.CurrentNetwork, NetworkQuery.getDefaultInstance(), true))
                .isEqualTo(GrpcStatus.OK);
        await(client.close(), WAIT);
    }

    private <Req> GrpcStatus status(GrpcClient client, ServiceMethod<Sealed, Req> method, Req message,
            boolean credential) throws Exception {
        SocketAddress address = SocketAddress.inetSocketAddress(ports.get(1), "127.0.0.1");
        Future<GrpcClientResponse<Req, Sealed>> response = client.request(address, method).compose(req -> {
            if (credential) {
                RaftCallCredential.fromSecret(SECRET, null).present(req.headers()::set);
            }
            return req.send(message);
        });
        GrpcClientResponse<Req, Sealed> resp = await(response, WAIT);
        await(resp.end().recover(e -> Future.succeededFuture()), WAIT);
        return resp.status();
    }

    private static Throwable failure(Future<?> f) throws InterruptedException {
        try {
            await(f, WAIT);
        } catch (RuntimeException e) {
            return e;
        }
        throw new AssertionError("expected a failure");
    }
}
