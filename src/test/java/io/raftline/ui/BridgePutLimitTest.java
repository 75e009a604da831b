package io.raftline.ui;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.api.StandInNode;
import io.raftline.events.EventPublisher;
import io.raftline.faults.FaultControl;
import io.raftline.faults.LocalNodeControl;
import io.raftline.kv.KvCommand;
import io.raftline.node.RaftNode;
import io.raftline.transport.LinkFaults;
import io.raftline.transport.NetworkConditioner;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A browser's {@code put} on {@code raft.control} writes within {@code service.max_body_bytes}, the limit the HTTP API
 * puts on a value (413 beyond): before, the bridge wrote a value of any size its frames could carry.
 */
class BridgePutLimitTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final Vertx vertx = Vertx.vertx();
    private final StandInNode node = new StandInNode();

    @AfterEach
    void stop() throws Exception {
        await(vertx.close(), TIMEOUT);
    }

    /**
     * Registers the live view's command handler over node 1 on the event bus, where the bridge hands it commands.
     *
     * @param maxValueBytes the configured {@code service.max_body_bytes}, or null to build it without one
     */
    private void control(Long maxValueBytes) throws Exception {
        EventPublisher publisher = new EventPublisher(List.of(1));
        Map<Integer, RaftNode> nodes = new ConcurrentSkipListMap<>(Map.of(1, node.node()));
        FaultControl faults = new FaultControl(nodes, () -> List.of(1), new NetworkConditioner(1), new LinkFaults(2),
                publisher);
        LocalNodeControl none = FixedNodes.refusing("not here");
        ControlHandler control = maxValueBytes == null
                ? new ControlHandler(vertx, nodes, faults, publisher, none)
                : new ControlHandler(vertx, nodes, faults, publisher, none, GroupFocus.SINGLE, maxValueBytes);
        await(control.register(), TIMEOUT);
    }

    private JsonObject put(String value) throws Exception {
        JsonObject cmd = new JsonObject().put("action", "put").put("key", "k").put("value", value).put("node", 1);
        return await(vertx.eventBus().<JsonObject>request(ControlHandler.ADDRESS, cmd), TIMEOUT).body();
    }

    @Test
    void aValueAboveTheConfiguredLimitIsRefusedNamingItAndNothingIsWritten() throws Exception {
        control(16L);
        // 9 characters, 18 bytes in UTF-8: the limit is on bytes, as on the HTTP API.
        JsonObject refused = put("ééééééééé");
        assertThat(refused.getBoolean("ok")).isFalse();
        assertThat(refused.getString("error")).isEqualTo("payload_too_large");
        assertThat(refused.getString("message")).isEqualTo(
                "the value is 18 bytes, above the configured limit of 16 bytes (service.max_body_bytes)");
        assertThat(node.proposed).as("nothing was proposed").isEmpty();

        JsonObject written = put("0123456789abcdef");
        assertThat(written.getBoolean("ok")).as(written.encode()).isTrue();
        assertThat(node.proposed).hasSize(1);
        assertThat(((KvCommand.Put) node.proposed.get(0)).value()).hasSize(16);
    }

    @Test
    void withoutAConfiguredLimitTheDefaultOfMaxBodyBytesHolds() throws Exception {
        control(null);
        JsonObject refused = put("x".repeat(1024 * 1024 + 1));
        assertThat(refused.getString("error")).as(refused.encode()).isEqualTo("payload_too_large");
        assertThat(node.proposed).isEmpty();
        assertThat(put("x".repeat(1024 * 1024)).getBoolean("ok")).isTrue();
    }
}
