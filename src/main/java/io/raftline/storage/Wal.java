package io.raftline.storage;

import io.raftline.raft.StorageException;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.IntToLongFunction;
import java.util.zip.CRC32C;

/**
 * A segmented, append-only write-ahead log of {@link WalRecord}s with a CRC32C on every record.
 *
 * <p>Segments are files {@code <16 hex digits of sequence>.wal}. This version writes format 3: a 28-byte header
 * ({@code "RLWL"}, format version 3, 3 reserved bytes, u64 sequence, u64 salt, u32 CRC32C of the 24 bytes before
 * it) followed by records whose CRC32C covers the segment's salt (8 bytes, big-endian) and then the record's body.
 * The salt is drawn at random for each segment, so no bytes a client chose (a value holding a record's encoding)
 * and nothing left over from another segment can pass as a record of this one. After each {@code fsync} that made
 * records durable, {@link #sync} writes a <em>sync mark</em> (a record of type {@value #TYPE_SYNC_MARK} that only
 * this class sees: u64 bytes of the segment known durable, u64 the segment's sequence), so that recovery can tell
 * acknowledged bytes from the tail of an interrupted write (below). Format 2 (the same, without sync marks) and
 * format 1 segments (a 16-byte header without salt, records whose CRC32C covers the body alone) are still read; the
 * log never appends to one: opened with one last, it starts a new segment. A new segment is started once the current
 * one passes the configured size. {@link #append} writes a batch with one {@code write} (several for a batch over
 * {@value #WRITE_CHUNK_BYTES} bytes) and {@link #sync} makes it durable with one {@code fsync}, so the host can
 * cover every entry of a Raft Ready (and every client proposal batched into it) with a single fsync: group commit.
 *
 * <p>Recovery ({@link #open}) reads every segment in order. A record that fails its checksum or cannot be
 * parsed is a <em>torn tail</em> if it is in the last segment, no valid sync mark after it says that its bytes
 * were made durable (a damaged record before such a mark was acknowledged, whatever else it looks like), and either
 * an all-zero, 512-byte-aligned sector
 * of the file overlaps it (a write whose pages reached the disk out of order: anything after such a hole was
 * written after the last successful fsync) or no valid record can be found anywhere after it: the write was
 * interrupted by a crash and never acknowledged, so the file is truncated there and the truncation reported.
 * Anywhere else it is corruption of data that may have been acknowledged, and {@link WalCorruptionException}
 * stops the node with the file and offset. What recovery read is fsynced before the log is used: after a
 * process crash it may have come from the page cache only.
 *
 * <p>Not thread-safe: after {@code open}, one worker thread calls everything, in order. After any I/O
 * error the log is failed for good (fail-stop): every later call throws, so a node can never acknowledge
 * a write it could not persist. All file I/O goes through a {@link Disk}.
 */
public final class Wal implements Closeable, WalLog {

    /** Default segment size: 64 MiB. */
    public static final long DEFAULT_SEGMENT_BYTES = 64L * 1024 * 1024;
    /** Largest record body accepted when reading (a larger length field is damage). */
    public static final int MAX_RECORD_BYTES = 256 * 1024 * 1024;

    /** Bytes in the header of a segment of the format this version writes (3; format 2's are the same). */
    static final int SEGMENT_HEADER_BYTES = 28;
    /** Bytes in the header of a format 1 segment (no salt, no header checksum). */
    static final int V1_SEGMENT_HEADER_BYTES = 16;
    /** Bytes of the salt in a format 2 segment's header. */
    static final int SALT_BYTES = 8;
    /** The format this version writes: format 2 and sync marks. */
    static final byte FORMAT_VERSION = 3;
    /** Salted records without sync marks: read, never appended to. */
    static final byte FORMAT_VERSION_2 = 2;
    /** The first format (no salt, no header checksum): read, never appended to. */
    static final byte FORMAT_VERSION_1 = 1;
    /**
     * The record type of a sync mark: above every {@link WalRecord} type, and never one (no reader of the log's records
     * sees it).
     */
    static final byte TYPE_SYNC_MARK = 6;
    /** A sync mark's body: its type, the durable bytes it states, the segment's sequence. */
    static final int SYNC_MARK_BODY_BYTES = 17;
    /**
     * The most bytes {@link #append} hands to one {@code write} (a single larger record goes alone): a batch's size is
     * not bounded by what one buffer can hold.
     */
    static final int WRITE_CHUNK_BYTES = 64 * 1024 * 1024;
    /** The unit in which unsynced data can be lost out of order at a power cut (a disk sector; pages are 8 of them). */
    static final int SECTOR_BYTES = 512;
    private static final byte[] MAGIC = "RLWL".getBytes(StandardCharsets.US_ASCII);
    private static final SecureRandom SALTS = new SecureRandom();

    /** What recovery found. */
    public record Recovery(List<WalRecord> records, long truncatedBytes, List<String> notes) {
    }

    /**
     * One segment file and, per group whose live entries it holds, the highest index of them (a log of one group only
     * ever has group 0; the groups of a {@link SharedWal} are told apart by {@link WalRecord.Tagged}). Entries that
     * later records made dead do not count (see {@link #noteRecord}): the map is lowered when that happens, on the
     * log's one thread.
     */
    /**
     * A segment missing between two that were read: {@code before} is the index, in the segments read, of the one
     * before it.
     */
    private record Hole(int before, String what) {
    }

    /** The holes found at open, for {@link #refuseLostSegments}. */
    private final List<Hole> holes = new ArrayList<>();

    /**
     * Refuses a segment lost between two surviving ones. Segments go oldest first, each unlink synced before the next,
     * so the survivors are consecutive: a hole is a lost segment, with whatever it held (entries, a vote). The one
     * exception is a log an older release compacted (before 2026-12-05 it synced a compaction's unlinks once, at its
     * end, and a power cut could bring back a covered segment without the next one): a hole is accepted only if every
     * segment before it holds nothing but entries the snapshot covers, which is all such a segment can hold.
     *
     * @param snapshotIndex the index of the snapshot recovery starts from (0: none)
     */
    @Override
    public void refuseLostSegments(long snapshotIndex) {
        for (Hole h : holes) {
            for (int i = 0; i <= h.before(); i++) {
                if (!covered(closed.get(i), g -> snapshotIndex)) {
                    throw new StorageException(h.what() + ": segments are deleted oldest first, so it was lost with"
                            + " the records it held (segment " + closed.get(i).path.getFileName() + " before it holds"
                            + " entries past the snapshot at " + snapshotIndex + "); refusing to start rather than"
                            + " forget acknowledged entries or votes (docs/operations.md, \"A node that refuses to"
                            + " start\")");
                }
            }
        }
    }

    private record Segment(long seq, Path path, Map<Integer, Long> maxEntryIndex) {
    }

    private final Disk disk;
    private final Path dir;
    private final long segmentBytes;
    private final List<Segment> closed = new ArrayList<>();
    private long currentSeq;
    private Path currentPath;
    private Disk.AppendFile current;
    private long currentSize;
    private Map<Integer, Long> currentMaxIndex = new HashMap<>();
    /**
     * Per group, the index of the last entry written: an entry at or below it overwrites (see {@link #noteRecord}).
     */
    private final Map<Integer, Long> lastEntryIndex = new HashMap<>();
    /** The current segment's salt, mixed into every record's checksum. */
    private byte[] currentSalt;
    /**
     * Where the current segment's last sync mark ends (its header's end before the first): {@link #sync} writes a mark
     * only when records were appended after it.
     */
    private long markedEnd;
    private long closedBytes;
    private Throwable failure;
    // Whether the failure was a write's (the part it wrote is cut as a torn tail when the files are read again) rather
    // than an fsync's or a directory's (whose pages the kernel may serve as written although they never reached disk).
    private boolean onlyAWriteFailed;
    // Whether a new segment is being created and its header written: a failure there is a write's too (a re-read
    // removes what it left as a torn segment creation), while the fsyncs that follow are not.
    private boolean writingHeader;
    private final Recovery recovery;
    // Written by the one thread that uses the log, read by status requests on other threads.
    private volatile long fsyncs;

    private Wal(Disk disk, Path dir, long segmentBytes, Recovery recovery) {
        this.disk = disk;
        this.dir = dir;
        this.segmentBytes = segmentBytes;
        this.recovery = recovery;
    }

    /**
     * Opens (creating if needed) the log in {@code dir}, recovering what it holds.
     *
     * @param warn receives one line per repair made (torn tail truncated, torn segment removed)
     * @throws WalCorruptionException if data before the tail is damaged
     * @throws StorageException       on I/O errors
     */
    public static Wal open(Path dir, long segmentBytes, Consumer<String> warn) {
        return open(NioDisk.INSTANCE, dir, segmentBytes, warn);
    }

    /** As {@link #open(Path, long, Consumer)}, doing all file I/O through {@code disk}. */
    public static Wal open(Disk disk, Path dir, long segmentBytes, Consumer<String> warn) {
        try {
            disk.createDirectoriesDurably(dir);
            List<Path> files = segmentFiles(disk, dir);
            List<WalRecord> records = new ArrayList<>();
            List<String> notes = new ArrayList<>();
            long truncated = 0;
            List<Segment> segments = new ArrayList<>();
            List<List<WalRecord>> segmentRecords = new ArrayList<>();
            ReadResult lastRead = null;
            List<Hole> holes = new ArrayList<>();
            for (int i = 0; i < files.size(); i++) {
                boolean last = i == files.size() - 1;
                Path f = files.get(i);
                long seq = sequenceOf(f);
                Segment before = segments.isEmpty() ? null : segments.get(segments.size() - 1);
                if (before != null && seq != before.seq + 1) {
                    // Judged once the snapshot is known (refuseLostSegments): the survivors are consecutive but for
                    // the covered segments an older release's unsynced unlinks brought back.
                    holes.add(new Hole(segments.size() - 1, "write-ahead log in " + dir + " is missing segment "
                            + String.format("%016x.wal", before.seq + 1) + " (between " + before.path.getFileName()
                            + " and " + f.getFileName() + ")"));
                }
                ReadResult r = readSegment(disk.readAll(f), f, seq, last);
                if (r.tornAt >= 0) {
                    long size = disk.size(f);
                    if (r.tornAt == 0) {
                        disk.delete(f);
                        String note = "removed torn segment " + f.getFileName() + " (" + size
                                + " bytes, header incomplete or never synced)";
                        notes.add(note);
                        warn.accept(note);
                        truncated += size;
                        continue;
                    }
                    try (Disk.AppendFile ch = disk.open(f, Disk.OpenMode.EXISTING)) {
                        ch.truncate(r.tornAt);
                        ch.force(true);
                    }
                    String note = "truncated torn tail of " + f.getFileName() + " at offset " + r.tornAt + " ("
                            + (size - r.tornAt) + " bytes of an interrupted write" + r.tornWhy + ")";
                    notes.add(note);
                    warn.accept(note);
                    truncated += size - r.tornAt;
                }
                records.addAll(r.records);
                segments.add(new Segment(seq, f, new HashMap<>()));
                segmentRecords.add(r.records);
                lastRead = r;
            }
            Wal wal = new Wal(disk, dir, segmentBytes, new Recovery(records, truncated, notes));
            wal.holes.addAll(holes);
            if (segments.isEmpty()) {
                wal.startSegment(1);
            } else {
                // Each segment's live maxima, as appends noted them, overwrites included: the segments in order, each
                // current while its records are noted, then closed.
                for (int i = 0; i < segments.size(); i++) {
                    Segment s = segments.get(i);
                    wal.currentMaxIndex = s.maxEntryIndex;
                    for (WalRecord r : segmentRecords.get(i)) {
                        wal.noteRecord(r);
                    }
                    if (i < segments.size() - 1) {
                        wal.closed.add(s);
                        wal.closedBytes += disk.size(s.path);
                    }
                }
                Segment lastSeg = segments.get(segments.size() - 1);
                wal.currentSeq = lastSeg.seq;
                wal.currentPath = lastSeg.path;
                wal.current = disk.open(lastSeg.path, Disk.OpenMode.EXISTING);
                wal.currentSize = wal.current.size();
                wal.currentSalt = lastRead.salt;
                wal.markedEnd = wal.currentSize;
                // What we just read may be only in the page cache: a process killed between its write and its
                // fsync leaves it there. The node will act on it (a leader re-sending these entries finds them
                // present and gets an acknowledgement without any write), so make it durable before trusting it,
                // and the directory too (recovery's own repairs, a deletion the dead process did not sync).
                wal.current.force(false);
                disk.syncDirectory(dir);
                if (lastRead.version != FORMAT_VERSION) {
                    // A log written by an earlier version: its records keep their format, new ones go to a segment of
                    // this format (a torn tail there is then told apart by the salt).
                    wal.roll();
                }
            }
            return wal;
        } catch (IOException e) {
            throw new StorageException("cannot open write-ahead log in " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads every record of the log in {@code dir} again, repairing nothing: for a reader on the log's own thread, with
     * no write half done, after {@link #open} repaired what a crash left. Any damage is reported as corruption.
     */
    static List<WalRecord> reread(Disk disk, Path dir) {
        try {
            List<WalRecord> records = new ArrayList<>();
            for (Path f : segmentFiles(disk, dir)) {
                records.addAll(readSegment(disk.readAll(f), f, sequenceOf(f), false).records);
            }
            return records;
        } catch (IOException e) {
            throw new StorageException("cannot read write-ahead log in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The segment files in {@code dir}, oldest first. */
    private static List<Path> segmentFiles(Disk disk, Path dir) throws IOException {
        return disk.list(dir).stream().filter(p -> p.getFileName().toString().matches("[0-9a-f]{16}\\.wal"))
                .sorted().toList();
    }

    /** A segment file's sequence number, from its name. */
    private static long sequenceOf(Path segment) {
        return Long.parseLong(segment.getFileName().toString().substring(0, 16), 16);
    }

    /** The records found at open, in write order. */
    public Recovery recovery() {
        return recovery;
    }

    @Override
    public List<WalRecord> recoveredRecords() {
        return recovery.records();
    }

    /**
     * Appends a batch: one write, or one per {@value #WRITE_CHUNK_BYTES} bytes of a larger batch (whole records in
     * each, so a crash between them leaves a prefix of the batch). Not durable until {@link #sync()}.
     *
     * @throws StorageException if a record is larger than {@link #MAX_RECORD_BYTES} (nothing is written and the log
     *                          stays usable), or on I/O errors (the log is then failed for good)
     */
    @Override
    public void append(List<WalRecord> records) {
        checkHealthy();
        if (records.isEmpty()) {
            return;
        }
        for (WalRecord r : records) {
            int body = WalRecord.bodySize(r);
            // A body past 2^31 bytes wraps to a negative size.
            if (body <= 0 || body > MAX_RECORD_BYTES) {
                throw new StorageException("write-ahead log: a record of " + Integer.toUnsignedString(body)
                        + " bytes is larger than the largest one the log can hold (" + MAX_RECORD_BYTES + " bytes)");
            }
        }
        boolean writing = false;
        try {
            if (currentSize >= segmentBytes) {
                roll();
            }
            CRC32C crc = new CRC32C();
            int from = 0;
            while (from < records.size()) {
                int to = from;
                long bytes = 0;
                while (to < records.size()) {
                    long size = WalRecord.HEADER_BYTES + (long) WalRecord.bodySize(records.get(to));
                    if (to > from && bytes + size > WRITE_CHUNK_BYTES) {
                        break;
                    }
                    bytes += size;
                    to++;
                }
                ByteBuffer buf = ByteBuffer.allocate(Math.toIntExact(bytes));
                for (WalRecord r : records.subList(from, to)) {
                    int body = WalRecord.bodySize(r);
                    int start = buf.position();
                    buf.position(start + WalRecord.HEADER_BYTES);
                    WalRecord.writeBody(r, buf);
                    int sum = checksum(crc, currentSalt, buf.array(), start + WalRecord.HEADER_BYTES, body);
                    buf.putInt(start, body).putInt(start + 4, sum);
                    noteRecord(r);
                }
                buf.flip();
                writing = true;
                current.write(buf);
                writing = false;
                currentSize += bytes;
                from = to;
            }
        } catch (IOException | RuntimeException e) {
            StorageException failed = fail("append to " + currentPath, e);
            onlyAWriteFailed = writing || writingHeader;
            throw failed;
        }
    }

    /** The checksum of a record's body: CRC32C of the segment's salt (none in format 1), then the body. */
    private static int checksum(CRC32C crc, byte[] salt, byte[] bytes, int off, int len) {
        crc.reset();
        if (salt != null) {
            crc.update(salt);
        }
        crc.update(bytes, off, len);
        return (int) crc.getValue();
    }

    /** Makes everything appended so far durable (one fsync). */
    @Override
    public void sync() {
        checkHealthy();
        try {
            current.force(false);
            fsyncs++;
        } catch (IOException | RuntimeException e) {
            throw fail("fsync " + currentPath, e);
        }
        if (currentSize > markedEnd) {
            writeSyncMark();
        }
    }

    /**
     * Writes a sync mark stating that the current segment's first {@code currentSize} bytes are durable, without an
     * fsync of its own: the next sync covers it, and a process killed before that leaves it in the page cache, which
     * recovery reads. Without it, a synced record damaged on the medium (a flipped bit) whose value holds a sector of
     * zeros looked like the tail of an interrupted write, and recovery cut it and every acknowledged record after it.
     */
    private void writeSyncMark() {
        ByteBuffer buf = ByteBuffer.allocate(WalRecord.HEADER_BYTES + SYNC_MARK_BODY_BYTES);
        buf.position(WalRecord.HEADER_BYTES);
        buf.put(TYPE_SYNC_MARK).putLong(currentSize).putLong(currentSeq);
        int sum = checksum(new CRC32C(), currentSalt, buf.array(), WalRecord.HEADER_BYTES, SYNC_MARK_BODY_BYTES);
        buf.putInt(0, SYNC_MARK_BODY_BYTES).putInt(4, sum).flip();
        try {
            current.write(buf);
        } catch (IOException | RuntimeException e) {
            StorageException failed = fail("append to " + currentPath, e);
            onlyAWriteFailed = true;
            throw failed;
        }
        currentSize += buf.limit();
        markedEnd = currentSize;
    }

    /** Number of {@link #sync()} fsyncs since open. */
    @Override
    public long fsyncs() {
        return fsyncs;
    }

    /**
     * Deletes closed segments whose entries are all at or below {@code index} (covered by a durable
     * snapshot). The caller must first have appended and synced a {@link WalRecord.SnapshotRecord} and the
     * current {@link WalRecord.HardStateRecord}, so nothing still needed lives only in a deleted segment.
     *
     * @return bytes freed
     */
    @Override
    public long deleteSegmentsUpTo(long index) {
        return deleteCoveredSegments(group -> index);
    }

    /**
     * Deletes the closed segments, oldest first, whose entries of every group are all at or below that group's
     * {@code floor} (covered by a durable snapshot of the group); stops at the first segment that still holds an
     * entry above its group's floor. The caller must first have made sure nothing else still needed (a group's
     * hard state) lives only in those segments: see {@link #lastCoveredSegment}.
     *
     * @param floor group → the index up to which that group's entries are covered
     * @return bytes freed
     */
    public long deleteCoveredSegments(IntToLongFunction floor) {
        return deleteCoveredSegments(floor, Long.MAX_VALUE);
    }

    /**
     * {@link #deleteCoveredSegments(IntToLongFunction)}, but never past segment {@code lastSeq}: the caller checked
     * what lives in the segments up to there ({@link #lastCoveredSegment}) and nothing newer. Writing what must
     * outlive them can roll the current segment, which then is closed and may be covered too, holding records the
     * caller never looked at.
     *
     * @param floor   group → the index up to which that group's entries are covered
     * @param lastSeq the newest segment that may go
     * @return bytes freed
     */
    public long deleteCoveredSegments(IntToLongFunction floor, long lastSeq) {
        checkHealthy();
        long freed = 0;
        try {
            while (!closed.isEmpty() && closed.get(0).seq <= lastSeq && covered(closed.get(0), floor)) {
                Segment s = closed.remove(0);
                long size = disk.size(s.path);
                disk.delete(s.path);
                // Each unlink durable before the next: the segments on disk after a power cut are then always the
                // newest ones, never an older one without a newer one. POSIX leaves the order of unsynced directory
                // changes open, and an older segment back without the newer one that overwrote its entries would
                // bring dead entries back as live (or make recovery drop a live tail as belonging to a replaced log).
                disk.syncDirectory(dir);
                closedBytes -= size;
                freed += size;
            }
        } catch (IOException e) {
            throw fail("delete compacted segments in " + dir, e);
        }
        return freed;
    }

    /**
     * The sequence number of the newest segment that {@link #deleteCoveredSegments} would delete with this
     * {@code floor}, or -1 if it would delete none. No I/O.
     */
    public long lastCoveredSegment(IntToLongFunction floor) {
        long last = -1;
        for (Segment s : closed) {
            if (!covered(s, floor)) {
                break;
            }
            last = s.seq;
        }
        return last;
    }

    /** The sequence number of the segment appends go to. */
    public long currentSegment() {
        return currentSeq;
    }

    /**
     * The groups that hold entries in the oldest segment, each with its highest entry index there: the segment that
     * must go first for any space to be freed. The current segment's when no segment is closed.
     */
    public Map<Integer, Long> oldestSegmentEntries() {
        return Map.copyOf(closed.isEmpty() ? currentMaxIndex : closed.get(0).maxEntryIndex);
    }

    private static boolean covered(Segment s, IntToLongFunction floor) {
        for (Map.Entry<Integer, Long> e : s.maxEntryIndex.entrySet()) {
            if (e.getValue() > floor.applyAsLong(e.getKey())) {
                return false;
            }
        }
        return true;
    }

    /**
     * Notes a record written to the current segment (or read from it at open) in the segments' per-group maxima. An
     * entry goes to the current segment's. An entry at or below its group's last written index overwrites: Raft cut
     * the group's log there (a new leader replaced entries that never committed), and replay lets the later entry
     * win, so the entries from its index on that earlier records hold are dead and every segment's maximum of that
     * group is lowered below it. A snapshot installed from the leader replaced the group's whole log: nothing above its
     * index written before stays live. Without this a group whose uncommitted tail was overwritten kept the segments
     * holding that tail until it wrote past the tail's end again, which on a shared log an idle group never does: its
     * dead entries held every group's segments and the node's log grew to {@code max_log_size_bytes}, which refuses
     * every write. Lowering is safe because a segment is deleted only after everything appended is synced (the callers
     * of {@link #deleteCoveredSegments} and {@link #deleteSegmentsUpTo} sync first): the overwriting records are then
     * durable, and what the segment still holds live is covered by the group's snapshot.
     */
    private void noteRecord(WalRecord r) {
        WalRecord inner = WalRecord.untagged(r);
        int group = WalRecord.groupOf(r);
        if (inner instanceof WalRecord.EntryRecord e) {
            long index = e.entry().index();
            Long last = lastEntryIndex.put(group, index);
            if (last != null && index <= last) {
                liveUpTo(group, index - 1);
            }
            currentMaxIndex.merge(group, index, Math::max);
        } else if (inner instanceof WalRecord.SnapshotInstalledRecord installed) {
            liveUpTo(group, installed.index());
            lastEntryIndex.put(group, installed.index());
        }
    }

    /** Lowers {@code group}'s maximum to {@code index} in every segment so far (dropped at 0: no live entry). */
    private void liveUpTo(int group, long index) {
        for (Segment s : closed) {
            lower(s.maxEntryIndex, group, index);
        }
        lower(currentMaxIndex, group, index);
    }

    private static void lower(Map<Integer, Long> maxIndex, int group, long index) {
        maxIndex.computeIfPresent(group, (g, max) -> index <= 0 ? null : Math.min(max, index));
    }

    /** Bytes on disk over all segments. */
    @Override
    public long sizeBytes() {
        return closedBytes + currentSize;
    }

    /** Number of segment files. */
    public int segmentCount() {
        return closed.size() + 1;
    }

    /** Whether an I/O error made this log unusable. */
    @Override
    public boolean failed() {
        return failure != null;
    }

    @Override
    public String reopenRefusal() {
        return failure == null || onlyAWriteFailed ? null : "an fsync of the write-ahead log in " + dir + " failed ("
                + failure.getMessage() + "): the kernel may still serve pages it could not write, so reading the log"
                + " again would trust entries that may not be on disk; check the device, then start the process after"
                + " a reboot (which empties the page cache) or replace the node";
    }

    @Override
    public void close() {
        try {
            if (current != null) {
                current.close();
            }
        } catch (IOException e) {
            // Closing after a failure or at shutdown: nothing more to protect.
        }
    }

    // ------------------------------------------------------------------ internals

    private void roll() throws IOException {
        current.force(false);
        current.close();
        closed.add(new Segment(currentSeq, currentPath, currentMaxIndex));
        closedBytes += currentSize;
        startSegment(currentSeq + 1);
    }

    private void startSegment(long seq) throws IOException {
        Path p = dir.resolve(String.format("%016x.wal", seq));
        writingHeader = true;
        Disk.AppendFile ch = disk.open(p, Disk.OpenMode.CREATE_NEW);
        byte[] salt = new byte[SALT_BYTES];
        SALTS.nextBytes(salt);
        ByteBuffer h = ByteBuffer.allocate(SEGMENT_HEADER_BYTES);
        h.put(MAGIC).put(FORMAT_VERSION).put(new byte[3]).putLong(seq).put(salt);
        CRC32C crc = new CRC32C();
        crc.update(h.array(), 0, SEGMENT_HEADER_BYTES - 4);
        h.putInt((int) crc.getValue()).flip();
        try {
            ch.write(h);
            writingHeader = false;
            ch.force(true);
            disk.syncDirectory(dir);
        } catch (IOException | RuntimeException e) {
            // The new segment never becomes the current one, so nothing else would close it: a failed write of its
            // header (a full disk) is one a node restarts from in the same process, and each such failure held one
            // more descriptor.
            try {
                ch.close();
            } catch (IOException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
        current = ch;
        currentPath = p;
        currentSeq = seq;
        currentSize = SEGMENT_HEADER_BYTES;
        markedEnd = SEGMENT_HEADER_BYTES;
        currentMaxIndex = new HashMap<>();
        currentSalt = salt;
    }

    /** Throws if an I/O error made this log unusable: a caller that writes nothing still learns of the failure. */
    void checkHealthy() {
        if (failure != null) {
            throw new StorageException("write-ahead log failed earlier and accepts nothing more (fail-stop): "
                    + failure.getMessage(), failure);
        }
    }

    private StorageException fail(String what, Throwable e) {
        failure = e;
        return new StorageException("write-ahead log: " + what + " failed: " + e.getMessage(), e);
    }

    /**
     * What reading one segment found.
     *
     * @param tornAt  where a torn tail starts (0: the segment's creation was torn), -1 if none
     * @param tornWhy what told the tear apart, for the note ("" when nothing valid follows it)
     * @param version the segment's format
     * @param salt    its salt (null in format 1)
     */
    private record ReadResult(List<WalRecord> records, long tornAt, String tornWhy, int version, byte[] salt) {
    }

    private static ReadResult readSegment(byte[] bytes, Path f, long seq, boolean last) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        List<WalRecord> out = new ArrayList<>();
        int version = bytes.length > 4 ? bytes[4] : 0;
        int headerBytes = version == FORMAT_VERSION_1 ? V1_SEGMENT_HEADER_BYTES : SEGMENT_HEADER_BYTES;
        String bad = null;
        int badAt = 0;
        if (bytes.length < headerBytes) {
            bad = "segment shorter than its header";
        }
        for (int i = 0; i < MAGIC.length && bad == null; i++) {
            if (bytes[i] != MAGIC[i]) {
                bad = "not a write-ahead log segment (bad magic)";
            }
        }
        if (bad == null && version != FORMAT_VERSION && version != FORMAT_VERSION_2 && version != FORMAT_VERSION_1) {
            bad = "unsupported segment format version " + version;
            badAt = 4;
        }
        if (bad == null && version == FORMAT_VERSION_1 && salted(bytes)) {
            // Format 1 has no header checksum: a salted header whose version byte a flipped bit made 1 would have its
            // records read without their salt, every one failing, and the whole segment cut as a torn tail.
            bad = "segment format version byte damaged (1 in a header whose checksum is that of a later format)";
            badAt = 4;
        }
        if (bad == null && buf.getLong(8) != seq) {
            bad = "segment header says sequence " + buf.getLong(8) + " but the file name says " + seq;
            badAt = 8;
        }
        byte[] salt = null;
        if (bad == null && version != FORMAT_VERSION_1) {
            CRC32C crc = new CRC32C();
            crc.update(bytes, 0, SEGMENT_HEADER_BYTES - 4);
            if ((int) crc.getValue() != buf.getInt(SEGMENT_HEADER_BYTES - 4)) {
                bad = "segment header checksum mismatch";
                badAt = SEGMENT_HEADER_BYTES - 4;
            }
            salt = java.util.Arrays.copyOfRange(bytes, 16, 16 + SALT_BYTES);
        }
        if (bad != null) {
            // A crash after a new segment's header was written but before its fsync can leave part of the header, or
            // its length without its bytes (zeros on file systems that persist the size first). Records are appended
            // only once the header is synced (startSegment), and no segment is ever preallocated, so a torn creation
            // is at most the longest header's bytes: a bad header in the last segment no longer than that (and, as
            // format 1 said it, no valid format 1 record after it) is one, and nothing acknowledged was in it. A
            // longer one held records once, whatever its bytes are now (until 2026-12-08 a last segment of any length
            // whose bytes after the header were zeros was deleted as a torn creation, acknowledged records and votes
            // with it).
            if (last && bytes.length <= SEGMENT_HEADER_BYTES
                    && !validRecordAfter(bytes, V1_SEGMENT_HEADER_BYTES, null)) {
                return new ReadResult(out, 0, "", version, null);
            }
            if (last && allZero(bytes, SEGMENT_HEADER_BYTES, bytes.length)) {
                throw new WalCorruptionException(f, badAt, bad, "the last segment is " + bytes.length + " bytes long,"
                        + " more than its " + SEGMENT_HEADER_BYTES + "-byte header, so it held records: a torn segment"
                        + " creation leaves at most the header, as records are written only once it is synced; the"
                        + " segment was zeroed or damaged since");
            }
            throw new WalCorruptionException(f, badAt, bad);
        }
        int pos = headerBytes;
        CRC32C crc = new CRC32C();
        while (pos < bytes.length) {
            String problem = null;
            WalRecord rec = null;
            int len = 0;
            boolean fits = false;
            if (bytes.length - pos < WalRecord.HEADER_BYTES) {
                problem = "incomplete record header";
            } else {
                len = buf.getInt(pos);
                int expected = buf.getInt(pos + 4);
                if (len <= 0 || len > MAX_RECORD_BYTES || (long) pos + WalRecord.HEADER_BYTES + len > bytes.length) {
                    problem = "record length " + len + " does not fit";
                } else {
                    fits = true;
                    if (checksum(crc, salt, bytes, pos + WalRecord.HEADER_BYTES, len) != expected) {
                        problem = "checksum mismatch";
                    } else if (bytes[pos + WalRecord.HEADER_BYTES] == TYPE_SYNC_MARK && version == FORMAT_VERSION) {
                        long marked = syncMarkStates(buf, pos, len, seq);
                        if (marked < 0) {
                            problem = "sync mark that does not fit its place (length " + len + ", or the bytes it"
                                    + " states durable not before it, or another segment's)";
                        } else {
                            pos += WalRecord.HEADER_BYTES + len;
                            continue;
                        }
                    } else {
                        try {
                            rec = WalRecord.readBody(ByteBuffer.wrap(bytes, pos + WalRecord.HEADER_BYTES, len).slice());
                        } catch (RuntimeException e) {
                            problem = "unparseable record: " + e.getMessage();
                        }
                    }
                }
            }
            if (problem != null) {
                long durable = salt == null ? -1 : durableStatedAfter(bytes, pos + 1, salt, seq);
                if (durable > pos) {
                    // A valid sync mark after the bad record says its bytes had reached the disk: acknowledged data,
                    // damaged since, whatever a sector of zeros in it suggests.
                    throw new WalCorruptionException(f, pos, problem + " in bytes made durable before (a sync mark"
                            + " at a later offset states the segment's first " + durable + " bytes durable)");
                }
                if (last) {
                    // The bad record's extent: as its length says if that fits, else its header (what is known).
                    int end = fits ? pos + WalRecord.HEADER_BYTES + len
                            : Math.min(bytes.length, pos + WalRecord.HEADER_BYTES);
                    long hole = zeroSectorOverlapping(bytes, pos, end);
                    if (hole >= 0) {
                        return new ReadResult(out, pos, ", its pages reached the disk out of order: the sector at "
                                + hole + " is zeros", version, salt);
                    }
                    if (!validRecordAfter(bytes, pos + 1, salt)) {
                        return new ReadResult(out, pos, "", version, salt);
                    }
                }
                throw new WalCorruptionException(f, pos, problem);
            }
            out.add(rec);
            pos += WalRecord.HEADER_BYTES + len;
        }
        return new ReadResult(out, -1, "", version, salt);
    }

    /**
     * Whether a segment's header, whatever its version byte says, has the checksum of a salted format's header (2 or
     * 3) in its place.
     */
    private static boolean salted(byte[] bytes) {
        if (bytes.length < SEGMENT_HEADER_BYTES) {
            return false;
        }
        byte[] header = java.util.Arrays.copyOf(bytes, SEGMENT_HEADER_BYTES - 4);
        int stored = ByteBuffer.wrap(bytes).getInt(SEGMENT_HEADER_BYTES - 4);
        for (byte v : new byte[] {FORMAT_VERSION_2, FORMAT_VERSION}) {
            header[4] = v;
            CRC32C crc = new CRC32C();
            crc.update(header);
            if ((int) crc.getValue() == stored) {
                return true;
            }
        }
        return false;
    }

    /**
     * The bytes of segment {@code seq} that the sync mark of checksum-valid body at {@code pos} states durable, or -1
     * if it is no mark that fits there: a mark states only bytes before itself, past the header, of its own segment.
     */
    private static long syncMarkStates(ByteBuffer buf, int pos, int len, long seq) {
        if (len != SYNC_MARK_BODY_BYTES) {
            return -1;
        }
        long durable = buf.getLong(pos + WalRecord.HEADER_BYTES + 1);
        long markSeq = buf.getLong(pos + WalRecord.HEADER_BYTES + 9);
        return markSeq == seq && durable >= SEGMENT_HEADER_BYTES && durable <= pos ? durable : -1;
    }

    /**
     * The most bytes of segment {@code seq} that a valid sync mark at or after {@code from} states durable, or -1 if
     * there is none. Only a salted segment's marks count: a client's value cannot hold a record that passes the
     * checksum under a salt it never saw.
     */
    private static long durableStatedAfter(byte[] bytes, int from, byte[] salt, long seq) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        CRC32C crc = new CRC32C();
        long most = -1;
        int size = WalRecord.HEADER_BYTES + SYNC_MARK_BODY_BYTES;
        for (int p = from; p + size <= bytes.length; p++) {
            if (bytes[p + WalRecord.HEADER_BYTES] != TYPE_SYNC_MARK || buf.getInt(p) != SYNC_MARK_BODY_BYTES) {
                continue;
            }
            if (checksum(crc, salt, bytes, p + WalRecord.HEADER_BYTES, SYNC_MARK_BODY_BYTES) == buf.getInt(p + 4)) {
                most = Math.max(most, syncMarkStates(buf, p, SYNC_MARK_BODY_BYTES, seq));
            }
        }
        return most;
    }

    /** Whether bytes {@code from} (inclusive) to {@code to} (exclusive) are all zero. */
    private static boolean allZero(byte[] bytes, int from, int to) {
        for (int i = from; i < to; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * The offset of the first sector (aligned to {@link #SECTOR_BYTES} in the file, whole inside it) that is all zeros
     * and overlaps bytes {@code from} to {@code to} (exclusive), or -1. Such a hole in front of data that survived
     * is unsynced data lost out of order at a power cut (pages of one write reach the disk in any order; a page
     * written but not yet allocated reads back as zeros); fsynced data cannot have one.
     */
    private static long zeroSectorOverlapping(byte[] bytes, int from, int to) {
        for (long s = (long) from / SECTOR_BYTES * SECTOR_BYTES; s < to && s + SECTOR_BYTES <= bytes.length;
                s += SECTOR_BYTES) {
            if (allZero(bytes, (int) s, (int) s + SECTOR_BYTES)) {
                return s;
            }
        }
        return -1;
    }

    /**
     * Whether any offset at or after {@code from} starts a record with a plausible length and a valid checksum under
     * {@code salt} (null: format 1, whose unsalted checksum a client's value can forge).
     */
    private static boolean validRecordAfter(byte[] bytes, int from, byte[] salt) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        // Each try's checksum in a time independent of the length it claims: bytes a client chose can make every few
        // offsets claim megabytes, and a checksum computed over them at each would take hours (Crc32cRanges).
        Crc32cRanges crc = null;
        for (int p = from; p + WalRecord.HEADER_BYTES < bytes.length; p++) {
            int len = buf.getInt(p);
            if (len < 17 || (long) p + WalRecord.HEADER_BYTES + len > bytes.length) {
                continue;
            }
            byte type = bytes[p + WalRecord.HEADER_BYTES];
            if (type < WalRecord.TYPE_ENTRY || type > WalRecord.MAX_TYPE && !(type == TYPE_SYNC_MARK && salt != null)) {
                continue;
            }
            if (crc == null) {
                crc = new Crc32cRanges(bytes, salt);
            }
            if (crc.checksum(p + WalRecord.HEADER_BYTES, len) == buf.getInt(p + 4)) {
                return true;
            }
        }
        return false;
    }
}
