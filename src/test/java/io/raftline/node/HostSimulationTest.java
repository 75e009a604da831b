package io.raftline.node;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Whole node hosts under seeded real-time schedules ({@link HostSimulation}): stalls, clock drift, crashes,
 * partitions and loss, with lease and linearizable reads checked for freshness and every write's reported
 * outcome checked against what was applied. {@code raftline.hostsim.schedules} sets the number of seeds
 * (default 100), {@code raftline.hostsim.from} the first (default 1), {@code raftline.hostsim.seed} replays one.
 */
class HostSimulationTest {

    private static final Logger HOST_LOG = (Logger) LoggerFactory.getLogger(NodeHost.class);
    private static Level saved;

    @BeforeAll
    static void quiet() {
        // Thousands of simulated crashes and stalls would each log a warning.
        saved = HOST_LOG.getLevel();
        HOST_LOG.setLevel(Level.OFF);
    }

    @AfterAll
    static void restore() {
        HOST_LOG.setLevel(saved);
    }

    /**
     * Regression (issue 13, leaders lost under load on one shared disk): every node's disk stalls for 1.5 s, three
     * times the longest election timeout (0.5 s here), while clients write and read. While a Ready's write was on its way to disk no message left,
     * so the leader's heartbeats and the followers' answers waited for the disk, and the leader's CheckQuorum and
     * both followers' timers ran out together. Heartbeats and their answers promise nothing about the disk and now
     * leave at once: the stall holds up commits, not the leadership.
     */
    @Test
    void aDiskStallOfEveryNodeLongerThanAnElectionTimeoutKeepsTheLeader() {
        for (long seed = 1; seed <= 5; seed++) {
            HostSimulation sim = new HostSimulation(seed, false);
            sim.stallDisks(3_000_000_000L, 1_500, 1, 2, 3);
            HostSimulation.Stats stats = sim.run(6);
            assertThat(stats.diskStalls).as("seed %d", seed).isEqualTo(1);
            assertThat(stats.elections).as("seed %d: %s", seed, stats).isEqualTo(1);
            assertThat(stats.writesAcked).as("seed %d", seed).isGreaterThan(100);
            for (int id = 1; id <= 3; id++) {
                assertThat(sim.slowWrites(id)).as("seed %d: node %d counted the stalled write", seed, id).isPositive();
            }
        }
    }

    /**
     * The other side of heartbeats that do not wait for the disk: a leader whose disk hangs (15 s here) must not keep
     * its followers from electing another. Past four times the longest election timeout of a write in flight it stops
     * answering for its disk, the followers elect a leader whose disk works, and writes are acknowledged again
     * while the old leader's disk still hangs.
     */
    @Test
    void aLeaderWhoseDiskHangsIsReplaced() {
        for (long seed = 1; seed <= 5; seed++) {
            HostSimulation sim = new HostSimulation(seed, false);
            sim.stallLeaderDisk(3_000_000_000L, 15_000);
            sim.countAcksFrom(6_000_000_000L);
            HostSimulation.Stats stats = sim.run(12);
            assertThat(stats.diskStalls).as("seed %d", seed).isEqualTo(1);
            assertThat(stats.elections).as("seed %d: %s", seed, stats).isEqualTo(2);
            assertThat(stats.writesAckedLater).as("seed %d: acknowledged in the hang's 4th to 9th s: %s", seed, stats)
                    .isGreaterThan(100);
        }
    }

    @Test
    void seededRealTimeSchedulesKeepReadsFreshAndOutcomesTrue() {
        String only = System.getProperty("raftline.hostsim.seed");
        if (only != null && !only.isBlank()) {
            System.out.println("[host-sim] seed " + only + ": " + new HostSimulation(Long.parseLong(only)).run(30));
            return;
        }
        int schedules = Integer.getInteger("raftline.hostsim.schedules", 100);
        long start = System.nanoTime();
        HostSimulation.Stats total = new HostSimulation.Stats();
        long from = Long.getLong("raftline.hostsim.from", 1);
        for (long seed = from; seed < from + schedules; seed++) {
            total.add(new HostSimulation(seed).run(30));
        }
        System.out.println("[host-sim] " + schedules + " schedules of 30 s: " + total + " in "
                + (System.nanoTime() - start) / 1_000_000 + " ms");
        // The dangerous situations must actually happen, or the run proves nothing.
        assertThat(total.leaderStalls).isGreaterThan(schedules);
        assertThat(total.leaseReadsServed).isGreaterThan(schedules);
        assertThat(total.writesAcked).isGreaterThan(100L * schedules);
        assertThat(total.crashes).isGreaterThan(schedules);
        assertThat(total.snapshotsInstalled).isGreaterThan(schedules);
        assertThat(total.retriesAnsweredFromTable).isPositive();
    }
}
