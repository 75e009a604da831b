package io.raftline.server;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.raftline.config.RaftlineConfig;
import io.raftline.ui.ControlHandler;
import io.raftline.verify.nemesis.FreePorts;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The live view's commands ({@value ControlHandler#ADDRESS}) are taken from this process's SockJS bridge only, which
 * checks the admin token. An audit found them registered cluster-wide: any member of the clustered event bus (with
 * TLS, a holder of a key-value client certificate of the cluster CA) paused every node without the token. Another
 * member of the bus now finds no handler, while the node's cluster-wide status address answers it.
 */
@Tag("slow")
class ControlIsLocalTest {

    private static final Duration WAIT = ClusteredInstances.WAIT;
    private final ClusteredInstances instances = new ClusteredInstances();

    @AfterEach
    void stop() throws Exception {
        instances.close();
    }

    @Test
    void anotherMemberOfTheClusteredBusFindsNoControlHandler() throws Exception {
        JsonObject base = ClusteredInstances.threeNodes("control-is-local-test")
                .put("admin", new JsonObject().put("port", FreePorts.next()).put("host", "127.0.0.1"));
        Vertx one = instances.join(base, 1);
        Vertx other = instances.join(base, 2);
        await(one.deployVerticle(new ClusterVerticle(RaftlineConfig.fromJson(base.copy().put("node_id", 1)))), WAIT);
        DeliveryOptions quick = new DeliveryOptions().setSendTimeout(5_000);

        // Node 1's process is on the bus: its status address answers the other member ...
        JsonObject status = await(other.eventBus().<JsonObject>request(ClusterStatus.statusAddress(1), null, quick),
                WAIT).body();
        assertThat(status.getInteger("id")).isEqualTo(1);
        // ... and its own bridge's address takes commands in its process ...
        JsonObject state = await(one.eventBus().<JsonObject>request(ControlHandler.ADDRESS,
                new JsonObject().put("action", "state"), quick), WAIT).body();
        assertThat(state.getBoolean("ok")).isTrue();
        // ... but not from another member of the bus.
        Throwable refused = catchThrowable(() -> await(other.eventBus().request(ControlHandler.ADDRESS,
                new JsonObject().put("action", "pauseCluster"), quick), WAIT));
        assertThat(refused).isInstanceOf(ReplyException.class);
        assertThat(((ReplyException) refused).failureType()).isEqualTo(ReplyFailure.NO_HANDLERS);
    }

}
