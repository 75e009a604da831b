package io.raftline.storage;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.List;

/**
 * Every file operation the durable storage ({@link Wal}, {@link SnapshotStore}, {@link DurableStorage}) performs,
 * and nothing else. It exists so that the code users' data goes through can run unchanged over a simulated disk
 * that loses what a power cut loses (unsynced writes, unsynced directory entries) and fails writes and fsyncs on
 * demand: the seeded simulator drives the real recovery code through those crashes. Production uses
 * {@link NioDisk}.
 *
 * <p>The operations are the ones whose durability rules matter, named after them: data written to a file is
 * durable only after {@link AppendFile#force}; a directory entry (create, rename, delete) only after
 * {@link #syncDirectory} of the directory that holds it. Files are only ever appended to (or truncated), which is
 * all a log and an atomically renamed snapshot need.
 */
public interface Disk {

    /** How {@link #open} treats an existing or missing file. */
    enum OpenMode {
        /** Create a new empty file; fail if it exists. */
        CREATE_NEW,
        /** Create the file, or empty it if it exists. */
        CREATE_OR_TRUNCATE,
        /** Open an existing file; fail if it is missing. */
        EXISTING
    }

    /**
     * An open file that is written at its end. Writes are not durable until {@link #force}.
     */
    interface AppendFile extends Closeable {

        /** Writes all remaining bytes of {@code src} at the end of the file. */
        void write(ByteBuffer src) throws IOException;

        /**
         * Makes everything written so far durable (fsync).
         *
         * @param metadata whether file metadata must be synced too ({@code fdatasync} when false)
         */
        void force(boolean metadata) throws IOException;

        /** Cuts the file to {@code size} bytes; later writes go to the new end. Not durable until {@link #force}. */
        void truncate(long size) throws IOException;

        /** Current size in bytes. */
        long size() throws IOException;

        @Override
        void close() throws IOException;
    }

    /** Whether {@code path} exists and is a directory. */
    boolean isDirectory(Path path);

    /**
     * Creates the directory {@code dir}, whose parent must exist; does nothing if it already exists. The new entry
     * in the parent is not durable until the parent is synced: use {@link #createDirectoriesDurably}.
     */
    void createDirectory(Path dir) throws IOException;

    /**
     * Creates {@code dir} and any missing parents, and fsyncs the parent of each directory it created: a new
     * directory's entry in its parent is not durable until the parent is synced, so without this a crash right
     * after the first start could lose {@code wal/} or {@code snap/} with everything written into them.
     */
    default void createDirectoriesDurably(Path dir) throws IOException {
        Path abs = dir.toAbsolutePath();
        ArrayDeque<Path> missing = new ArrayDeque<>();
        for (Path p = abs; p != null && !isDirectory(p); p = p.getParent()) {
            missing.push(p);
        }
        for (Path p : missing) {
            createDirectory(p);
            syncDirectory(p.getParent());
        }
    }

    /** The entries of directory {@code dir}, in no particular order. */
    List<Path> list(Path dir) throws IOException;

    /** The whole content of {@code file}. */
    byte[] readAll(Path file) throws IOException;

    /** Size of {@code file} in bytes. */
    long size(Path file) throws IOException;

    /** Opens {@code file} for writing at its end. */
    AppendFile open(Path file, OpenMode mode) throws IOException;

    /**
     * Atomically renames {@code from} to {@code to} in the same directory, replacing {@code to} if it exists. Not
     * durable until the directory is synced.
     */
    void rename(Path from, Path to) throws IOException;

    /** Deletes {@code file}; fails if it does not exist. Not durable until the directory is synced. */
    void delete(Path file) throws IOException;

    /**
     * Deletes {@code file} if it exists. Not durable until the directory is synced.
     *
     * @return whether it existed
     */
    boolean deleteIfExists(Path file) throws IOException;

    /** Makes the entries of {@code dir} (creates, renames, deletes) durable. */
    void syncDirectory(Path dir) throws IOException;

    /**
     * Replaces the small file {@code file} with {@code content}, durably: written whole to {@code file.tmp} and
     * synced, renamed over {@code file}, its directory synced. A crash leaves the old content or the new one, never a
     * part of either; what the markers of a data directory are written with.
     */
    default void replaceDurably(Path file, byte[] content) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (AppendFile f = open(tmp, OpenMode.CREATE_OR_TRUNCATE)) {
            f.write(ByteBuffer.wrap(content));
            f.force(true);
        }
        rename(tmp, file);
        syncDirectory(file.toAbsolutePath().getParent());
    }
}
