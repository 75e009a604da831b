package io.raftline.verify;

import java.util.ArrayList;
import java.util.List;

/**
 * Writes known histories compactly in tests: ids are assigned in order, times are plain
 * numbers, values are text.
 */
final class HistoryBuilder {

    private final List<Operation> ops = new ArrayList<>();
    private long nextId = 1;

    List<Operation> ops() {
        return List.copyOf(ops);
    }

    private Operation add(Operation op) {
        ops.add(op);
        return op;
    }

    Operation put(int client, String key, String value, long invoke, long complete, long revision) {
        return add(Operation.put(nextId++, client, key, Value.of(value), invoke, complete, Outcome.written(revision)));
    }

    Operation putUnknown(int client, String key, String value, long invoke) {
        return add(Operation.put(nextId++, client, key, Value.of(value), invoke, Operation.NEVER, Outcome.unknown()));
    }

    Operation put(int client, String key, String value, long invoke, long complete, Outcome outcome) {
        return add(Operation.put(nextId++, client, key, Value.of(value), invoke, complete, outcome));
    }

    Operation cas(int client, String key, String value, long expected, long invoke, long complete, long revision) {
        return add(Operation.cas(nextId++, client, key, Value.of(value), expected, invoke, complete,
                Outcome.written(revision)));
    }

    Operation casFailed(int client, String key, String value, long expected, long invoke, long complete) {
        return add(Operation.cas(nextId++, client, key, Value.of(value), expected, invoke, complete,
                Outcome.preconditionFailed()));
    }

    Operation casFailed(int client, String key, String value, long expected, long invoke, long complete,
                        long actualRevision) {
        return add(Operation.cas(nextId++, client, key, Value.of(value), expected, invoke, complete,
                Outcome.preconditionFailed(actualRevision)));
    }

    Operation casUnknown(int client, String key, String value, long expected, long invoke) {
        return add(Operation.cas(nextId++, client, key, Value.of(value), expected, invoke, Operation.NEVER,
                Outcome.unknown()));
    }

    Operation get(int client, String key, long invoke, long complete, String value, long revision) {
        return add(Operation.get(nextId++, client, key, invoke, complete, Outcome.found(Value.of(value), revision)));
    }

    Operation get(int client, String key, long invoke, long complete, String value) {
        return get(client, key, invoke, complete, value, Outcome.UNREPORTED);
    }

    Operation getMissing(int client, String key, long invoke, long complete) {
        return add(Operation.get(nextId++, client, key, invoke, complete, Outcome.notFound()));
    }

    Operation delete(int client, String key, long invoke, long complete, int deleted, long revision) {
        return add(Operation.delete(nextId++, client, key, invoke, complete, Outcome.deleted(deleted, revision)));
    }

    Operation deleteUnknown(int client, String key, long invoke) {
        return add(Operation.delete(nextId++, client, key, invoke, Operation.NEVER, Outcome.unknown()));
    }

    /** Adds an operation built by hand, for outcomes the shorthands do not cover. */
    Operation raw(Operation op) {
        return add(op);
    }

    long nextId() {
        return nextId++;
    }
}
