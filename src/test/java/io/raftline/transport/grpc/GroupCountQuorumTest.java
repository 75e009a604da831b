package io.raftline.transport.grpc;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.kv.KvCommand;
import io.raftline.node.MemoryLogStore;
import io.raftline.node.NodeListener;
import io.raftline.node.NodeOptions;
import io.raftline.node.NodeStatus;
import io.raftline.node.RaftNodeVerticle;
import io.raftline.raft.CoreEvent;
import io.raftline.raft.RaftConfig;
import io.raftline.raft.Role;
import io.raftline.raft.message.Message;
import io.raftline.transport.NetworkConditioner;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.server.GrpcServer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A three-node cluster of two shared Raft groups in which node 3's process was started with another {@code "groups"}
 * (3 where nodes 1 and 2 have 2), past the check at start (nodes starting at the same instant miss each other): each
 * node a process of its own on the gRPC transport, with a Vert.x instance, a port and a replica per group. Node 3
 * can be part of no group's quorum: nodes 1 and 2 elect a leader and commit writes in both groups, while node 3 never
 * leads, never holds an entry (so it never acknowledged one), and both sides report the other's messages refused.
 * Before the transports stated their count, node 3 joined both groups and replicated their logs.
 */
class GroupCountQuorumTest {

    private static final int SHARED_GROUPS = 2;

    private final List<Vertx> processes = new ArrayList<>();
    private final List<GrpcTransport> transports = new ArrayList<>();
    private final Map<Integer, SocketAddress> ports = new ConcurrentHashMap<>();
    /** (node, group) → the replica. */
    private final Map<String, RaftNodeVerticle> replicas = new ConcurrentHashMap<>();
    /** Nodes that led a group at some point, as "node/group". */
    private final Set<String> everLed = ConcurrentHashMap.newKeySet();
    /** Per node, the reasons of the messages it refused or lost. */
    private final Map<Integer, List<String>> drops = new ConcurrentHashMap<>();

    @AfterEach
    void stop() throws Exception {
        for (GrpcTransport t : transports) {
            await(t.close());
        }
        for (Vertx v : processes) {
            await(v.close());
        }
    }

    /** Node {@code id}'s process: its transport of {@code groups} groups, its port, its replicas of the shared groups. */
    private void startProcess(int id, int groups) throws Exception {
        Vertx vertx = Vertx.vertx();
        processes.add(vertx);
        List<String> dropped = new CopyOnWriteArrayList<>();
        drops.put(id, dropped);
        GrpcTransport transport = new GrpcTransport(vertx, new NetworkConditioner(id), (m, reason) -> dropped.add(
                reason), peer -> Optional.ofNullable(ports.get(peer)), Set.of(1, 2, 3),
                GrpcTransport.Options.DEFAULTS.withCallTimeoutMs(2000), null, null, groups);
        transports.add(transport);
        HttpServer server = await(vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                .requestHandler(GrpcServer.server(vertx).addService(transport.service(id))).listen());
        ports.put(id, SocketAddress.inetSocketAddress(server.actualPort(), "127.0.0.1"));
        for (int g = 0; g < SHARED_GROUPS; g++) {
            int group = g;
            RaftConfig raft = RaftConfig.builder(id, List.of(1, 2, 3)).tickMs(10).heartbeatMs(50)
                    .electionTimeoutMs(300, 600).build();
            NodeListener listener = new NodeListener() {
                @Override
                public void coreEvent(int node, long term, Role role, CoreEvent event) {
                    if (role == Role.LEADER) {
                        everLed.add(node + "/" + group);
                    }
                }

                @Override
                public void messageDropped(Message m, String reason) {
                    dropped.add(reason);
                }
            };
            RaftNodeVerticle replica = new RaftNodeVerticle(new NodeOptions(raft, 31L * id + group, 1000, 5000),
                    transport.group(group), new MemoryLogStore(), listener);
            await(vertx.deployVerticle(replica));
            replicas.put(id + "/" + group, replica);
        }
    }

    private NodeStatus status(int node, int group) throws InterruptedException {
        return await(replicas.get(node + "/" + group).status());
    }

    private int leaderOf(int group) throws InterruptedException {
        for (int node = 1; node <= 3; node++) {
            if (status(node, group).role() == Role.LEADER) {
                return node;
            }
        }
        return 0;
    }

    @Test
    void aNodeWithAnotherNumberOfGroupsIsPartOfNoGroupsQuorum() throws Exception {
        startProcess(3, 3);
        startProcess(1, SHARED_GROUPS);
        startProcess(2, SHARED_GROUPS);

        for (int g = 0; g < SHARED_GROUPS; g++) {
            int group = g;
            eventually("group " + group + " has a leader", () -> leaderOf(group) != 0);
            int leader = leaderOf(group);
            assertThat(leader).as("group %d's leader", group).isIn(1, 2);
            for (int i = 0; i < 5; i++) {
                await(replicas.get(leader + "/" + group).propose(new KvCommand.Put("k" + i,
                        ("v" + i).getBytes(StandardCharsets.UTF_8))));
            }
            int follower = 3 - leader;
            eventually("node " + follower + " holds group " + group + "'s writes",
                    () -> status(follower, group).commit() >= 6);
            NodeStatus three = status(3, group);
            assertThat(three.lastIndex()).as("node 3 holds no entry of group %d (it acknowledged none)", group)
                    .isZero();
            assertThat(status(leader, group).matchIndex().getOrDefault(3, 0L))
                    .as("group %d's leader knows of no entry on node 3", group).isZero();
        }
        for (int g = 0; g < SHARED_GROUPS; g++) {
            assertThat(everLed).as("node 3 never led a group").doesNotContain("3/" + g);
        }
        // The leaders' heartbeats reach node 3 and are refused there; node 3's vote requests (it hears no leader, so
        // it keeps asking) are refused by both others.
        eventually("node 3 refused what a leader sent", () -> drops.get(3).stream()
                .anyMatch(r -> r.matches("receiver has \"groups\": 3, node [12] has 2")));
        for (int node = 1; node <= 2; node++) {
            List<String> at = drops.get(node);
            eventually("node " + node + " refused what node 3 sent", () -> at.stream()
                    .anyMatch(r -> r.equals("receiver has \"groups\": 2, node 3 has 3")));
        }
    }
}
