package io.raftline.server;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.raftline.config.RaftlineConfig;
import io.raftline.raft.ConfigException;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.FreePorts;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Nodes of one cluster, one per process (here one per Vert.x instance on the gRPC transport, each with its own file),
 * must shard the key space over the same number of groups: a node whose {@code "groups"} differs from a running
 * peer's refuses to start, naming the peer and its number.
 */
class GroupCountGuardTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private final List<Vertx> processes = new ArrayList<>();

    @AfterEach
    void stop() throws InterruptedException {
        for (Vertx v : processes) {
            await(v.close(), WAIT);
        }
    }

    /**
     * Node 1 runs with 2 groups; node 2's file says 3. Regression: node 2 started, and the groups both nodes host
     * (0 and 1) formed with each node mapping keys to them by its own count: a write through the leader of a shared
     * group landed in a group where the other nodes never look for its key.
     */
    @Test
    void aNodeConfiguredWithAnotherNumberOfGroupsThanARunningPeerRefusesToStart() throws Exception {
        JsonObject base = threeNodes();
        await(deploy(base, 1, 2), WAIT);
        Throwable refused = catchThrowable(() -> await(deploy(base, 2, 3), WAIT));
        assertThat(refused).as("node 2 with 3 groups next to node 1 with 2").isNotNull();
        Throwable cause = refused;
        while (!(cause instanceof ConfigException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        assertThat(cause).isInstanceOf(ConfigException.class);
        assertThat(cause.getMessage()).contains("groups: is 3").contains("node 1 runs with \"groups\": 2");

        // The same file with the peer's number starts.
        await(deploy(base, 3, 2), WAIT);
    }

    private static JsonObject threeNodes() throws java.io.IOException {
        JsonArray members = new JsonArray();
        for (int id = 1; id <= 3; id++) {
            members.add(new JsonObject().put("id", id).put("http_port", FreePorts.next()).put("resp_port", -1));
        }
        return ClusterConfigs.cluster(3, 41).put("nodes", members).put("transport", "grpc")
                .put("storage", new JsonObject().put("engine", "memory"));
    }

    /** Starts node {@code id} alone in a Vert.x instance of its own, with {@code groups} groups. */
    private io.vertx.core.Future<String> deploy(JsonObject base, int id, int groups) {
        Vertx v = Vertx.vertx();
        processes.add(v);
        JsonObject conf = base.copy().put("node_id", id).put("groups", groups);
        return v.deployVerticle(new ClusterVerticle(RaftlineConfig.fromJson(conf)));
    }

    /**
     * A node that starts without data asks its peers for their number of groups; one restarted on its data does not
     * wait for them (its directory fixes the number, and GroupLayout refuses a changed file): the check took 0.25-0.5 s
     * of a restart, time in which the cluster was one failure away from losing its quorum. The peers here are sockets
     * that count the requests for their status and answer each (so the start, which waits for the answers when it
     * asks, cannot finish before the count has it).
     */
    @Test
    void aNodeRestartedOnItsDataDoesNotWaitForItsPeersAnswers(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();
        List<java.net.ServerSocket> peers = List.of(new java.net.ServerSocket(0), new java.net.ServerSocket(0));
        List<Thread> serving = new ArrayList<>();
        try {
            for (java.net.ServerSocket peer : peers) {
                Thread t = new Thread(() -> answerStatusRequests(peer, asked), "peer-" + peer.getLocalPort());
                t.setDaemon(true);
                t.start();
                serving.add(t);
            }
            JsonArray members = new JsonArray()
                    .add(new JsonObject().put("id", 1).put("http_port", peers.get(0).getLocalPort())
                            .put("resp_port", -1))
                    .add(new JsonObject().put("id", 2).put("http_port", FreePorts.next()).put("resp_port", -1)
                            .put("data_dir", dir.resolve("node-2").toString()))
                    .add(new JsonObject().put("id", 3).put("http_port", peers.get(1).getLocalPort())
                            .put("resp_port", -1));
            JsonObject conf = ClusterConfigs.cluster(3, 43).put("nodes", members).put("transport", "grpc")
                    .put("node_id", 2);

            Vertx first = Vertx.vertx();
            processes.add(first);
            await(first.deployVerticle(new ClusterVerticle(RaftlineConfig.fromJson(conf))), WAIT);
            assertThat(asked.get()).as("status requests of a node starting without data").isEqualTo(2);
            await(first.close(), WAIT);
            processes.remove(first);

            Vertx second = Vertx.vertx();
            processes.add(second);
            await(second.deployVerticle(new ClusterVerticle(RaftlineConfig.fromJson(conf))), WAIT);
            assertThat(asked.get()).as("status requests of the same node restarted on its data").isEqualTo(2);
        } finally {
            for (java.net.ServerSocket peer : peers) {
                peer.close();
            }
            for (Thread t : serving) {
                t.join(10_000);
            }
        }
    }

    /**
     * Serves {@code peer} until it is closed: a connection whose first line asks for the cluster's status is counted,
     * then answered (a peer of one group); any other (the gRPC transport's streams) is left to time out.
     */
    private static void answerStatusRequests(java.net.ServerSocket peer,
            java.util.concurrent.atomic.AtomicInteger asked) {
        List<java.net.Socket> held = new ArrayList<>();
        try {
            while (true) {
                java.net.Socket s = peer.accept();
                held.add(s);
                s.setSoTimeout(10_000);
                byte[] head = new byte[15];
                int n = s.getInputStream().readNBytes(head, 0, head.length);
                if (n == head.length && new String(head, java.nio.charset.StandardCharsets.ISO_8859_1)
                        .equals("GET /v1/cluster")) {
                    asked.incrementAndGet();
                    s.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                            + "Content-Length: 13\r\nConnection: close\r\n\r\n{\"nodes\": []}")
                            .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
                    s.getOutputStream().flush();
                }
            }
        } catch (java.io.IOException closed) {
            // the test is over
        } finally {
            for (java.net.Socket s : held) {
                try {
                    s.close();
                } catch (java.io.IOException e) {
                    // closing anyway
                }
            }
        }
    }
}
