package io.raftline.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.raftline.raft.Entry;
import io.raftline.raft.HardState;
import io.raftline.raft.StorageException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WalTest {

    @TempDir
    Path dir;

    private static WalRecord entry(long index, long term, String data) {
        return new WalRecord.EntryRecord(Entry.normal(index, term, data.getBytes(StandardCharsets.UTF_8)));
    }

    private static List<WalRecord> sample(int n) {
        List<WalRecord> out = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            out.add(entry(i, 1 + i / 4, "value-" + i));
            if (i % 3 == 0) {
                out.add(new WalRecord.HardStateRecord(new HardState(1 + i / 4, 2, i - 1)));
            }
        }
        return out;
    }

    /** The bytes of one sync mark: a record header and its body. */
    private static final int MARK_BYTES = WalRecord.HEADER_BYTES + Wal.SYNC_MARK_BODY_BYTES;

    private List<Path> segments() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".wal")).sorted().toList();
        }
    }

    private Wal reopen(List<String> warnings) {
        return Wal.open(dir, Wal.DEFAULT_SEGMENT_BYTES, warnings::add);
    }

    @Test
    void roundTripAcrossSegments() throws IOException {
        List<WalRecord> records = sample(200);
        try (Wal wal = Wal.open(dir, 1024, s -> { })) {
            for (int i = 0; i < records.size(); i += 7) {
                wal.append(records.subList(i, Math.min(records.size(), i + 7)));
                wal.sync();
            }
            assertThat(wal.segmentCount()).isGreaterThan(3);
        }
        List<String> warnings = new ArrayList<>();
        try (Wal wal = reopen(warnings)) {
            assertThat(wal.recovery().records()).isEqualTo(records);
            assertThat(wal.recovery().truncatedBytes()).isZero();
            assertThat(warnings).isEmpty();
            assertThat(wal.sizeBytes()).isEqualTo(totalSize());
        }
    }

    private long totalSize() throws IOException {
        long n = 0;
        for (Path p : segments()) {
            n += Files.size(p);
        }
        return n;
    }

    /**
     * A crash can cut the last write anywhere: every cut recovers exactly the records written before it, and keeps
     * each sync mark written whole (a mark follows each record here, written after its fsync).
     */
    @Test
    void tornTailAtEveryByteOffsetRecoversThePrefix() throws IOException {
        List<WalRecord> records = sample(6);
        List<Long> ends = new ArrayList<>();
        List<Long> wholes = new ArrayList<>(List.of((long) Wal.SEGMENT_HEADER_BYTES));
        try (Wal wal = Wal.open(dir, Wal.DEFAULT_SEGMENT_BYTES, s -> { })) {
            for (WalRecord r : records) {
                wal.append(List.of(r));
                ends.add(wal.sizeBytes());
                wal.sync();
                assertThat(wal.sizeBytes()).as("a sync mark after the fsync")
                        .isEqualTo(ends.get(ends.size() - 1) + MARK_BYTES);
                wholes.add(ends.get(ends.size() - 1));
                wholes.add(wal.sizeBytes());
            }
        }
        Path seg = segments().get(0);
        byte[] full = Files.readAllBytes(seg);
        for (int cut = Wal.SEGMENT_HEADER_BYTES; cut <= full.length; cut++) {
            Files.write(seg, java.util.Arrays.copyOf(full, cut));
            int complete = 0;
            while (complete < ends.size() && ends.get(complete) <= cut) {
                complete++;
            }
            final int at = cut;
            List<String> warnings = new ArrayList<>();
            try (Wal wal = reopen(warnings)) {
                assertThat(wal.recovery().records()).as("cut at %d", cut).isEqualTo(records.subList(0, complete));
                long expectedSize = wholes.stream().filter(w -> w <= at).mapToLong(Long::longValue).max()
                        .orElseThrow();
                assertThat(Files.size(seg)).as("file truncated at cut %d", cut).isEqualTo(expectedSize);
                assertThat(warnings).hasSize(cut == expectedSize ? 0 : 1);
                // The log keeps working after the repair.
                wal.append(List.of(entry(99, 9, "after")));
                wal.sync();
            }
            try (Wal wal = reopen(new ArrayList<>())) {
                List<WalRecord> got = wal.recovery().records();
                assertThat(got.get(got.size() - 1)).isEqualTo(entry(99, 9, "after"));
            }
        }
    }

    @Test
    void tornSegmentHeaderIsRemoved() throws IOException {
        try (Wal wal = Wal.open(dir, 64, s -> { })) {
            wal.append(sample(3));
            wal.sync();
            wal.append(sample(3));
            wal.sync();
        }
        List<Path> segs = segments();
        assertThat(segs).hasSize(2);
        Files.write(segs.get(1), new byte[] {'R', 'L'});
        List<String> warnings = new ArrayList<>();
        try (Wal wal = reopen(warnings)) {
            assertThat(wal.recovery().records()).isEqualTo(sample(3));
            assertThat(warnings).singleElement().asString().contains("removed torn segment");
        }
    }

    /**
     * Issue 11: a crash after a new segment's header was written but before its fsync can leave a file of full
     * header length whose bytes never reached the disk (zeros, on file systems that persist the size first). No
     * record can have been written after such a header (records follow only once it is synced), so it is a torn
     * segment like a short one, not corruption: before the fix the node refused to start. Found by the simulator.
     */
    @Test
    void aLastSegmentWhoseHeaderNeverReachedTheDiskIsRemoved() throws IOException {
        for (int from = 0; from < Wal.SEGMENT_HEADER_BYTES; from++) {
            for (Path p : segments()) {
                Files.delete(p);
            }
            try (Wal wal = Wal.open(dir, 64, s -> { })) {
                wal.append(sample(3));
                wal.sync();
                wal.append(sample(3));
                wal.sync();
            }
            List<Path> segs = segments();
            byte[] header = Files.readAllBytes(segs.get(1));
            java.util.Arrays.fill(header, from, Wal.SEGMENT_HEADER_BYTES, (byte) 0);
            Files.write(segs.get(1), java.util.Arrays.copyOf(header, Wal.SEGMENT_HEADER_BYTES));
            List<String> warnings = new ArrayList<>();
            try (Wal wal = reopen(warnings)) {
                assertThat(wal.recovery().records()).as("header zeroed from byte %d", from).isEqualTo(sample(3));
                assertThat(warnings).singleElement().asString().contains("removed torn segment");
            }
        }
    }

    /**
     * A last segment longer than its header held records (they are appended only once the header is synced, and no
     * segment is preallocated), so zeros over all of it are damage, not a torn creation: refused, naming the file,
     * and the file kept. Before the fix it was deleted with a warning, and with it acknowledged entries and the
     * node's newest term and vote (a review zeroed a 28,802-byte segment: the node came back two terms back).
     */
    @Test
    void aZeroedLastSegmentLongerThanItsHeaderIsRefused() throws IOException {
        try (Wal wal = Wal.open(dir, 64, s -> { })) {
            wal.append(sample(3));
            wal.sync();
            wal.append(sample(3));
            wal.sync();
        }
        List<Path> segs = segments();
        assertThat(segs).hasSize(2);
        long size = Files.size(segs.get(1));
        assertThat(size).isGreaterThan(Wal.SEGMENT_HEADER_BYTES);
        Files.write(segs.get(1), new byte[(int) size]);
        List<String> warnings = new ArrayList<>();
        assertThatThrownBy(() -> reopen(warnings)).isInstanceOf(WalCorruptionException.class)
                .hasMessageContaining(segs.get(1).toString()).hasMessageContaining(size + " bytes long");
        assertThat(warnings).isEmpty();
        assertThat(Files.size(segs.get(1))).as("the damaged segment is kept for inspection").isEqualTo(size);
    }

    /**
     * Segments are deleted oldest first, each unlink synced before the next, so a hole between surviving segments is a
     * lost segment: refused, naming it. Before the fix a lost middle segment was noticed only when the entry indexes
     * jumped; one that held hard states (a vote) or overwritten entries went unnoticed.
     */
    @Test
    void aMissingMiddleSegmentIsRefusedNamingIt() throws IOException {
        try (Wal wal = Wal.open(dir, 64, s -> { })) {
            for (int i = 1; i <= 12; i++) {
                wal.append(List.of(entry(i, 1, "value-" + i)));
                wal.sync();
            }
        }
        List<Path> segs = segments();
        assertThat(segs.size()).isGreaterThanOrEqualTo(3);
        Files.delete(segs.get(1));
        try (Wal wal = reopen(new ArrayList<>())) {
            assertThatThrownBy(() -> wal.refuseLostSegments(0)).isInstanceOf(StorageException.class)
                    .hasMessageContaining("missing segment " + segs.get(1).getFileName());
            // A snapshot covering what the segments before the hole hold: what an older release's unsynced unlinks
            // could leave (a covered segment back without the next one), accepted as before.
            wal.refuseLostSegments(12);
        }
    }

    /**
     * A damaged header followed by valid records is not a torn creation: it stays fatal. So is a version byte that
     * reads 1 in a salted header: format 1 has no header checksum, and the segment's records, read without their salt,
     * would all fail and be cut as a torn tail.
     */
    @Test
    void aDamagedHeaderBeforeValidRecordsIsFatal() throws IOException {
        try (Wal wal = Wal.open(dir, Wal.DEFAULT_SEGMENT_BYTES, s -> { })) {
            wal.append(sample(3));
            wal.sync();
        }
        Path seg = segments().get(0);
        byte[] good = Files.readAllBytes(seg);
        for (byte version : new byte[] {0, Wal.FORMAT_VERSION_1}) {
            byte[] bytes = good.clone();
            bytes[4] = version;
            Files.write(seg, bytes);
            assertThatThrownBy(() -> reopen(new ArrayList<>())).as("version byte %d", version)
                    .isInstanceOf(WalCorruptionException.class).hasMessageContaining("format version");
        }
    }

    /**
     * A bit flip in the last record, written after the last fsync, is a torn tail; so is one in the sync mark that
     * ends the log (written after the fsync, it states nothing a record relies on).
     */
    @Test
    void bitFlipInTheLastRecordIsATornTail() throws IOException {
        List<WalRecord> records = sample(5);
        try (Wal wal = Wal.open(dir, Wal.DEFAULT_SEGMENT_BYTES, s -> { })) {
            wal.append(records.subList(0, records.size() - 1));
            wal.sync();
            wal.append(records.subList(records.size() - 1, records.size()));
        }
        Path seg = segments().get(0);
        byte[] bytes = Files.readAllBytes(seg);
        bytes[bytes.length - 2] ^= 0x10;
        Files.write(seg, bytes);
        List<String> warnings = new ArrayList<>();
        try (Wal wal = reopen(warnings)) {
            assertThat(wal.recovery().records()).isEqualTo(records.subList(0, records.size() - 1));
            assertThat(warnings).singleElement().asString().contains("truncated torn tail");
        }
        Files.delete(seg);
        try (Wal wal = Wal.open(dir, Wal.DEFAULT_SEGMENT_BYTES, s -> { })) {
            wal.append(records);
            wal.sync();
        }
        seg = segments().get(0);
        bytes = Files.readAllBytes(seg);
        bytes[bytes.length - 2] ^= 0x10;
        Files.write(seg, bytes);
        warnings.clear();
        try (Wal wal = reopen(warnings)) {
            assertThat(wal.recovery().records()).as("a damaged mark at the end").isEqualTo(records);
            assertThat(warnings).singleElement().asString().contains("truncated torn tail");
        }
        assertThat(Files.size(seg)).isEqualTo(bytes.length - MARK_BYTES);
    }

    /** Every single-bit flip before the last record is corruption of possibly acknowledged data: fatal. */
    @Test
    void everyBitFlipInEarlierRecordsIsFatal() throws IOException {
        List<WalRecord> records = sample(4);
        try (Wal wal = Wal.open(dir, Wal.DEFAULT_SEGMENT_BYTES, s -> { })) {
            wal.append(records);
            wal.sync();
        }
        Path seg = segments().get(0);
        byte[] good = Files.readAllBytes(seg);
        int lastRecordStart = good.length - (WalRecord.HEADER_BYTES + WalRecord.bodySize(records.get(records.size() - 1)));
        for (int pos = Wal.SEGMENT_HEADER_BYTES; pos < lastRecordStart; pos++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] bad = good.clone();
                bad[pos] ^= (byte) (1 << bit);
                Files.write(seg, bad);
                assertThatThrownBy(() -> reopen(new ArrayList<>()))
                        .as("flip at byte %d bit %d", pos, bit)
                        .isInstanceOf(WalCorruptionException.class)
                        .hasMessageContaining(seg.toString())
                        .hasMessageContaining("refusing to start");
            }
        }
        Files.write(seg, good);
        try (Wal wal = reopen(new ArrayList<>())) {
            assertThat(wal.recovery().records()).isEqualTo(records);
        }
    }

    @Test
    void damageInAnOlderSegmentIsFatal() throws IOException {
        try (Wal wal = Wal.open(dir, 64, s -> { })) {
            wal.append(sample(3));
            wal.sync();
            wal.append(sample(3));
            wal.sync();
        }
        Path first = segments().get(0);
        byte[] bytes = Files.readAllBytes(first);
        bytes[bytes.length - 1] ^= 1;
        Files.write(first, bytes);
        assertThatThrownBy(() -> reopen(new ArrayList<>())).isInstanceOf(WalCorruptionException.class)
                .hasMessageContaining(first.getFileName().toString());
    }

    @Test
    void deletesOnlySegmentsCoveredBySnapshot() throws IOException {
        try (Wal wal = Wal.open(dir, 200, s -> { })) {
            for (int i = 1; i <= 30; i++) {
                wal.append(List.of(entry(i, 1, "x".repeat(40))));
            }
            wal.sync();
            int before = wal.segmentCount();
            long freed = wal.deleteSegmentsUpTo(15);
            assertThat(freed).isPositive();
            assertThat(wal.segmentCount()).isLessThan(before);
        }
        try (Wal wal = reopen(new ArrayList<>())) {
            List<WalRecord> got = wal.recovery().records();
            long firstIndex = ((WalRecord.EntryRecord) got.get(0)).entry().index();
            assertThat(firstIndex).isLessThanOrEqualTo(16);
            assertThat(((WalRecord.EntryRecord) got.get(got.size() - 1)).entry().index()).isEqualTo(30);
        }
    }

    @Test
    void afterAnIoFailureTheLogRefusesEverything() throws IOException {
        Wal wal = Wal.open(dir, Wal.DEFAULT_SEGMENT_BYTES, s -> { });
        wal.close(); // the channel is gone: the next write fails like a dead disk would
        assertThatThrownBy(() -> wal.append(sample(1))).isInstanceOf(StorageException.class)
                .hasMessageContaining("append");
        assertThat(wal.failed()).isTrue();
        assertThatThrownBy(wal::sync).isInstanceOf(StorageException.class).hasMessageContaining("fail-stop");
    }

    /**
     * A failed write leaves at most a torn tail, which a fresh read cuts: the files may be opened again in the same
     * process (a full disk, then space freed). A failed fsync may have left pages the kernel could not write but still
     * serves as written: the files must not be trusted by a read in this process.
     */
    @Test
    void onlyALogWhoseWriteFailedMayBeOpenedAgainInTheSameProcess() {
        SimDisk disk = new SimDisk(5);
        Path logDir = Path.of("/wal");
        Wal wrote = Wal.open(disk, logDir, Wal.DEFAULT_SEGMENT_BYTES, s -> { });
        assertThat(wrote.reopenRefusal()).isNull();
        disk.failNextWrite();
        assertThatThrownBy(() -> wrote.append(sample(1))).isInstanceOf(StorageException.class);
        assertThat(wrote.failed()).isTrue();
        assertThat(wrote.reopenRefusal()).isNull();

        Wal synced = Wal.open(disk, Path.of("/other"), Wal.DEFAULT_SEGMENT_BYTES, s -> { });
        synced.append(sample(2));
        disk.failNextFsync();
        assertThatThrownBy(synced::sync).isInstanceOf(StorageException.class);
        assertThat(synced.reopenRefusal()).contains("an fsync of the write-ahead log in /other failed")
                .contains("reboot");
    }

    /**
     * A write that fails on the header of a new segment (the current one is full, so the append starts the next; on a
     * full disk the new file's first block is the one that cannot be had) is a failed write like any other: the
     * segments before it were fsynced when it was rolled, and a re-read removes the part of the header it wrote as a
     * torn segment creation. Before, it was taken for a failed fsync, and a node whose disk filled up at a segment
     * boundary refused a restart in its process, saying an fsync had failed and to reboot or replace the node.
     */
    @Test
    void aWriteThatFailsOnANewSegmentsHeaderIsAFailedWriteNotAFailedFsync() {
        SimDisk disk = new SimDisk(11);
        Path logDir = Path.of("/wal");
        Wal wal = Wal.open(disk, logDir, 256, s -> { });
        List<WalRecord> written = new ArrayList<>();
        for (int i = 1; wal.sizeBytes() < 256; i++) {
            List<WalRecord> one = List.of(entry(i, 1, "value-" + i));
            wal.append(one);
            written.addAll(one);
        }
        wal.sync();
        assertThat(wal.segmentCount()).isEqualTo(1);

        assertThat(disk.openHandles()).isEqualTo(1);
        disk.failNextWrite();
        assertThatThrownBy(() -> wal.append(List.of(entry(written.size() + 1, 1, "x"))))
                .isInstanceOf(StorageException.class);
        assertThat(wal.failed()).isTrue();
        assertThat(wal.reopenRefusal()).as("only a write failed").isNull();
        // The failed log closed its segment, and the new segment's file, whose header failed, is closed as well.
        assertThat(disk.openHandles()).as("files left open").isZero();

        // Opened again in the process, as a restart of the node does: everything synced, and appends go on.
        List<String> notes = new ArrayList<>();
        try (Wal again = Wal.open(disk, logDir, 256, notes::add)) {
            assertThat(again.recovery().records()).isEqualTo(written);
            again.append(List.of(entry(written.size() + 1, 1, "y")));
            again.sync();
        }
        wal.close();
    }

    // ------------------------------------------------------------------ torn tail or corruption (audit F2, F3)

    /** A record as format 1 wrote it, and as anyone can compute it: length, CRC32C of the body, body. */
    private static byte[] unsaltedRecord(WalRecord r) {
        int body = WalRecord.bodySize(r);
        ByteBuffer b = ByteBuffer.allocate(WalRecord.HEADER_BYTES + body);
        b.position(WalRecord.HEADER_BYTES);
        WalRecord.writeBody(r, b);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), WalRecord.HEADER_BYTES, body);
        b.putInt(0, body).putInt(4, (int) crc.getValue());
        return b.array();
    }

    /** A format 1 segment (16-byte header, no salt), byte by byte as the earlier version wrote it. */
    private static byte[] format1Segment(long seq, List<WalRecord> records) {
        ByteBuffer b = ByteBuffer.allocate(1 << 16);
        b.put("RLWL".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put(new byte[3]).putLong(seq);
        for (WalRecord r : records) {
            b.put(unsaltedRecord(r));
        }
        return Arrays.copyOf(b.array(), b.position());
    }

    private static void truncate(Path f, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ch.truncate(size);
        }
    }

    /**
     * Audit F2: a torn tail was told from corruption by looking for any valid-looking record after the bad one, and
     * the look went through the torn record's own value, which a client chooses. A value holding a record's bytes
     * (the unsalted encoding anyone can compute, and a record the log itself wrote in another segment) turned the
     * next interrupted write into a refusal to start. With a salt per segment mixed into every checksum, no such
     * bytes pass as a record: the write is cut like any torn tail.
     */
    @Test
    void aValueHoldingRecordBytesCannotMakeATornTailLookLikeCorruption() throws IOException {
        WalRecord forged = new WalRecord.HardStateRecord(new HardState(9, 9, 9));
        byte[] unsalted = unsaltedRecord(forged);
        Path scratch = dir.resolve("scratch");
        try (Wal other = Wal.open(scratch, Wal.DEFAULT_SEGMENT_BYTES, s -> { })) {
            other.append(List.of(forged));
            other.sync();
        }
        byte[] fromOtherSegment;
        try (Stream<Path> st = Files.list(scratch)) {
            byte[] seg = Files.readAllBytes(st.filter(p -> p.toString().endsWith(".wal")).findFirst().orElseThrow());
            fromOtherSegment = Arrays.copyOfRange(seg, Wal.SEGMENT_HEADER_BYTES, seg.length);
        }
        byte[] value = new byte[100 + unsalted.length + 100 + fromOtherSegment.length + 100];
        Arrays.fill(value, (byte) 'v');
        System.arraycopy(unsalted, 0, value, 100, unsalted.length);
        System.arraycopy(fromOtherSegment, 0, value, 200 + unsalted.length, fromOtherSegment.length);

        List<WalRecord> kept = List.of(entry(1, 1, "x"), new WalRecord.HardStateRecord(new HardState(1, 1, 1)));
        long goodEnd;
        try (Wal wal = Wal.open(dir, Wal.DEFAULT_SEGMENT_BYTES, s -> { })) {
            wal.append(kept);
            wal.sync();
            goodEnd = wal.sizeBytes();
            wal.append(List.of(new WalRecord.EntryRecord(Entry.normal(2, 1, value))));
        }
        Path seg = segments().get(0);
        long valueStart = goodEnd + WalRecord.HEADER_BYTES + 1 + 8 + 8 + 1 + 4;
        // The write of entry 2 was cut after both embedded records (ENOSPC, a kill between two write(2) calls).
        truncate(seg, valueStart + value.length - 50);
        List<String> warnings = new ArrayList<>();
        try (Wal wal = reopen(warnings)) {
            assertThat(wal.recovery().records()).isEqualTo(kept);
            assertThat(Files.size(seg)).isEqualTo(goodEnd);
            assertThat(warnings).singleElement().asString().contains("truncated torn tail");
        }
    }

    /**
     * A format 1 log (written before the salt) still reads, keeps the earlier rule for its torn tail, and the log
     * continues in a new segment of the current format rather than appending unsalted records to the old one.
     */
    @Test
    void aFormat1LogIsReadAndContinuedInANewSaltedSegment() throws IOException {
        List<WalRecord> first = sample(4);
        List<WalRecord> second = sample(3).subList(0, 3);
        Files.write(dir.resolve(String.format("%016x.wal", 1)), format1Segment(1, first));
        byte[] last = format1Segment(2, second);
        // With a torn last record: cut in its middle.
        Path lastPath = dir.resolve(String.format("%016x.wal", 2));
        Files.write(lastPath, Arrays.copyOf(last, last.length - 5));
        List<String> warnings = new ArrayList<>();
        try (Wal wal = reopen(warnings)) {
            List<WalRecord> expected = new ArrayList<>(first);
            expected.addAll(second.subList(0, 2));
            assertThat(wal.recovery().records()).isEqualTo(expected);
            assertThat(warnings).singleElement().asString().contains("truncated torn tail");
            assertThat(wal.segmentCount()).as("a new segment for new records").isEqualTo(3);
            assertThat(wal.currentSegment()).isEqualTo(3);
            wal.append(List.of(entry(9, 9, "new")));
            wal.sync();
        }
        byte[] third = Files.readAllBytes(segments().get(2));
        assertThat(third[4]).as("format of the new segment").isEqualTo(Wal.FORMAT_VERSION);
        assertThat(Files.readAllBytes(lastPath)).as("the format 1 segment is left as recovery cut it")
                .isEqualTo(Arrays.copyOf(last, last.length - WalRecord.HEADER_BYTES - WalRecord.bodySize(second.get(2))));
        try (Wal wal = reopen(new ArrayList<>())) {
            List<WalRecord> got = wal.recovery().records();
            assertThat(got).hasSize(first.size() + 3);
            assertThat(got.get(got.size() - 1)).isEqualTo(entry(9, 9, "new"));
            assertThat(wal.segmentCount()).as("a segment of the current format last: continued").isEqualTo(3);
        }
    }

    /** Damage in a format 1 segment before valid records is still refused. */
    @Test
    void damageInAFormat1SegmentBeforeValidRecordsIsFatal() throws IOException {
        byte[] bytes = format1Segment(1, sample(4));
        bytes[Wal.V1_SEGMENT_HEADER_BYTES + 12] ^= 1;
        Files.write(dir.resolve(String.format("%016x.wal", 1)), bytes);
        assertThatThrownBy(() -> reopen(new ArrayList<>())).isInstanceOf(WalCorruptionException.class);
    }

    /** A damaged salt or header checksum before records is not a torn creation: refused, not the segment dropped. */
    @Test
    void aDamagedSaltBeforeValidRecordsIsFatal() throws IOException {
        try (Wal wal = Wal.open(dir, Wal.DEFAULT_SEGMENT_BYTES, s -> { })) {
            wal.append(sample(3));
            wal.sync();
        }
        Path seg = segments().get(0);
        byte[] good = Files.readAllBytes(seg);
        for (int pos = 16; pos < Wal.SEGMENT_HEADER_BYTES; pos++) {
            byte[] bad = good.clone();
            bad[pos] ^= 0x40;
            Files.write(seg, bad);
            assertThatThrownBy(() -> reopen(new ArrayList<>())).as("flip at %d", pos)
                    .isInstanceOf(WalCorruptionException.class).hasMessageContaining("header checksum");
        }
    }

    private static void overwrite(Path f, long at, byte[] bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(bytes), at);
        }
    }

    /** One synced record, then an unsynced batch of four 3000-byte entries (one write of about 12 KiB). */
    private long syncedRecordThenUnsyncedBatch(byte fill) {
        try (Wal wal = Wal.open(dir, Wal.DEFAULT_SEGMENT_BYTES, s -> { })) {
            wal.append(List.of(new WalRecord.HardStateRecord(new HardState(1, 1, 0))));
            wal.sync();
            long batchStart = wal.sizeBytes();
            List<WalRecord> batch = new ArrayList<>();
            for (long i = 1; i <= 4; i++) {
                byte[] data = new byte[3000];
                Arrays.fill(data, fill);
                batch.add(new WalRecord.EntryRecord(Entry.normal(i, 1, data)));
            }
            wal.append(batch);
            return batchStart;
        }
    }

    /**
     * Audit F3: the pages of an unsynced write reach the disk in any order at a power cut, so a page in the middle can
     * be lost (zeros within the file's size) while a later one survived. Recovery found a valid record after the
     * hole and refused to start, though nothing in the batch was acknowledged. A bad record that an all-zero sector
     * overlaps is a torn write: cut there, with what follows (written after the last fsync).
     */
    @Test
    void aLostPageInAnUnsyncedBatchBeforeSurvivingRecordsIsATornTail() throws IOException {
        for (int holeBytes : new int[] {4096, Wal.SECTOR_BYTES}) {
            for (Path p : segments()) {
                Files.delete(p);
            }
            long batchStart = syncedRecordThenUnsyncedBatch((byte) 7);
            Path seg = segments().get(0);
            assertThat(batchStart).isLessThan(4096);
            overwrite(seg, 4096, new byte[holeBytes]);
            List<String> warnings = new ArrayList<>();
            long entryBytes;
            try (Wal wal = reopen(warnings)) {
                // Entry 1 lies wholly before the hole and was written whole: kept. Entry 2 overlaps it: cut there.
                List<WalRecord> got = wal.recovery().records();
                assertThat(got).as("hole of %d bytes", holeBytes).hasSize(2);
                assertThat(got.get(0)).isEqualTo(new WalRecord.HardStateRecord(new HardState(1, 1, 0)));
                assertThat(((WalRecord.EntryRecord) got.get(1)).entry().index()).isEqualTo(1);
                entryBytes = WalRecord.HEADER_BYTES + WalRecord.bodySize(got.get(1));
                assertThat(warnings).singleElement().asString().contains("truncated torn tail")
                        .contains("out of order");
            }
            assertThat(Files.size(seg)).isEqualTo(batchStart + entryBytes);
        }
    }

    /**
     * A process killed while it wrote a batch leaves the file ending inside a record; recovery then looks for a valid
     * record anywhere after it, to tell a torn tail from damage. That search checked every offset whose bytes look
     * like a record's header with a CRC over the length they give, so its cost was the sum of those lengths: values a
     * client chose (here 8 MiB whose every third offset reads as a 4 MB entry record) made it quadratic, and the node
     * spent hours in recovery instead of starting. Found by review on 2026-12-05.
     */
    @Test
    void findingNoRecordAfterATornTailTakesTimeLinearInTheTail() throws IOException {
        byte[] data = new byte[8 << 20];
        for (int i = 0; i < data.length; i++) {
            data[i] = new byte[] {0x00, 0x3F, 0x01}[i % 3];
        }
        long synced;
        try (Wal wal = Wal.open(dir, Wal.DEFAULT_SEGMENT_BYTES, s -> { })) {
            wal.append(List.of(new WalRecord.HardStateRecord(new HardState(1, 1, 0))));
            wal.sync();
            synced = wal.sizeBytes();
            wal.append(List.of(new WalRecord.EntryRecord(Entry.normal(1, 1, data))));
        }
        Path seg = segments().get(0);
        // Killed part way through the write: the file ends inside the entry.
        try (FileChannel ch = FileChannel.open(seg, StandardOpenOption.WRITE)) {
            ch.truncate(synced + data.length - 1000);
        }
        List<String> warnings = new ArrayList<>();
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(30), () -> {
            try (Wal wal = reopen(warnings)) {
                assertThat(wal.recovery().records()).containsExactly(
                        new WalRecord.HardStateRecord(new HardState(1, 1, 0)));
            }
        });
        assertThat(warnings).singleElement().asString().contains("truncated torn tail");
        assertThat(Files.size(seg)).isEqualTo(synced);
    }

    /** The same hole, filled with garbage rather than zeros, is not what a lost page leaves: refused. */
    @Test
    void garbageInsteadOfAHoleBeforeSurvivingRecordsIsFatal() throws IOException {
        syncedRecordThenUnsyncedBatch((byte) 7);
        byte[] garbage = new byte[4096];
        new Random(1).nextBytes(garbage);
        overwrite(segments().get(0), 4096, garbage);
        assertThatThrownBy(() -> reopen(new ArrayList<>())).isInstanceOf(WalCorruptionException.class);
    }

    /** A bit flip in a record that spans several sectors, with valid records after it, is still refused. */
    @Test
    void aBitFlipInALargeRecordBeforeValidOnesIsFatal() throws IOException {
        syncedRecordThenUnsyncedBatch((byte) 7);
        Path seg = segments().get(0);
        byte[] bytes = Files.readAllBytes(seg);
        bytes[5000] ^= 0x08;
        Files.write(seg, bytes);
        assertThatThrownBy(() -> reopen(new ArrayList<>())).isInstanceOf(WalCorruptionException.class)
                .hasMessageContaining("checksum mismatch");
    }

    /** A zeroed sector in a segment that is not the last one cannot be a lost unsynced page: refused. */
    @Test
    void aZeroedSectorInAnOlderSegmentIsFatal() throws IOException {
        syncedRecordThenUnsyncedBatch((byte) 7);
        try (Wal wal = Wal.open(dir, 1024, s -> { })) {
            wal.append(List.of(entry(6, 1, "y")));
            wal.sync();
            assertThat(wal.segmentCount()).isEqualTo(2);
        }
        overwrite(segments().get(0), 4096, new byte[4096]);
        assertThatThrownBy(() -> reopen(new ArrayList<>())).isInstanceOf(WalCorruptionException.class)
                .hasMessageContaining(segments().get(0).getFileName().toString());
    }

    // ------------------------------------------------------------------ batch size (audit N1)

    /** A disk whose segment writes are counted, not kept: for batches larger than a test should store. */
    private static final class CountingDisk extends ForwardingDisk {
        final List<Integer> writes = new ArrayList<>();

        CountingDisk() {
            super(NioDisk.INSTANCE);
        }

        @Override
        protected AppendFile wrap(Path file, AppendFile f) {
            return new ForwardingFile(f) {
                private long dropped;

                @Override
                public void write(ByteBuffer src) throws IOException {
                    if (src.remaining() <= Wal.SEGMENT_HEADER_BYTES) {
                        super.write(src);
                        return;
                    }
                    writes.add(src.remaining());
                    dropped += src.remaining();
                    src.position(src.limit());
                }

                @Override
                public long size() throws IOException {
                    return super.size() + dropped;
                }
            };
        }
    }

    /**
     * Audit N1: a batch's size was summed in an int, so a Ready of more than 2 GiB of entries (many proposals of
     * up to 64 MiB in one turn) overflowed and failed the log. It is now written in writes of at most
     * {@link Wal#WRITE_CHUNK_BYTES} (whole records each), still with one fsync.
     */
    @Test
    void aBatchOfMoreThan2GiBIsWrittenInSeveralWritesAndOneFsync() {
        WalRecord big = new WalRecord.EntryRecord(Entry.normal(1, 1, new byte[Wal.WRITE_CHUNK_BYTES - 64]));
        long recordBytes = WalRecord.HEADER_BYTES + WalRecord.bodySize(big);
        int n = (int) (Integer.MAX_VALUE / recordBytes) + 2;
        CountingDisk disk = new CountingDisk();
        try (Wal wal = Wal.open(disk, dir, Wal.DEFAULT_SEGMENT_BYTES, s -> { })) {
            long before = wal.sizeBytes();
            wal.append(Collections.nCopies(n, big));
            wal.sync();
            assertThat(wal.failed()).isFalse();
            assertThat(wal.fsyncs()).isEqualTo(1);
            assertThat(wal.sizeBytes() - before).isEqualTo(n * recordBytes + MARK_BYTES)
                    .isGreaterThan(Integer.MAX_VALUE);
        }
        // The sync mark after the fsync is written through (the disk counts writes larger than a segment header).
        assertThat(disk.writes).hasSize(n).allSatisfy(w -> assertThat((long) w).isEqualTo(recordBytes));
    }

    /** Small records share writes up to the chunk size: a batch slightly over it takes two writes. */
    @Test
    void aBatchOverTheChunkSizeTakesTwoWritesOfWholeRecords() throws IOException {
        WalRecord r = new WalRecord.EntryRecord(Entry.normal(1, 1, new byte[1 << 20]));
        long recordBytes = WalRecord.HEADER_BYTES + WalRecord.bodySize(r);
        int n = (int) (Wal.WRITE_CHUNK_BYTES / recordBytes) + 1;
        CountingDisk disk = new CountingDisk();
        try (Wal wal = Wal.open(disk, dir, Wal.DEFAULT_SEGMENT_BYTES, s -> { })) {
            wal.append(Collections.nCopies(n, r));
        }
        assertThat(disk.writes).containsExactly((int) ((n - 1) * recordBytes), (int) recordBytes);
    }

    /**
     * Review, 2026-12-07: a synced record whose value holds a sector of zeros, damaged on the medium since (a flipped
     * bit), looked like the tail of an interrupted write (pages lost out of order leave such sectors), and recovery
     * cut it and every acknowledged record after it with a warning. A sync mark after it says it was durable:
     * corruption. The same damage in a batch no fsync covered is still a torn tail.
     */
    @Test
    void aDamagedRecordThatASyncMarkSaysWasDurableIsCorruptionWhateverZerosItHolds() throws IOException {
        for (boolean synced : new boolean[] {true, false}) {
            for (Path p : segments()) {
                Files.delete(p);
            }
            long batchStart;
            try (Wal wal = Wal.open(dir, Wal.DEFAULT_SEGMENT_BYTES, s -> { })) {
                wal.append(List.of(new WalRecord.HardStateRecord(new HardState(1, 1, 0))));
                wal.sync();
                batchStart = wal.sizeBytes();
                List<WalRecord> batch = new ArrayList<>();
                for (long i = 1; i <= 4; i++) {
                    batch.add(new WalRecord.EntryRecord(Entry.normal(i, 1, new byte[3000])));
                }
                wal.append(batch);
                wal.append(List.of(new WalRecord.HardStateRecord(new HardState(1, 2, 2))));
                if (synced) {
                    wal.sync();
                }
            }
            Path seg = segments().get(0);
            byte[] bytes = Files.readAllBytes(seg);
            int entryBytes = WalRecord.HEADER_BYTES + WalRecord.bodySize(new WalRecord.EntryRecord(
                    Entry.normal(2, 1, new byte[3000])));
            int second = (int) batchStart + entryBytes;
            bytes[second + WalRecord.HEADER_BYTES + 8] ^= 0x01; // entry 2's index: its checksum fails
            Files.write(seg, bytes);
            List<String> warnings = new ArrayList<>();
            if (synced) {
                assertThatThrownBy(() -> reopen(warnings)).isInstanceOf(WalCorruptionException.class)
                        .hasMessageContaining("checksum mismatch in bytes made durable before")
                        .hasMessageContaining("offset " + second);
                assertThat(warnings).isEmpty();
                assertThat(Files.readAllBytes(seg)).as("nothing cut").isEqualTo(bytes);
            } else {
                try (Wal wal = reopen(warnings)) {
                    assertThat(wal.recovery().records()).hasSize(2);
                }
                assertThat(warnings).singleElement().asString().contains("truncated torn tail").contains("zeros");
            }
        }
    }

    /** An fsync with nothing appended since the last one writes no sync mark. */
    @Test
    void aSyncWithNothingNewWritesNoMark() {
        try (Wal wal = Wal.open(dir, Wal.DEFAULT_SEGMENT_BYTES, s -> { })) {
            wal.sync();
            assertThat(wal.sizeBytes()).as("an empty segment").isEqualTo(Wal.SEGMENT_HEADER_BYTES);
            wal.append(List.of(entry(1, 1, "a")));
            wal.sync();
            long marked = wal.sizeBytes();
            wal.sync();
            wal.sync();
            assertThat(wal.sizeBytes()).isEqualTo(marked);
            assertThat(wal.fsyncs()).isEqualTo(4);
        }
    }

    /** A format 2 segment (salted, no sync marks) still reads, and the log continues in a new segment. */
    @Test
    void aFormat2LogIsReadAndContinuedInANewSegment() throws IOException {
        List<WalRecord> records = sample(4);
        try (Wal wal = Wal.open(dir, Wal.DEFAULT_SEGMENT_BYTES, s -> { })) {
            wal.append(records); // no fsync: no sync mark, as a format 2 segment has none
        }
        Path seg = segments().get(0);
        byte[] bytes = Files.readAllBytes(seg);
        bytes[4] = Wal.FORMAT_VERSION_2;
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(bytes, 0, Wal.SEGMENT_HEADER_BYTES - 4);
        java.nio.ByteBuffer.wrap(bytes).putInt(Wal.SEGMENT_HEADER_BYTES - 4, (int) crc.getValue());
        Files.write(seg, bytes);
        try (Wal wal = reopen(new ArrayList<>())) {
            assertThat(wal.recovery().records()).isEqualTo(records);
            assertThat(wal.segmentCount()).isEqualTo(2);
            wal.append(List.of(entry(9, 9, "new")));
            wal.sync();
        }
        assertThat(Files.readAllBytes(segments().get(1))[4]).isEqualTo(Wal.FORMAT_VERSION);
        try (Wal wal = reopen(new ArrayList<>())) {
            assertThat(wal.recovery().records()).hasSize(records.size() + 1);
        }
    }
}
