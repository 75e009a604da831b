package io.raftline.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.raft.Entry;
import io.raftline.raft.HardState;
import io.raftline.raft.Snapshot;
import io.raftline.raft.SnapshotMetadata;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The shared log of a sharded node under random work of its groups (entries appended and overwritten by a new term,
 * votes, compactions, snapshots received from a leader) and random crashes, against a model of what each group made
 * durable. Between operations a process kill or a power cut must give every group back exactly what it wrote;
 * inside one operation (a crash before any of its disk changes) the group at work must come back as it was before
 * or after it, and every other group exactly as it was. Small segments make rolls, and compactions that delete the
 * segments of other groups, happen all the time: what {@link SharedWalTest} checks case by case, here in every
 * order (a compaction whose own records rolled the segment it had not looked at was found this way too).
 */
class SharedWalRandomTest {

    private static final Path DIR = Path.of("/node");
    private static final int GROUPS = 3;
    private static final int SEEDS = 300;
    private static final int STEPS = 150;

    /** What one group made durable. */
    private static final class Model {
        HardState hs = HardState.EMPTY;
        long snapIndex;
        long snapTerm;
        final TreeMap<Long, Entry> log = new TreeMap<>();

        long last() {
            return log.isEmpty() ? snapIndex : log.lastKey();
        }

        long termAt(long index) {
            return index == snapIndex ? snapTerm : log.get(index).term();
        }

        Model copy() {
            Model m = new Model();
            m.hs = hs;
            m.snapIndex = snapIndex;
            m.snapTerm = snapTerm;
            m.log.putAll(log);
            return m;
        }

        static Model of(DurableStorage s) {
            Model m = new Model();
            m.hs = s.hardState();
            m.snapIndex = s.snapshot().index();
            m.snapTerm = s.snapshot().term();
            for (Entry e : s.entries(s.firstIndex(), s.lastIndex() + 1, Long.MAX_VALUE)) {
                m.log.put(e.index(), e);
            }
            return m;
        }

        boolean sameAs(Model o) {
            return hs.equals(o.hs) && snapIndex == o.snapIndex && log.equals(o.log);
        }

        @Override
        public String toString() {
            return "hs=" + hs + " snapshot=" + snapIndex + "@" + snapTerm + " log=" + log.keySet();
        }
    }

    private static Path groupDir(int g) {
        return g == 0 ? DIR : DIR.resolve("group-" + g);
    }

    private static List<DurableStorage> open(SimDisk disk, long segmentBytes) {
        SharedWal wal = SharedWal.open(disk, DIR.resolve("wal"), segmentBytes, GROUPS, s -> { });
        List<DurableStorage> groups = new ArrayList<>();
        for (int g = 0; g < GROUPS; g++) {
            groups.add(DurableStorage.open(disk, groupDir(g), wal.group(g), s -> { }));
        }
        return groups;
    }

    @Test
    void everyGroupGetsBackWhatItMadeDurableWhateverTheOtherGroupsDid() {
        long crashes = 0;
        long midOperation = 0;
        for (long seed = 1; seed <= SEEDS; seed++) {
            SplittableRandom rnd = new SplittableRandom(seed);
            long segmentBytes = new long[] {256, 512, 2048}[rnd.nextInt(3)];
            SimDisk disk = new SimDisk(seed);
            List<DurableStorage> node = open(disk, segmentBytes);
            List<Model> models = new ArrayList<>();
            for (int g = 0; g < GROUPS; g++) {
                models.add(new Model());
            }
            for (int step = 0; step < STEPS; step++) {
                String where = "seed " + seed + ", step " + step;
                int g = rnd.nextInt(GROUPS);
                Model before = models.get(g).copy();
                Model after = before.copy();
                boolean crashInside = rnd.nextInt(12) == 0;
                if (crashInside) {
                    disk.crashAfter(rnd.nextInt(6), rnd.nextBoolean());
                }
                boolean completed = true;
                List<Entry> written = new ArrayList<>();
                try {
                    operate(rnd, node.get(g), after, written);
                } catch (SimDisk.Crash crash) {
                    completed = false;
                }
                if (crashInside) {
                    disk.endCrashPoint(completed);
                } else if (rnd.nextInt(10) == 0) {
                    if (rnd.nextBoolean()) {
                        disk.powerCut();
                    } else {
                        disk.processCrash();
                    }
                } else {
                    models.set(g, after);
                    continue;
                }
                crashes++;
                node = open(disk, segmentBytes);
                for (int o = 0; o < GROUPS; o++) {
                    Model recovered = Model.of(node.get(o));
                    if (o != g || !crashInside) {
                        Model expected = o == g ? after : models.get(o);
                        assertThat(recovered.sameAs(expected)).as("%s: group %d recovered %s, made durable %s",
                                where, o, recovered, expected).isTrue();
                    } else {
                        midOperation++;
                        assertThat(recovered.sameAs(before) || recovered.sameAs(after)
                                || partlyWritten(recovered, before, written)
                                || compactedOrInstalledBetween(recovered, before, after))
                                .as("%s: group %d, crashed inside an operation, recovered %s; before %s, after %s",
                                        where, o, recovered, before, after).isTrue();
                        models.set(o, recovered);
                    }
                }
                if (!crashInside) {
                    models.set(g, after);
                }
            }
        }
        assertThat(crashes).as("crashes").isGreaterThan(SEEDS * 10L);
        assertThat(midOperation).as("crashes inside an operation").isGreaterThan(SEEDS);
    }

    /**
     * A write cut short before its fsync: a prefix of its records survived (its entries come before its hard state,
     * so the hard state is the one before), which the log replays as it replays any write, a new term's entries
     * overwriting from their first index.
     */
    private static boolean partlyWritten(Model recovered, Model before, List<Entry> written) {
        if (!recovered.hs.equals(before.hs) || recovered.snapIndex != before.snapIndex) {
            return false;
        }
        for (int k = 1; k <= written.size(); k++) {
            TreeMap<Long, Entry> log = new TreeMap<>(before.log);
            log.tailMap(written.get(0).index(), true).clear();
            for (Entry e : written.subList(0, k)) {
                log.put(e.index(), e);
            }
            if (log.equals(recovered.log)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The states a compaction or a received snapshot passes through, which a crash may leave: the hard state of
     * before or after, and the log of before seen from the snapshot of before or after (the same entries, fewer of
     * them once the snapshot covers them), or a received snapshot durable before the hard state that goes with it.
     */
    private static boolean compactedOrInstalledBetween(Model recovered, Model before, Model after) {
        if (!recovered.hs.equals(before.hs) && !recovered.hs.equals(after.hs)) {
            return false;
        }
        if (recovered.snapIndex != before.snapIndex && recovered.snapIndex != after.snapIndex) {
            return false;
        }
        Model source = recovered.snapIndex == after.snapIndex && after.log.isEmpty() ? after : before;
        return recovered.log.equals(source.log.tailMap(recovered.snapIndex, false));
    }

    /**
     * One random operation of a group, as its Raft core and host would issue it; the model is brought to what the
     * operation makes durable before the storage is called.
     */
    private static void operate(SplittableRandom rnd, DurableStorage s, Model m, List<Entry> written) {
        int kind = rnd.nextInt(10);
        long last = m.last();
        long commit = m.hs.commit();
        if (kind < 5 || m.hs.term() == 0) {
            // Entries of the current term after the last one, the commit index moving up.
            long term = Math.max(1, m.hs.term());
            List<Entry> es = entries(last + 1, last + 1 + rnd.nextInt(4), term, rnd);
            HardState hs = new HardState(term, m.hs.term() == 0 ? 1 : m.hs.vote(),
                    commit + rnd.nextLong(last + es.size() - commit + 1));
            written.addAll(es);
            write(s, m, es, hs);
        } else if (kind < 6 && last > commit) {
            // A new leader's entries overwrite uncommitted ones from some index on.
            long from = commit + 1 + rnd.nextLong(last - commit);
            long term = m.hs.term() + 1;
            List<Entry> es = entries(from, from + rnd.nextInt(3), term, rnd);
            written.addAll(es);
            write(s, m, es, new HardState(term, 1 + rnd.nextInt(3), commit));
        } else if (kind < 7) {
            // A vote in a later term, nothing else.
            write(s, m, List.of(), new HardState(m.hs.term() + 1, 1 + rnd.nextInt(3), commit));
        } else if (kind < 9 && commit > m.snapIndex) {
            // The group's own snapshot of what it applied: compaction.
            long index = m.snapIndex + 1 + rnd.nextLong(commit - m.snapIndex);
            Snapshot snap = new Snapshot(new SnapshotMetadata(index, m.termAt(index), List.of(1, 2, 3)),
                    ("state@" + index).getBytes(StandardCharsets.UTF_8));
            m.snapIndex = index;
            m.snapTerm = snap.term();
            m.log.headMap(index, true).clear();
            s.compact(snap);
            s.applyCompaction(snap);
        } else {
            // A snapshot from the leader, past everything this group holds.
            long index = Math.max(last, commit) + 1 + rnd.nextInt(5);
            long term = m.hs.term();
            Snapshot snap = new Snapshot(new SnapshotMetadata(index, term, List.of(1, 2, 3)),
                    ("leader@" + index).getBytes(StandardCharsets.UTF_8));
            HardState hs = new HardState(term, m.hs.vote(), index);
            m.snapIndex = index;
            m.snapTerm = term;
            m.log.clear();
            m.hs = hs;
            s.writeSnapshot(snap);
            s.write(List.of(), hs, true);
            s.applyWritten(snap, List.of(), hs);
        }
    }

    /** The model first: a crash inside the storage's calls leaves it as what the operation meant to make durable. */
    private static void write(DurableStorage s, Model m, List<Entry> es, HardState hs) {
        if (!es.isEmpty()) {
            m.log.tailMap(es.get(0).index(), true).clear();
            for (Entry e : es) {
                m.log.put(e.index(), e);
            }
        }
        m.hs = hs;
        s.write(es, hs, true);
        s.applyWritten(null, es, hs);
    }

    private static List<Entry> entries(long from, long to, long term, SplittableRandom rnd) {
        List<Entry> out = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            byte[] data = new byte[1 + rnd.nextInt(40)];
            rnd.nextBytes(data);
            out.add(Entry.normal(i, term, data));
        }
        return out;
    }
}
