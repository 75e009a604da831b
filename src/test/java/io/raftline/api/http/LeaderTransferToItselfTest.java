package io.raftline.api.http;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.node.NodeRequestException;
import io.raftline.node.NodeRequestException.Reason;
import io.raftline.node.NodeStatus;
import io.raftline.node.RaftNode;
import io.raftline.raft.Membership;
import io.raftline.raft.Role;
import io.raftline.security.AdminAccess;
import io.raftline.transport.OnContext;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.lang.reflect.Proxy;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /v1/leader} naming the node asked: its answer follows the node's role, never the leader it has
 * published. A node that has just won an election publishes itself as the known leader only once it has handled the
 * outcome, and the node itself refuses to hand leadership to itself (it is not "another voter"); a request in that
 * window was answered 409 {@code invalid_change} (seen once in MembershipHttpOverGrpcTest). The node here is a stub
 * that holds the window open: it leads, or comes to lead between two steps, while the leader it knows is none.
 */
class LeaderTransferToItselfTest {

    private static final int SELF = 3;

    private Vertx vertx;
    private Context context;
    private HttpClient client;
    private int port;
    /** The roles the stub's status reports, one per call (the last repeats). */
    private final Deque<Role> roles = new ArrayDeque<>();
    /** The targets the stub was asked to hand leadership to. */
    private final List<Integer> transfers = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        context = vertx.getOrCreateContext();
        RaftNode node = (RaftNode) Proxy.newProxyInstance(RaftNode.class.getClassLoader(),
                new Class<?>[] {RaftNode.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "id" -> SELF;
                    case "knownLeader" -> 0;
                    case "status" -> Future.succeededFuture(status(roles.size() > 1 ? roles.poll() : roles.peek()));
                    case "transferLeadership" -> transfer((Integer) args[0]);
                    default -> throw new UnsupportedOperationException(method.getName());
                });
        Router router = Router.router(vertx);
        new MembersApi(node, id -> Optional.empty(), vertx.createHttpClient(), 1_000, new AdminAccess(null, true))
                .mount(router);
        KvApi.installErrorHandlers(router);
        HttpServer server = await(OnContext.call(context,
                () -> vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1")));
        port = server.actualPort();
        client = vertx.createHttpClient();
    }

    @AfterEach
    void stop() throws Exception {
        await(vertx.close());
    }

    /** As {@code NodeHost.transferLeadership}: only a leader hands over, and never to itself. */
    private Future<Void> transfer(int target) {
        transfers.add(target);
        Role role = roles.peek();
        if (role != Role.LEADER) {
            return Future.failedFuture(new NodeRequestException(Reason.NOT_LEADER, 0,
                    "only the leader can hand leadership over"));
        }
        return target == SELF ? Future.failedFuture(new NodeRequestException(Reason.INVALID_CHANGE, SELF, "node "
                + target + " is not another voter of the membership voters=[1, 2, 3]")) : Future.succeededFuture();
    }

    private static NodeStatus status(Role role) {
        return new NodeStatus(SELF, true, false, role, 2, role == Role.LEADER ? SELF : 0, 5, 5, 5, 0, 0, null, false,
                false, Membership.ofVoters(List.of(1, 2, 3)), 1, Map.of(), 5);
    }

    private JsonObject[] post(String body) throws Exception {
        HttpClientResponse[] response = new HttpClientResponse[1];
        Buffer answer = await(OnContext.call(context, () -> client.request(HttpMethod.POST, port, "127.0.0.1",
                "/v1/leader").compose(req -> req.putHeader("Content-Type", "application/json").send(body))
                .compose(res -> {
                    response[0] = res;
                    return res.body();
                })));
        return new JsonObject[] {new JsonObject().put("status", response[0].statusCode()), answer.toJsonObject()};
    }

    @Test
    void aLeaderWhoseKnownLeaderLagsAnswersThatItLeads() throws Exception {
        roles.add(Role.LEADER);
        JsonObject[] answer = post("{\"id\":3}");
        assertThat(answer[0].getInteger("status")).as("%s", answer[1]).isEqualTo(200);
        assertThat(answer[1]).isEqualTo(new JsonObject().put("leader", SELF).put("previous", SELF));
        assertThat(transfers).as("no transfer is started").isEmpty();
    }

    @Test
    void aNodeThatComesToLeadBetweenItsStatusAndTheTransferAnswersThatItLeads() throws Exception {
        roles.add(Role.CANDIDATE);
        roles.add(Role.LEADER);
        JsonObject[] answer = post("{\"id\":3}");
        assertThat(answer[0].getInteger("status")).as("%s", answer[1]).isEqualTo(200);
        assertThat(answer[1]).isEqualTo(new JsonObject().put("leader", SELF).put("previous", SELF));
        assertThat(transfers).containsExactly(SELF);
    }

    @Test
    void anotherTargetIsHandedOverByTheNode() throws Exception {
        roles.add(Role.LEADER);
        JsonObject[] answer = post("{\"id\":2}");
        assertThat(answer[0].getInteger("status")).as("%s", answer[1]).isEqualTo(200);
        assertThat(answer[1]).isEqualTo(new JsonObject().put("leader", 2).put("previous", SELF));
        assertThat(transfers).containsExactly(2);
    }
}
