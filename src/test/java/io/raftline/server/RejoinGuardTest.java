package io.raftline.server;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.api.http.PeerDirectory;
import io.raftline.node.MemoryLogStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The start check of a sharded node with an empty store, against two peers: one answers every group's membership, the
 * other takes requests and never answers (a process that hangs, or a firewall that lets connections in and nothing
 * back). The check still finds what the answering peer's groups know of the node, and asks the silent peer once.
 */
class RejoinGuardTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int GROUPS = 64;

    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void close() throws Exception {
        await(vertx.close(), WAIT);
    }

    @Test
    void aSilentPeerIsAskedOnceAndTheOthersGroupsAreAllAsked() throws Exception {
        // Node 2 answers as each group's leader would: group 40's has seen node 1 acknowledge up to index 7.
        AtomicInteger answered = new AtomicInteger();
        HttpServer peer2 = await(vertx.createHttpServer().requestHandler(req -> {
            answered.incrementAndGet();
            String group = req.getParam("group");
            long match = "40".equals(group) ? 7 : 0;
            req.response().putHeader("Content-Type", "application/json").end(new JsonObject().put("members",
                    new JsonArray().add(new JsonObject().put("id", 1).put("match", match))).encode());
        }).listen(0, "127.0.0.1"), WAIT);
        // Node 3 takes every request and answers none.
        AtomicInteger heard = new AtomicInteger();
        HttpServer peer3 = await(vertx.createHttpServer().requestHandler(req -> heard.incrementAndGet())
                .listen(0, "127.0.0.1"), WAIT);
        Map<Integer, Integer> ports = Map.of(2, peer2.actualPort(), 3, peer3.actualPort());
        PeerDirectory where = id -> Optional.ofNullable(ports.get(id)).map(p -> new PeerDirectory.Address("127.0.0.1", p));
        // As the node's own forwarding client: up to 64 connections to a peer.
        HttpClient client = vertx.createHttpClient(new PoolOptions().setHttp1MaxSize(64));

        Future<Void> check = RejoinGuard.check(1, new MemoryLogStore(), List.of(), GROUPS, List.of(1, 2, 3), where,
                client);
        Throwable refused = await(check.transform(ar -> Future.succeededFuture(ar.cause())), WAIT);

        assertThat(refused).as("the start check's outcome").isNotNull();
        assertThat(refused.getMessage()).contains("node 2 (group 40) saw it hold the log up to index 7");
        assertThat(answered.get()).as("groups asked of node 2").isEqualTo(GROUPS);
        assertThat(heard.get()).as("requests node 3 took (it answers none)").isEqualTo(1);
    }

    /**
     * A follower's own view counts: a leader elected while the wiped node was down has no match for it, but a node
     * that saw it hold entries (as its leader's AppendEntries, or its answers when it led) says so in its listing's
     * {@code logSeen}. Every peer is asked for its own view ({@code local=true}), not forwarded to the leader.
     */
    @Test
    void aPeerThatSawTheNodeHoldEntriesRefusesItAlthoughTheLeaderSawNothing() throws Exception {
        List<String> asked = new java.util.concurrent.CopyOnWriteArrayList<>();
        HttpServer leader = await(vertx.createHttpServer().requestHandler(req -> {
            asked.add("2 " + req.uri());
            req.response().putHeader("Content-Type", "application/json").end(new JsonObject().put("members",
                    new JsonArray().add(new JsonObject().put("id", 1).put("match", 0))).encode());
        }).listen(0, "127.0.0.1"), WAIT);
        HttpServer follower = await(vertx.createHttpServer().requestHandler(req -> {
            asked.add("3 " + req.uri());
            req.response().putHeader("Content-Type", "application/json").end(new JsonObject().put("members",
                    new JsonArray().add(new JsonObject().put("id", 1).put("logSeen", 12))).encode());
        }).listen(0, "127.0.0.1"), WAIT);
        Map<Integer, Integer> ports = Map.of(2, leader.actualPort(), 3, follower.actualPort());
        PeerDirectory where = id -> Optional.ofNullable(ports.get(id)).map(p -> new PeerDirectory.Address("127.0.0.1", p));

        Throwable refused = await(RejoinGuard.check(1, new MemoryLogStore(), List.of(), 1, List.of(1, 2, 3), where,
                vertx.createHttpClient()).transform(ar -> Future.succeededFuture(ar.cause())), WAIT);

        assertThat(refused).as("the start check's outcome").isNotNull();
        assertThat(refused.getMessage()).contains("node 3 saw it hold the log up to index 12");
        assertThat(asked).containsExactlyInAnyOrder("2 /v1/members?local=true", "3 /v1/members?local=true");
    }
}
