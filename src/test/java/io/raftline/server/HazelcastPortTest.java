package io.raftline.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.raftline.config.RaftlineConfig;
import io.raftline.verify.nemesis.FreePorts;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What a node's Hazelcast port ({@code bus_port}) answers, with the settings {@link Clustering#hazelcastConfig}
 * gives it: the other members join through it, and a Hazelcast client, which in the plain network configuration could
 * connect with nothing but the cluster name and change the event bus's maps without joining, is not served at all.
 */
class HazelcastPortTest {

    private final List<HazelcastInstance> started = new ArrayList<>();

    @AfterEach
    void stop() {
        started.forEach(HazelcastInstance::shutdown);
    }

    @Test
    void membersJoinThroughTheBusPortAndClientsAreNotServedThere() throws Exception {
        int port1 = FreePorts.next();
        int port2 = FreePorts.next();
        // Three nodes configured (a cluster needs them), two members started: node 3's port stays closed.
        JsonArray nodes = new JsonArray()
                .add(new JsonObject().put("id", 1).put("http_port", FreePorts.next()).put("bus_port", port1))
                .add(new JsonObject().put("id", 2).put("http_port", FreePorts.next()).put("bus_port", port2))
                .add(new JsonObject().put("id", 3).put("http_port", FreePorts.next())
                        .put("bus_port", FreePorts.next()));
        JsonObject base = new JsonObject().put("cluster_name", "hz-port-test").put("http_host", "127.0.0.1")
                .put("nodes", nodes);
        HazelcastInstance one = start(RaftlineConfig.fromJson(base.copy().put("node_id", 1)));
        HazelcastInstance two = start(RaftlineConfig.fromJson(base.copy().put("node_id", 2)));
        assertThat(one.getCluster().getMembers()).hasSize(2);
        assertThat(two.getCluster().getMembers()).hasSize(2);
        one.getMap("__vertx.nodeInfo").put("probe", "set by a member");

        ClientConfig client = new ClientConfig().setClusterName(one.getConfig().getClusterName());
        client.getNetworkConfig().addAddress("127.0.0.1:" + port1);
        client.getConnectionStrategyConfig().getConnectionRetryConfig().setClusterConnectTimeoutMillis(2_000);
        assertThatThrownBy(() -> started.add(HazelcastClient.newHazelcastClient(client)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("Unable to connect");
        assertThat(one.getMap("__vertx.nodeInfo").get("probe")).isEqualTo("set by a member");
    }

    /**
     * A node whose host is a name ({@code localhost}, a DNS name) starts its member: Hazelcast takes only addresses as
     * interfaces and, given the name, found no interface and refused to start, an exit 1 naming no setting. A wildcard
     * host is refused naming the field, before anything starts.
     */
    @Test
    void aMemberWhoseHostIsANameStartsOnTheAddressItResolvesTo() throws Exception {
        int port = FreePorts.next();
        JsonArray nodes = new JsonArray();
        for (int id = 1; id <= 3; id++) {
            nodes.add(new JsonObject().put("id", id).put("host", "localhost").put("http_port", FreePorts.next())
                    .put("bus_port", id == 1 ? port : FreePorts.next()));
        }
        JsonObject base = new JsonObject().put("cluster_name", "hz-name-test").put("nodes", nodes);
        HazelcastInstance one = start(RaftlineConfig.fromJson(base.copy().put("node_id", 1)));
        assertThat(one.getCluster().getLocalMember().getAddress().getInetAddress().getHostAddress())
                .isEqualTo("127.0.0.1");
        assertThat(one.getCluster().getLocalMember().getAddress().getPort()).isEqualTo(port);

        assertThat(refusal(base, "0.0.0.0")).startsWith("nodes[0].host: the clustered event bus needs an address the"
                + " other nodes reach this one at, not the wildcard 0.0.0.0");
        // An address of another machine (TEST-NET-1, documentation only): Hazelcast would find no interface either.
        assertThat(refusal(base, "192.0.2.1")).isEqualTo("nodes[0].host: the clustered event bus binds this node's"
                + " host, 192.0.2.1, which is no address of this machine");
    }

    /** Why node 1 of {@code base}, its host set to {@code host}, gets no interface for its member. */
    private static String refusal(JsonObject base, String host) {
        JsonObject json = base.copy().put("node_id", 1);
        json.getJsonArray("nodes").getJsonObject(0).put("host", host);
        RaftlineConfig config = RaftlineConfig.fromJson(json);
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(
                () -> Clustering.interfaceAddress(config, config.node(1).orElseThrow()));
        assertThat(t).as("host %s", host).isNotNull();
        return t.getMessage();
    }

    private HazelcastInstance start(RaftlineConfig config) {
        HazelcastInstance hz = Hazelcast.newHazelcastInstance(Clustering.hazelcastConfig(config));
        started.add(hz);
        return hz;
    }
}
