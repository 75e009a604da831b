package io.raftline.verify;

import java.util.Collection;
import java.util.Comparator;

/** Small helpers shared by the checker and its reports. */
final class Histories {

    /** Orders operations by invocation time, then id, so reports are stable. */
    static final Comparator<Operation> BY_INVOCATION =
            Comparator.comparingLong(Operation::invokeNanos).thenComparingLong(Operation::id);

    private Histories() {
    }

    /** Returns the earliest invocation time, 0 for no operations: the origin of relative times. */
    static long origin(Collection<Operation> ops) {
        long origin = Long.MAX_VALUE;
        for (Operation op : ops) {
            origin = Math.min(origin, op.invokeNanos());
        }
        return ops.isEmpty() ? 0 : origin;
    }
}
