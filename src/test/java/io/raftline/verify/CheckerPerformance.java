package io.raftline.verify;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * Measures the checker on generated histories; run by hand, never by the test suite (timings on
 * a shared machine are not assertions).
 *
 * <pre>
 * mvn -q test-compile
 * java -cp target/classes:target/test-classes io.raftline.verify.CheckerPerformance [runs]
 * </pre>
 *
 * Each row is one history shape (seed 42), checked {@code runs} times (default 5) after two
 * warm-up checks, or once if a check takes over ten seconds, with a 60 s budget; it prints the
 * median and the slowest run. "+ violation" rows append a read of a value never written, at the
 * very end, so the search must exhaust every linearization of the whole key before it can say
 * no: the worst case for a violation.
 */
public final class CheckerPerformance {

    private CheckerPerformance() {
    }

    private record Shape(String name, HistoryGenerator.Config config, boolean violation) {
    }

    public static void main(String[] args) {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        List<Shape> shapes = List.of(
                new Shape("10k ops, 10 keys, 8 clients", config(8, 10, 10_000, 0.0), false),
                new Shape("10k ops, 10 keys, 8 clients, 1% timeouts", config(8, 10, 10_000, 0.01), false),
                new Shape("10k ops, 10 keys, 8 clients, 5% timeouts", config(8, 10, 10_000, 0.05), false),
                new Shape("10k ops, 10 keys, 8 clients, 5% timeouts + violation",
                        config(8, 10, 10_000, 0.05), true),
                new Shape("10k ops, 1 key, 8 clients", config(8, 1, 10_000, 0.0), false),
                new Shape("10k ops, 1 key, 8 clients + violation", config(8, 1, 10_000, 0.0), true),
                new Shape("10k ops, 1 key, 8 clients, 1% timeouts", config(8, 1, 10_000, 0.01), false),
                new Shape("2k ops, 1 key, 8 clients, 1% timeouts + violation", config(8, 1, 2_000, 0.01), true),
                new Shape("10k ops, 1 key, 8 clients, 1% timeouts + violation", config(8, 1, 10_000, 0.01), true),
                new Shape("100k ops, 100 keys, 32 clients, 1% timeouts", config(32, 100, 100_000, 0.01), false));
        System.out.printf(Locale.ROOT, "%-55s %8s %10s %10s %12s%n", "history", "verdict", "median ms", "max ms",
                "steps");
        for (Shape shape : shapes) {
            List<Operation> history = new ArrayList<>(HistoryGenerator.generate(42, shape.config()));
            if (shape.violation()) {
                history.add(Operation.get(Long.MAX_VALUE, 0, "k0", Long.MAX_VALUE - 2, Long.MAX_VALUE - 1,
                        Outcome.found(Value.of("never written"), Outcome.UNREPORTED)));
            }
            List<Long> millis = new ArrayList<>();
            CheckResult result = null;
            for (int i = -2; i < runs; i++) {
                long start = System.nanoTime();
                result = LinearizabilityChecker.check(history, Duration.ofSeconds(60));
                long took = (System.nanoTime() - start) / 1_000_000;
                if (i >= 0 || took > 10_000) {
                    millis.add(took);
                }
                if (took > 10_000) {
                    break;
                }
            }
            Collections.sort(millis);
            String verdict = switch (result.verdict()) {
                case LINEARIZABLE -> "lin";
                case NOT_LINEARIZABLE -> "NOT lin";
                case UNKNOWN -> "unknown";
            };
            System.out.printf(Locale.ROOT, "%-55s %8s %10d %10d %12d%n", shape.name(), verdict,
                    millis.get(millis.size() / 2), millis.get(millis.size() - 1), result.steps());
        }
    }

    /** Unique values, revisions reported on 90% of answers, as a recording client would. */
    private static HistoryGenerator.Config config(int clients, int keys, int operations, double unknownRate) {
        return new HistoryGenerator.Config(clients, keys, operations, unknownRate, 0.9, true);
    }
}
