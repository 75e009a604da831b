package io.raftline.ui;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.raftline.api.http.AdminApi;
import io.raftline.events.EventPublisher;
import io.raftline.faults.FaultControl;
import io.raftline.faults.LocalNodeControl;
import io.raftline.node.NodeStatus;
import io.raftline.node.RaftNode;
import io.raftline.node.StorageStats;
import io.raftline.raft.Role;
import io.raftline.security.AdminAccess;
import io.raftline.transport.LinkFaults;
import io.raftline.transport.NetworkConditioner;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A partition names the same nodes whether it comes from the live view ({@code partition} on {@code raft.control}) or
 * from the admin API ({@code PUT /v1/admin/network}): any member of the cluster. The process here runs node 2 of a
 * three-node cluster, as with one node per process. Before, the live view accepted only the process's own nodes (a
 * partition of node 2 from the others was refused as naming unknown nodes 1 and 3) and said so in other words than
 * the admin API.
 */
class PartitionMembersTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private Vertx vertx;
    private ControlHandler control;
    private WebClient client;
    private int port;

    /** The process's one node: it answers its status, and nothing else is asked of it here. */
    private static RaftNode node2() {
        return (RaftNode) Proxy.newProxyInstance(RaftNode.class.getClassLoader(), new Class<?>[] {RaftNode.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "id" -> 2;
                    case "status" -> Future.succeededFuture(new NodeStatus(2, true, false, Role.FOLLOWER, 3, 1, 5, 5,
                            5, 0, 0, StorageStats.MEMORY, false, false, null, 0, Map.of(), 5));
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        EventPublisher publisher = new EventPublisher(List.of(1, 2, 3));
        Map<Integer, RaftNode> nodes = new ConcurrentSkipListMap<>(Map.of(2, node2()));
        FaultControl faults = new FaultControl(nodes, () -> List.of(1, 2, 3), new NetworkConditioner(1),
                new LinkFaults(2), publisher);
        LocalNodeControl none = FixedNodes.refusing("one node per process");
        control = new ControlHandler(vertx, nodes, faults, publisher, none);
        AdminApi admin = new AdminApi(faults, () -> Future.succeededFuture(new JsonObject()),
                new AdminAccess(null, true));
        HttpServer server = await(vertx.createHttpServer().requestHandler(admin.router(vertx)).listen(0, "127.0.0.1"),
                TIMEOUT);
        port = server.actualPort();
        client = WebClient.create(vertx);
    }

    @AfterEach
    void stop() throws Exception {
        await(vertx.close(), TIMEOUT);
    }

    private HttpResponse<Buffer> putNetwork(JsonObject body) throws Exception {
        return await(client.put(port, "127.0.0.1", "/v1/admin/network").putHeader("content-type", "application/json")
                .sendBuffer(body.toBuffer()), TIMEOUT);
    }

    private static JsonObject partition(JsonArray groups) {
        return new JsonObject().put("action", "partition").put("groups", groups);
    }

    @Test
    void bothAcceptAPartitionNamingTheOtherProcessesMembers() throws Exception {
        JsonObject reply = await(control.execute(partition(new JsonArray("[[2],[1,3]]"))), TIMEOUT);
        assertThat(reply.getJsonObject("faults").getJsonArray("partitions")).isEqualTo(new JsonArray("[[2],[1,3]]"));

        HttpResponse<Buffer> put = putNetwork(new JsonObject().put("partitions", new JsonArray("[[1,2],[3]]")));
        assertThat(put.statusCode()).as(put.bodyAsString()).isEqualTo(200);
        assertThat(put.bodyAsJsonObject().getJsonArray("partitions")).isEqualTo(new JsonArray("[[1,2],[3]]"));
    }

    /**
     * A node command for a member another process runs names that process as the place to act, not "does not exist":
     * the page of a process draws every member and offers its buttons, and before, a click on another process's node
     * answered "node 3 does not exist (nodes are [1])" about a node the page showed running (seen with
     * bin/cluster.sh's processes).
     */
    @Test
    void aNodeCommandForAnotherProcessesMemberSaysWhereItRuns() {
        assertThatThrownBy(() -> control.execute(new JsonObject().put("action", "crash").put("node", 3)))
                .isInstanceOfSatisfying(ControlException.class, e -> assertThat(e.code()).isEqualTo("unknown_node"))
                .hasMessage("node 3 runs in another process (this one runs [2]): use that process's live view or admin"
                        + " API");
        assertThatThrownBy(() -> control.execute(new JsonObject().put("action", "crash").put("node", 7)))
                .as("a node that is no member").hasMessage("node 7 does not exist (nodes are [2])");
    }

    @Test
    void bothRefuseANodeThatIsNoMemberWithTheSameMessage() throws Exception {
        String expected = "unknown node id 7 (nodes are [1, 2, 3])";

        assertThatThrownBy(() -> control.execute(partition(new JsonArray("[[2],[1,7]]"))))
                .isInstanceOfSatisfying(ControlException.class, e -> assertThat(e.code()).isEqualTo("unknown_node"))
                .hasMessage(expected);

        HttpResponse<Buffer> put = putNetwork(new JsonObject().put("partitions", new JsonArray("[[2],[1,7]]")));
        assertThat(put.statusCode()).isEqualTo(400);
        assertThat(put.bodyAsJsonObject().getString("field")).isEqualTo("partitions");
        assertThat(put.bodyAsJsonObject().getString("message")).isEqualTo("partitions: " + expected);
        HttpResponse<Buffer> now = await(client.get(port, "127.0.0.1", "/v1/admin/network").send(), TIMEOUT);
        assertThat(now.bodyAsJsonObject().getJsonArray("partitions")).as("nothing was changed by either").isEmpty();
    }
}
