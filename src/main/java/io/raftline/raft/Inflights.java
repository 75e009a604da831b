package io.raftline.raft;

/**
 * The last indexes of AppendEntries sent to one follower and not yet acknowledged, as a ring buffer.
 * Bounding it is the pipelining limit: a leader keeps at most {@code capacity} appends in flight, so a
 * slow follower cannot make it buffer without bound.
 */
final class Inflights {

    private final long[] buffer;
    private int start;
    private int count;

    Inflights(int capacity) {
        this.buffer = new long[capacity];
    }

    boolean full() {
        return count == buffer.length;
    }

    int count() {
        return count;
    }

    void add(long lastIndex) {
        if (full()) {
            throw new IllegalStateException("inflights full");
        }
        buffer[(start + count) % buffer.length] = lastIndex;
        count++;
    }

    /** Frees every in-flight append whose last index is {@code <= index} (they were acknowledged). */
    void freeLE(long index) {
        while (count > 0 && buffer[start] <= index) {
            start = (start + 1) % buffer.length;
            count--;
        }
    }

    /** Frees the oldest slot: a heartbeat answer shows the follower is alive, so let one more append out. */
    void freeFirstOne() {
        if (count > 0) {
            start = (start + 1) % buffer.length;
            count--;
        }
    }

    void reset() {
        start = 0;
        count = 0;
    }
}
