package io.raftline.raft.storage;

import io.raftline.raft.Entry;
import io.raftline.raft.HardState;
import io.raftline.raft.Membership;
import io.raftline.raft.Snapshot;
import io.raftline.raft.SnapshotMetadata;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * {@link Storage} held in memory. The simulator uses it as the "disk" that survives a crash; the durable
 * store keeps one as its cache of the log tail. Not thread-safe: one owner.
 *
 * <p>The log is kept as a list whose element {@code i} is the entry at {@code snapshotIndex + 1 + i}.
 */
public final class MemoryStorage implements Storage {

    private HardState hardState = HardState.EMPTY;
    private Snapshot snapshot = Snapshot.EMPTY;
    private final ArrayList<Entry> entries = new ArrayList<>();

    @Override
    public HardState hardState() {
        return hardState;
    }

    /** Records the hard state (the host calls this while handling a Ready). */
    public void setHardState(HardState hs) {
        this.hardState = Objects.requireNonNull(hs);
    }

    @Override
    public Snapshot snapshot() {
        return snapshot;
    }

    @Override
    public long firstIndex() {
        return snapshot.index() + 1;
    }

    @Override
    public long lastIndex() {
        return snapshot.index() + entries.size();
    }

    @Override
    public long term(long index) {
        long offset = snapshot.index();
        if (index < offset) {
            throw new LogCompactedException(index, firstIndex());
        }
        if (index > lastIndex()) {
            throw new LogUnavailableException(index, lastIndex());
        }
        return index == offset ? snapshot.term() : entries.get((int) (index - offset - 1)).term();
    }

    @Override
    public List<Entry> entries(long lo, long hi, long maxBytes) {
        if (lo < firstIndex()) {
            throw new LogCompactedException(lo, firstIndex());
        }
        if (hi > lastIndex() + 1) {
            throw new LogUnavailableException(hi - 1, lastIndex());
        }
        List<Entry> out = new ArrayList<>((int) Math.min(hi - lo, 64));
        long size = 0;
        for (long i = lo; i < hi; i++) {
            Entry e = entries.get((int) (i - firstIndex()));
            size += e.sizeBytes();
            if (!out.isEmpty() && size > maxBytes) {
                break;
            }
            out.add(e);
        }
        return out;
    }

    /**
     * Appends entries, first discarding any existing entries from the first new index on (a new leader
     * overwrote them). Entries already covered by the snapshot are skipped.
     */
    public void append(List<Entry> newEntries) {
        if (newEntries.isEmpty()) {
            return;
        }
        long first = firstIndex();
        int skip = 0;
        while (skip < newEntries.size() && newEntries.get(skip).index() < first) {
            skip++;
        }
        if (skip == newEntries.size()) {
            return;
        }
        long start = newEntries.get(skip).index();
        if (start > lastIndex() + 1) {
            throw new IllegalArgumentException("gap in log: appending " + start + " after " + lastIndex());
        }
        int keep = (int) (start - first);
        while (entries.size() > keep) {
            entries.remove(entries.size() - 1);
        }
        for (int i = skip; i < newEntries.size(); i++) {
            Entry e = newEntries.get(i);
            if (e.index() != lastIndex() + 1) {
                throw new IllegalArgumentException("entries not contiguous at " + e.index());
            }
            entries.add(e);
        }
    }

    /** Replaces the whole state with a snapshot received from the leader. */
    public void applySnapshot(Snapshot s) {
        if (s.index() < snapshot.index()) {
            throw new IllegalArgumentException("snapshot " + s.index() + " is older than " + snapshot.index());
        }
        snapshot = s;
        entries.clear();
    }

    /**
     * Records a snapshot the host took of its state machine at {@code index} (which must be in the log)
     * and discards the entries it covers.
     */
    public Snapshot createSnapshotAndCompact(long index, List<Integer> voters, byte[] data) {
        return createSnapshotAndCompact(index, Membership.ofVoters(voters), data);
    }

    /**
     * Records a snapshot the host took of its state machine at {@code index} (which must be in the log), taken
     * under {@code membership}, and discards the entries it covers.
     */
    public Snapshot createSnapshotAndCompact(long index, Membership membership, byte[] data) {
        if (index <= snapshot.index()) {
            return snapshot;
        }
        if (index > lastIndex()) {
            throw new IllegalArgumentException("snapshot index " + index + " beyond last index " + lastIndex());
        }
        Snapshot s = new Snapshot(SnapshotMetadata.of(index, term(index), membership), data);
        int drop = (int) (index - snapshot.index());
        entries.subList(0, drop).clear();
        entries.trimToSize();
        snapshot = s;
        return s;
    }

    /**
     * Records a snapshot the host already built and made durable, dropping the entries it covers and
     * keeping the ones after it (unlike {@link #applySnapshot}, which replaces the whole log).
     */
    public void compactTo(Snapshot s) {
        if (s.index() <= snapshot.index()) {
            return;
        }
        if (s.index() > lastIndex()) {
            entries.clear();
        } else {
            entries.subList(0, (int) (s.index() - snapshot.index())).clear();
        }
        entries.trimToSize();
        snapshot = s;
    }

    /** Total bytes of the entries held (for log size limits). */
    public long sizeBytes() {
        long n = 0;
        for (Entry e : entries) {
            n += e.sizeBytes();
        }
        return n;
    }
}
