package io.raftline.raft;

import io.raftline.raft.sim.Simulation;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A long sweep of seeds under the {@link Simulation.Stress} knobs, too long for every build (hundreds of schedules take
 * minutes), so not named like the tests Surefire picks up: run it by name, {@code mvn test
 * -Dtest=RaftSimulationStressSweep -Draft.sim.stress.count=N} (without a count it does nothing). It runs seeds
 * {@code raft.sim.stress.start} onwards, prints the first failures (up to three) with their seeds for replay, and
 * fails if there were any. Knobs: {@code raft.sim.stress.nodes} (initial voters; 0 = 3 or 5), {@code raft.sim.stress}
 * (snapshots every 1 to 8 entries), {@code raft.sim.stress.faultRange} (1,000 = the default fault rate),
 * {@code raft.sim.stress.extra} (per mille of ticks with an extra membership change or transfer),
 * {@code raft.sim.stress.net} (heavy duplication and reordering), {@code raft.sim.stress.early} (heartbeats leave
 * during writes), {@code raft.sim.stress.prevote} and {@code raft.sim.stress.checkquorum} ({@code true} or
 * {@code false} in every node; unset: drawn from the seed), {@code raft.sim.stress.learners} (per mille of ticks with a
 * learner added, promoted while it may still lag, or a voter removed to come back as one: {@link Simulation.Stress}),
 * {@code raft.sim.stress.steps}; {@code raft.sim.stress.verbose=true} traces every delivery (for replaying one seed).
 */
class RaftSimulationStressSweep {

    @Test
    void sweep() {
        int count = Integer.getInteger("raft.sim.stress.count", 0);
        Assumptions.assumeTrue(count > 0);
        long start = Long.getLong("raft.sim.stress.start", 1);
        int steps = Integer.getInteger("raft.sim.stress.steps", 4000);
        Simulation.Stress stress = new Simulation.Stress(Integer.getInteger("raft.sim.stress.nodes", 0),
                Boolean.getBoolean("raft.sim.stress"), Integer.getInteger("raft.sim.stress.faultRange", 1000),
                Integer.getInteger("raft.sim.stress.extra", 0), Boolean.getBoolean("raft.sim.stress.net"),
                Boolean.getBoolean("raft.sim.stress.early"), flag("raft.sim.stress.prevote"),
                flag("raft.sim.stress.checkquorum"), Integer.getInteger("raft.sim.stress.learners", 0));
        boolean verbose = Boolean.getBoolean("raft.sim.stress.verbose");
        List<String> failures = new ArrayList<>();
        Simulation.Stats total = new Simulation.Stats();
        for (long seed = start; seed < start + count; seed++) {
            try {
                total.add(new Simulation(seed, steps, verbose, stress).run());
            } catch (AssertionError e) {
                String msg = e.getMessage();
                failures.add(msg.substring(0, Math.min(600, msg.length())));
                System.out.println("[stress] FAIL seed " + seed + ": " + msg.substring(0, Math.min(3000, msg.length())));
                if (failures.size() >= 3) {
                    break;
                }
            }
        }
        System.out.println("[stress] " + total);
        if (!failures.isEmpty()) {
            throw new AssertionError(failures.size() + " failures: " + failures);
        }
    }

    /** A boolean system property, or null when it is not set. */
    private static Boolean flag(String name) {
        String v = System.getProperty(name);
        return v == null || v.isBlank() ? null : Boolean.valueOf(v);
    }
}
