package io.raftline.server;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.raftline.api.http.PeerDirectory;
import io.raftline.kv.KvCodec;
import io.raftline.kv.KvCommand;
import io.raftline.kv.TxnOp;
import io.raftline.node.NodeRequestException;
import io.raftline.node.NodeStatus;
import io.raftline.node.RaftNode;
import io.raftline.raft.Membership;
import io.raftline.raft.Role;
import io.raftline.transport.OnContext;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A leader of a cluster run one node per process proposes a command of a newer kind of log entry only once every
 * member says it applies it: a member of the 2026-12-06 releases (whose local cluster view has no {@code kvOps}) would
 * skip it and its state would go apart. Node 1 leads; nodes 2 and 3 are HTTP servers that answer as the test says.
 */
class PeerReleasesTest {

    private Vertx vertx;
    private Context context;
    /** What each peer answers to {@code GET /v1/cluster?scope=local} (null: no kvOps, as a 2026-12-06 node). */
    private final Map<Integer, Integer> kvOps = new ConcurrentHashMap<>();
    private final AtomicInteger asks = new AtomicInteger();
    /** The peers that answer 503 (down for a moment, or starting). */
    private final java.util.Set<Integer> failing = ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.atomic.AtomicLong clock = new java.util.concurrent.atomic.AtomicLong();
    private PeerDirectory where;
    private final Map<Integer, Integer> ports = new ConcurrentHashMap<>();
    private PeerReleases gate;
    private RaftNode leader;

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        context = vertx.getOrCreateContext();
        for (int peer : new int[] {2, 3}) {
            HttpServer server = await(OnContext.call(context, () -> vertx.createHttpServer().requestHandler(req -> {
                asks.incrementAndGet();
                assertThat(req.uri()).isEqualTo("/v1/cluster?scope=local");
                JsonObject view = new JsonObject().put("nodes", List.of());
                if (failing.contains(peer)) {
                    req.response().setStatusCode(503).end();
                    return;
                }
                Integer ops = kvOps.get(peer);
                if (ops != null) {
                    view.put("kvOps", ops);
                }
                req.response().putHeader("Content-Type", "application/json").end(view.encode());
            }).listen(0, "127.0.0.1")));
            ports.put(peer, server.actualPort());
        }
        where = id -> Optional.ofNullable(ports.get(id)).map(p -> new PeerDirectory.Address(
                "127.0.0.1", p));
        gate = new PeerReleases(1, where, vertx.createHttpClient(), 0);
        NodeStatus status = new NodeStatus(1, true, false, Role.LEADER, 2, 1, 5, 5, 5, 0, 0, null, false, false,
                Membership.ofVoters(List.of(1, 2, 3)), 1, Map.of(), 5);
        leader = (RaftNode) Proxy.newProxyInstance(RaftNode.class.getClassLoader(), new Class<?>[] {RaftNode.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "id" -> 1;
                    case "status" -> Future.succeededFuture(status);
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    @AfterEach
    void stop() throws Exception {
        await(vertx.close());
    }

    private static final KvCommand SET_RANGE = new KvCommand.SetRange("k", 2, "ab".getBytes(StandardCharsets.UTF_8));

    private Future<Void> admit(KvCommand command) {
        return OnContext.call(context, () -> gate.admit(leader, command));
    }

    @Test
    void theKindsEveryReleaseAppliesAreNotAskedAbout() throws Exception {
        await(admit(new KvCommand.Put("k", new byte[] {1})));
        await(admit(new KvCommand.Append("k", new byte[] {1})));
        assertThat(asks).hasValue(0);
    }

    @Test
    void aMemberOfTheEarlierReleaseHoldsTheNewerKindBackUntilItIsUpgraded() throws Exception {
        kvOps.put(3, KvCodec.HIGHEST_OP);
        NodeRequestException refused = catchThrowableOfType(NodeRequestException.class, () -> await(admit(SET_RANGE)));
        assertThat(refused.reason()).isEqualTo(NodeRequestException.Reason.RELEASE_MISMATCH);
        assertThat(refused.reason().httpStatus()).isEqualTo(409);
        assertThat(refused).hasMessageStartingWith("node 2 runs a release that applies log ops up to 7: the command"
                + " (SetRange) is log op 8, which it would not apply; nothing was written");
        // Node 2 is upgraded: asked again, it now says so, and the command goes.
        kvOps.put(2, KvCodec.HIGHEST_OP);
        await(admit(SET_RANGE));
        int asked = asks.get();
        await(admit(new KvCommand.IncrementByFloat("f", java.math.BigDecimal.ONE)));
        assertThat(asks).as("what both reported covers op 9: not asked again").hasValue(asked);
    }

    /**
     * A MULTI holding an APPEND, a SETRANGE or an INCRBYFLOAT is op 10: a member of the night of 2026-12-07, which
     * applies up to op 9 (SETRANGE and INCRBYFLOAT alone), holds it back; a MULTI without one is not asked about.
     */
    @Test
    void aTransactionHoldingAnEditWaitsForMembersThatApplyOp10() throws Exception {
        KvCommand.Txn edits = new KvCommand.Txn(List.of(), List.of(new TxnOp.Edit(new KvCommand.Append("k",
                new byte[] {1}))), List.of(), true);
        await(admit(new KvCommand.Txn(List.of(), List.of(new TxnOp.Increment("k", 1), new TxnOp.Increment("k", 1)),
                List.of(), true)));
        assertThat(asks).hasValue(0);
        kvOps.put(2, KvCodec.HIGHEST_OP);
        kvOps.put(3, 9);
        NodeRequestException refused = catchThrowableOfType(NodeRequestException.class, () -> await(admit(edits)));
        assertThat(refused.reason()).isEqualTo(NodeRequestException.Reason.RELEASE_MISMATCH);
        assertThat(refused).hasMessageStartingWith("node 3 runs a release that applies log ops up to 9: the command"
                + " (Txn) is log op 10, which it would not apply; nothing was written");
        await(admit(SET_RANGE));
        kvOps.put(3, KvCodec.HIGHEST_OP);
        await(admit(edits));
    }

    @Test
    void aMemberThatDoesNotAnswerHoldsTheNewerKindBack() throws Exception {
        kvOps.put(2, KvCodec.HIGHEST_OP);
        ports.put(3, 1); // nothing listens on port 1
        NodeRequestException refused = catchThrowableOfType(NodeRequestException.class, () -> await(admit(SET_RANGE)));
        assertThat(refused.reason()).isEqualTo(NodeRequestException.Reason.RELEASE_MISMATCH);
        assertThat(refused).hasMessageStartingWith("node 3 did not say which kinds of log entry it applies");
    }

    /**
     * A member whose answer fell short, then that does not answer, is asked at most once per interval: the report it
     * keeps took the time of its answer, not of the last ask, so every command asked it again.
     */
    @Test
    void aShortAnswerKeptThroughAFailedAskIsNotAskedAgainAtOnce() throws Exception {
        gate = new PeerReleases(1, where, vertx.createHttpClient(), 1_000, clock::get);
        kvOps.put(3, KvCodec.HIGHEST_OP);
        catchThrowableOfType(NodeRequestException.class, () -> await(admit(SET_RANGE)));
        assertThat(asks).hasValue(2);
        clock.addAndGet(2_000_000_000L);
        failing.add(2);
        NodeRequestException refused = catchThrowableOfType(NodeRequestException.class, () -> await(admit(SET_RANGE)));
        assertThat(refused).hasMessageStartingWith("node 2 runs a release that applies log ops up to 7");
        assertThat(asks).as("node 2 asked again, a second on").hasValue(3);
        catchThrowableOfType(NodeRequestException.class, () -> await(admit(SET_RANGE)));
        assertThat(asks).as("not within the second after that ask").hasValue(3);
        clock.addAndGet(1_000_000_000L);
        failing.remove(2);
        kvOps.put(2, KvCodec.HIGHEST_OP);
        await(admit(SET_RANGE));
        assertThat(asks).hasValue(4);
    }

    @Test
    void aLocalClusterViewSaysWhatThisReleaseApplies() {
        assertThat(PeerReleases.highestOp(new JsonObject().put("kvOps", 9))).isEqualTo(9);
        assertThat(PeerReleases.highestOp(new JsonObject())).isEqualTo(KvCodec.OP_OF_2026_12_06);
    }
}
