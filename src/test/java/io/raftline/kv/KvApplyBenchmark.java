package io.raftline.kv;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What applying one committed write costs the state machine (issue 13), every replica paying it once per write: the
 * comparison's workload ({@code PUT key-%012d} out of 100,000 keys, 256-byte values) applied as encoded log entries to
 * a machine that already holds {@code keys} of them. With 100,000 keys every write overwrites a key, as on a cluster
 * that has run the comparison for a while; with 60,000 (random ones) the writes create keys too, fewer as it goes.
 * {@code snapshot} measures what serializing such a state costs (a snapshot walks the keys in order).
 *
 * <p>Not a unit test (Surefire never runs it): {@code mvn -B -o -Pjmh test -Djmh.args=KvApplyBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class KvApplyBenchmark {

    /** Keys the machine holds before the measurement: 100,000 (all of them, every write overwrites) or 60,000. */
    @Param({"100000", "60000"})
    public int keys;

    private KvStateMachine machine;
    private final byte[][] commands = new byte[1 << 14][];
    private long index;
    private int next;

    @Setup
    public void setUp() {
        SplittableRandom random = new SplittableRandom(42);
        byte[] value = "v".repeat(256).getBytes(StandardCharsets.US_ASCII);
        machine = new KvStateMachine();
        for (int i = 0; i < keys; i++) {
            machine.apply(++index, put(keys == 100_000 ? i : random.nextInt(100_000), value));
        }
        for (int i = 0; i < commands.length; i++) {
            commands[i] = put(random.nextInt(100_000), value);
        }
    }

    private static byte[] put(int key, byte[] value) {
        return KvCodec.encode(KvCommand.Put.taking(String.format("key-%012d", key), value.clone(),
                KvCommand.UNCONDITIONAL, null));
    }

    /** A snapshot of the state as a node takes one (the serialized bytes), in microseconds per snapshot. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public byte[] snapshot() {
        return machine.capture().toByteArray();
    }

    /** One committed write, decoded and applied. */
    @Benchmark
    public KvResult apply() {
        return machine.apply(++index, commands[next++ & (commands.length - 1)]);
    }
}
