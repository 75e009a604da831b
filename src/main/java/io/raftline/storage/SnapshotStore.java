package io.raftline.storage;

import io.raftline.raft.Membership;
import io.raftline.raft.SerializationException;
import io.raftline.raft.Snapshot;
import io.raftline.raft.SnapshotMetadata;
import io.raftline.raft.StorageException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.zip.CRC32C;

/**
 * State-machine snapshots as files {@code <index hex>-<term hex>.snap}, written atomically (temporary file,
 * fsync, rename, fsync of the directory) so a crash leaves either the old snapshot or the new one, never a
 * half-written one under the real name.
 *
 * <p>File format (big-endian): {@code "RLSN"}, u8 version, i64 index, i64 term, i32 voter count, i32 voters…,
 * [version ≥ 2: i32 learner count, i32 learners…], [version 3: the members' addresses as
 * {@link Membership#putAddresses} writes them], i32 data length, data, u32 CRC32C of everything before it.
 * Version 3 (addresses) is written; version 1 and 2 files still load, with no learners or addresses. Loading takes the
 * newest file that validates; a damaged newer file is reported, renamed to {@code .corrupt} for inspection, and an
 * older one is loaded. That older one is not a real fallback: compaction deletes the log's segments up to the newest
 * snapshot, so recovery from the older one finds a gap and refuses to start (the node is replaced,
 * docs/operations.md "A node that refuses to start"); it helps only while the log still reaches back to it. Keeping
 * the segments back to the older snapshot would double the log every node keeps. The directory is fsynced before a
 * snapshot is loaded, so what recovery trusts is durable. The two newest snapshots are kept. All file I/O goes
 * through a {@link Disk}.
 *
 * <p>{@link #save} may run on a different thread than the write-ahead log (the host writes large snapshot files
 * off the log's worker), so this class keeps no mutable state: concurrent saves of different snapshots only
 * race on deleting old files, which tolerates a file already gone.
 */
public final class SnapshotStore {

    private static final byte[] MAGIC = "RLSN".getBytes(StandardCharsets.US_ASCII);
    /** Version 1: voters only. */
    static final byte VERSION_VOTERS = 1;
    /** Version 2: voters and learners. */
    static final byte VERSION_LEARNERS = 2;
    /** Version 3: voters, learners and the members' addresses. */
    static final byte VERSION_ADDRESSES = 3;
    private static final int KEEP = 2;

    private final Disk disk;
    private final Path dir;
    /**
     * Why these files must not be read again in this process: an fsync of a snapshot file or of the directory failed
     * (null: none did). Set by whichever thread writes snapshots, read by the one that reopens the store.
     */
    private volatile String fsyncFailure;

    /** Snapshots in {@code dir} on the real file system. */
    public SnapshotStore(Path dir) {
        this(NioDisk.INSTANCE, dir);
    }

    /** Snapshots in {@code dir}, with all file I/O through {@code disk}. */
    public SnapshotStore(Disk disk, Path dir) {
        this.disk = disk;
        this.dir = dir;
    }

    /**
     * Writes {@code s} durably and removes all but the newest {@value #KEEP} snapshot files. On failure the temporary
     * file is deleted (best effort), so a full disk is not kept full by the snapshot that met it.
     */
    public void save(Snapshot s) {
        Path target = dir.resolve(name(s.index(), s.term()));
        Path tmp = dir.resolve(name(s.index(), s.term()) + ".tmp");
        try {
            disk.createDirectoriesDurably(dir);
            try (Disk.AppendFile ch = disk.open(tmp, Disk.OpenMode.CREATE_OR_TRUNCATE)) {
                // The bytes of encode(s), written in three parts: the data is not copied again (it is the whole
                // key space, copied once already by its serialization).
                ByteBuffer header = header(s, VERSION_ADDRESSES);
                CRC32C crc = new CRC32C();
                crc.update(header.array(), 0, header.limit());
                crc.update(s.data());
                ch.write(header);
                ch.write(ByteBuffer.wrap(s.data()));
                ch.write(ByteBuffer.allocate(4).putInt(0, (int) crc.getValue()));
                try {
                    ch.force(true);
                } catch (IOException e) {
                    throw fsyncFailed(e);
                }
            }
            disk.rename(tmp, target);
            try {
                disk.syncDirectory(dir);
            } catch (IOException e) {
                throw fsyncFailed(e);
            }
            List<Path> all = list();
            for (int i = KEEP; i < all.size(); i++) {
                disk.deleteIfExists(all.get(i));
            }
        } catch (IOException e) {
            // A file that could not be written whole holds space (a full disk: most of the snapshot) until the next
            // start would delete it; the node stops on this failure, so it goes now.
            try {
                disk.deleteIfExists(tmp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new StorageException("cannot write snapshot " + target + ": " + e.getMessage(), e);
        }
    }

    /**
     * Records a failed fsync (the caller throws the exception returned): after it, a read in this process could trust
     * what the kernel still serves but never wrote, above all a rename the directory's fsync did not make durable. The
     * node would then compact its log against a snapshot that a power cut could take away.
     */
    private IOException fsyncFailed(IOException e) {
        fsyncFailure = "an fsync of the snapshots in " + dir + " failed (" + e.getMessage() + "): the kernel may"
                + " still serve a snapshot or a rename it could not write, so reading them again would trust what may"
                + " not be on disk; check the device, then start the process after a reboot (which empties the page"
                + " cache) or replace the node";
        return e;
    }

    /**
     * Why the snapshot files must not be read again in this process, or null if they may be: as
     * {@link WalLog#reopenRefusal()} says for the log.
     *
     * @return the reason, or null
     */
    public String reopenRefusal() {
        return fsyncFailure;
    }

    /** The newest valid snapshot, if any; damaged files are reported to {@code warn} and set aside. */
    public Optional<Snapshot> loadNewest(Consumer<String> warn) {
        try {
            if (!disk.isDirectory(dir)) {
                return Optional.empty();
            }
            for (Path tmp : disk.list(dir).stream().filter(p -> p.toString().endsWith(".snap.tmp")).toList()) {
                disk.deleteIfExists(tmp);
            }
            // A process killed between a snapshot's rename and the directory fsync leaves the rename in the page
            // cache only; the node is about to trust that snapshot (and write a log that continues after it), so
            // the rename must be made durable first.
            disk.syncDirectory(dir);
            for (Path p : list()) {
                try {
                    return Optional.of(decode(disk.readAll(p)));
                } catch (IllegalArgumentException | java.nio.BufferUnderflowException e) {
                    Path aside = p.resolveSibling(p.getFileName() + ".corrupt");
                    disk.rename(p, aside);
                    warn.accept("snapshot " + p.getFileName() + " is damaged (" + e.getMessage() + "); moved to "
                            + aside.getFileName() + ", trying an older one");
                }
            }
            return Optional.empty();
        } catch (IOException e) {
            throw new StorageException("cannot read snapshots in " + dir + ": " + e.getMessage(), e);
        }
    }

    private List<Path> list() throws IOException {
        List<Path> out = new ArrayList<>(disk.list(dir).stream()
                .filter(p -> p.getFileName().toString().matches("[0-9a-f]{16}-[0-9a-f]{16}\\.snap")).toList());
        out.sort(Comparator.comparing((Path p) -> p.getFileName().toString()).reversed());
        return out;
    }

    private static String name(long index, long term) {
        return String.format("%016x-%016x.snap", index, term);
    }

    static byte[] encode(Snapshot s) {
        return encode(s, VERSION_ADDRESSES);
    }

    /**
     * Encodes in a given format version (version 1 drops the learners and version 2 the addresses: tests write old
     * files with them).
     */
    static byte[] encode(Snapshot s, byte version) {
        ByteBuffer header = header(s, version);
        ByteBuffer b = ByteBuffer.allocate(header.limit() + s.data().length + 4);
        b.put(header).put(s.data());
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        return b.array();
    }

    /** Everything of {@link #encode} before the data (which follows it, then the checksum of both), ready to read. */
    private static ByteBuffer header(Snapshot s, byte version) {
        List<Integer> voters = s.metadata().voters();
        List<Integer> learners = version >= VERSION_LEARNERS ? s.metadata().learners() : List.of();
        Map<Integer, String> addresses = version >= VERSION_ADDRESSES ? s.metadata().addresses() : Map.of();
        int membersBytes = 4 + 4 * voters.size() + (version >= VERSION_LEARNERS ? 4 + 4 * learners.size() : 0)
                + (version >= VERSION_ADDRESSES ? Membership.addressesBytes(addresses) : 0);
        ByteBuffer b = ByteBuffer.allocate(4 + 1 + 8 + 8 + membersBytes + 4);
        b.put(MAGIC).put(version).putLong(s.index()).putLong(s.term());
        putIds(b, voters);
        if (version >= VERSION_LEARNERS) {
            putIds(b, learners);
        }
        if (version >= VERSION_ADDRESSES) {
            Membership.putAddresses(b, addresses);
        }
        b.putInt(s.data().length);
        return b.flip();
    }

    static Snapshot decode(byte[] bytes) {
        if (bytes.length < 4 + 1 + 8 + 8 + 4 + 4 + 4) {
            throw new IllegalArgumentException("file too short (" + bytes.length + " bytes)");
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if ((int) crc.getValue() != b.getInt(bytes.length - 4)) {
            throw new IllegalArgumentException("checksum mismatch");
        }
        for (byte m : MAGIC) {
            if (b.get() != m) {
                throw new IllegalArgumentException("bad magic");
            }
        }
        byte version = b.get();
        if (version != VERSION_VOTERS && version != VERSION_LEARNERS && version != VERSION_ADDRESSES) {
            throw new IllegalArgumentException("unsupported version " + version);
        }
        long index = b.getLong();
        long term = b.getLong();
        List<Integer> voters = getIds(b, "voter");
        List<Integer> learners = version >= VERSION_LEARNERS ? getIds(b, "learner") : List.of();
        Map<Integer, String> addresses;
        try {
            addresses = version >= VERSION_ADDRESSES ? Membership.readAddresses(b) : Map.of();
        } catch (SerializationException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        int len = b.getInt();
        if (len < 0 || len != b.remaining() - 4) {
            throw new IllegalArgumentException("bad data length " + len);
        }
        byte[] data = new byte[len];
        b.get(data);
        return new Snapshot(new SnapshotMetadata(index, term, voters, learners, addresses), data);
    }

    private static void putIds(ByteBuffer b, List<Integer> ids) {
        b.putInt(ids.size());
        for (int id : ids) {
            b.putInt(id);
        }
    }

    private static List<Integer> getIds(ByteBuffer b, String what) {
        int n = b.getInt();
        if (n < 0 || n > 1000) {
            throw new IllegalArgumentException("bad " + what + " count " + n);
        }
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add(b.getInt());
        }
        return ids;
    }
}
