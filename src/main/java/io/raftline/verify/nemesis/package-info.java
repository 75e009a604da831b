/**
 * The nemesis harness: concurrent clients issue random key-value requests against a real Raftline cluster while
 * a nemesis injects faults (partitions, crashes, pauses, message delay, loss and duplication); every request is
 * recorded with its exact interval and outcome, the faults are healed, every key is read one last time, and the
 * history goes to {@link io.raftline.verify.LinearizabilityChecker}. A run ends with a report, the history as
 * NDJSON and an event recording the live view replays, ending with the checker's verdict.
 *
 * <ul>
 *   <li>{@link io.raftline.verify.nemesis.NemesisRun}: one run, start to verdict.</li>
 *   <li>{@link io.raftline.verify.nemesis.OutcomeMapping}: what each HTTP answer means for the history (the
 *       mapping the whole check rests on).</li>
 *   <li>{@link io.raftline.verify.nemesis.ClusterUnderTest}: the cluster and its faults, in this JVM
 *       ({@link io.raftline.verify.nemesis.InJvmCluster}) or as child processes killed with SIGKILL
 *       ({@link io.raftline.verify.nemesis.ChildProcessCluster}), configured by
 *       {@link io.raftline.verify.nemesis.ClusterConfigs}. The tests that need a real cluster start theirs with the
 *       same classes.</li>
 *   <li>{@link io.raftline.verify.nemesis.Waits}: the one way the harness and the tests wait, always bounded.</li>
 *   <li>{@link io.raftline.verify.nemesis.RunReport}: checks a recorded run and writes its report.</li>
 * </ul>
 * Unlike {@code io.raftline.verify}, which stays pure, this package talks to clusters with Vert.x. Every run is
 * bounded in time and stops by itself; all traffic is on loopback. See {@code docs/verify.md}, "Nemesis".
 */
package io.raftline.verify.nemesis;
