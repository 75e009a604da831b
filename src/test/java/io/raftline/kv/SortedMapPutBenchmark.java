package io.raftline.kv;

import java.util.Comparator;
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
 * What one write costs the ordered key index (issue 13): a put of a random key of the comparison's workload
 * ({@code key-%012d} out of 100,000) into a {@link PersistentSortedMap} that already holds 60,000 of them, the way
 * {@link KvStateMachine} applies a write, under each way of ordering keys.
 *
 * <p>Not a unit test (Surefire never runs it): {@code mvn -B -o -Pjmh test -Djmh.args=SortedMapPutBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class SortedMapPutBenchmark {

    /**
     * {@code store}: the store's order ({@link Utf8#CODE_POINT_ORDER}, which hands the map a cheaper comparator for a
     * probe without surrogates); {@code ranked}: the same order ranked unit by unit on every comparison (what the store
     * did before that); {@code units}: String's own order, which is not the key order, for the bound.
     */
    @Param({"store", "ranked", "units"})
    public String order;

    private PersistentSortedMap<String, String> map;
    private final String[] keys = new String[1 << 16];
    private int next;

    @Setup
    public void setUp() {
        Comparator<String> cmp = switch (order) {
            case "units" -> Comparator.naturalOrder();
            case "ranked" -> (a, b) -> Utf8.CODE_POINT_ORDER.compare(a, b);
            default -> Utf8.CODE_POINT_ORDER;
        };
        SplittableRandom random = new SplittableRandom(42);
        map = PersistentSortedMap.empty(cmp);
        for (int i = 0; i < 60_000; i++) {
            String k = key(random);
            map = map.put(k, k);
        }
        for (int i = 0; i < keys.length; i++) {
            keys[i] = key(random);
        }
    }

    private static String key(SplittableRandom random) {
        return String.format("key-%012d", random.nextInt(100_000));
    }

    /** One write's put; the map is kept, so it grows towards 100,000 keys as the writes of a run do. */
    @Benchmark
    public PersistentSortedMap<String, String> put() {
        String k = keys[next++ & (keys.length - 1)];
        map = map.put(k, k);
        return map;
    }
}
