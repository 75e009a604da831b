package io.raftline.app;

import io.raftline.verify.nemesis.FaultKind;
import io.raftline.verify.nemesis.NemesisOptions;
import io.raftline.verify.nemesis.NemesisRun;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * {@code raftline.jar verify}: starts its own cluster (in this JVM, or one child process per node), runs the
 * nemesis harness against it (clients, faults, healing, final reads), checks the history for linearizability
 * and writes the report, the history and a replayable event recording. It prints the report's path and a
 * one-line verdict, and exits 0 when the run is clean (linearizable, every acknowledged write accounted for,
 * replicas identical), 1 otherwise, 2 for bad usage.
 */
final class Verify {

    private Verify() {
    }

    static int run(List<String> args, PrintStream out, PrintStream err) {
        if (args.contains("--help") || args.contains("-h")) {
            out.println(Main.USAGE_TEXT);
            return 0;
        }
        NemesisOptions options;
        try {
            options = parse(args);
        } catch (IllegalArgumentException e) {
            err.println("raftline verify: " + e.getMessage());
            err.println(Main.USAGE_TEXT);
            return Main.USAGE;
        }
        if (options.mode() == NemesisOptions.Mode.LOCAL && System.getProperty("raftline.log.level") == null) {
            // The nodes share this JVM's console with the harness: keep their lines to warnings and errors.
            System.setProperty("raftline.log.level", "WARN");
        }
        try {
            NemesisRun.Result r = NemesisRun.run(options, out);
            out.println("verify: report " + r.reportFile().toAbsolutePath());
            out.println("verify: history " + r.history().toAbsolutePath() + ", events " + r.events().toAbsolutePath());
            out.println(r.report().oneLine());
            return r.report().clean() ? 0 : Main.FAILURE;
        } catch (Exception e) {
            err.println("raftline verify: the run failed: " + e.getMessage());
            return Main.FAILURE;
        }
    }

    static NemesisOptions parse(List<String> args) {
        NemesisOptions.Builder b = NemesisOptions.builder();
        Path out = null;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            String name = arg;
            String value;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                name = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            } else if (arg.startsWith("--") && i + 1 < args.size()) {
                value = args.get(++i);
            } else {
                throw new IllegalArgumentException("unexpected argument '" + arg + "'");
            }
            switch (name) {
                case "--duration" -> b.duration(Duration.ofMillis(Bench.durationMs(name, value)));
                case "--clients" -> b.clients(integer(name, value));
                case "--keys" -> b.keys(integer(name, value));
                case "--nodes" -> b.nodes(integer(name, value));
                case "--ops-per-key" -> b.opsPerKey(integer(name, value));
                case "--nemesis" -> b.faults(FaultKind.parseList(value));
                case "--mode" -> b.mode(NemesisOptions.Mode.parse(value));
                case "--out" -> out = Path.of(value);
                case "--consistency" -> b.consistency(value);
                case "--lease-reads" -> b.leaseReads(share(name, value));
                case "--seed" -> b.seed(longValue(name, value));
                case "--check-budget" -> b.checkBudget(Duration.ofMillis(Bench.durationMs(name, value)));
                default -> throw new IllegalArgumentException("unknown option '" + name + "'");
            }
        }
        if (out == null) {
            out = Path.of("verify-runs", LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        }
        return b.out(out).build();
    }

    /** A share as a fraction ({@code 0.25}) or a percentage ({@code 25%}). */
    private static double share(String name, String v) {
        String t = v.trim();
        try {
            double d = t.endsWith("%") ? Double.parseDouble(t.substring(0, t.length() - 1).trim()) / 100
                    : Double.parseDouble(t);
            if (!(d >= 0 && d <= 1)) {
                throw new NumberFormatException();
            }
            return d;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a share in 0..1 or 0%..100%, got '" + v + "'");
        }
    }

    private static int integer(String name, String v) {
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be an integer, got '" + v + "'");
        }
    }

    private static long longValue(String name, String v) {
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be an integer, got '" + v + "'");
        }
    }
}
