package io.raftline.raft;

import io.raftline.raft.storage.Storage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The log as the core sees it: stable storage followed by the unstable tail, with the commit and
 * applied indexes. It enforces the invariants the rest of the core relies on: committed entries are never
 * truncated, the commit index never goes backwards, and applied never passes commit.
 *
 * <p>It also tracks the membership in effect (Raft thesis §4.1: the latest CONFIG entry in the log, committed or
 * not, else the snapshot's membership, else the bootstrap one): every append and truncation goes through
 * {@link #append} and every snapshot through {@link #restore}, so the history of memberships by index can never
 * disagree with the entries.
 *
 * <p>Only the core changes it: its mutators are package-private, so what {@link RaftCore#log()} hands to a host
 * or a test is a read-only view (indexes, terms, entries).
 */
public final class RaftLog {

    private final Storage storage;
    private final Unstable unstable;
    private long committed;
    private long applied;
    private final Membership bootstrap;
    /**
     * Memberships by the index they take effect at: the base (snapshot or bootstrap) at {@code firstIndex() - 1},
     * then one per CONFIG entry in the log. Config entries are rare, so nothing is trimmed at compaction.
     */
    private final TreeMap<Long, Membership> configs = new TreeMap<>();

    /**
     * Opens the log over what storage holds; commit and applied start at the snapshot index. The membership is
     * rebuilt by scanning the log after the snapshot for CONFIG entries.
     *
     * @param bootstrap the membership from the configuration, used while neither the log nor a snapshot has one
     */
    RaftLog(Storage storage, Membership bootstrap) {
        this.storage = storage;
        this.bootstrap = bootstrap;
        long first = storage.firstIndex();
        this.unstable = new Unstable(storage.lastIndex() + 1);
        this.committed = first - 1;
        this.applied = first - 1;
        resetConfigs(first - 1, storage.snapshot().metadata().membership());
        long last = storage.lastIndex();
        for (long i = first; i <= last;) {
            List<Entry> chunk = storage.entries(i, last + 1, 64L * 1024 * 1024);
            recordConfigs(chunk);
            i += chunk.size();
        }
    }

    private void resetConfigs(long index, Membership fromSnapshot) {
        configs.clear();
        // A snapshot always records a membership; an empty one is a snapshot written before memberships existed.
        configs.put(index, fromSnapshot.isEmpty() ? bootstrap : fromSnapshot);
    }

    private void recordConfigs(List<Entry> ents) {
        for (Entry e : ents) {
            if (e.type() == EntryType.CONFIG) {
                configs.put(e.index(), Membership.decode(e.data()));
            }
        }
    }

    /** The membership in effect: the latest in the log (committed or not), else the snapshot's, else bootstrap. */
    public Membership membership() {
        return configs.lastEntry().getValue();
    }

    /**
     * Index of the CONFIG entry the membership in effect comes from; the snapshot index if it comes from the
     * snapshot, 0 for the bootstrap membership of a log without snapshot.
     */
    public long configIndex() {
        return configs.lastKey();
    }

    /**
     * The membership in effect at {@code index}: what a snapshot taken at that index must record. Below the
     * oldest known point (before the snapshot this log started from) it answers the oldest known membership.
     */
    public Membership membershipAt(long index) {
        Map.Entry<Long, Membership> e = configs.floorEntry(index);
        return e != null ? e.getValue() : configs.firstEntry().getValue();
    }

    /**
     * Index of the CONFIG entry the membership in effect at {@code index} comes from ({@link #membershipAt}), with the
     * same conventions as {@link #configIndex()}.
     */
    public long configIndexAt(long index) {
        Long at = configs.floorKey(index);
        return at != null ? at : configs.firstKey();
    }

    public long committed() {
        return committed;
    }

    public long applied() {
        return applied;
    }

    public long firstIndex() {
        long i = unstable.maybeFirstIndex();
        return i >= 0 ? i : storage.firstIndex();
    }

    public long lastIndex() {
        long i = unstable.maybeLastIndex();
        return i >= 0 ? i : storage.lastIndex();
    }

    /** The last index the host has reported durable. */
    public long stableLastIndex() {
        return unstable.entries.isEmpty() ? lastIndex() : unstable.offset - 1;
    }

    public long lastTerm() {
        return term(lastIndex());
    }

    /**
     * Term of the entry at {@code i}, or -1 if {@code i} is outside {@code [firstIndex() - 1, lastIndex()]}
     * (compacted away or not yet written).
     */
    public long term(long i) {
        if (i < firstIndex() - 1 || i > lastIndex()) {
            return -1;
        }
        long t = unstable.maybeTerm(i);
        return t >= 0 ? t : storage.term(i);
    }

    public boolean matchTerm(long i, long t) {
        long term = term(i);
        return term >= 0 && term == t;
    }

    /** Raft §5.4.1: is a log ending at {@code lastIndex@lastTerm} at least as up to date as ours? */
    public boolean isUpToDate(long lastIndex, long lastTerm) {
        long ourTerm = lastTerm();
        return lastTerm > ourTerm || (lastTerm == ourTerm && lastIndex >= lastIndex());
    }

    /**
     * The follower side of AppendEntries: if our entry at {@code prevIndex} has {@code prevTerm}, append
     * {@code ents} (truncating only a conflicting suffix) and advance the commit index to
     * {@code min(leaderCommit, last new index)}.
     *
     * @return the last index known to match the leader, or -1 if the consistency check failed
     */
    long maybeAppend(long prevIndex, long prevTerm, long leaderCommit, List<Entry> ents) {
        if (!matchTerm(prevIndex, prevTerm)) {
            return -1;
        }
        long lastNew = prevIndex + ents.size();
        long ci = findConflict(ents);
        if (ci != 0) {
            if (ci <= committed) {
                throw new IllegalStateException("entry " + ci + " conflicts with committed entry (committed "
                        + committed + ")");
            }
            append(ents.subList((int) (ci - (prevIndex + 1)), ents.size()));
        }
        // Only up to lastNew: entries past it may still be from a stale leader (Figure 2, rule 5).
        commitTo(Math.min(leaderCommit, lastNew));
        return lastNew;
    }

    /** Appends entries to the unstable tail, replacing any suffix from the first new index on. */
    long append(List<Entry> ents) {
        if (ents.isEmpty()) {
            return lastIndex();
        }
        long after = ents.get(0).index() - 1;
        if (after < committed) {
            throw new IllegalStateException("append after " + after + " would truncate committed " + committed);
        }
        unstable.truncateAndAppend(ents);
        // Config entries from the first new index on are gone with the entries they were in (§4.1: a node reverts
        // to the previous membership); the new entries may bring others.
        configs.tailMap(ents.get(0).index(), true).clear();
        recordConfigs(ents);
        return lastIndex();
    }

    /**
     * The index of the first entry in {@code ents} that is missing from our log or has a different term,
     * or 0 if all are present. Entries already present are not re-appended, which keeps a delayed,
     * duplicate AppendEntries from truncating newer entries.
     */
    long findConflict(List<Entry> ents) {
        for (Entry e : ents) {
            if (!matchTerm(e.index(), e.term())) {
                return e.index();
            }
        }
        return 0;
    }

    /**
     * Fast backtracking: the largest index {@code <= index} whose term is {@code <= term}, and that term.
     * The leader uses it to skip every entry of a conflicting term in one round trip. Returns
     * {@code {index, term}}; stops at the first index we can no longer see (compacted).
     */
    long[] findConflictByTerm(long index, long term) {
        long i = index;
        while (i > 0) {
            long t = term(i);
            if (t < 0) {
                // Compacted or beyond the end: below firstIndex-1 we know nothing, above we skip down.
                if (i > lastIndex()) {
                    i = lastIndex();
                    continue;
                }
                return new long[] {i, 0};
            }
            if (t <= term) {
                return new long[] {i, t};
            }
            i--;
        }
        return new long[] {0, 0};
    }

    /** Entries not yet reported persisted. */
    List<Entry> unstableEntries() {
        return new ArrayList<>(unstable.entries);
    }

    /** A snapshot received from the leader and not yet reported installed, or null. */
    Snapshot unstableSnapshot() {
        return unstable.snapshot;
    }

    boolean hasUnstable() {
        return !unstable.entries.isEmpty() || unstable.snapshot != null;
    }

    /** Committed entries not yet handed to the state machine, at most {@code maxBytes} (at least one). */
    List<Entry> nextCommittedEntries(long maxBytes) {
        long off = Math.max(applied + 1, firstIndex());
        if (committed + 1 > off) {
            return slice(off, committed + 1, maxBytes);
        }
        return List.of();
    }

    boolean hasNextCommittedEntries() {
        return committed + 1 > Math.max(applied + 1, firstIndex());
    }

    /** The snapshot to send to a follower that needs compacted entries. */
    public Snapshot snapshot() {
        return unstable.snapshot != null ? unstable.snapshot : storage.snapshot();
    }

    /** Entries from {@code i} on, at most {@code maxBytes} (at least one if any). */
    public List<Entry> entries(long i, long maxBytes) {
        if (i > lastIndex()) {
            return List.of();
        }
        return slice(i, lastIndex() + 1, maxBytes);
    }

    void commitTo(long toCommit) {
        if (toCommit > committed) {
            if (toCommit > lastIndex()) {
                throw new IllegalStateException("commit " + toCommit + " is beyond the last index " + lastIndex());
            }
            committed = toCommit;
        }
    }

    /** Leader commit rule (§5.4.2): only an entry of the current term is committed by counting replicas. */
    boolean maybeCommit(long maxIndex, long term) {
        if (maxIndex > committed && term(maxIndex) == term) {
            commitTo(maxIndex);
            return true;
        }
        return false;
    }

    void appliedTo(long i) {
        if (i == 0 || i <= applied) {
            return;
        }
        if (i > committed) {
            throw new IllegalStateException("applied " + i + " is beyond committed " + committed);
        }
        applied = i;
    }

    void stableTo(long i, long t) {
        unstable.stableTo(i, t);
    }

    void stableSnapTo(long i) {
        unstable.stableSnapTo(i);
    }

    /** Replaces the log with a snapshot from the leader: everything up to its index is committed. */
    void restore(Snapshot s) {
        committed = s.index();
        unstable.restore(s);
        resetConfigs(s.index(), s.metadata().membership());
    }

    /** After the host installed a snapshot, the state machine is at its index. */
    void appliedSnapshot(long index) {
        if (index > applied) {
            applied = index;
        }
    }

    /** Sets the commit index loaded from the hard state at restart. */
    void restoreCommit(long commit) {
        if (commit < committed || commit > lastIndex()) {
            throw new IllegalStateException("persisted commit " + commit + " is outside [" + committed + ", "
                    + lastIndex() + "]");
        }
        committed = commit;
    }

    /** Restores the applied index at restart (the host's state machine is at this index). */
    void restoreApplied(long index) {
        if (index < firstIndex() - 1 || index > committed) {
            throw new IllegalStateException("applied " + index + " is outside [" + (firstIndex() - 1) + ", "
                    + committed + "]");
        }
        applied = index;
    }

    private List<Entry> slice(long lo, long hi, long maxBytes) {
        if (lo < firstIndex()) {
            throw new IllegalStateException("slice from " + lo + " is compacted (first " + firstIndex() + ")");
        }
        if (hi > lastIndex() + 1) {
            throw new IllegalStateException("slice to " + hi + " is beyond " + (lastIndex() + 1));
        }
        List<Entry> out = new ArrayList<>();
        if (lo < unstable.offset) {
            long end = Math.min(hi, unstable.offset);
            out.addAll(storage.entries(lo, end, maxBytes));
            if (out.size() < end - lo) {
                return out; // size limit reached inside storage
            }
        }
        if (hi > unstable.offset) {
            long size = 0;
            for (Entry e : out) {
                size += e.sizeBytes();
            }
            for (long i = Math.max(lo, unstable.offset); i < hi; i++) {
                Entry e = unstable.entries.get((int) (i - unstable.offset));
                size += e.sizeBytes();
                if (!out.isEmpty() && size > maxBytes) {
                    break;
                }
                out.add(e);
            }
        }
        return out;
    }
}
