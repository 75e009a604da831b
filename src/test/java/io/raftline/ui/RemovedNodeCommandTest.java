package io.raftline.ui;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.raftline.events.EventPublisher;
import io.raftline.faults.FaultControl;
import io.raftline.node.NodeStatus;
import io.raftline.node.RaftNode;
import io.raftline.node.StorageStats;
import io.raftline.raft.Role;
import io.raftline.transport.LinkFaults;
import io.raftline.transport.NetworkConditioner;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A write from the live view to a node removed while the command was on its way is refused as such: the handler read
 * the node map twice (checked, then taken), and a removal between the two reads (nodes are removed on another thread)
 * failed the write with a NullPointerException.
 */
class RemovedNodeCommandTest {

    private Vertx vertx;
    private ControlHandler control;
    private final Map<Integer, RaftNode> nodes = new ConcurrentSkipListMap<>();

    /** Node 2, which leads; {@code onStatus} runs as it answers its status. */
    private static RaftNode leader(Runnable onStatus) {
        return (RaftNode) Proxy.newProxyInstance(RaftNode.class.getClassLoader(), new Class<?>[] {RaftNode.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "id" -> 2;
                    case "status" -> {
                        onStatus.run();
                        yield Future.succeededFuture(new NodeStatus(2, true, false, Role.LEADER, 3, 2, 5, 5, 5, 0, 0,
                                StorageStats.MEMORY, false, false, null, 0, Map.of(), 5));
                    }
                    case "propose" -> Future.failedFuture(new AssertionError("a removed node was asked to propose"));
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
    }

    @AfterEach
    void stop() throws Exception {
        await(vertx.close());
    }

    private void control(Map<Integer, RaftNode> live) {
        EventPublisher publisher = new EventPublisher(List.of(1, 2, 3));
        FaultControl faults = new FaultControl(live, () -> List.of(1, 2, 3), new NetworkConditioner(1),
                new LinkFaults(2), publisher);
        control = new ControlHandler(vertx, live, faults, publisher, FixedNodes.refusing("one node per process"));
    }

    private static JsonObject put() {
        return new JsonObject().put("action", "put").put("key", "k").put("value", "v");
    }

    @Test
    void theLeaderRemovedAfterItAnsweredItsStatusIsNoLeader() {
        nodes.put(2, leader(() -> nodes.remove(2)));
        control(nodes);
        Future<JsonObject> reply = control.execute(put());
        assertThatThrownBy(() -> await(reply)).isInstanceOfSatisfying(ControlException.class,
                e -> assertThat(e.code()).isEqualTo("no_leader"));
    }

    @Test
    void aNodeNamedAndRemovedOnceCheckedIsAnUnknownNode() {
        // Removed right after the command's node was checked to exist.
        Map<Integer, RaftNode> removing = new ConcurrentSkipListMap<>() {
            private static final long serialVersionUID = 1L;

            @Override
            public boolean containsKey(Object key) {
                boolean present = super.containsKey(key);
                remove(key);
                return present;
            }
        };
        removing.put(2, leader(() -> { }));
        control(removing);
        Future<JsonObject> reply = control.execute(put().put("node", 2));
        assertThatThrownBy(() -> await(reply)).isInstanceOfSatisfying(ControlException.class,
                e -> assertThat(e).hasMessageStartingWith("node 2 was removed"));
    }
}
