package io.raftline.raft.sim;

import io.raftline.raft.Entry;
import io.raftline.raft.HardState;
import io.raftline.raft.Snapshot;
import io.raftline.raft.storage.Storage;
import java.util.ArrayList;
import java.util.List;

/**
 * What one node's disk must give back when it restarts, kept independently of the storage code: the logical log
 * (snapshot, entries after it, hard state) as of the last fsync, the writes issued since (which a crash may keep
 * in part, in order, at whole-record boundaries), and the snapshot files known durable.
 *
 * <p>At a restart, {@link #checkRecovered} requires the recovered log to be exactly one of the states a correct
 * recovery may produce: the log at the last fsync plus the first {@code k} writes issued after it (for some
 * {@code k}, any of them possibly having survived a crash), with the newest durable snapshot file applied on top:
 * entries it covers move into it, and if the log does not hold the snapshot's entry (a snapshot received from
 * the leader whose WAL record was lost) the log is replaced by it. A lost synced write, a write brought back
 * after a later write removed it, or a torn record glued to the log all fail the check.
 *
 * <p>The writes are modelled the way the WAL records them, one per record: an entry (replacing the log from its
 * index on), a hard state (the last one wins), a received snapshot (replacing the whole log). Compaction writes
 * no logical change: only its snapshot file counts.
 */
final class DurableLogModel {

    /** A logical log: snapshot, the entries after it, and the hard state. */
    static final class LogState {
        Snapshot snapshot = Snapshot.EMPTY;
        ArrayList<Entry> entries = new ArrayList<>();
        HardState hardState = HardState.EMPTY;

        LogState copy() {
            LogState c = new LogState();
            c.snapshot = snapshot;
            c.entries = new ArrayList<>(entries);
            c.hardState = hardState;
            return c;
        }

        long lastIndex() {
            return snapshot.index() + entries.size();
        }

        /** Term at {@code i}, or -1 if the log does not hold it (compacted or beyond the end). */
        long termAt(long i) {
            if (i == snapshot.index()) {
                return snapshot.term();
            }
            if (i < snapshot.index() || i > lastIndex()) {
                return -1;
            }
            return entries.get((int) (i - snapshot.index() - 1)).term();
        }

        /** Entries replace the log from their first index on; entries inside the snapshot are already in it. */
        void append(List<Entry> es) {
            for (Entry e : es) {
                if (e.index() <= snapshot.index()) {
                    continue;
                }
                if (e.index() > lastIndex() + 1) {
                    throw new AssertionError("model: entry " + e.index() + " written after " + lastIndex());
                }
                int keep = (int) (e.index() - snapshot.index() - 1);
                while (entries.size() > keep) {
                    entries.remove(entries.size() - 1);
                }
                entries.add(e);
            }
        }

        /** A snapshot received from the leader replaces the whole log. */
        void install(Snapshot s) {
            snapshot = s;
            entries.clear();
        }

        /** A durable snapshot file that the records may not mention yet (see the class comment). */
        void applyFile(Snapshot f) {
            if (f.index() <= snapshot.index()) {
                return;
            }
            if (termAt(f.index()) == f.term()) {
                entries = new ArrayList<>(entries.subList((int) (f.index() - snapshot.index()), entries.size()));
            } else {
                entries.clear();
            }
            snapshot = f;
        }

        /** The hard state as recovery reports it: the commit index is never below the snapshot. */
        HardState recoveredHardState() {
            return hardState.commit() >= snapshot.index() ? hardState
                    : new HardState(hardState.term(), hardState.vote(), snapshot.index());
        }

        static LogState of(Storage s) {
            LogState l = new LogState();
            l.snapshot = s.snapshot();
            if (s.lastIndex() >= s.firstIndex()) {
                l.entries = new ArrayList<>(s.entries(s.firstIndex(), s.lastIndex() + 1, Long.MAX_VALUE));
            }
            l.hardState = s.hardState();
            return l;
        }

        boolean sameAs(LogState o) {
            return snapshot.equals(o.snapshot) && entries.equals(o.entries)
                    && recoveredHardState().equals(o.recoveredHardState());
        }

        String describe() {
            String log = entries.isEmpty() ? "no entries"
                    : entries.get(0).index() + ".." + lastIndex() + " (last " + entries.get(entries.size() - 1).describe() + ")";
            return "snapshot " + snapshot.index() + "@" + snapshot.term() + ", " + log + ", hs "
                    + recoveredHardState().term() + "/" + recoveredHardState().vote() + "/" + recoveredHardState().commit();
        }
    }

    /** One logical write, as the WAL records it. */
    private sealed interface Write {
        void applyTo(LogState s);
    }

    /** One entry record: a torn batch keeps a prefix of its entries. */
    private record OneEntry(Entry entry) implements Write {
        @Override
        public void applyTo(LogState s) {
            s.append(List.of(entry));
        }
    }

    private record Hard(HardState hardState) implements Write {
        @Override
        public void applyTo(LogState s) {
            s.hardState = hardState;
        }
    }

    private record Installed(Snapshot snapshot) implements Write {
        @Override
        public void applyTo(LogState s) {
            s.install(snapshot);
        }
    }

    private LogState synced = new LogState();
    private final List<Write> unsynced = new ArrayList<>();
    private Snapshot newestFile = Snapshot.EMPTY;
    /** A snapshot file whose save had started but not returned when the node went down (it may exist or not). */
    private Snapshot fileBeingSaved;

    /** Called before the storage is asked to write entries and a hard state (either may be absent). */
    void writing(List<Entry> entries, HardState hardState) {
        for (Entry e : entries) {
            unsynced.add(new OneEntry(e));
        }
        if (hardState != null) {
            unsynced.add(new Hard(hardState));
        }
    }

    /** Called before the storage is asked to install a snapshot received from the leader (file, then record). */
    void installing(Snapshot s) {
        fileBeingSaved = s;
        unsynced.add(new Installed(s));
    }

    /** Called before a snapshot file is written (compaction). */
    void savingFile(Snapshot s) {
        fileBeingSaved = s;
    }

    /** Called once a snapshot file save returned: the file is durable. */
    void savedFile(Snapshot s) {
        fileBeingSaved = null;
        if (newer(s, newestFile)) {
            newestFile = s;
        }
    }

    /** Called once an fsync of the WAL returned: every write issued so far is durable. */
    void synced() {
        for (Write w : unsynced) {
            w.applyTo(synced);
        }
        unsynced.clear();
    }

    /** The commit index the disk is guaranteed to give back. */
    long durableCommit() {
        return synced.recoveredHardState().commit();
    }

    /** The term the disk is guaranteed to give back (a later one may come back too, if its unsynced write survives). */
    long durableTerm() {
        return synced.recoveredHardState().term();
    }

    /** Snapshot files are ordered by name: index, then term. */
    private static boolean newer(Snapshot a, Snapshot b) {
        return a.index() != b.index() ? a.index() > b.index() : a.term() > b.term();
    }

    /**
     * Checks the log recovered at a restart (see the class comment) and makes it the new base of the model.
     *
     * @return how many writes issued after the last fsync survived the crash
     * @throws AssertionError if no correct recovery could have produced it
     */
    int checkRecovered(int node, Storage recovered) {
        LogState got = LogState.of(recovered);
        int survived = match(node, got, "recovered");
        synced = got;
        unsynced.clear();
        newestFile = got.snapshot;
        fileBeingSaved = null;
        return survived;
    }

    /**
     * Checks what a recovery from a copy of the disk taken now gives (a shadow restart, leaving the node and this
     * model untouched): the same rules as {@link #checkRecovered}.
     */
    void checkRecoverable(int node, Storage recoveredFromCopy) {
        match(node, LogState.of(recoveredFromCopy), "would recover (shadow restart from a copy of its disk)");
    }

    private int match(int node, LogState got, String what) {
        List<Snapshot> files = new ArrayList<>();
        files.add(newestFile);
        if (fileBeingSaved != null && newer(fileBeingSaved, newestFile)) {
            files.add(fileBeingSaved);
        }
        LogState prefix = synced.copy();
        List<String> expected = new ArrayList<>();
        int survived = -1;
        for (int k = 0; k <= unsynced.size() && survived < 0; k++) {
            if (k > 0) {
                unsynced.get(k - 1).applyTo(prefix);
            }
            for (Snapshot f : files) {
                LogState candidate = prefix.copy();
                candidate.applyFile(f);
                if (candidate.sameAs(got)) {
                    survived = k;
                    break;
                }
                expected.add("  " + k + " of " + unsynced.size() + " unsynced writes, file " + f.index() + "@" + f.term()
                        + ": " + candidate.describe());
            }
        }
        if (survived < 0) {
            throw new AssertionError("durability: node " + node + " " + what + " " + got.describe()
                    + ", which is not what its disk held; a correct recovery gives one of:\n"
                    + String.join("\n", expected));
        }
        return survived;
    }
}
