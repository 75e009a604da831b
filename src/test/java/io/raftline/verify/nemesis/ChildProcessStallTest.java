package io.raftline.verify.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A stall in process mode is a real {@code SIGSTOP} of the node's process, undone by {@code SIGCONT} when the
 * stall ends, when everything is healed, and when the cluster is closed in the middle of a stall (an aborted
 * run): a stopped child left behind would keep its ports and hang whoever waits for it. The process state comes
 * from {@code /proc/<pid>/stat} ({@code T} = stopped by a signal).
 */
@Tag("slow")
class ChildProcessStallTest {

    @Test
    void aStalledProcessIsStoppedAndNeverLeftStopped() throws Exception {
        Path out = Path.of("target", "verify", "process-stall");
        NemesisOptions options = NemesisOptions.builder().mode(NemesisOptions.Mode.PROCESSES)
                .duration(Duration.ofSeconds(10)).seed(3).out(out).build();
        ChildProcessCluster cluster = ChildProcessCluster.start(options, out, out.resolve(RunReport.EVENTS_FILE));
        ProcessHandle stalled;
        try {
            int leader = InJvmCluster.await(cluster.leader(), 30);
            assertThat(leader).isPositive();
            stalled = cluster.process(leader).orElseThrow();

            InJvmCluster.await(cluster.stall(leader), 30);
            assertThat(stopped(stalled, true)).as("stopped after stall").isTrue();
            InJvmCluster.await(cluster.unstall(leader), 30);
            assertThat(stopped(stalled, false)).as("stopped after unstall").isFalse();

            InJvmCluster.await(cluster.stall(leader), 30);
            assertThat(InJvmCluster.await(cluster.leader(), 30)).as("the leader among the nodes that answer")
                    .isNotEqualTo(leader);
            InJvmCluster.await(cluster.healAll(), 60);
            assertThat(stopped(stalled, false)).as("stopped after healing everything").isFalse();
            InJvmCluster.await(cluster.awaitHealthy(Duration.ofSeconds(60)), 65);

            InJvmCluster.await(cluster.stall(leader), 30);
            assertThat(stopped(stalled, true)).as("stopped when the cluster is closed").isTrue();
        } finally {
            cluster.close();
        }
        assertThat(stalled.isAlive()).as("a process closed while stalled is gone").isFalse();
        for (int id : List.of(1, 2, 3)) {
            assertThat(cluster.process(id)).as("node " + id + "'s process after close").isEmpty();
            assertThat(child(out, id)).as("no child process of this JVM runs node " + id + " any more").isEmpty();
        }
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
     * Whether the process is stopped ({@code T} in /proc/<pid>/stat), once it is as {@code expected} or 5 s
     * passed: a signal takes effect on the process's threads shortly after {@code kill} returns.
     */
    private static boolean stopped(ProcessHandle p, boolean expected) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            String stat = Files.readString(Path.of("/proc", String.valueOf(p.pid()), "stat"));
            boolean stopped = stat.charAt(stat.lastIndexOf(')') + 2) == 'T';
            if (stopped == expected || System.nanoTime() > deadline) {
                return stopped;
            }
            TimeUnit.MILLISECONDS.sleep(10);
        }
    }
}
