package io.raftline.verify.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.TestHttp;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A stall in process mode is a real {@code SIGSTOP} of the node's process, undone by {@code SIGCONT} when the
 * stall ends, when everything is healed, and when the cluster is closed in the middle of a stall (an aborted
 * run): a stopped child left behind would keep its ports and hang whoever waits for it. The process state comes
 * from {@code /proc/<pid>/stat} ({@code T} = stopped by a signal).
 */
@Tag("slow")
class ChildProcessStallTest {

    private static final HttpClient HTTP = TestHttp.builder().build();

    @Test
    void aStalledProcessIsStoppedAndNeverLeftStopped() throws Exception {
        Path out = Path.of("target", "verify", "process-stall");
        ChildProcessCluster cluster = start(out, 3, "eventbus");
        ProcessHandle stalled;
        try {
            int leader = Waits.await(cluster.leader(), Duration.ofSeconds(30));
            assertThat(leader).isPositive();
            stalled = cluster.process(leader).orElseThrow();

            Waits.await(cluster.stall(leader), Duration.ofSeconds(30));
            awaitStopped(stalled, true, "after stall");
            Waits.await(cluster.unstall(leader), Duration.ofSeconds(30));
            awaitStopped(stalled, false, "after unstall");

            Waits.await(cluster.stall(leader), Duration.ofSeconds(30));
            assertThat(Waits.await(cluster.leader(), Duration.ofSeconds(30)))
                    .as("the leader among the nodes that answer").isNotEqualTo(leader);
            Waits.await(cluster.healAll(), Duration.ofSeconds(60));
            awaitStopped(stalled, false, "after healing everything");
            Waits.await(cluster.awaitHealthy(Duration.ofSeconds(60)), Duration.ofSeconds(65));

            Waits.await(cluster.stall(leader), Duration.ofSeconds(30));
            awaitStopped(stalled, true, "when the cluster is closed");
        } finally {
            cluster.close();
        }
        assertThat(stalled.isAlive()).as("a process closed while stalled is gone").isFalse();
        for (int id : List.of(1, 2, 3)) {
            assertThat(cluster.process(id)).as("node " + id + "'s process after close").isEmpty();
            assertThat(child(out, id)).as("no child process of this JVM runs node " + id + " any more").isEmpty();
        }
    }

    /**
     * A node asked to stop ({@code SIGTERM}, as {@code systemctl stop} or Ctrl-C) while a peer's process is stopped
     * exits within seconds, and the two others carry on, over either transport. Over the clustered event bus the stop
     * needed every Hazelcast member's answer, so it waited until Hazelcast declared the silent peer dead, 60 s after it
     * fell silent (measured 50-58 s before {@link io.raftline.server.NodeClusterManager}, 5.1-5.3 s since); over gRPC
     * 0.14-0.16 s. The bound asserted here (30 s) sits between those and the old wait.
     */
    @ParameterizedTest(name = "over {0}")
    @ValueSource(strings = {"eventbus", "grpc"})
    void aNodeStopsPromptlyWhileAPeerIsStalledAndTheOthersCarryOn(String transport) throws Exception {
        ChildProcessCluster cluster = start(Path.of("target", "verify", "process-stall-stop-" + transport), 5,
                transport);
        try {
            int leader = Waits.await(cluster.leader(), Duration.ofSeconds(30));
            assertThat(leader).isPositive();
            int stalled = leader == 1 ? 2 : 1;
            Waits.await(cluster.stall(stalled), Duration.ofSeconds(30));
            awaitStopped(cluster.process(stalled).orElseThrow(), true, "before the leader's stop");

            ProcessHandle stopping = cluster.process(leader).orElseThrow();
            assertThat(stopping.destroy()).as("SIGTERM sent to node " + leader).isTrue();
            awaitExit(cluster, leader, stopping, "of SIGTERM while node " + stalled + " was stopped");

            Waits.await(cluster.unstall(stalled), Duration.ofSeconds(30));
            int next = awaitLeaderOtherThan(cluster, leader, Duration.ofSeconds(30));
            HttpResponse<String> put = put(cluster.nodeUrls().get(next), "after-the-stop", "written");
            assertThat(put.statusCode()).as("a write to node %d: %s", next, put.body()).isEqualTo(200);
        } finally {
            cluster.close();
        }
    }

    /**
     * A node whose leave from the clustered event bus has begun when a peer stalls exits before Hazelcast could
     * declare the peer dead. Hazelcast's graceful leave waits for the master (node 1, whose process started first)
     * to take the member's partitions over, and once it has begun a termination cannot cut it short: without its own
     * bound ({@code hazelcast.graceful.shutdown.max.wait}, 5 s) a node asked to stop 0.1-0.2 s before the master's
     * {@code SIGSTOP} exited only once the master was declared dead (10.3-13.8 s after the stall here; the likeliest
     * cause of the CI run, 2026-12-05, in which a node did not exit within 30 s of its SIGTERM). The stall is sent
     * when the node's log says the leave has begun; the exit must come sooner after the stall than a peer's death can
     * be declared. A leave takes 0.3-0.6 s with every member answering, so the stall, sent 20-50 ms after the line,
     * normally lands during it; should the node have exited already, the attempt tested nothing and a new cluster
     * tries again (three attempts).
     */
    @Test
    void aNodeWhoseLeaveHasBegunWhenAPeerStallsExitsBeforeThePeerCouldBeDeclaredDead() throws Exception {
        int master = 1;
        int stopping = 3;
        for (int attempt = 1; ; attempt++) {
            ChildProcessCluster cluster = start(Path.of("target", "verify", "process-stall-leave-" + attempt),
                    8 + attempt, "eventbus");
            try {
                assertThat(Waits.await(cluster.leader(), Duration.ofSeconds(30))).isPositive();
                ProcessHandle process = cluster.process(stopping).orElseThrow();
                Path log = cluster.logDir().resolve("node-" + stopping + "-run1.log");
                assertThat(process.destroy()).as("SIGTERM sent to node " + stopping).isTrue();
                Waits.eventually("node " + stopping + " leaving the clustered event bus", Duration.ofSeconds(30),
                        () -> Files.readString(log).contains("leaving the clustered event bus"));
                Waits.await(cluster.stall(master), Duration.ofSeconds(30));
                long stalled = System.nanoTime();
                if (!process.isAlive()) {
                    assertThat(attempt).as("attempts in which node %d's leave ended before node %d stopped",
                            stopping, master).isLessThan(3);
                    continue;
                }
                awaitExit(cluster, stopping, process, "of node " + master + "'s stall during its leave");
                assertThat(Duration.ofNanos(System.nanoTime() - stalled))
                        .as("from node %d's stall to node %d's exit", master, stopping)
                        .isLessThan(Duration.ofSeconds(8));
                return;
            } finally {
                cluster.close();
            }
        }
    }

    /**
     * Over the clustered event bus, a node restarted while another one is stopped serves again within seconds, and the
     * stopped one, continued after Hazelcast declared it dead, catches up. Before {@code Clustering}'s heartbeat and
     * merge settings the first took 60-69 s (the restarted process could not join Hazelcast until the stopped member
     * had been silent for 60 s, and a 3-node cluster had no quorum all that while) and the second minutes (a member
     * declared dead forms a cluster of its own, merged back 300 s after its start at the earliest: measured 226 s).
     */
    @Test
    void aNodeRestartedWhileAnotherIsStalledServesAndTheStalledOneCatchesUpOnceContinued() throws Exception {
        ChildProcessCluster cluster = start(Path.of("target", "verify", "process-stall-restart"), 7, "eventbus");
        try {
            int leader = Waits.await(cluster.leader(), Duration.ofSeconds(30));
            assertThat(leader).isPositive();
            // Node 1's process started first: Hazelcast's master, whose stall costs the most (the others elect a new
            // master, and it comes back a cluster of its own). The one restarted is a follower when one is left.
            int stalled = 1;
            int restarted = leader == 3 ? 2 : 3;
            Waits.await(cluster.stall(stalled), Duration.ofSeconds(30));
            Waits.await(cluster.crash(restarted), Duration.ofSeconds(30));

            long start = System.nanoTime();
            Waits.await(cluster.restart(restarted), Duration.ofSeconds(90));
            int[] written = new int[1];
            Waits.eventually("a write through node " + restarted + ", restarted while node " + stalled
                    + " is stopped", Duration.ofSeconds(90), () -> {
                        written[0] = put(cluster.nodeUrls().get(restarted), "while-stalled", "quorum").statusCode();
                        return written[0] == 200;
                    });
            Duration quorumBack = Duration.ofNanos(System.nanoTime() - start);
            assertThat(quorumBack).as("from the restart of node %d to its first acknowledged write", restarted)
                    .isLessThan(Duration.ofSeconds(40));

            // The restarted node leads: the stalled one can catch up only through the peer that has a new Hazelcast id
            // since it was stopped (the route it kept from before goes to the old process).
            HttpResponse<String> transfer = post(cluster.nodeUrls().get(restarted), "/v1/leader",
                    "{\"id\":" + restarted + "}");
            assertThat(transfer.statusCode()).as("leadership to node %d: %s", restarted, transfer.body())
                    .isEqualTo(200);
            assertThat(put(cluster.nodeUrls().get(restarted), "while-stalled", "quorum").statusCode()).isEqualTo(200);

            // Stopped for longer than Hazelcast waits for a silent member: it was declared dead meanwhile.
            Waits.await(cluster.unstall(stalled), Duration.ofSeconds(30));
            URI stalledUrl = cluster.nodeUrls().get(stalled);
            long continued = System.nanoTime();
            Waits.eventually("node " + stalled + " serving the write made while it was stopped",
                    Duration.ofSeconds(60), () -> "quorum".equals(staleGet(stalledUrl, "while-stalled")));
            assertThat(Duration.ofNanos(System.nanoTime() - continued))
                    .as("from the continuation of node %d to its local read of the write", stalled)
                    .isLessThan(Duration.ofSeconds(30));
        } finally {
            cluster.close();
        }
    }

    /** Three node processes over {@code transport} ({@code eventbus} or {@code grpc}), their output in {@code out}. */
    private static ChildProcessCluster start(Path out, long seed, String transport) throws Exception {
        NemesisOptions options = NemesisOptions.builder().mode(NemesisOptions.Mode.PROCESSES)
                .duration(Duration.ofSeconds(10)).seed(seed).out(out).build();
        return ChildProcessCluster.builder(ClusterConfigs.forRun(options).put("transport", transport),
                out.resolve("processes")).recording(out.resolve(RunReport.EVENTS_FILE)).start();
    }

    /**
     * Waits 30 s for a node's process to exit. If it does not, its threads are dumped into its log ({@code jcmd
     * Thread.print}) before the test fails, and the failure names the log and quotes its last line: what a stop
     * waits for shows in the stacks.
     */
    private static void awaitExit(ChildProcessCluster cluster, int node, ProcessHandle process, String since)
            throws Exception {
        try {
            process.onExit().get(30, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            Path log = cluster.logDir().resolve("node-" + node + "-run1.log");
            Path threads = cluster.logDir().resolve("node-" + node + "-threads.txt");
            String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
            new ProcessBuilder(jcmd, String.valueOf(process.pid()), "Thread.print").redirectErrorStream(true)
                    .redirectOutput(threads.toFile()).start().waitFor(20, TimeUnit.SECONDS);
            List<String> lines = Files.readAllLines(log);
            String last = lines.isEmpty() ? "" : lines.get(lines.size() - 1);
            throw new AssertionError("node " + node + " did not exit within 30 s " + since + "; its threads are in "
                    + threads + ", the last line of " + log + ": " + last, e);
        }
    }

    /** Waits until the nodes that answer name a leader other than {@code not}. */
    private static int awaitLeaderOtherThan(ChildProcessCluster cluster, int not, Duration timeout)
            throws InterruptedException {
        int[] next = new int[1];
        Waits.eventually("a leader other than node " + not, timeout, () -> {
            next[0] = Waits.await(cluster.leader(), Duration.ofSeconds(10));
            return next[0] != 0 && next[0] != not;
        });
        return next[0];
    }

    private static HttpResponse<String> post(URI node, String path, String json) throws Exception {
        return send(HttpRequest.newBuilder(node.resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).timeout(Duration.ofSeconds(15)));
    }

    private static HttpResponse<String> put(URI node, String key, String value) throws Exception {
        return send(HttpRequest.newBuilder(node.resolve("/v1/kv/" + key))
                .PUT(HttpRequest.BodyPublishers.ofString(value)).timeout(Duration.ofSeconds(10)));
    }

    /** The node's own copy of a key ({@code consistency=stale}), null unless it has one. */
    private static String staleGet(URI node, String key) throws Exception {
        HttpResponse<String> got = send(HttpRequest.newBuilder(node.resolve("/v1/kv/" + key + "?consistency=stale"))
                .timeout(Duration.ofSeconds(5)));
        return got.statusCode() == 200 ? got.body() : null;
    }

    /** One client for every request of the class: each client has a selector thread of its own. */
    private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The live child process of this JVM that runs node {@code id} of the cluster in {@code out}. */
    private static Optional<ProcessHandle> child(Path out, int id) {
        String conf = out.resolve("processes").resolve("node-" + id + ".json").toString();
        return ProcessHandle.current().children().filter(ProcessHandle::isAlive)
                .filter(p -> arguments(p).contains(conf)).findFirst();
    }

    /**
     * A process's arguments from /proc/<pid>/cmdline ({@code ProcessHandle.Info.arguments()} gives none for a
     * command line as long as a node's, with this JVM's whole class path).
     */
    static List<String> arguments(ProcessHandle p) {
        try {
            return List.of(Files.readString(Path.of("/proc", String.valueOf(p.pid()), "cmdline")).split("\0"));
        } catch (IOException e) {
            return List.of(); // it ended meanwhile
        }
    }

    /**
     * Waits (at most 5 s: a signal takes effect on the process's threads shortly after {@code kill} returns) until
     * the process is stopped ({@code T} in /proc/<pid>/stat) or running, as {@code expected}.
     */
    private static void awaitStopped(ProcessHandle p, boolean expected, String when) throws InterruptedException {
        Waits.eventually("process " + p.pid() + (expected ? " stopped " : " running ") + when, Duration.ofSeconds(5),
                () -> {
                    String stat = Files.readString(Path.of("/proc", String.valueOf(p.pid()), "stat"));
                    return (stat.charAt(stat.lastIndexOf(')') + 2) == 'T') == expected;
                });
    }
}
