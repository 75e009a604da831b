package io.raftline.server;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;

import io.raftline.config.RaftlineConfig;
import io.raftline.transport.EventBusTransport;
import io.raftline.transport.NetworkConditioner;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A node of a clustered event bus keeps its routes to the other members ready ({@link EventBusTransport#probe}): it
 * probes each peer's address from the start and again later, so a peer whose process starts after it (a restart) is
 * reached without a lookup when an election needs it. The peers here are bare clustered Vert.x instances that only
 * listen on a node's address, so what arrives is what node 1 sent.
 */
@Tag("slow")
class RouteProbeTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private final ClusteredInstances instances = new ClusteredInstances();

    @AfterEach
    void stop() throws Exception {
        instances.close();
    }

    @Test
    void aNodeProbesEveryPeerAlsoOneThatJoinsAfterIt() throws Exception {
        JsonObject base = ClusteredInstances.threeNodes("route-probe-test");

        List<Object> atTwo = listen(base, 2);
        Vertx one = clustered(base, 1);
        await(one.deployVerticle(new ClusterVerticle(RaftlineConfig.fromJson(base.copy().put("node_id", 1)))), WAIT);
        eventually("node 1 probes node 2", WAIT, () -> atTwo.stream().anyMatch(Buffer.class::isInstance));

        // Node 3's process starts after node 1: a later round of probes finds it.
        List<Object> atThree = listen(base, 3);
        eventually("node 1 probes node 3, which started after it", WAIT,
                () -> atThree.stream().anyMatch(Buffer.class::isInstance));
    }

    /** A clustered Vert.x as node {@code id}'s process would start it. */
    private Vertx clustered(JsonObject base, int id) throws Exception {
        return instances.join(base, id);
    }

    /** A process that joins as node {@code id} and only records what reaches that node's address. */
    private List<Object> listen(JsonObject base, int id) throws Exception {
        Vertx v = clustered(base, id);
        // The transport registers Raftline's codecs (node 1's elections send Raft frames here too).
        new EventBusTransport(v, new NetworkConditioner(id), (m, reason) -> { });
        List<Object> bodies = new CopyOnWriteArrayList<>();
        await(v.eventBus().consumer(EventBusTransport.address(id), msg -> bodies.add(msg.body())).completion(), WAIT);
        return bodies;
    }
}
