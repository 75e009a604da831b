package io.raftline.verify.nemesis;

import io.raftline.shard.KeyGroups;
import io.raftline.verify.CheckResult;
import io.raftline.verify.HistoryNdjson;
import io.raftline.verify.LinearizabilityChecker;
import io.raftline.verify.OpKind;
import io.raftline.verify.Operation;
import io.raftline.verify.Outcome;
import io.raftline.verify.Verdict;
import io.raftline.verify.Violation;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;

/**
 * Checks a {@link RunRecord} and reports it: the checker's verdict, the accounting of acknowledged writes, the
 * replicas' convergence, operation and fault counts, and, for a violation, the minimal sub-history the checker
 * gives. The same path serves real runs and crafted histories, so a detector test exercises exactly what a run
 * would print.
 */
public final class RunReport {

    /** The setting that names the number of Raft groups of a sharded run's cluster (absent: one group). */
    public static final String GROUPS = "groups";

    /** The report's file name. */
    public static final String REPORT_FILE = "report.md";
    /** The history's file name. */
    public static final String HISTORY_FILE = "history.ndjson";
    /** The file of the operations the violations name, re-checkable on their own. */
    public static final String VIOLATIONS_FILE = "violations.ndjson";
    /** The notes on operations ({@link RunRecord#opNotes()}): one {@code id<TAB>note} line each. */
    public static final String OP_NOTES_FILE = "op-notes.tsv";
    /** The event recording's file name. */
    public static final String EVENTS_FILE = "events.ndjson";

    private static final int FAULTS_LISTED = 300;

    /** How the notes on operations ({@link RunRecord#opNotes()}) name a lease read. */
    static final String LEASE_READ = "lease read";
    /** How the notes on operations name the requests of {@link StallProbes}. */
    static final String STALL_PROBE = "stall probe";

    private RunReport() {
    }

    /**
     * Operation counts of one kind.
     *
     * @param recorded           operations in the history
     * @param ok                 answered with a result
     * @param preconditionFailed answered 412
     * @param notApplied         definitely not applied (rejected, or a 503 that guarantees it)
     * @param unknown            outcome unknown
     */
    public record Counts(int recorded, int ok, int preconditionFailed, int notApplied, int unknown) {
        Counts plus(Counts o) {
            return new Counts(recorded + o.recorded, ok + o.ok, preconditionFailed + o.preconditionFailed,
                    notApplied + o.notApplied, unknown + o.unknown);
        }

        /**
         * Operations that did not take effect as asked: 412s and definite failures.
         *
         * @return the count
         */
        public int failed() {
            return preconditionFailed + notApplied;
        }
    }

    /**
     * A checked run.
     *
     * @param record     what was recorded
     * @param result     the checker's answer
     * @param accounting the acknowledged writes' accounting
     * @param counts     operations by kind, in put, cas, get, delete order
     * @param total      all operations
     * @param checkTime  how long the check took
     */
    public record Report(RunRecord record, CheckResult result, AcknowledgedWrites.Accounting accounting,
                         Map<OpKind, Counts> counts, Counts total, Duration checkTime) {

        /**
         * Whether the run found nothing wrong: linearizable, every acknowledged write accounted for (when there
         * are final reads), and the replicas compared and equal (for a run on a cluster).
         *
         * @return true if clean
         */
        public boolean clean() {
            return result.verdict() == Verdict.LINEARIZABLE && (record.finalClient() < 0 || accounting.complete())
                    && record.convergence().sound();
        }

        /**
         * Faults injected, by kind.
         *
         * @return kind → count (every kind)
         */
        public Map<FaultKind, Integer> faultsByKind() {
            Map<FaultKind, Integer> byKind = new EnumMap<>(FaultKind.class);
            for (FaultKind k : FaultKind.values()) {
                byKind.put(k, 0);
            }
            for (FaultLog.Entry e : record.faults()) {
                if (e.injected()) {
                    byKind.merge(e.kind(), 1, Integer::sum);
                }
            }
            return byKind;
        }

        /**
         * The one-line summary printed at the end of a run.
         *
         * @return e.g. {@code LINEARIZABLE: 12,345 operations (...) on 120 keys; 18 faults (...); 0 anomalies}
         */
        public String oneLine() {
            int faults = faultsByKind().values().stream().mapToInt(Integer::intValue).sum();
            return String.format(Locale.ROOT, "%s: %,d operations (%,d ok, %,d failed, %,d unknown) on %,d keys; "
                            + "%d faults (%s); acknowledged writes accounted for: %,d of %,d; %s",
                    result.verdict(), total.recorded(), total.ok(), total.failed(), total.unknown(), result.keys(),
                    faults, faultSummary(), accounting.accounted(), accounting.acknowledged(),
                    clean() ? "no anomalies" : anomalies() + " anomal" + (anomalies() == 1 ? "y" : "ies"));
        }

        private int anomalies() {
            int n = result.violations().size();
            if (record.finalClient() >= 0) {
                n += accounting.missing().size();
            }
            if (!record.convergence().sound()) {
                n++;
            }
            return n;
        }

        private String faultSummary() {
            StringJoiner j = new StringJoiner(", ");
            faultsByKind().forEach((k, v) -> {
                if (v > 0) {
                    j.add(k.wireName() + " " + v);
                }
            });
            return j.length() == 0 ? "none" : j.toString();
        }

        /**
         * The fields of the {@code CheckVerdict} event.
         *
         * @param reportPath where the report was written, or null
         * @return the JSON object
         */
        public JsonObject verdictJson(Path reportPath) {
            JsonObject faults = new JsonObject();
            faultsByKind().forEach((k, v) -> faults.put(k.wireName(), v));
            String summary = result.violations().isEmpty()
                    ? (result.undecidedKeys().isEmpty() ? "" : "time budget ran out on "
                    + result.undecidedKeys().size() + " keys")
                    : result.violations().get(0).summary();
            return new JsonObject().put("verdict", result.verdict().name())
                    .put("linearizable", result.linearizable()).put("clean", clean())
                    .put("operations", total.recorded()).put("keys", result.keys()).put("ok", total.ok())
                    .put("failed", total.failed()).put("unknown", total.unknown())
                    .put("violations", result.violations().size())
                    .put("acknowledged", accounting.acknowledged()).put("accounted", accounting.accounted())
                    .put("faults", faults).put("summary", summary)
                    .put("report", reportPath == null ? null : reportPath.toString());
        }

        /**
         * The report as Markdown.
         *
         * @return the text
         */
        public String markdown() {
            return RunReport.markdown(this);
        }

        /**
         * Writes {@value #REPORT_FILE}, {@value #HISTORY_FILE}, if there are violations
         * {@value #VIOLATIONS_FILE}, and if there are notes on operations {@value #OP_NOTES_FILE} into {@code dir}.
         *
         * @param dir the directory (created if needed)
         * @return the report's path
         * @throws IOException if a file cannot be written
         */
        public Path write(Path dir) throws IOException {
            Files.createDirectories(dir);
            HistoryNdjson.write(record.history(), dir.resolve(HISTORY_FILE));
            List<Operation> involved = violationOperations();
            if (!involved.isEmpty()) {
                HistoryNdjson.write(involved, dir.resolve(VIOLATIONS_FILE));
            }
            if (!record.opNotes().isEmpty()) {
                StringBuilder notes = new StringBuilder();
                new TreeMap<>(record.opNotes()).forEach((id, note) -> notes.append(id).append('\t').append(note)
                        .append('\n'));
                Files.writeString(dir.resolve(OP_NOTES_FILE), notes);
            }
            Path report = dir.resolve(REPORT_FILE);
            Files.writeString(report, markdown());
            return report;
        }

        /**
         * The operations the violations name (each once), by invocation.
         *
         * @return the minimal sub-history
         */
        public List<Operation> violationOperations() {
            Map<Long, Operation> ops = new TreeMap<>();
            for (Violation v : result.violations()) {
                for (Operation op : v.operations()) {
                    ops.put(op.id(), op);
                }
            }
            List<Operation> list = new ArrayList<>(ops.values());
            list.sort(HistoryRecorder.BY_INVOCATION);
            return list;
        }
    }

    /**
     * How the run's cluster mapped keys to Raft groups: its {@value #GROUPS} setting, one group without it.
     *
     * @param record the run
     * @return the map
     */
    static KeyGroups keyGroups(RunRecord record) {
        String groups = record.settings().get(GROUPS);
        return groups == null ? KeyGroups.ONE : new KeyGroups(Integer.parseInt(groups.split(" ")[0]));
    }

    /**
     * Checks a run.
     *
     * @param record the run
     * @param budget the checker's time budget
     * @return the checked run
     */
    public static Report check(RunRecord record, Duration budget) {
        long t0 = System.nanoTime();
        CheckResult result = LinearizabilityChecker.check(record.history(), budget, keyGroups(record));
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        AcknowledgedWrites.Accounting accounting = AcknowledgedWrites.check(record.history(), record.finalClient());
        Map<OpKind, Counts> counts = new LinkedHashMap<>();
        for (OpKind k : List.of(OpKind.PUT, OpKind.CAS, OpKind.GET, OpKind.DELETE)) {
            counts.put(k, new Counts(0, 0, 0, 0, 0));
        }
        for (Operation op : record.history()) {
            counts.merge(op.kind(), one(op.outcome()), Counts::plus);
        }
        Counts total = new Counts(0, 0, 0, 0, 0);
        for (Counts c : counts.values()) {
            total = total.plus(c);
        }
        return new Report(record, result, accounting, counts, total, took);
    }

    private static String markdown(Report r) {
        RunRecord rec = r.record();
        StringBuilder sb = new StringBuilder();
        sb.append("# ").append(rec.title()).append(": ").append(r.result().verdict()).append("\n\n");
        sb.append(r.oneLine()).append("\n\n");
        if (!rec.settings().isEmpty()) {
            sb.append("| setting | value |\n|---|---|\n");
            rec.settings().forEach((k, v) -> sb.append("| ").append(k).append(" | ").append(v).append(" |\n"));
            sb.append('\n');
        }

        sb.append("## Operations\n\n");
        sb.append("| kind | recorded | ok | precondition failed (412) | not applied | unknown |\n");
        sb.append("|---|---:|---:|---:|---:|---:|\n");
        r.counts().forEach((k, c) -> {
            row(sb, k.wireName(), c);
            if (k == OpKind.GET) {
                Counts lease = countNoted(rec, OpKind.GET, LEASE_READ);
                if (lease.recorded() > 0) {
                    row(sb, "↳ of which lease reads", lease);
                }
            }
        });
        Counts probes = countNoted(rec, null, STALL_PROBE);
        if (probes.recorded() > 0) {
            row(sb, "↳ stall probes (all kinds)", probes);
        }
        row(sb, "**total**", r.total());
        sb.append('\n');
        if (probes.recorded() > 0) {
            sb.append("Stall probes write a key of their own through the other nodes while a node is stalled and send")
                    .append(" a read of it to the stalled node after each acknowledged write (see StallProbes).\n\n");
        }
        sb.append("\"not applied\" are answers that guarantee the request was never applied (400, 413, 503 ")
                .append(String.join("/", new java.util.TreeSet<>(OutcomeMapping.NOT_APPLIED_CODES)))
                .append("); \"unknown\" may have taken effect at any time after invocation (no answer, 504, other 503s")
                .append(", see OutcomeMapping). The final reads are the gets of client ").append(rec.finalClient())
                .append(".\n\n");
        if (rec.retries() > 0) {
            sb.append(String.format(Locale.ROOT, "Retries of writes whose outcome was unknown (same Idempotency-Key,"
                    + " one operation each): %,d.%n%n", rec.retries()));
        }
        if (rec.healedAtNanos() > 0) {
            int after = 0;
            int okAfter = 0;
            for (Operation op : rec.history()) {
                if (op.client() != rec.finalClient() && op.invokeNanos() > rec.healedAtNanos()) {
                    after++;
                    if (op.outcome() instanceof Outcome.Ok || (op.outcome() instanceof Outcome.Failed f
                            && f.cause() == Outcome.Cause.PRECONDITION_FAILED)) {
                        okAfter++;
                    }
                }
            }
            sb.append(String.format(Locale.ROOT, "After the nemesis healed everything (at %+.1f s): %,d requests,"
                    + " %,d answered with a result.%n%n", (rec.healedAtNanos() - rec.startNanos()) / 1e9, after, okAfter));
        }
        if (!rec.answers().isEmpty()) {
            sb.append("<details><summary>How every request ended (including those left out of the history: never")
                    .append(" sent, or reads that observed nothing)</summary>\n\n| request and answer | count |\n|---|---:|\n");
            new TreeMap<>(rec.answers()).forEach((k, v) -> sb.append("| ").append(k).append(" | ")
                    .append(String.format(Locale.ROOT, "%,d", v)).append(" |\n"));
            sb.append("\n</details>\n\n");
        }

        sb.append("## Faults\n\n");
        if (rec.faults().isEmpty()) {
            sb.append("None.\n\n");
        } else {
            sb.append("| kind | injected |\n|---|---:|\n");
            r.faultsByKind().forEach((k, v) -> {
                if (v > 0 || rec.faults().stream().anyMatch(e -> e.kind() == k)) {
                    sb.append("| ").append(k.wireName()).append(" | ").append(v).append(" |\n");
                }
            });
            sb.append("\n");
            int shown = 0;
            for (FaultLog.Entry e : rec.faults()) {
                if (shown++ == FAULTS_LISTED) {
                    sb.append("- ... and ").append(rec.faults().size() - FAULTS_LISTED).append(" more\n");
                    break;
                }
                sb.append(String.format(Locale.ROOT, "- %+.1f s", (e.startNanos() - rec.startNanos()) / 1e9));
                if (e.injected() && e.endNanos() != Long.MAX_VALUE) {
                    sb.append(String.format(Locale.ROOT, " for %.1f s", (e.endNanos() - e.startNanos()) / 1e9));
                }
                sb.append(": ").append(e.description());
                if (e.error() != null) {
                    sb.append(" — ").append(e.injected() ? "" : "not injected: ").append(e.error());
                }
                sb.append('\n');
            }
            sb.append('\n');
        }

        sb.append("## End state\n\n");
        AcknowledgedWrites.Accounting a = r.accounting();
        if (rec.finalClient() >= 0) {
            sb.append(String.format(Locale.ROOT, "- Keys: %,d, read (linearizable) after healing: %,d.%n", a.keys(),
                    a.keysRead()));
            sb.append(String.format(Locale.ROOT, "- Acknowledged writes: %,d; accounted for by the final state: %,d.%n",
                    a.acknowledged(), a.accounted()));
            for (String m : a.missing().subList(0, Math.min(20, a.missing().size()))) {
                sb.append("  - NOT accounted for: ").append(m).append('\n');
            }
        } else {
            sb.append("- No final reads in this history.\n");
        }
        RunRecord.Convergence c = rec.convergence();
        sb.append("- Replicas: ").append(c.note()).append(".\n\n");

        sb.append("## Verdict\n\n");
        sb.append(String.format(Locale.ROOT, "Checked in %.2f s.%n%n", r.checkTime().toNanos() / 1e9));
        sb.append("```text\n").append(r.result().describe()).append("```\n\n");
        List<String> noted = new ArrayList<>();
        for (Operation op : r.violationOperations()) {
            String note = rec.opNotes().get(op.id());
            if (note != null) {
                noted.add("- #" + op.id() + ": " + note);
            }
        }
        if (!noted.isEmpty()) {
            sb.append("About the operations named above:\n\n").append(String.join("\n", noted)).append("\n\n");
        }
        if (!r.result().violations().isEmpty()) {
            sb.append("The operations named above (the minimal sub-histories the checker gives) are in `")
                    .append(VIOLATIONS_FILE).append("`, in the history's NDJSON format, to be re-checked or read")
                    .append(" on their own.\n\n");
        }
        if (!rec.notes().isEmpty()) {
            sb.append("## Notes\n\n");
            for (String n : rec.notes()) {
                sb.append("- ").append(n).append('\n');
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** Counts the operations (of one kind, or all if null) whose note contains {@code tag}. */
    private static Counts countNoted(RunRecord rec, OpKind kind, String tag) {
        Counts c = new Counts(0, 0, 0, 0, 0);
        if (rec.opNotes().isEmpty()) {
            return c;
        }
        for (Operation op : rec.history()) {
            String note = rec.opNotes().get(op.id());
            if (note != null && note.contains(tag) && (kind == null || op.kind() == kind)) {
                c = c.plus(one(op.outcome()));
            }
        }
        return c;
    }

    private static Counts one(Outcome o) {
        if (o instanceof Outcome.Ok) {
            return new Counts(1, 1, 0, 0, 0);
        } else if (o instanceof Outcome.Failed f && f.cause() == Outcome.Cause.PRECONDITION_FAILED) {
            return new Counts(1, 0, 1, 0, 0);
        } else if (o instanceof Outcome.Failed) {
            return new Counts(1, 0, 0, 1, 0);
        }
        return new Counts(1, 0, 0, 0, 1);
    }

    private static void row(StringBuilder sb, String name, Counts c) {
        sb.append(String.format(Locale.ROOT, "| %s | %,d | %,d | %,d | %,d | %,d |%n", name, c.recorded(), c.ok(),
                c.preconditionFailed(), c.notApplied(), c.unknown()));
    }
}
