package io.raftline.server;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.config.Config;
import com.hazelcast.multimap.MultiMap;
import io.raftline.verify.nemesis.FreePorts;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.spi.cluster.RegistrationInfo;
import io.vertx.spi.cluster.hazelcast.impl.HazelcastRegistrationInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The subscriptions a departed process left in the clustered event bus's map are removed
 * ({@link NodeClusterManager#purgeRegistrationsOf}), those of live processes are not. Vert.x removes them itself when a
 * member leaves, once; when that removal fails (a partition of the map without an owner while the Hazelcast master
 * leaves too) they stayed, and the bus went on routing every other message for the address to the dead process. Here
 * the left-over subscription is put into the map by hand, as the failed removal leaves it, on a one-member cluster.
 */
class SubscriptionPurgeTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void aDepartedProcessesSubscriptionsAreRemovedAndTheLiveOnesKept() throws Exception {
        Config hz = new Config().setClusterName("purge-" + UUID.randomUUID());
        hz.setProperty("hazelcast.phone.home.enabled", "false");
        hz.setProperty("hazelcast.logging.type", "slf4j");
        hz.getNetworkConfig().setPort(FreePorts.next()).setPortAutoIncrement(false);
        hz.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        hz.getNetworkConfig().getJoin().getMulticastConfig().setEnabled(false);
        hz.getNetworkConfig().getJoin().getAutoDetectionConfig().setEnabled(false);
        hz.getNetworkConfig().getJoin().getTcpIpConfig().setEnabled(true).addMember("127.0.0.1");
        NodeClusterManager manager = new NodeClusterManager(hz, 1);
        Vertx vertx = await(Vertx.builder().withClusterManager(manager).buildClustered(), WAIT);
        try {
            MessageConsumer<Object> live = vertx.eventBus().consumer("raft.node.2", m -> { });
            await(live.completion(), WAIT);
            MultiMap<String, HazelcastRegistrationInfo> subs = manager.getHazelcastInstance()
                    .getMultiMap(NodeClusterManager.SUBSCRIPTIONS);
            String departed = UUID.randomUUID().toString();
            subs.put("raft.node.2", new HazelcastRegistrationInfo(new RegistrationInfo(departed, 1, false)));
            subs.put("raft.events", new HazelcastRegistrationInfo(new RegistrationInfo(departed, 2, false)));
            assertThat(nodesOf(manager, "raft.node.2")).containsExactlyInAnyOrder(manager.getNodeId(), departed);

            assertThat(manager.purgeRegistrationsOf(departed)).isEqualTo(2);

            assertThat(nodesOf(manager, "raft.node.2")).containsExactly(manager.getNodeId());
            assertThat(subs.get("raft.events")).isEmpty();
            assertThat(manager.purgeRegistrationsOf(departed)).as("nothing left the second time").isZero();
        } finally {
            await(vertx.close(), WAIT);
        }
    }

    private static List<String> nodesOf(NodeClusterManager manager, String address) {
        List<String> nodes = new ArrayList<>();
        for (HazelcastRegistrationInfo r : manager.getHazelcastInstance()
                .<String, HazelcastRegistrationInfo>getMultiMap(NodeClusterManager.SUBSCRIPTIONS).get(address)) {
            nodes.add(r.unwrap().nodeId());
        }
        return nodes;
    }
}
