package io.raftline.node;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.kv.KvCommand;
import io.raftline.kv.KvEntry;
import io.raftline.raft.RaftConfig;
import io.raftline.raft.Role;
import io.raftline.transport.EventBusTransport;
import io.raftline.transport.NetworkConditioner;
import io.raftline.transport.OnContext;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A durable node restarted twice in a row (the live view's restart button pressed twice, the admin API's restart
 * retried): one restart must not recover the store from under the node the other one booted; and a node stopped
 * (undeployed) while its restart is on its way must not boot after its stop, on a store that is closed.
 */
class NodeRestartLifecycleTest {

    @TempDir
    Path dir;

    private Vertx vertx;
    private String deploymentId;

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
    }

    @AfterEach
    void stop() throws Exception {
        await(vertx.close());
    }

    private RaftNodeVerticle deploy(LogStore store) throws InterruptedException {
        return deploy(store, NodeListener.NONE);
    }

    private RaftNodeVerticle deploy(LogStore store, NodeListener listener) throws InterruptedException {
        RaftConfig raft = RaftConfig.builder(1, List.of(1)).singleNode(true).tickMs(10).heartbeatMs(50)
                .electionTimeoutMs(150, 300).snapshotIntervalEntries(10_000).build();
        RaftNodeVerticle node = new RaftNodeVerticle(new NodeOptions(raft, 11, 1000, 5_000),
                new EventBusTransport(vertx, new NetworkConditioner(1), (m, why) -> { }), store, listener);
        deploymentId = await(vertx.deployVerticle(node));
        eventually("node 1 leads", () -> node.status().map(s -> s.role() == Role.LEADER));
        return node;
    }

    private static KvCommand put(String key, String value) {
        return new KvCommand.Put(key, value.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void twoRestartsAtOnceBootOneNodeThatKeepsWhatItIsThenGiven() throws Exception {
        RaftNodeVerticle node = deploy(DurableLogStore.open(vertx, 1, dir, 4096));
        await(node.propose(put("before", "crash")));
        await(node.crash());
        await(Future.join(node.restart(), node.restart()));
        eventually("node 1 leads again", () -> node.status().map(s -> s.role() == Role.LEADER));
        for (int i = 0; i < 50; i++) {
            await(node.propose(put("k" + i, "v" + i)));
        }
        // What the node now holds is what its store holds: recovered once more, it has every write.
        await(node.crash());
        await(node.restart());
        KvView after = await(node.read(ReadConsistency.STALE));
        assertThat(after.get("before")).isPresent();
        for (int i = 0; i < 50; i++) {
            KvEntry e = after.get("k" + i).orElseThrow(() -> new AssertionError("a write lost by the restarts"));
            assertThat(new String(e.value(), StandardCharsets.UTF_8)).isEqualTo("v" + i);
        }
    }

    @Test
    void aNodeUndeployedWhileItsRestartIsOnItsWayDoesNotBootAfterItsStop() throws Exception {
        AtomicInteger restarts = new AtomicInteger();
        AtomicReference<Context> nodeContext = new AtomicReference<>();
        RaftNodeVerticle node = deploy(DurableLogStore.open(vertx, 1, dir, 4096), new NodeListener() {
            @Override
            public void crashed(int id) {
                nodeContext.set(Vertx.currentContext());
            }

            @Override
            public void restarted(int id, long applied) {
                restarts.incrementAndGet();
            }
        });
        await(node.propose(put("before", "crash")));
        await(node.crash());
        // Both asked in one task of the node's context: the stop runs before the restart's recovery comes back.
        await(OnContext.call(nodeContext.get(), () -> Future.join(node.restart(), vertx.undeploy(deploymentId))));
        assertThat(restarts.get()).as("boots after the node's stop").isZero();
        // The directory is free again: a node can open it in this process.
        await(DurableLogStore.open(vertx, 1, dir, 4096).close());
    }

    /**
     * The same race with its other ending, on a host driven by hand: the stop closes the store before the restart's
     * recovery reaches the store's thread, and the recovery fails ("store is closed"). The restart is over all the
     * same, quietly: it failed with the closed store's error before, which the run above met now and then (when the
     * recovery's hop through the snapshot writer came back after the close's).
     */
    @Test
    void aRestartWhoseRecoveryFindsTheStoreClosedByTheStopEndsQuietly() {
        Promise<Void> recovery = Promise.promise();
        RestartLeaseHoldTest.ManualEnvironment node = new RestartLeaseHoldTest.ManualEnvironment(5_000,
                recoveringBy(recovery.future()));
        node.host.crash();
        Future<Void> restart = node.host.restart();
        node.host.shutdown();
        recovery.fail(new io.raftline.raft.StorageException("node 1's store is closed"));
        node.settle();
        assertThat(restart.succeeded()).as("restart, overtaken by the stop: %s", restart.cause()).isTrue();
        assertThat(node.host.up()).isFalse();
    }

    @Test
    void aRestartWhoseRecoveryFailsWhileTheNodeRunsFailsWithIt() {
        Promise<Void> recovery = Promise.promise();
        RestartLeaseHoldTest.ManualEnvironment node = new RestartLeaseHoldTest.ManualEnvironment(5_000,
                recoveringBy(recovery.future()));
        node.host.crash();
        Future<Void> restart = node.host.restart();
        recovery.fail(new io.raftline.raft.StorageException("disk gone"));
        node.settle();
        assertThat(restart.failed()).isTrue();
        assertThat(restart.cause()).hasMessage("disk gone");
        assertThat(node.host.up()).isFalse();
    }

    /** A store in memory whose recovery ends as {@code recovered} does. */
    private static LogStore recoveringBy(Future<Void> recovered) {
        MemoryLogStore memory = new MemoryLogStore();
        return (LogStore) java.lang.reflect.Proxy.newProxyInstance(LogStore.class.getClassLoader(),
                new Class<?>[] {LogStore.class}, (proxy, method, args) -> {
                    if (method.getName().equals("recover")) {
                        return recovered;
                    }
                    try {
                        return method.invoke(memory, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
