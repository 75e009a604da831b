package io.raftline.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.raftline.raft.Entry;
import io.raftline.raft.EntryType;
import io.raftline.raft.HardState;
import io.raftline.raft.Membership;
import io.raftline.raft.MembershipChange;
import io.raftline.raft.MembershipChangeException;
import io.raftline.raft.RaftConfig;
import io.raftline.raft.RaftCore;
import io.raftline.raft.SerializationException;
import io.raftline.raft.Snapshot;
import io.raftline.raft.SnapshotMetadata;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Memberships survive a restart: CONFIG entries round-trip through the WAL (recovery rebuilds the membership by
 * reading the log after the snapshot), snapshot files keep their learners, and files written before either existed
 * still read.
 */
class MembershipPersistenceTest {

    @TempDir
    Path dir;

    private static final Membership WITH_LEARNER = new Membership(List.of(1, 2, 3), List.of(4));
    private static final Membership FOUR_VOTERS = Membership.ofVoters(List.of(1, 2, 3, 4));

    private static Entry normal(long i, long term) {
        return Entry.normal(i, term, ("v" + i).getBytes(StandardCharsets.UTF_8));
    }

    private static void writeAndApply(DurableStorage s, List<Entry> es, HardState hs) {
        s.write(es, hs, true);
        s.applyWritten(null, es, hs);
    }

    private static RaftCore coreOver(DurableStorage s) {
        return new RaftCore(RaftConfig.builder(1, List.of(1, 2, 3)).build(), s, new SplittableRandom(1));
    }

    @Test
    void configEntriesRoundTripThroughTheWalAndRecoveryRebuildsTheMembership() {
        DurableStorage s = DurableStorage.open(dir, 512, n -> { });
        List<Entry> log = new ArrayList<>();
        log.add(Entry.noop(1, 1));
        log.add(normal(2, 1));
        log.add(Entry.config(3, 1, WITH_LEARNER));
        log.add(normal(4, 1));
        log.add(Entry.config(5, 1, FOUR_VOTERS));
        log.add(normal(6, 1));
        writeAndApply(s, log, new HardState(1, 1, 4));
        s.close();

        DurableStorage r = DurableStorage.open(dir, 512, n -> { });
        assertThat(r.entries(1, 7, Long.MAX_VALUE)).isEqualTo(log);
        assertThat(r.entries(5, 6, Long.MAX_VALUE).get(0).type()).isEqualTo(EntryType.CONFIG);
        RaftCore core = coreOver(r);
        assertThat(core.membership()).isEqualTo(FOUR_VOTERS);
        assertThat(core.configIndex()).isEqualTo(5);
        assertThat(core.membershipAt(4)).isEqualTo(WITH_LEARNER);
        assertThat(core.membershipAt(2)).isEqualTo(Membership.ofVoters(List.of(1, 2, 3)));
        r.close();
    }

    @Test
    void theSnapshotCarriesTheMembershipOfTheEntriesItReplaces() {
        DurableStorage s = DurableStorage.open(dir, 512, n -> { });
        writeAndApply(s, List.of(Entry.noop(1, 1), Entry.config(2, 1, WITH_LEARNER), normal(3, 1), normal(4, 1)),
                new HardState(1, 1, 4));
        Snapshot snap = new Snapshot(SnapshotMetadata.of(3, 1, coreOver(s).membershipAt(3)), new byte[] {3});
        s.compact(snap);
        s.applyCompaction(snap);
        s.close();

        DurableStorage r = DurableStorage.open(dir, 512, n -> { });
        assertThat(r.firstIndex()).isEqualTo(4);
        assertThat(r.snapshot().metadata().learners()).containsExactly(4);
        RaftCore core = coreOver(r);
        assertThat(core.membership()).isEqualTo(WITH_LEARNER);
        assertThat(core.configIndex()).isEqualTo(3);
        r.close();
    }

    @Test
    void snapshotFilesKeepLearnersAndVersionOneFilesStillRead() throws Exception {
        Snapshot withLearners = new Snapshot(SnapshotMetadata.of(10, 2, WITH_LEARNER), new byte[] {1, 2});
        assertThat(SnapshotStore.decode(SnapshotStore.encode(withLearners))).isEqualTo(withLearners);

        // A version-1 file, byte by byte as the earlier code wrote it: magic, 1, index, term, voters, data, CRC32C.
        ByteBuffer b = ByteBuffer.allocate(4 + 1 + 8 + 8 + 4 + 12 + 4 + 2 + 4);
        b.put("RLSN".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).putLong(10).putLong(2).putInt(3).putInt(1)
                .putInt(2).putInt(3).putInt(2).put(new byte[] {1, 2});
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        Snapshot old = SnapshotStore.decode(b.array());
        assertThat(old.metadata()).isEqualTo(new SnapshotMetadata(10, 2, List.of(1, 2, 3)));
        assertThat(old.metadata().learners()).isEmpty();
        assertThat(SnapshotStore.encode(old, SnapshotStore.VERSION_VOTERS)).isEqualTo(b.array());

        // And through the store: an old file on disk is loaded.
        Path snapDir = dir.resolve("snap");
        Files.createDirectories(snapDir);
        Files.write(snapDir.resolve(String.format("%016x-%016x.snap", 10, 2)), b.array());
        assertThat(new SnapshotStore(snapDir).loadNewest(w -> { })).contains(old);
    }

    @Test
    void everyBitFlipOfAVersionTwoFileIsDetected() {
        byte[] bytes = SnapshotStore.encode(new Snapshot(SnapshotMetadata.of(10, 2, WITH_LEARNER), new byte[] {7}));
        for (int i = 0; i < bytes.length * 8; i++) {
            byte[] copy = bytes.clone();
            copy[i / 8] ^= (byte) (1 << (i % 8));
            assertThatThrownBy(() -> SnapshotStore.decode(copy)).as("bit %d", i)
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void entryTypeCodesAreFixedAndOldRecordsStillRead() {
        // An entry record as written before CONFIG existed: type 1 (entry), index, term, entry type 1 (no-op), no data.
        ByteBuffer old = ByteBuffer.allocate(1 + 8 + 8 + 1 + 4);
        old.put(WalRecord.TYPE_ENTRY).putLong(7).putLong(3).put((byte) 1).putInt(0).flip();
        assertThat(WalRecord.readBody(old)).isEqualTo(new WalRecord.EntryRecord(Entry.noop(7, 3)));

        Entry config = Entry.config(8, 3, WITH_LEARNER);
        WalRecord r = new WalRecord.EntryRecord(config);
        ByteBuffer out = ByteBuffer.allocate(WalRecord.bodySize(r));
        WalRecord.writeBody(r, out);
        assertThat(out.array()[17]).isEqualTo((byte) 2);
        out.flip();
        assertThat(WalRecord.readBody(out)).isEqualTo(r);

        ByteBuffer unknown = ByteBuffer.allocate(1 + 8 + 8 + 1 + 4);
        unknown.put(WalRecord.TYPE_ENTRY).putLong(7).putLong(3).put((byte) 3).putInt(0).flip();
        assertThatThrownBy(() -> WalRecord.readBody(unknown)).hasMessageContaining("unknown entry type 3");
    }

    @Test
    void membershipEncodingRoundTripsAndRejectsGarbage() {
        assertThat(Membership.decode(WITH_LEARNER.encode())).isEqualTo(WITH_LEARNER);
        assertThat(Membership.decode(Membership.EMPTY.encode())).isEqualTo(Membership.EMPTY);
        byte[] bad = WITH_LEARNER.encode();
        bad[0] = 9;
        assertThatThrownBy(() -> Membership.decode(bad)).isInstanceOf(SerializationException.class)
                .hasMessageContaining("version 9");
        assertThatThrownBy(() -> Membership.decode(new byte[] {1, 0, 0})).isInstanceOf(SerializationException.class);
        byte[] overlap = new Membership(List.of(1, 2), List.of(3)).encode();
        overlap[overlap.length - 5] = 2; // learner 2 is also a voter (the last 4 bytes: no addresses)
        assertThatThrownBy(() -> Membership.decode(overlap)).isInstanceOf(SerializationException.class)
                .hasMessageContaining("both a voter and a learner");
    }

    @Test
    void addressesOfMembersAddedAtRuntimeTravelWithTheMembership() {
        Membership added = WITH_LEARNER.apply(new MembershipChange.AddLearner(5, "http://10.0.0.5:8085"));
        assertThat(added.address(5)).isEqualTo("http://10.0.0.5:8085");
        assertThat(Membership.decode(added.encode())).isEqualTo(added);
        Membership promoted = added.apply(new MembershipChange.Promote(5));
        assertThat(promoted.address(5)).isEqualTo("http://10.0.0.5:8085");
        assertThat(promoted.apply(new MembershipChange.Remove(5)).addresses()).isEmpty();
        // Another member's address is refused, as is an existing id.
        assertThatThrownBy(() -> added.apply(new MembershipChange.AddVoter(6, "http://10.0.0.5:8085")))
                .isInstanceOf(MembershipChangeException.class).hasMessageContaining("already has the address")
                .extracting(e -> ((MembershipChangeException) e).reason())
                .isEqualTo(MembershipChangeException.Reason.MEMBER_EXISTS);
        // Version 1 (no addresses) still reads.
        byte[] v1 = java.nio.ByteBuffer.allocate(1 + 4 + 12 + 4 + 4).put((byte) 1).putInt(3).putInt(1).putInt(2)
                .putInt(3).putInt(1).putInt(4).array();
        assertThat(Membership.decode(v1)).isEqualTo(WITH_LEARNER);
        // A truncated address is garbage, not a crash.
        byte[] cut = java.util.Arrays.copyOf(added.encode(), added.encode().length - 3);
        assertThatThrownBy(() -> Membership.decode(cut)).isInstanceOf(SerializationException.class);
        // Snapshot files keep them (format 3) and still read format 2 without them.
        Snapshot snap = new Snapshot(SnapshotMetadata.of(9, 2, added), new byte[] {1, 2});
        assertThat(SnapshotStore.decode(SnapshotStore.encode(snap)).metadata().membership()).isEqualTo(added);
        assertThat(SnapshotStore.decode(SnapshotStore.encode(snap, SnapshotStore.VERSION_LEARNERS)).metadata()
                .membership()).isEqualTo(new Membership(added.voters(), added.learners()));
    }
}
