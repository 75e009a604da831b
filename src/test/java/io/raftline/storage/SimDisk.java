package io.raftline.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * A {@link Disk} in memory that crashes the way a real disk behind a page cache does, deterministically from a
 * seed, so the simulator can run the real WAL, snapshot and recovery code through power cuts.
 *
 * <p>What a {@link #powerCut()} does, following POSIX durability rules rather than any one file system's
 * kindness:
 * <ul>
 * <li>Data written to a file after its last {@code fsync} is kept up to a random cut point: all of it, none of
 * it, or a prefix that ends at any byte (a record torn in the middle). Sometimes the kept unsynced part ends in
 * zeros instead of the data (the file's size reached the disk before its data did).
 * <li>A truncation not followed by an fsync may be undone (the old synced content comes back).
 * <li>Directory entries (create, rename, delete) not followed by an fsync of their directory may be undone: each
 * directory keeps a random prefix of its unsynced operations, in order. A rename is atomic: the file is under
 * the old name or the new one, never both or neither.
 * <li>Nothing fsynced is ever lost or reordered.
 * </ul>
 * Not modelled (and why): unsynced pages reaching the disk out of order, leaving a hole before data that survived
 * (the WAL would report corruption rather than a torn tail; no file system in use here does it for appends
 * within one write); bit rot in synced data (the WAL's and snapshots' checksum tests cover it); a failed fsync
 * whose data later reads back as if written (we stop the node instead, see below).
 *
 * <p>A {@link #processCrash()} is {@code kill -9}: the process dies, the page cache survives, nothing written is
 * lost. Either crash kills every open file handle: a stale handle's writes fail.
 *
 * <p>Faults on demand: {@link #failNextWrite()} and {@link #failNextFsync()} make the next write (after writing a
 * random part of it) or the next fsync throw an {@link IOException}, as a dying disk does; the storage must then
 * stop for good. {@link #crashAfter(int, boolean)} makes the process (or the whole machine) die just before the
 * n-th next operation that changes the disk: that operation and every one after it throw {@link Crash} (an
 * {@link Error}, so no catch block of the code under test runs, as in a real crash) until the caller applies the
 * crash with {@link #processCrash()} or {@link #powerCut()}.
 *
 * <p>Not thread-safe: the simulator is single-threaded.
 */
public final class SimDisk implements Disk {

    /**
     * The process or the machine died in the middle of an I/O sequence: nothing after this point runs. An
     * {@link Error} on purpose: the code under test must not be able to catch it and go on.
     */
    public static final class Crash extends Error {
        private static final long serialVersionUID = 1L;

        Crash(String what) {
            super(what, null, false, false);
        }
    }

    /** What the disk did, for the simulator's counters. */
    public static final class Stats {
        public long powerCuts;
        public long processCrashes;
        /** Files whose unsynced tail was cut inside (kept in part). */
        public long tailsTorn;
        /** Files whose unsynced tail was lost entirely. */
        public long tailsLost;
        /** Files whose unsynced tail survived entirely. */
        public long tailsKept;
        /** Kept unsynced tails that ended in zeros. */
        public long tailsZeroed;
        public long unsyncedBytesLost;
        public long dirOpsUndone;
        public long failedWrites;
        public long failedFsyncs;
        /** Crashes that struck in the middle of an I/O sequence ({@link #crashAfter}). */
        public long crashesInIo;

        public void add(Stats o) {
            powerCuts += o.powerCuts;
            processCrashes += o.processCrashes;
            tailsTorn += o.tailsTorn;
            tailsLost += o.tailsLost;
            tailsKept += o.tailsKept;
            tailsZeroed += o.tailsZeroed;
            unsyncedBytesLost += o.unsyncedBytesLost;
            dirOpsUndone += o.dirOpsUndone;
            failedWrites += o.failedWrites;
            failedFsyncs += o.failedFsyncs;
            crashesInIo += o.crashesInIo;
        }

        @Override
        public String toString() {
            return String.format("power-cuts=%d process-crashes=%d crashes-inside-io=%d unsynced-tails: torn=%d lost=%d "
                    + "kept=%d zero-filled=%d unsynced-bytes-lost=%d dir-ops-undone=%d failed-writes=%d failed-fsyncs=%d",
                    powerCuts, processCrashes, crashesInIo, tailsTorn, tailsLost, tailsKept, tailsZeroed,
                    unsyncedBytesLost, dirOpsUndone, failedWrites, failedFsyncs);
        }
    }

    private abstract static sealed class Node permits FileNode, DirNode {
    }

    /** A file: its bytes now, and how much of them an fsync made durable. */
    private static final class FileNode extends Node {
        byte[] buf = new byte[256];
        int len;
        /** Length at the last fsync; bytes before it are durable unless {@link #syncedBeforeTruncate} is set. */
        int syncedLen;
        /** The durable content when a truncation since the last fsync cut into it (the truncation may be undone). */
        byte[] syncedBeforeTruncate;
        /** Shortest length since the last fsync: bytes before it are unchanged since then. */
        int minLenSinceSync;

        void append(byte[] src, int off, int n) {
            if (len + n > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
            }
            System.arraycopy(src, off, buf, len, n);
            len += n;
        }

        void truncate(int size) {
            if (size >= len) {
                return;
            }
            if (size < syncedLen && syncedBeforeTruncate == null) {
                syncedBeforeTruncate = Arrays.copyOf(buf, syncedLen);
            }
            len = size;
            minLenSinceSync = Math.min(minLenSinceSync, size);
        }

        void sync() {
            syncedLen = len;
            minLenSinceSync = len;
            syncedBeforeTruncate = null;
        }
    }

    /** One directory change, applied atomically: names mapped to a node, or to null for a removal. */
    private record DirOp(String[] names, Node[] nodes) {
    }

    /** A directory: its entries now, the entries an fsync made durable, and the changes since, in order. */
    private static final class DirNode extends Node {
        TreeMap<String, Node> entries = new TreeMap<>();
        TreeMap<String, Node> durable = new TreeMap<>();
        final List<DirOp> unsynced = new ArrayList<>();

        void apply(DirOp op) {
            apply(entries, op);
            unsynced.add(op);
        }

        static void apply(Map<String, Node> m, DirOp op) {
            for (int i = 0; i < op.names.length; i++) {
                if (op.nodes[i] == null) {
                    m.remove(op.names[i]);
                } else {
                    m.put(op.names[i], op.nodes[i]);
                }
            }
        }

        void sync() {
            durable = new TreeMap<>(entries);
            unsynced.clear();
        }
    }

    private final SplittableRandom random;
    private final DirNode root = new DirNode();
    private final Stats stats = new Stats();
    /** Bumped by each crash: handles opened before it are dead. */
    private int generation;
    /** Set once a {@link Crash} was thrown, until the crash is applied. */
    private boolean dead;
    /** Operations that change the disk still allowed before the armed crash; negative if none is armed. */
    private int opsBeforeCrash = -1;
    private boolean armedCrashIsPowerCut;
    private boolean failNextWrite;
    /** Handles opened and not closed yet, of every process since the disk was made (a leak shows as a count). */
    private int openHandles;
    private boolean failNextFsync;

    public SimDisk(long seed) {
        this.random = new SplittableRandom(seed);
    }

    public Stats stats() {
        return stats;
    }

    // ------------------------------------------------------------------ faults

    /** The next write throws an {@link IOException} after writing a random part (maybe none) of its bytes. */
    public void failNextWrite() {
        failNextWrite = true;
    }

    /** The next fsync (of a file or a directory) throws an {@link IOException} and makes nothing durable. */
    public void failNextFsync() {
        failNextFsync = true;
    }

    /**
     * The process dies (or the machine, if {@code powerCut}) just before the {@code n}-th next operation that changes
     * the disk (0: the very next one): it throws {@link Crash}, and so does every operation after it until the
     * crash is applied ({@link #crashStruck()} says which kind to apply).
     */
    public void crashAfter(int n, boolean powerCut) {
        opsBeforeCrash = n;
        armedCrashIsPowerCut = powerCut;
    }

    /** Whether an armed crash has struck and was not applied yet. */
    public boolean crashStruck() {
        return dead;
    }

    /** Whether the crash that struck (or is armed) takes the machine down, not only the process. */
    public boolean armedCrashIsPowerCut() {
        return armedCrashIsPowerCut;
    }

    /** Whether a fault armed by {@link #failNextWrite}, {@link #failNextFsync} or {@link #crashAfter} has not fired. */
    public boolean faultArmed() {
        return failNextWrite || failNextFsync || opsBeforeCrash >= 0;
    }

    /**
     * The power fails: applies the crash model (see the class comment) to every file and directory, kills every
     * open handle and disarms pending faults. The disk is healthy afterwards.
     */
    public void powerCut() {
        stats.powerCuts++;
        generation++;
        dead = false;
        disarm();
        crashDir(root, Collections.newSetFromMap(new IdentityHashMap<>()));
    }

    /** The process dies but the machine does not: nothing written is lost; open handles die; faults are disarmed. */
    public void processCrash() {
        stats.processCrashes++;
        generation++;
        dead = false;
        disarm();
    }

    /**
     * Ends an operation run with a crash armed ({@link #crashAfter}): a crash that struck is applied as armed (power
     * cut or process crash); after an operation that completed first, the process dies anyway, so that recovery is
     * always what a restart finds.
     *
     * @param completed whether the operation completed before the armed crash struck
     */
    public void endCrashPoint(boolean completed) {
        if (completed) {
            disarm();
            processCrash();
        } else if (armedCrashIsPowerCut) {
            powerCut();
        } else {
            processCrash();
        }
    }

    /** Disarms every pending fault (the simulator's final, fault-free phase). */
    public void disarmFaults() {
        disarm();
    }

    private void disarm() {
        opsBeforeCrash = -1;
        failNextWrite = false;
        failNextFsync = false;
    }

    private void crashDir(DirNode d, Set<Node> seen) {
        int keep = d.unsynced.isEmpty() ? 0 : random.nextInt(d.unsynced.size() + 1);
        stats.dirOpsUndone += d.unsynced.size() - keep;
        TreeMap<String, Node> after = new TreeMap<>(d.durable);
        for (int i = 0; i < keep; i++) {
            DirNode.apply(after, d.unsynced.get(i));
        }
        d.entries = after;
        d.sync();
        for (Node n : after.values()) {
            if (seen.add(n)) {
                if (n instanceof DirNode sub) {
                    crashDir(sub, seen);
                } else {
                    crashFile((FileNode) n);
                }
            }
        }
    }

    private void crashFile(FileNode f) {
        int base;
        if (f.syncedBeforeTruncate != null && random.nextBoolean()) {
            // The truncation never reached the disk, nor anything written after it.
            stats.unsyncedBytesLost += Math.max(0, f.len - f.minLenSinceSync);
            f.buf = Arrays.copyOf(f.syncedBeforeTruncate, Math.max(f.syncedBeforeTruncate.length, 16));
            f.len = f.syncedBeforeTruncate.length;
            f.sync();
            return;
        }
        base = f.syncedBeforeTruncate != null ? f.minLenSinceSync : f.syncedLen;
        int unsynced = f.len - base;
        if (unsynced > 0) {
            int cut;
            switch (random.nextInt(4)) {
                case 0 -> cut = base;
                case 1 -> cut = f.len;
                default -> cut = base + random.nextInt(unsynced + 1);
            }
            if (cut == base) {
                stats.tailsLost++;
            } else if (cut == f.len) {
                stats.tailsKept++;
            } else {
                stats.tailsTorn++;
            }
            stats.unsyncedBytesLost += f.len - cut;
            if (cut > base && random.nextInt(4) == 0) {
                int zeroFrom = base + random.nextInt(cut - base);
                Arrays.fill(f.buf, zeroFrom, cut, (byte) 0);
                stats.tailsZeroed++;
            }
            f.len = cut;
        }
        f.sync();
    }

    // ------------------------------------------------------------------ operations

    /** Every operation: a dead process runs nothing. */
    private void alive() {
        if (dead) {
            throw new Crash("simulated crash: the process is already dead");
        }
    }

    /** Every operation that changes the disk: this is where an armed crash strikes. */
    private void mutation(String what) {
        alive();
        if (opsBeforeCrash == 0) {
            dead = true;
            opsBeforeCrash = -1;
            stats.crashesInIo++;
            throw new Crash("simulated " + (armedCrashIsPowerCut ? "power cut" : "process kill") + " before: " + what);
        }
        if (opsBeforeCrash > 0) {
            opsBeforeCrash--;
        }
    }

    private void fsyncFault(String what) throws IOException {
        if (failNextFsync) {
            failNextFsync = false;
            stats.failedFsyncs++;
            throw new IOException("simulated I/O error: fsync of " + what + " failed (EIO)");
        }
    }

    private static Path abs(Path p) {
        return p.toAbsolutePath().normalize();
    }

    private Node resolve(Path p) {
        Node n = root;
        for (Path name : abs(p)) {
            if (!(n instanceof DirNode d)) {
                return null;
            }
            n = d.entries.get(name.toString());
            if (n == null) {
                return null;
            }
        }
        return n;
    }

    private DirNode parentOf(Path p) throws IOException {
        Path parent = abs(p).getParent();
        if (parent == null) {
            throw new IOException("cannot change the root directory");
        }
        Node n = resolve(parent);
        if (n == null) {
            throw new NoSuchFileException(parent.toString());
        }
        if (!(n instanceof DirNode d)) {
            throw new NotDirectoryException(parent.toString());
        }
        return d;
    }

    private FileNode file(Path p) throws IOException {
        Node n = resolve(p);
        if (n == null) {
            throw new NoSuchFileException(p.toString());
        }
        if (!(n instanceof FileNode f)) {
            throw new IOException(p + ": Is a directory");
        }
        return f;
    }

    private static String name(Path p) {
        return abs(p).getFileName().toString();
    }

    private static DirOp put(String name, Node n) {
        return new DirOp(new String[] {name}, new Node[] {n});
    }

    @Override
    public boolean isDirectory(Path path) {
        alive();
        return resolve(path) instanceof DirNode;
    }

    @Override
    public void createDirectory(Path dir) throws IOException {
        mutation("mkdir " + dir);
        DirNode parent = parentOf(dir);
        Node existing = parent.entries.get(name(dir));
        if (existing instanceof DirNode) {
            return;
        }
        if (existing != null) {
            throw new FileAlreadyExistsException(dir.toString());
        }
        parent.apply(put(name(dir), new DirNode()));
    }

    @Override
    public List<Path> list(Path dir) throws IOException {
        alive();
        Node n = resolve(dir);
        if (n == null) {
            throw new NoSuchFileException(dir.toString());
        }
        if (!(n instanceof DirNode d)) {
            throw new NotDirectoryException(dir.toString());
        }
        List<Path> out = new ArrayList<>(d.entries.size());
        for (String name : d.entries.keySet()) {
            out.add(dir.resolve(name));
        }
        return out;
    }

    @Override
    public byte[] readAll(Path file) throws IOException {
        alive();
        FileNode f = file(file);
        return Arrays.copyOf(f.buf, f.len);
    }

    @Override
    public long size(Path file) throws IOException {
        alive();
        return file(file).len;
    }

    @Override
    public AppendFile open(Path file, OpenMode mode) throws IOException {
        alive();
        Node existing = resolve(file);
        if (existing instanceof DirNode) {
            throw new IOException(file + ": Is a directory");
        }
        FileNode f = (FileNode) existing;
        switch (mode) {
            case CREATE_NEW -> {
                if (f != null) {
                    throw new FileAlreadyExistsException(file.toString());
                }
                f = create(file);
            }
            case CREATE_OR_TRUNCATE -> {
                if (f == null) {
                    f = create(file);
                } else if (f.len > 0) {
                    mutation("truncate " + file);
                    f.truncate(0);
                }
            }
            case EXISTING -> {
                if (f == null) {
                    throw new NoSuchFileException(file.toString());
                }
            }
        }
        openHandles++;
        return new Handle(f, file, generation);
    }

    /**
     * How many files are open: handles opened and not closed, whichever process opened them. A test compares it before
     * and after an operation to see that a failure path closes what it opened.
     *
     * @return the count
     */
    public int openHandles() {
        return openHandles;
    }

    private FileNode create(Path file) throws IOException {
        mutation("create " + file);
        DirNode parent = parentOf(file);
        FileNode f = new FileNode();
        parent.apply(put(name(file), f));
        return f;
    }

    @Override
    public void rename(Path from, Path to) throws IOException {
        mutation("rename " + from + " -> " + to);
        DirNode parent = parentOf(from);
        if (parentOf(to) != parent) {
            throw new IOException("the simulated disk renames only within one directory: " + from + " -> " + to);
        }
        Node n = parent.entries.get(name(from));
        if (n == null) {
            throw new NoSuchFileException(from.toString());
        }
        if (name(from).equals(name(to))) {
            return;
        }
        parent.apply(new DirOp(new String[] {name(from), name(to)}, new Node[] {null, n}));
    }

    @Override
    public void delete(Path file) throws IOException {
        if (!deleteIfExists(file)) {
            throw new NoSuchFileException(file.toString());
        }
    }

    @Override
    public boolean deleteIfExists(Path file) throws IOException {
        alive();
        DirNode parent = parentOf(file);
        Node n = parent.entries.get(name(file));
        if (n == null) {
            return false;
        }
        if (n instanceof DirNode d && !d.entries.isEmpty()) {
            throw new DirectoryNotEmptyException(file.toString());
        }
        mutation("delete " + file);
        parent.apply(put(name(file), null));
        return true;
    }

    @Override
    public void syncDirectory(Path dir) throws IOException {
        mutation("fsync directory " + dir);
        Node n = resolve(dir);
        if (!(n instanceof DirNode d)) {
            throw new NoSuchFileException(dir.toString());
        }
        fsyncFault("directory " + dir);
        d.sync();
    }

    /**
     * An independent copy of this disk as it is now, all written data included (what a process crash would leave),
     * healthy and without armed faults: the simulator opens it with the real recovery code to check what a restart
     * would recover at this moment, without disturbing this disk.
     */
    public SimDisk copy() {
        SimDisk c = new SimDisk(0);
        IdentityHashMap<Node, Node> copies = new IdentityHashMap<>();
        c.root.entries = copyEntries(root.entries, copies);
        c.root.sync();
        return c;
    }

    private static TreeMap<String, Node> copyEntries(TreeMap<String, Node> entries, IdentityHashMap<Node, Node> copies) {
        TreeMap<String, Node> out = new TreeMap<>();
        for (Map.Entry<String, Node> e : entries.entrySet()) {
            Node n = copies.get(e.getValue());
            if (n == null) {
                if (e.getValue() instanceof DirNode d) {
                    DirNode dc = new DirNode();
                    copies.put(d, dc);
                    dc.entries = copyEntries(d.entries, copies);
                    dc.sync();
                    n = dc;
                } else {
                    FileNode f = (FileNode) e.getValue();
                    FileNode fc = new FileNode();
                    fc.buf = Arrays.copyOf(f.buf, Math.max(f.len, 16));
                    fc.len = f.len;
                    fc.sync();
                    n = fc;
                }
                copies.put(e.getValue(), n);
            }
            out.put(e.getKey(), n);
        }
        return out;
    }

    /** For failure messages: the tree with file sizes and unsynced amounts. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        describe(root, "/", sb);
        return sb.toString();
    }

    private static void describe(DirNode d, String path, StringBuilder sb) {
        sb.append(path);
        if (!d.unsynced.isEmpty()) {
            sb.append(" (unsynced:");
            for (DirOp op : d.unsynced) {
                for (int i = 0; i < op.names.length; i++) {
                    sb.append(op.nodes[i] == null ? " -" : " +").append(op.names[i]);
                }
            }
            sb.append(')');
        }
        sb.append('\n');
        for (Map.Entry<String, Node> e : d.entries.entrySet()) {
            if (e.getValue() instanceof DirNode sub) {
                describe(sub, path + e.getKey() + "/", sb);
            } else {
                FileNode f = (FileNode) e.getValue();
                sb.append(path).append(e.getKey()).append(' ').append(f.len).append(" bytes")
                        .append(f.len == f.syncedLen && f.syncedBeforeTruncate == null ? "" : ", synced " + f.syncedLen)
                        .append('\n');
            }
        }
    }

    /** An open file; dies with the process that opened it. */
    private final class Handle implements AppendFile {
        private final FileNode f;
        private final Path path;
        private final int openedIn;
        private boolean closed;

        Handle(FileNode f, Path path, int openedIn) {
            this.f = f;
            this.path = path;
            this.openedIn = openedIn;
        }

        private void usable() throws IOException {
            alive();
            if (closed) {
                throw new ClosedChannelException();
            }
            if (openedIn != generation) {
                throw new IOException("stale handle of " + path + ": the process that opened it crashed");
            }
        }

        @Override
        public void write(ByteBuffer src) throws IOException {
            usable();
            mutation("write " + src.remaining() + " bytes to " + path);
            int n = src.remaining();
            byte[] bytes = new byte[n];
            src.get(bytes);
            if (failNextWrite) {
                failNextWrite = false;
                stats.failedWrites++;
                f.append(bytes, 0, random.nextInt(n + 1));
                throw new IOException("simulated I/O error: write to " + path + " failed (EIO)");
            }
            f.append(bytes, 0, n);
        }

        @Override
        public void force(boolean metadata) throws IOException {
            usable();
            mutation("fsync " + path);
            fsyncFault(path.toString());
            f.sync();
        }

        @Override
        public void truncate(long size) throws IOException {
            usable();
            mutation("truncate " + path + " to " + size);
            f.truncate((int) size);
        }

        @Override
        public long size() throws IOException {
            usable();
            return f.len;
        }

        @Override
        public void close() {
            // Never throws, even in a dead process: it runs in finally blocks while a Crash unwinds.
            if (!closed) {
                closed = true;
                openHandles--;
            }
        }
    }
}
