package io.raftline.verify;

import io.raftline.kv.KvCommand;
import io.raftline.kv.KvEntry;
import io.raftline.kv.KvResult;
import io.raftline.kv.KvStateMachine;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Random;

/**
 * Generates histories that are linearizable by construction: concurrent clients' requests are
 * executed one at a time, in the order of a hidden linearization point inside each request's
 * interval, by the real {@link KvStateMachine}, so revisions are genuine log indexes (with gaps
 * for no-ops and failed entries). Some requests time out (unknown outcome): their effect lands
 * whenever, possibly long after the client moved on, or never.
 */
final class HistoryGenerator {

    /**
     * What to generate.
     *
     * @param clients          concurrent clients, each issuing one request at a time
     * @param keys             distinct keys
     * @param operations       requests in all
     * @param unknownRate      share of requests whose answer is lost
     * @param reportRate       share of answers whose revision the client records
     * @param uniqueValues     every write writes a fresh value; otherwise values repeat
     */
    record Config(int clients, int keys, int operations, double unknownRate, double reportRate,
                  boolean uniqueValues) {
    }

    private static final long LATENCY = 1_000;

    private final Random random;
    private final Config config;
    private final KvStateMachine store = new KvStateMachine(0);
    private long index;

    private HistoryGenerator(long seed, Config config) {
        this.random = new Random(seed);
        this.config = config;
    }

    static List<Operation> generate(long seed, Config config) {
        return new HistoryGenerator(seed, config).run();
    }

    /** A request being scheduled: its interval and hidden linearization point, if it has one. */
    private static final class Slot {
        final long id;
        final int client;
        final long invoke;
        final long complete;
        final long point;
        final boolean takesEffect;

        Slot(long id, int client, long invoke, long complete, long point, boolean takesEffect) {
            this.id = id;
            this.client = client;
            this.invoke = invoke;
            this.complete = complete;
            this.point = point;
            this.takesEffect = takesEffect;
        }
    }

    private List<Operation> run() {
        List<Slot> slots = schedule();
        // Execute at the linearization points; requests that never take effect pick their inputs
        // at the same moment they would have, but change nothing.
        slots.sort(Comparator.comparingLong((Slot s) -> s.point).thenComparingLong(s -> s.id));
        List<Operation> ops = new ArrayList<>(slots.size());
        for (Slot slot : slots) {
            ops.add(execute(slot));
        }
        ops.sort(Comparator.comparingLong(Operation::id));
        return ops;
    }

    private List<Slot> schedule() {
        PriorityQueue<long[]> next = new PriorityQueue<>(Comparator.<long[]>comparingLong(a -> a[0])
                .thenComparingLong(a -> a[1]));
        for (int c = 0; c < config.clients(); c++) {
            next.add(new long[] {randomBetween(0, LATENCY), c});
        }
        List<Slot> slots = new ArrayList<>();
        for (long id = 1; id <= config.operations(); id++) {
            long[] client = next.poll();
            long invoke = client[0];
            int c = (int) client[1];
            boolean unknown = random.nextDouble() < config.unknownRate();
            long point;
            long complete;
            long free;
            boolean takesEffect = true;
            if (unknown) {
                complete = Operation.NEVER;
                takesEffect = random.nextInt(3) > 0;
                // The effect may land long after the client gave up (a slow or deposed leader).
                point = invoke + randomBetween(0, random.nextBoolean() ? LATENCY : 20 * LATENCY);
                free = invoke + 2 * LATENCY;
            } else {
                point = invoke + randomBetween(0, LATENCY);
                complete = point + randomBetween(0, LATENCY);
                free = complete;
            }
            slots.add(new Slot(id, c, invoke, complete, point, takesEffect));
            next.add(new long[] {free + randomBetween(0, LATENCY / 2), c});
        }
        return slots;
    }

    private Operation execute(Slot s) {
        String key = "k" + random.nextInt(config.keys());
        int dice = random.nextInt(100);
        Outcome outcome;
        if (dice < 40) {
            outcome = s.complete == Operation.NEVER ? Outcome.unknown() : read(key);
            return Operation.get(s.id, s.client, key, s.invoke, s.complete, outcome);
        }
        if (dice < 55) {
            outcome = s.takesEffect ? delete(key) : null;
            return Operation.delete(s.id, s.client, key, s.invoke, s.complete, outcome(s, outcome));
        }
        String value = config.uniqueValues() ? "v" + s.id : "v" + random.nextInt(3);
        boolean cas = dice >= 75;
        long expected = cas ? expectedRevision(key) : Operation.UNCONDITIONAL;
        if (s.complete != Operation.NEVER && random.nextInt(50) == 0) {
            // Refused as invalid (400): it never reached the log.
            outcome = Outcome.rejected();
        } else {
            outcome = outcome(s, s.takesEffect ? write(key, value, expected) : null);
        }
        return new Operation(s.id, s.client, cas ? OpKind.CAS : OpKind.PUT, key, Value.of(value), expected,
                s.invoke, s.complete, outcome);
    }

    private static Outcome outcome(Slot s, Outcome observed) {
        return s.complete == Operation.NEVER ? Outcome.unknown() : observed;
    }

    private Outcome read(String key) {
        Optional<KvEntry> entry = store.get(key);
        return entry.isEmpty()
                ? Outcome.notFound()
                : Outcome.found(Value.of(entry.get().value()), reported(entry.get().modRevision()));
    }

    private long expectedRevision(String key) {
        Optional<KvEntry> entry = store.get(key);
        int dice = random.nextInt(10);
        if (dice < 5) {
            return entry.map(KvEntry::modRevision).orElse(Operation.MUST_NOT_EXIST);
        }
        if (dice < 7) {
            return Operation.MUST_NOT_EXIST;
        }
        return randomBetween(1, Math.max(1, index + 1));
    }

    private Outcome write(String key, String value, long expected) {
        KvResult result = store.apply(nextIndex(),
                new KvCommand.Put(key, value.getBytes(StandardCharsets.UTF_8), expected, null));
        if (result instanceof KvResult.Written w) {
            return Outcome.written(reported(w.revision()));
        }
        KvResult.PreconditionFailed failed = (KvResult.PreconditionFailed) result;
        return random.nextBoolean() ? Outcome.preconditionFailed(failed.actualRevision()) : Outcome.preconditionFailed();
    }

    private Outcome delete(String key) {
        KvResult.Deleted result = (KvResult.Deleted) store.apply(nextIndex(), new KvCommand.Delete(key));
        return Outcome.deleted(result.deleted(), reported(result.revision()));
    }

    /** The next log index, sometimes after no-ops that belong to no key. */
    private long nextIndex() {
        if (random.nextInt(5) == 0) {
            long gap = randomBetween(1, 3);
            for (long i = 0; i < gap; i++) {
                store.applyNoop(++index);
            }
        }
        return ++index;
    }

    private long reported(long revision) {
        return random.nextDouble() < config.reportRate() ? revision : Outcome.UNREPORTED;
    }

    private long randomBetween(long min, long max) {
        return min + (long) (random.nextDouble() * (max - min + 1));
    }
}
