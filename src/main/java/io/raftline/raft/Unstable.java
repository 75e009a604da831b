package io.raftline.raft;

import java.util.ArrayList;
import java.util.List;

/**
 * Entries (and possibly a snapshot) the core has accepted but the host has not yet reported persisted.
 * They are handed to the host in the next Ready and dropped from here by {@link #stableTo} once the host
 * calls {@code advance()}. Element {@code i} of {@link #entries} has index {@code offset + i}.
 */
final class Unstable {

    Snapshot snapshot;
    final ArrayList<Entry> entries = new ArrayList<>();
    long offset;

    Unstable(long offset) {
        this.offset = offset;
    }

    /** First index if a snapshot is pending, else -1. */
    long maybeFirstIndex() {
        return snapshot != null ? snapshot.index() + 1 : -1;
    }

    /** Last index held here (entry or snapshot), else -1. */
    long maybeLastIndex() {
        if (!entries.isEmpty()) {
            return offset + entries.size() - 1;
        }
        return snapshot != null ? snapshot.index() : -1;
    }

    /** Term at {@code i} if held here, else -1. */
    long maybeTerm(long i) {
        if (i < offset) {
            return snapshot != null && snapshot.index() == i ? snapshot.term() : -1;
        }
        long last = maybeLastIndex();
        if (last < 0 || i > last) {
            return -1;
        }
        return entries.get((int) (i - offset)).term();
    }

    void stableTo(long i, long t) {
        long gt = maybeTerm(i);
        // Only if the entry is still the one that was persisted: a newer leader may have replaced it since.
        if (gt == t && i >= offset) {
            entries.subList(0, (int) (i + 1 - offset)).clear();
            offset = i + 1;
        }
    }

    void stableSnapTo(long i) {
        if (snapshot != null && snapshot.index() == i) {
            snapshot = null;
        }
    }

    void restore(Snapshot s) {
        offset = s.index() + 1;
        entries.clear();
        snapshot = s;
    }

    void truncateAndAppend(List<Entry> ents) {
        long after = ents.get(0).index();
        if (after == offset + entries.size()) {
            entries.addAll(ents);
        } else if (after <= offset) {
            // Replaces everything unstable; the host will overwrite the storage tail from `after` on.
            offset = after;
            entries.clear();
            entries.addAll(ents);
        } else {
            entries.subList((int) (after - offset), entries.size()).clear();
            entries.addAll(ents);
        }
    }

    List<Entry> slice(long lo, long hi) {
        return new ArrayList<>(entries.subList((int) (lo - offset), (int) (hi - offset)));
    }
}
