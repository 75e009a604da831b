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
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A membership change sent to a node that knows no leader, which sends it on to the other members one after another
 * (each asks the leader it knows). The next member is asked only when the one before got nothing or knew no leader
 * either: a change sent to a member whose connection then broke may have reached the leader and been made, and sent
 * again through the next member the leader refused it as made already (409 "already a voter"), so the client was told
 * that a change that was made had been refused. Node 1 is a stub that knows no leader; members 2 and 3 are stub
 * servers.
 */
class MembersRelayTest {

    private static final int SELF = 1;

    private Vertx vertx;
    private Context context;
    private HttpClient client;
    private int port;
    /** The leader node 1 knows of, 0 for none. */
    private int leader;
    /** Where nodes 2 and 3 listen. */
    private final Map<Integer, PeerDirectory.Address> addresses = new HashMap<>();
    /** How many requests node 3 was sent. */
    private final AtomicInteger thirdCalls = new AtomicInteger();

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        context = vertx.getOrCreateContext();
        RaftNode node = (RaftNode) Proxy.newProxyInstance(RaftNode.class.getClassLoader(),
                new Class<?>[] {RaftNode.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "id" -> SELF;
                    case "knownLeader" -> leader;
                    case "status" -> Future.succeededFuture(status());
                    case "changeMembership" -> Future.failedFuture(leader > 0
                            ? new NodeRequestException(Reason.NOT_LEADER, leader, "node 1 is not the leader")
                            : new NodeRequestException(Reason.NO_LEADER, 0, "node 1 knows no leader"));
                    default -> throw new UnsupportedOperationException(method.getName());
                });
        Router router = Router.router(vertx);
        new MembersApi(node, id -> Optional.ofNullable(addresses.get(id)), vertx.createHttpClient(), 1_000,
                new AdminAccess(null, true)).mount(router);
        KvApi.installErrorHandlers(router);
        port = listen(router);
        client = vertx.createHttpClient();
        addresses.put(3, new PeerDirectory.Address("127.0.0.1", listen(req -> {
            thirdCalls.incrementAndGet();
            req.response().putHeader("Content-Type", "application/json")
                    .end(new JsonObject().put("members", List.of()).encode());
        })));
    }

    @AfterEach
    void stop() throws Exception {
        await(vertx.close());
    }

    private int listen(Handler<HttpServerRequest> handler) throws Exception {
        HttpServer server = await(OnContext.call(context,
                () -> vertx.createHttpServer().requestHandler(handler).listen(0, "127.0.0.1")));
        return server.actualPort();
    }

    private static NodeStatus status() {
        return new NodeStatus(SELF, true, false, Role.FOLLOWER, 2, 0, 5, 5, 5, 0, 0, null, false, false,
                Membership.ofVoters(List.of(1, 2, 3)), 1, Map.of(), 5);
    }

    /** Node 2 reads the request it is sent and closes the connection without answering. */
    private AtomicInteger secondClosesAfterReading() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        addresses.put(2, new PeerDirectory.Address("127.0.0.1", listen(req -> req.body().onComplete(b -> {
            calls.incrementAndGet();
            req.connection().close();
        }))));
        return calls;
    }

    /** Node 2's port refuses connections: its server was closed. */
    private void secondRefusesConnections() throws Exception {
        HttpServer gone = await(OnContext.call(context,
                () -> vertx.createHttpServer().requestHandler(r -> r.response().end()).listen(0, "127.0.0.1")));
        int closed = gone.actualPort();
        await(gone.close());
        addresses.put(2, new PeerDirectory.Address("127.0.0.1", closed));
    }

    /** Node 1's status and JSON answer to a request with no body. */
    private JsonObject[] ask(HttpMethod method, String uri) throws Exception {
        HttpClientResponse[] response = new HttpClientResponse[1];
        Buffer answer = await(OnContext.call(context, () -> client.request(method, port, "127.0.0.1", uri)
                .compose(req -> req.send())
                .compose(res -> {
                    response[0] = res;
                    return res.body();
                })));
        return new JsonObject[] {new JsonObject().put("status", response[0].statusCode()), answer.toJsonObject()};
    }

    @Test
    void aChangeWhoseConnectionBrokeAfterItWasSentIsAnsweredAsPerhapsMadeAndNotSentToTheNextMember()
            throws Exception {
        AtomicInteger secondCalls = secondClosesAfterReading();
        JsonObject[] answer = ask(HttpMethod.POST, "/v1/members/4/promote");
        assertThat(answer[0].getInteger("status")).as("%s", answer[1]).isEqualTo(503);
        assertThat(answer[1].getString("error")).isEqualTo("leader_unreachable");
        assertThat(answer[1].getString("message")).contains("sent the change to node 2", "may have been made",
                "GET /v1/members");
        assertThat(secondCalls).as("node 2 was sent the change").hasValue(1);
        assertThat(thirdCalls).as("node 3 was not sent it again").hasValue(0);
    }

    @Test
    void aRemovalWhoseConnectionBrokeAfterItWasSentIsNotSentToTheNextMemberEither() throws Exception {
        secondClosesAfterReading();
        JsonObject[] answer = ask(HttpMethod.DELETE, "/v1/members/4");
        assertThat(answer[0].getInteger("status")).as("%s", answer[1]).isEqualTo(503);
        assertThat(answer[1].getString("error")).isEqualTo("leader_unreachable");
        assertThat(thirdCalls).hasValue(0);
    }

    @Test
    void aMemberWhosePortRefusesConnectionsGotNothingSoTheNextMemberIsAsked() throws Exception {
        secondRefusesConnections();
        JsonObject[] answer = ask(HttpMethod.POST, "/v1/members/4/promote");
        assertThat(answer[0].getInteger("status")).as("%s", answer[1]).isEqualTo(200);
        assertThat(thirdCalls).hasValue(1);
    }

    @Test
    void aMemberThatKnowsNoLeaderEitherIsFollowedByTheNextMember() throws Exception {
        AtomicInteger secondCalls = new AtomicInteger();
        addresses.put(2, new PeerDirectory.Address("127.0.0.1", listen(req -> {
            secondCalls.incrementAndGet();
            req.response().setStatusCode(503).putHeader("Content-Type", "application/json")
                    .end(new JsonObject().put("error", "no_leader").put("message", "node 2 knows no leader").encode());
        })));
        JsonObject[] answer = ask(HttpMethod.POST, "/v1/members/4/promote");
        assertThat(answer[0].getInteger("status")).as("%s", answer[1]).isEqualTo(200);
        assertThat(secondCalls).hasValue(1);
        assertThat(thirdCalls).hasValue(1);
    }

    /**
     * A node that knows the leader sends the change there; a leader that dies after it was sent the change (it read
     * it, then its connection closed) may have made it, and the answer says so. It said "could not reach the leader",
     * which reads as nothing sent, while the leader may have made the change.
     */
    @Test
    void aChangeForwardedToALeaderThatFailedBeforeItAnsweredIsAnsweredAsPerhapsMade() throws Exception {
        AtomicInteger secondCalls = secondClosesAfterReading();
        leader = 2;
        JsonObject[] answer = ask(HttpMethod.POST, "/v1/members/4/promote");
        assertThat(answer[0].getInteger("status")).as("%s", answer[1]).isEqualTo(503);
        assertThat(answer[1].getString("error")).isEqualTo("leader_unreachable");
        assertThat(answer[1].getString("message")).contains("sent the change to the leader (node 2)",
                "may have been made", "GET /v1/members").doesNotContain("could not reach");
        assertThat(secondCalls).as("the leader was sent the change").hasValue(1);
        assertThat(thirdCalls).as("no other member was sent it").hasValue(0);
    }

    /**
     * A node that knows the leader sends the change there; a leader whose port refuses connections got nothing of it,
     * which is answered as no leader (retry), not as a leader that may have made the change.
     */
    @Test
    void aKnownLeaderWhosePortRefusesConnectionsIsAnsweredAsNoLeaderWithNothingSent() throws Exception {
        secondRefusesConnections();
        leader = 2;
        JsonObject[] answer = ask(HttpMethod.POST, "/v1/members/4/promote");
        assertThat(answer[0].getInteger("status")).as("%s", answer[1]).isEqualTo(503);
        assertThat(answer[1].getString("error")).isEqualTo("no_leader");
        assertThat(answer[1].getString("message")).contains("got no connection to node 2", "nothing was sent");
        assertThat(thirdCalls).hasValue(0);
    }
}
