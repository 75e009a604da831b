package io.raftline.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Committed entries per second of the Raft core alone (issue 13): three {@link io.raftline.raft.RaftCore}s in one
 * thread with in-memory storage, messages handed over in process, {@code inFlight} proposals of 256 bytes kept
 * outstanding at the leader. One operation is one proposal committed and applied at the leader, so the score is
 * commits per second. See {@link CoreCluster} for the host loop and docs/performance.md for the numbers.
 *
 * <p>Not a unit test (Surefire never runs it). Run it with {@code mvn -B -o -Pjmh test} (JMH options in
 * {@code -Djmh.args=...}, e.g. {@code -Djmh.args="-p inFlight=64 -prof gc"}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class CoreThroughputBenchmark {

    /** Proposals committed per benchmark call: large enough that the loop's own overhead does not count. */
    static final int COMMITS_PER_OP = 4096;

    /** Proposals outstanding at the leader. */
    @Param({"16", "64", "1024"})
    public int inFlight;

    private CoreCluster cluster;

    @Setup(Level.Trial)
    public void setUp() {
        cluster = new CoreCluster(inFlight);
        cluster.electLeader();
    }

    @Benchmark
    @OperationsPerInvocation(COMMITS_PER_OP)
    public long commits() {
        return cluster.runUntilCommitted(COMMITS_PER_OP);
    }

    /** Fails the run (and JMH reports it) unless every proposal reached all three state machines in order. */
    @TearDown(Level.Trial)
    public void check() {
        System.out.println();
        System.out.println(cluster.drainAndCheck());
    }
}
