package io.raftline.node;

import io.raftline.kv.KvChange;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The recent changes a node applied, in log order, so that a watcher can start from a past revision or resume after
 * a reconnect without a gap. It is rebuilt at start from the log entries after the snapshot, and bounded by a count
 * and a size: when it is full the oldest whole revisions go, and a watcher asking for them is told the oldest
 * revision still held (HTTP 410), as etcd answers a watch on a compacted revision. Confined to the node's thread.
 */
final class ChangeHistory {

    private final int maxChanges;
    private final long maxBytes;
    private final ArrayDeque<KvChange> changes = new ArrayDeque<>();
    private long bytes;
    /** Every change at a revision at or above this one is held (or was never made). */
    private long firstRevision;

    /**
     * @param firstRevision the first revision the history will hold (the node's applied index + 1 at start)
     * @param maxChanges    most changes held
     * @param maxBytes      most bytes held (keys and values)
     */
    ChangeHistory(long firstRevision, int maxChanges, long maxBytes) {
        this.firstRevision = firstRevision;
        this.maxChanges = maxChanges;
        this.maxBytes = maxBytes;
    }

    /** The oldest revision whose changes are all held. */
    long firstRevision() {
        return firstRevision;
    }

    /** Appends the changes of one applied entry, dropping the oldest revisions beyond the bounds. */
    void add(List<KvChange> applied) {
        for (KvChange c : applied) {
            changes.addLast(c);
            bytes += c.sizeBytes();
        }
        while (!changes.isEmpty() && (changes.size() > maxChanges || bytes > maxBytes)) {
            long dropped = changes.peekFirst().revision();
            while (!changes.isEmpty() && changes.peekFirst().revision() == dropped) {
                bytes -= changes.pollFirst().sizeBytes();
            }
            firstRevision = dropped + 1;
        }
    }

    /**
     * The held changes from position {@code (revision, skip)} on: every change at a later revision, and those at
     * {@code revision} from position {@code skip} ({@link KvChange#seq()}) on.
     */
    List<KvChange> from(long revision, int skip) {
        ArrayDeque<KvChange> out = new ArrayDeque<>();
        for (Iterator<KvChange> it = changes.descendingIterator(); it.hasNext(); ) {
            KvChange c = it.next();
            if (c.revision() < revision) {
                break;
            }
            if (c.revision() > revision || c.seq() >= skip) {
                out.addFirst(c);
            }
        }
        return new ArrayList<>(out);
    }
}
