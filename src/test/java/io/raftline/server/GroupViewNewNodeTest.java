package io.raftline.server;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.events.EventPublisher;
import io.raftline.events.PublisherOptions;
import io.raftline.node.RaftNode;
import io.vertx.core.Vertx;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A node being added to a sharded local cluster while the live view switches the group it follows reports the group
 * followed after the switch. Its replicas' gates exist from the first replica's deployment on, but the node joins the
 * map of replicas only once all of them are deployed: a switch in between did not see it, and left it reporting the
 * group followed before (every event of it, for good) and not the one followed now.
 */
class GroupViewNewNodeTest {

    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void close() throws Exception {
        await(vertx.close());
    }

    @Test
    void aNodeDeployingDuringASwitchReportsTheGroupFollowedAfterIt() throws Exception {
        Map<Integer, List<? extends RaftNode>> replicas = new ConcurrentSkipListMap<>();
        EventPublisher publisher = new EventPublisher(List.of(1, 2, 3), PublisherOptions.DEFAULTS,
                System::currentTimeMillis);
        GroupView view = new GroupView(vertx, publisher, 3, true, false, () -> replicas);
        for (int node = 1; node <= 2; node++) {
            for (int g = 0; g < 3; g++) {
                view.listener(node, g);
            }
            replicas.put(node, List.of(standIn(node), standIn(node), standIn(node)));
        }
        // Node 3's replicas are deployed (each with its gate), and it is not in the map of replicas yet.
        for (int g = 0; g < 3; g++) {
            view.listener(3, g);
        }
        assertThat(await(view.focus(2))).isEqualTo(2);
        replicas.put(3, List.of(standIn(3), standIn(3), standIn(3)));
        for (int node = 1; node <= 3; node++) {
            for (int g = 0; g < 3; g++) {
                assertThat(view.reports(node, g)).as("node %d reports group %d", node, g).isEqualTo(g == 2);
            }
        }
    }

    /** A replica that is not a verticle: the view flips its gates at once. */
    private static RaftNode standIn(int id) {
        return (RaftNode) Proxy.newProxyInstance(RaftNode.class.getClassLoader(), new Class<?>[] {RaftNode.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "id" -> id;
                    case "toString" -> "stand-in " + id;
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }
}
