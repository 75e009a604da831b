package io.raftline.raft;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.raft.sim.Simulation;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/**
 * The deterministic simulator over many seeded schedules (see {@link Simulation}). CI runs
 * {@code raft.sim.schedules} schedules (1,000 by default, seeds 1..N); {@code -Draft.sim.seed=S} replays one
 * seed with a verbose trace. The property below explores further random seeds on every run.
 */
class RaftSimulationTest {

    private static final int STEPS = 1500;

    @Test
    void seededSchedulesKeepRaftSafeAndLive() {
        String only = System.getProperty("raft.sim.seed");
        if (only != null && !only.isBlank()) {
            Simulation.Stats s = new Simulation(Long.parseLong(only), STEPS, true).run();
            System.out.println("[raft-sim] seed " + only + ": " + s);
            return;
        }
        int schedules = Integer.getInteger("raft.sim.schedules", 1000);
        long start = System.nanoTime();
        Simulation.Stats total = new Simulation.Stats();
        for (long seed = 1; seed <= schedules; seed++) {
            total.add(new Simulation(seed, STEPS, false).run());
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        System.out.println("[raft-sim] " + total + " time=" + ms + "ms");
        assertThat(total.schedules).isEqualTo(schedules);
        // The faults must actually happen, or the run proves nothing.
        assertThat(total.crashes).isGreaterThan(schedules);
        assertThat(total.partitions).isGreaterThan(schedules);
        assertThat(total.dropped).isGreaterThan(0);
        assertThat(total.duplicated).isGreaterThan(0);
        assertThat(total.elections).isGreaterThan(schedules);
        assertThat(total.snapshotsInstalled).isGreaterThan(0);
        assertThat(total.readsChecked).isGreaterThan(schedules);
    }

    @Property(tries = 50)
    void randomSeedsKeepRaftSafeAndLive(@ForAll long seed) {
        new Simulation(seed, STEPS, false).run();
    }
}
