package io.raftline.raft;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.raft.sim.Simulation;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/**
 * The deterministic simulator over many seeded schedules (see {@link Simulation}), every node persisting through
 * the real durable storage over a simulated disk that crashes. CI runs {@code raft.sim.schedules} schedules
 * (1,000 by default, seeds 1..N); {@code -Draft.sim.seed=S} replays one seed with a verbose trace. The property
 * below explores further random seeds on every run.
 */
class RaftSimulationTest {

    /**
     * Ticks per schedule. 4,000 rather than 1,500: a stale lease read after a leadership transfer and a WAL segment
     * header torn at creation were found only in runs this long, and 1,000 of them still take about 20 s.
     */
    private static final int STEPS = 4000;

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
        System.out.println("[raft-sim] " + schedules + " schedules in " + ms + " ms: " + total);
        assertThat(total.schedules).isEqualTo(schedules);
        // The faults must actually happen, or the run proves nothing.
        assertThat(total.crashes).isGreaterThan(schedules);
        assertThat(total.partitions).isGreaterThan(schedules);
        assertThat(total.dropped).isGreaterThan(0);
        assertThat(total.duplicated).isGreaterThan(0);
        assertThat(total.stragglers).isGreaterThan(schedules);
        assertThat(total.elections).isGreaterThan(schedules);
        assertThat(total.snapshotsInstalled).isGreaterThan(0);
        assertThat(total.readsChecked).isGreaterThan(schedules);
        assertThat(total.acknowledgedWrites).isGreaterThan(schedules);
        assertThat(total.ackChecks).isGreaterThan(schedules);
        // Membership changes must happen too, of every kind, the leader's own removal included.
        assertThat(total.membershipChanges).isGreaterThan(schedules);
        // A third of the schedules quiesce idle groups: they must go quiet, and dead leaders' quiet groups must wake.
        assertThat(total.quiescences).isGreaterThan(schedules / 2);
        assertThat(total.wokenBySilence).isGreaterThan(schedules / 20);
        assertThat(total.promotions).isGreaterThan(schedules / 10);
        assertThat(total.removals).isGreaterThan(schedules / 2);
        assertThat(total.leaderRemovals).isGreaterThan(schedules / 10);
        assertThat(total.membershipRefused).isGreaterThan(0);
        // And so must the disk faults, and the recovery paths they lead to.
        assertThat(total.disk.powerCuts).isGreaterThan(schedules);
        assertThat(total.disk.processCrashes).isGreaterThan(schedules / 2);
        assertThat(total.disk.crashesInIo).isGreaterThan(schedules / 2);
        assertThat(total.disk.tailsTorn).isGreaterThan(schedules / 2);
        assertThat(total.disk.tailsLost).isGreaterThan(schedules / 2);
        assertThat(total.disk.tailsZeroed).isGreaterThan(0);
        assertThat(total.disk.dirOpsUndone).isGreaterThan(0);
        assertThat(total.disk.failedWrites).isGreaterThan(schedules / 2);
        assertThat(total.disk.failedFsyncs).isGreaterThan(schedules / 2);
        assertThat(total.durable.recoveries).isGreaterThan(schedules);
        assertThat(total.durable.tornTailsRepaired).isGreaterThan(schedules / 2);
        assertThat(total.durable.unsyncedWritesSurvived).isGreaterThan(0);
        assertThat(total.durable.failStops).isGreaterThan(schedules / 2);
        assertThat(total.durable.crashesDuringRecovery).isGreaterThan(0);
        assertThat(total.durable.compactions).isGreaterThan(schedules);
    }

    /**
     * Seeds beyond the first 1,000 that once failed, run on every build: 10260 (found by a review's sweep of seeds
     * 1,001 to 60,000 on 2026-12-05; the checker's fault: it took the term of a PreVote for one the node had sent
     * messages of as leader, then saw the node, a sole voter that had sent nothing in that term, lead it again after a
     * crash). The random seeds below could have hit it at any build.
     */
    @Test
    void seedsThatOnceFailedPass() {
        for (long seed : new long[] {10260}) {
            new Simulation(seed, STEPS, false).run();
        }
    }

    /**
     * Stressed seeds that once failed (a review's sweep on 2026-12-05 of seeds 2,000,000 to 2,022,067, 3,000,000 to
     * 3,022,182 and 4,000,000 to 4,030,298). 2009136: the checker's fault, as for 10260 above: node 1, sole voter of
     * its membership, led term 11 in memory, crashed before the term reached its disk and, back in term 10, voted for
     * node 5 in term 11; nothing of its leadership had left it, so the checker now counts a leadership once its term
     * is durable or a message of it left. 4018671: a liveness loss without PreVote: a stale-term RequestVote was
     * ignored, so the voters of {2, 6} never elected a leader again (scenario 61).
     */
    @Test
    void stressedSeedsThatOnceFailedPass() {
        new Simulation(2009136, STEPS, false, new Simulation.Stress(3, true, 250, 100, true, true)).run();
        new Simulation(4018671, STEPS, false, new Simulation.Stress(0, true, 400, 300, false, true)).run();
    }

    /**
     * Schedules the default mix rarely reaches (see {@link Simulation.Stress}): 5 and 7 voters, a snapshot and
     * compaction every 1 to 8 applied entries, faults three times as often, membership changes and leadership
     * transfers on top of them (so that changes overlap transfers, snapshots, partitions and restarts that lose an
     * unsynced tail), a network that duplicates up to half the messages and reorders them over 15 ticks, and
     * heartbeats (and their answers) that leave while a write is in flight, as the host sends them. A review on
     * 2026-12-05 ran 3,200 such schedules ({@code RaftSimulationStressSweep}, seeds 100,000 to 1,200,199) without a
     * violation; {@code raft.sim.stress.schedules} picks how many run here (about 5 s by default).
     */
    @Test
    void stressedSchedulesKeepRaftSafeAndLive() {
        int schedules = Integer.getInteger("raft.sim.stress.schedules", 36);
        Simulation.Stress[] mixes = {
            new Simulation.Stress(7, true, 400, 40, true, true),
            new Simulation.Stress(5, true, 300, 60, true, false),
            new Simulation.Stress(0, true, 300, 80, false, true),
        };
        Simulation.Stats total = new Simulation.Stats();
        long start = System.nanoTime();
        for (int i = 0; i < schedules; i++) {
            total.add(new Simulation(900_001 + i, STEPS, false, mixes[i % mixes.length]).run());
        }
        System.out.println("[raft-sim] " + schedules + " stressed schedules in " + (System.nanoTime() - start) / 1_000_000
                + " ms: " + total);
        assertThat(total.schedules).isEqualTo(schedules);
        // 8 a schedule rather than 10 since the leader refuses a change of the voters that the voters answering it could
        // not commit (scenario 60): under these fault rates a voter is often down (36 schedules made 336 changes).
        assertThat(total.membershipChanges).isGreaterThan(8L * schedules);
        assertThat(total.leaderRemovals).isGreaterThan(schedules / 2);
        assertThat(total.transfers).isGreaterThan(10L * schedules);
        assertThat(total.durable.compactions).isGreaterThan(20L * schedules);
        assertThat(total.snapshotsInstalled).isGreaterThan(schedules);
        assertThat(total.disk.tailsLost).isGreaterThan(schedules);
        assertThat(total.duplicated).isGreaterThan(100L * schedules);
        assertThat(total.readsChecked).isGreaterThan(schedules);
        assertThat(total.acknowledgedWrites).isGreaterThan(schedules);
    }

    /**
     * PreVote off (which the default mix draws for a fifth of the seeds only) with learners promoted as soon as their
     * addition commits, most often while they still lag, some far enough behind to need a snapshot, and voters removed to
     * come back as lagging learners ({@link Simulation.Stress#learnerChurn}); CheckQuorum on for half the schedules, off
     * for the other half. A lagging voter must never be elected over a more up-to-date log (leader completeness), no
     * acknowledged write may be lost, and the healed cluster must commit. A review on 2026-12-05 swept 3,000 such
     * schedules ({@code RaftSimulationStressSweep} with {@code raft.sim.stress.prevote=false} and
     * {@code raft.sim.stress.learners}, seeds 6,000,001 to 10,000,300) without a violation; scenarios 63 and 64 show
     * one such schedule step by step.
     */
    @Test
    void laggingLearnersPromotedWithoutPreVoteKeepRaftSafeAndLive() {
        int schedules = Integer.getInteger("raft.sim.learners.schedules", 24);
        Simulation.Stats total = new Simulation.Stats();
        for (int i = 0; i < schedules; i++) {
            Simulation.Stress mix = new Simulation.Stress(0, i % 4 >= 2, 1000, 0, false, false, false, i % 2 == 0, 50);
            total.add(new Simulation(11_000_001 + i, STEPS, false, mix).run());
        }
        System.out.println("[raft-sim] " + schedules + " schedules with lagging learners promoted, PreVote off: " + total);
        assertThat(total.schedules).isEqualTo(schedules);
        assertThat(total.laggingPromotions).isGreaterThan(2L * schedules);
        assertThat(total.snapshotsInstalled).isGreaterThan(schedules);
        assertThat(total.elections).isGreaterThan(schedules);
        assertThat(total.crashes).isGreaterThan(schedules);
        assertThat(total.partitions).isGreaterThan(schedules);
        assertThat(total.acknowledgedWrites).isGreaterThan(schedules);
    }

    @Property(tries = 50)
    void randomSeedsKeepRaftSafeAndLive(@ForAll long seed) {
        new Simulation(seed, STEPS, false).run();
    }
}
