package io.raftline.storage;

import io.raftline.raft.StorageException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An exclusive lock on a data directory, held (with {@link FileChannel#tryLock()} on {@code data_dir/LOCK}) for as long
 * as a node uses the directory. Two nodes writing one WAL would interleave their records and their votes: the second
 * one must not start, and must say which directory is taken. The operating system releases the lock when the process
 * dies, {@code kill -9} included, so a stale {@code LOCK} file never blocks a restart.
 */
public final class DataDirLock implements AutoCloseable {

    /** The lock file's name inside the data directory. */
    public static final String FILE = "LOCK";

    private final Path dir;
    private final FileChannel channel;
    private final FileLock lock;

    private DataDirLock(Path dir, FileChannel channel, FileLock lock) {
        this.dir = dir;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Locks {@code dataDir} (creating it if needed), or fails naming it.
     *
     * @param dataDir the data directory
     * @return the held lock; close it to release
     * @throws StorageException if another process, or another node of this process, holds it, or it cannot be created
     */
    public static DataDirLock acquire(Path dataDir) {
        Path file = dataDir.resolve(FILE);
        FileChannel channel = null;
        try {
            Files.createDirectories(dataDir);
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                channel.close();
                throw new StorageException("data directory " + dataDir.toAbsolutePath().normalize() + " is in use by"
                        + " another running node (" + file + " is locked): two nodes must never share a data"
                        + " directory; stop the other node or give this one its own data_dir");
            }
            // For people who look: which process holds it.
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)));
            return new DataDirLock(dataDir, channel, lock);
        } catch (IOException e) {
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw new StorageException("cannot lock data directory " + dataDir + ": " + e.getMessage(), e);
        }
    }

    /**
     * The locked directory.
     *
     * @return the path given to {@link #acquire}
     */
    public Path dir() {
        return dir;
    }

    /** Releases the lock (the file stays). */
    @Override
    public void close() {
        try {
            if (lock.isValid()) {
                lock.release();
            }
            channel.close();
        } catch (IOException e) {
            throw new StorageException("cannot release the lock of " + dir + ": " + e.getMessage(), e);
        }
    }
}
