package io.raftline.verify;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Linearizability of a tiny one-key history, decided the slow, obvious way, to check the
 * checker's shortcuts (pruning, subsumption, symmetry, incremental revision floors) against.
 *
 * <p>It tries every subset of the unknown-outcome operations and every order of the chosen
 * operations that respects real time, runs each order against a plain model of the key, and
 * only at the end asks whether some assignment of revisions fits: every log entry on the key
 * gets a revision, those reported or observed are fixed, and revisions strictly increase. It
 * shares no code with the checker. Like the checker, it models a 412 as a read that consumes no
 * revision, and it does not remember which revision a 412 without {@code actualRevision} ruled
 * out (tests avoid generating those).
 */
final class BruteForceOracle {

    private BruteForceOracle() {
    }

    static boolean linearizable(List<Operation> history) {
        List<Operation> known = new ArrayList<>();
        List<Operation> unknown = new ArrayList<>();
        for (Operation op : history) {
            boolean rejected = op.outcome() instanceof Outcome.Failed f && f.cause() == Outcome.Cause.REJECTED;
            if (rejected || (op.kind() == OpKind.GET && op.outcomeUnknown())) {
                continue;
            }
            (op.outcomeUnknown() ? unknown : known).add(op);
        }
        for (int mask = 0; mask < 1 << unknown.size(); mask++) {
            List<Operation> chosen = new ArrayList<>(known);
            for (int i = 0; i < unknown.size(); i++) {
                if ((mask & 1 << i) != 0) {
                    chosen.add(unknown.get(i));
                }
            }
            if (someOrderWorks(chosen, new ArrayList<>(), new boolean[chosen.size()])) {
                return true;
            }
        }
        return false;
    }

    private static boolean someOrderWorks(List<Operation> ops, List<Operation> order, boolean[] used) {
        if (order.size() == ops.size()) {
            return legal(order);
        }
        for (int i = 0; i < ops.size(); i++) {
            if (used[i] || !mayGoNext(ops, used, ops.get(i))) {
                continue;
            }
            used[i] = true;
            order.add(ops.get(i));
            boolean works = someOrderWorks(ops, order, used);
            order.remove(order.size() - 1);
            used[i] = false;
            if (works) {
                return true;
            }
        }
        return false;
    }

    /** No unplaced operation completed strictly before {@code next} was invoked. */
    private static boolean mayGoNext(List<Operation> ops, boolean[] used, Operation next) {
        for (int j = 0; j < ops.size(); j++) {
            Operation other = ops.get(j);
            if (!used[j] && other != next && other.completeNanos() < next.invokeNanos()) {
                return false;
            }
        }
        return true;
    }

    /** A log entry on the key; {@code values} are the revisions it was reported or seen with. */
    private static final class Entry {
        final Set<Long> values = new HashSet<>();
    }

    private static boolean legal(List<Operation> order) {
        boolean present = false;
        Value value = null;
        Entry current = null;
        List<Entry> entries = new ArrayList<>();
        for (Operation op : order) {
            Outcome out = op.outcome();
            switch (op.kind()) {
                case GET -> {
                    Outcome.Ok ok = (Outcome.Ok) out;
                    if (ok.found() != present || ok.found() && !ok.value().equals(value)) {
                        return false;
                    }
                    if (ok.found() && ok.revisionReported()) {
                        current.values.add(ok.revision());
                    }
                }
                case PUT, CAS -> {
                    long e = op.expectedRevision();
                    if (out instanceof Outcome.Failed f) {
                        if (f.actualRevisionReported()) {
                            if ((f.actualRevision() > 0) != present) {
                                return false;
                            }
                            if (present) {
                                current.values.add(f.actualRevision());
                                if (f.actualRevision() == e) {
                                    return false;
                                }
                            }
                        }
                        if (e == -1 || e == 0 && !present) {
                            return false;
                        }
                        continue;
                    }
                    if (e == 0 && present || e > 0 && !present) {
                        return false;
                    }
                    if (e > 0) {
                        current.values.add(e);
                    }
                    Entry entry = new Entry();
                    if (out instanceof Outcome.Ok ok && ok.revisionReported()) {
                        entry.values.add(ok.revision());
                    }
                    entries.add(entry);
                    present = true;
                    value = op.value();
                    current = entry;
                }
                case DELETE -> {
                    if (out instanceof Outcome.Failed) {
                        return false;
                    }
                    Entry entry = new Entry();
                    if (out instanceof Outcome.Ok ok) {
                        if ((ok.deleted() == 1) != present) {
                            return false;
                        }
                        if (ok.revisionReported()) {
                            entry.values.add(ok.revision());
                        }
                    }
                    entries.add(entry);
                    present = false;
                    value = null;
                    current = null;
                }
            }
        }
        return revisionsFit(entries);
    }

    /**
     * Entry i (from 1) needs a revision of at least i, and revisions strictly increase, so two
     * fixed revisions at positions i &lt; j need {@code x_j - x_i >= j - i}.
     */
    private static boolean revisionsFit(List<Entry> entries) {
        long lastValue = 0;
        int lastPosition = 0;
        for (int i = 0; i < entries.size(); i++) {
            Set<Long> values = entries.get(i).values;
            if (values.size() > 1) {
                return false;
            }
            if (values.size() == 1) {
                long x = values.iterator().next();
                int position = i + 1;
                if (x - lastValue < position - lastPosition) {
                    return false;
                }
                lastValue = x;
                lastPosition = position;
            }
        }
        return true;
    }
}
