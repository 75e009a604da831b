package io.raftline.verify.nemesis;

import io.raftline.verify.OpKind;
import io.raftline.verify.Operation;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Collects the history of a run from every client thread: operation ids, the one clock all intervals are
 * measured with ({@link System#nanoTime()} of this JVM), the operations, and how every request ended (including
 * the ones left out of the history) for the report. Thread-safe.
 */
public final class HistoryRecorder {

    /** Operations by invocation time, then id. */
    public static final Comparator<Operation> BY_INVOCATION =
            Comparator.comparingLong(Operation::invokeNanos).thenComparingLong(Operation::id);

    private final AtomicLong ids = new AtomicLong();
    private final ConcurrentLinkedQueue<Operation> operations = new ConcurrentLinkedQueue<>();
    private final Map<String, LongAdder> answers = new ConcurrentHashMap<>();
    private final Set<String> keys = ConcurrentHashMap.newKeySet();
    private final LongAdder retries = new LongAdder();
    private final Map<Long, String> notes = new ConcurrentHashMap<>();

    /**
     * The clock of every invocation and completion time.
     *
     * @return {@link System#nanoTime()}
     */
    public long now() {
        return System.nanoTime();
    }

    /**
     * A fresh operation id.
     *
     * @return unique in this recorder, from 1
     */
    public long nextId() {
        return ids.incrementAndGet();
    }

    /**
     * Adds a completed (or unknown) operation.
     *
     * @param op the operation
     */
    public void record(Operation op) {
        operations.add(op);
        keys.add(op.key());
    }

    /**
     * Counts how one request ended.
     *
     * @param kind  its kind
     * @param label the classification ({@link OutcomeMapping.Meaning#label()}), with {@code (retried)} when a
     *              retry decided it
     */
    public void count(OpKind kind, String label) {
        count(kind.wireName(), label);
    }

    /**
     * Counts how one request ended.
     *
     * @param request what was asked, e.g. {@code get lease} ({@link KvRequest#statsName()})
     * @param label   the classification
     */
    public void count(String request, String label) {
        answers.computeIfAbsent(request + " " + label, k -> new LongAdder()).increment();
    }

    /**
     * Remembers something about one operation that the history format has no room for (a lease read, the node
     * that served it), for the report to show beside the operation when a violation names it.
     *
     * @param id   the operation's id
     * @param note a short phrase
     */
    public void note(long id, String note) {
        notes.put(id, note);
    }

    /**
     * The notes on operations.
     *
     * @return operation id → note
     */
    public Map<Long, String> notes() {
        return new TreeMap<>(notes);
    }

    /** Counts one retry of a write whose outcome was unknown. */
    public void retried() {
        retries.increment();
    }

    /**
     * The operations recorded so far, by invocation time.
     *
     * @return a new list
     */
    public List<Operation> history() {
        List<Operation> list = new ArrayList<>(operations);
        list.sort(BY_INVOCATION);
        return list;
    }

    /**
     * Every key an operation was recorded on.
     *
     * @return the keys, sorted
     */
    public Set<String> keys() {
        return new TreeSet<>(keys);
    }

    /**
     * How requests ended, by {@code "<kind> <label>"}.
     *
     * @return the counts, sorted by name
     */
    public Map<String, Long> answers() {
        Map<String, Long> out = new TreeMap<>();
        answers.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    /**
     * Retries of unknown writes.
     *
     * @return the count
     */
    public long retries() {
        return retries.sum();
    }
}
