package io.raftline.verify;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

/**
 * The checker against histories whose answer is known: generated from a real sequential run of
 * the store (so linearizable), then broken in ways no linearization can explain.
 */
class LinearizabilityProperties {

    private static final Duration BUDGET = Duration.ofSeconds(30);

    record Case(long seed, HistoryGenerator.Config config) {
        List<Operation> history() {
            return HistoryGenerator.generate(seed, config);
        }
    }

    @Provide
    Arbitrary<Case> cases() {
        Arbitrary<HistoryGenerator.Config> configs = Combinators.combine(
                Arbitraries.integers().between(1, 6),
                Arbitraries.integers().between(1, 4),
                Arbitraries.integers().between(0, 160),
                Arbitraries.of(0.0, 0.03, 0.1),
                Arbitraries.of(0.0, 0.5, 1.0),
                Arbitraries.of(true, false))
                .as(HistoryGenerator.Config::new);
        return Combinators.combine(Arbitraries.longs(), configs).as(Case::new);
    }

    /**
     * A random operation on one key, kept as numbers so that jqwik can shrink it; small ranges
     * make collisions (same value, same revision) likely, so both verdicts come up.
     *
     * @param kind     0 get, 1 put, 2 cas, 3 delete
     * @param value    which of three values
     * @param expected a cas precondition, -1 to 3
     * @param outcome  0-1 the usual success, 2 the other answer (not found, 412, deleted 1), 3 unknown
     * @param revision 0 unreported (or "absent" for a 412), else a revision
     * @param invoke   invocation time
     * @param length   time to completion
     */
    record Spec(int kind, int value, int expected, int outcome, int revision, int invoke, int length) {
        Operation toOperation(long id) {
            long complete = invoke + length;
            long rev = revision == 0 ? Outcome.UNREPORTED : revision;
            Value v = Value.of("v" + value);
            if (outcome == 3) {
                return switch (kind) {
                    case 0 -> Operation.get(id, 0, "k", invoke, Operation.NEVER, Outcome.unknown());
                    case 1 -> Operation.put(id, 0, "k", v, invoke, Operation.NEVER, Outcome.unknown());
                    case 2 -> Operation.cas(id, 0, "k", v, expected, invoke, Operation.NEVER, Outcome.unknown());
                    default -> Operation.delete(id, 0, "k", invoke, Operation.NEVER, Outcome.unknown());
                };
            }
            boolean other = outcome == 2;
            return switch (kind) {
                case 0 -> Operation.get(id, 0, "k", invoke, complete,
                        other ? Outcome.notFound() : Outcome.found(v, rev));
                case 1 -> Operation.put(id, 0, "k", v, invoke, complete, Outcome.written(rev));
                // 412s report the actual revision: the oracle, like the checker, cannot use one that does not.
                case 2 -> Operation.cas(id, 0, "k", v, expected, invoke, complete,
                        other ? Outcome.preconditionFailed(revision) : Outcome.written(rev));
                default -> Operation.delete(id, 0, "k", invoke, complete, Outcome.deleted(other ? 1 : value % 2, rev));
            };
        }
    }

    static Arbitrary<Spec> specs() {
        return Combinators.combine(
                Arbitraries.integers().between(0, 3),
                Arbitraries.integers().between(0, 2),
                Arbitraries.integers().between(-1, 3),
                Arbitraries.integers().between(0, 3),
                Arbitraries.integers().between(0, 6),
                Arbitraries.integers().between(0, 12),
                Arbitraries.integers().between(0, 6))
                .as(Spec::new);
    }

    @Provide
    Arbitrary<List<Spec>> tinyHistories() {
        return specs().list().ofMaxSize(7);
    }

    /** Mostly unknown-outcome writes: what the search's shortcuts are about. */
    @Provide
    Arbitrary<List<Spec>> tinyHistoriesOfTimeouts() {
        Arbitrary<Spec> specs = Combinators.combine(
                Arbitraries.integers().between(0, 3),
                Arbitraries.integers().between(0, 1),
                Arbitraries.integers().between(-1, 3),
                Arbitraries.frequency(Tuple.of(1, 0), Tuple.of(1, 2), Tuple.of(3, 3)),
                Arbitraries.integers().between(0, 4),
                Arbitraries.integers().between(0, 12),
                Arbitraries.integers().between(0, 6))
                .as(Spec::new);
        return specs.list().ofMinSize(3).ofMaxSize(8);
    }

    @Property(tries = 3000)
    void agreesWithABruteForceOracleOnTinyHistories(@ForAll("tinyHistories") List<Spec> specs) {
        agreesWithTheOracle(specs);
    }

    @Property(tries = 3000)
    void agreesWithABruteForceOracleWhenMostRequestsTimeOut(@ForAll("tinyHistoriesOfTimeouts") List<Spec> specs) {
        agreesWithTheOracle(specs);
    }

    private static void agreesWithTheOracle(List<Spec> specs) {
        List<Operation> history = new ArrayList<>();
        for (Spec spec : specs) {
            history.add(spec.toOperation(history.size() + 1));
        }
        CheckResult result = LinearizabilityChecker.check(history, BUDGET);
        boolean expected = BruteForceOracle.linearizable(history);
        Statistics.label("linearizable").collect(expected);
        Statistics.label("linearizable").coverage(c -> {
            c.check(true).percentage(p -> p > 15);
            c.check(false).percentage(p -> p > 15);
        });

        // The revision check needs no oracle here: on one key, the search sees everything it sees.
        assertThat(result.verdict()).as(result.describe()).isEqualTo(
                expected ? Verdict.LINEARIZABLE : Verdict.NOT_LINEARIZABLE);
    }

    private static CheckResult check(List<Operation> history) {
        return LinearizabilityChecker.check(history, BUDGET);
    }

    @Property(tries = 300)
    void historiesFromASequentialRunOfTheStoreAreLinearizable(@ForAll("cases") Case c) {
        List<Operation> history = c.history();
        CheckResult result = check(history);
        assertThat(result.verdict()).as(result.describe()).isEqualTo(Verdict.LINEARIZABLE);
    }

    @Property(tries = 300)
    void aReadOfAValueNeverWrittenMakesThemNotLinearizable(@ForAll("cases") Case c) {
        List<Operation> history = new ArrayList<>(c.history());
        List<Integer> reads = new ArrayList<>();
        for (int i = 0; i < history.size(); i++) {
            Operation op = history.get(i);
            if (op.kind() == OpKind.GET && op.outcome() instanceof Outcome.Ok) {
                reads.add(i);
            }
        }
        Assume.that(!reads.isEmpty());
        int victim = reads.get(new Random(c.seed()).nextInt(reads.size()));
        Operation read = history.get(victim);
        long revision = read.outcome() instanceof Outcome.Ok ok ? ok.revision() : Outcome.UNREPORTED;
        history.set(victim, Operation.get(read.id(), read.client(), read.key(), read.invokeNanos(),
                read.completeNanos(), Outcome.found(Value.of("never written"), revision)));

        CheckResult result = check(history);

        assertThat(result.verdict()).as(result.describe()).isEqualTo(Verdict.NOT_LINEARIZABLE);
        assertThat(result.violations()).anySatisfy(v -> {
            assertThat(v).isInstanceOf(Violation.OnKey.class);
            assertThat(((Violation.OnKey) v).key()).isEqualTo(read.key());
        });
    }

    @Property(tries = 200)
    void twoWritesGivenTheSameRevisionMakeThemNotLinearizable(@ForAll("cases") Case c) {
        List<Operation> history = new ArrayList<>(c.history());
        List<Integer> writes = new ArrayList<>();
        for (int i = 0; i < history.size(); i++) {
            Operation op = history.get(i);
            if (op.kind() != OpKind.GET && op.outcome() instanceof Outcome.Ok ok && ok.revisionReported()) {
                writes.add(i);
            }
        }
        Assume.that(writes.size() >= 2);
        Random random = new Random(c.seed());
        Collections.shuffle(writes, random);
        Operation donor = history.get(writes.get(0));
        Operation victim = history.get(writes.get(1));
        Outcome.Ok given = (Outcome.Ok) victim.outcome();
        Outcome.Ok stolen = new Outcome.Ok(((Outcome.Ok) donor.outcome()).revision(), given.value(), given.deleted());
        history.set(writes.get(1), new Operation(victim.id(), victim.client(), victim.kind(), victim.key(),
                victim.value(), victim.expectedRevision(), victim.invokeNanos(), victim.completeNanos(), stolen));

        CheckResult result = check(history);

        assertThat(result.verdict()).as(result.describe()).isEqualTo(Verdict.NOT_LINEARIZABLE);
    }

    @Property(tries = 100)
    void theVerdictAndExplanationDoNotDependOnTheOrderOfTheInput(@ForAll("cases") Case c) {
        List<Operation> history = new ArrayList<>(c.history());
        Assume.that(!history.isEmpty());
        // Break it, so that there is an explanation to compare.
        Operation first = history.get(0);
        history.add(Operation.get(Long.MAX_VALUE, 0, first.key(), Long.MAX_VALUE - 2, Long.MAX_VALUE - 1,
                Outcome.found(Value.of("never written"), Outcome.UNREPORTED)));
        String expected = check(history).describe();

        Collections.shuffle(history, new Random(c.seed()));

        assertThat(check(history).describe()).isEqualTo(expected);
    }

    @Property(tries = 100)
    void generatedHistoriesSurviveAnNdjsonRoundTrip(@ForAll("cases") Case c) throws IOException {
        List<Operation> history = c.history();
        StringWriter out = new StringWriter();
        HistoryNdjson.write(history, out);
        assertThat(HistoryNdjson.read(new StringReader(out.toString()))).isEqualTo(history);
    }
}
