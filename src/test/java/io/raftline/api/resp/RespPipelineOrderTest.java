package io.raftline.api.resp;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.api.GetResult;
import io.raftline.api.KvRequests;
import io.raftline.api.LeaderLink;
import io.raftline.api.LookupResult;
import io.raftline.api.RangeResult;
import io.raftline.api.Served;
import io.raftline.kv.KvCommand;
import io.raftline.kv.KvResult;
import io.raftline.node.RaftNode;
import io.raftline.node.ReadConsistency;
import io.raftline.security.ClientAccess;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A pipeline's reads on a follower reach the leader one after another, in the order sent: a follower forwards each
 * read on its own (over a pool of connections, which may deliver them in any order), so two reads of one pipeline in
 * flight at once could be served in reverse and a later command see older data than an earlier one. Redis runs a
 * connection's commands in order. The leader here is a stub that holds every read until the test lets it answer.
 */
class RespPipelineOrderTest {

    private static final int SELF = 1;
    private static final int LEADER = 2;

    private final List<String> calls = new CopyOnWriteArrayList<>();
    private final List<Promise<?>> held = new CopyOnWriteArrayList<>();
    private volatile Context callContext;
    private Vertx vertx;
    private NetServer server;

    private final LeaderLink leader = new LeaderLink() {
        @Override
        public Future<Served<KvResult>> write(int leader, int group, KvCommand command) {
            throw new UnsupportedOperationException("these tests only read");
        }

        @Override
        public Future<Served<GetResult>> get(int leader, int group, String key, ReadConsistency consistency) {
            return hold("GET " + key, new GetResult(Optional.empty(), 1));
        }

        @Override
        public Future<Served<RangeResult>> range(int leader, int group, String prefix, String startAfter, int limit,
                ReadConsistency consistency, boolean values) {
            throw new UnsupportedOperationException("not asked");
        }

        @Override
        public Future<Served<LookupResult>> lookup(int leader, int group, List<String> keys,
                ReadConsistency consistency, io.raftline.api.Fetch fetch) {
            return hold("LOOKUP " + keys, new LookupResult(keys.stream().map(k -> Optional.<io.raftline.kv.KvEntry>empty())
                    .toList(), 0, 1));
        }
    };

    private <T> Future<Served<T>> hold(String call, T answer) {
        callContext = Vertx.currentContext();
        calls.add(call);
        Promise<Served<T>> p = Promise.promise();
        held.add(p);
        return p.future().map(v -> new Served<>(answer, LEADER));
    }

    private static RaftNode follower() {
        return StubFollower.of(SELF, LEADER);
    }

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        RespServer resp = new RespServer(vertx, follower(), new KvRequests(follower(), leader), () -> 0, 1 << 20, 10,
                ClientAccess.open(), ReplyBudget.DEFAULT_BYTES, 0);
        server = await(vertx.createNetServer().connectHandler(resp).listen(0, "127.0.0.1"));
    }

    @AfterEach
    void stop() throws Exception {
        await(vertx.close());
    }

    /** How many reads the leader holds once the connection's current task (the start of a batch) has run. */
    private int callsAfterThisTurn() throws Exception {
        Promise<Integer> p = Promise.promise();
        callContext.runOnContext(v -> p.complete(calls.size()));
        return await(p.future());
    }

    @SuppressWarnings("unchecked")
    private void answerNext(int i) {
        callContext.runOnContext(v -> ((Promise<Object>) held.get(i)).complete(null));
    }

    @Test
    void aGetAndAnExistsOfOnePipelineReachTheLeaderOneAfterTheOther() throws Exception {
        String expected = "$-1\r\n:0\r\n$-1\r\n$-1\r\n";
        // From a thread of its own: the exchange waits for its answer, which the test itself releases.
        CompletableFuture<String> reply = CompletableFuture.supplyAsync(() -> {
            try {
                return RawResp.exchange(vertx, "127.0.0.1:" + server.actualPort(), RawResp.array("GET", "a")
                        + RawResp.array("EXISTS", "a") + RawResp.array("GET", "b") + RawResp.array("GET", "c"),
                        expected.length());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, runnable -> new Thread(runnable, "resp-client").start());
        eventually("the first read reaches the leader", () -> !calls.isEmpty());
        assertThat(callsAfterThisTurn()).as("the EXISTS waits for the GET before it").isEqualTo(1);
        answerNext(0);
        eventually("then the EXISTS", () -> calls.size() == 2);
        assertThat(callsAfterThisTurn()).isEqualTo(2);
        answerNext(1);
        eventually("then the two GETs after it, as one lookup", () -> calls.size() == 3);
        answerNext(2);
        assertThat(reply.get(20, TimeUnit.SECONDS)).isEqualTo(expected);
        assertThat(calls).containsExactly("GET a", "LOOKUP [a]", "LOOKUP [b, c]");
    }
}
