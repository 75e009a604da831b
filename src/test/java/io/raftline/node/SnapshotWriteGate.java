package io.raftline.node;

import io.raftline.storage.Disk;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A {@link Disk} that holds every write to a snapshot file ({@code *.snap.tmp}) until the test releases it, or fails
 * it: a snapshot of a huge state machine that takes as long as the test wants, without any sleep. Everything else
 * goes straight to the wrapped disk.
 */
final class SnapshotWriteGate implements Disk {

    private final Disk disk;
    private final CountDownLatch released = new CountDownLatch(1);
    private final CompletableFuture<Void> entered = new CompletableFuture<>();
    private volatile boolean fail;

    SnapshotWriteGate(Disk disk) {
        this.disk = disk;
    }

    /** Completes (on the writing thread) once a snapshot write is held at the gate. */
    CompletableFuture<Void> writeHeld() {
        return entered;
    }

    /** Lets held and later snapshot writes through. */
    void release() {
        released.countDown();
    }

    /** Lets held and later snapshot writes through, failing them as a dying disk would. */
    void releaseFailing() {
        fail = true;
        released.countDown();
    }

    @Override
    public AppendFile open(Path file, OpenMode mode) throws IOException {
        AppendFile f = disk.open(file, mode);
        if (!file.getFileName().toString().endsWith(".snap.tmp")) {
            return f;
        }
        return new AppendFile() {
            @Override
            public void write(ByteBuffer src) throws IOException {
                entered.complete(null);
                try {
                    // A bound only so that a broken test cannot hang the build; the test releases the gate itself.
                    if (!released.await(60, TimeUnit.SECONDS)) {
                        throw new IOException("snapshot write gate never released");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted at the snapshot write gate", e);
                }
                if (fail) {
                    throw new IOException("simulated I/O error writing " + file);
                }
                f.write(src);
            }

            @Override
            public void force(boolean metadata) throws IOException {
                f.force(metadata);
            }

            @Override
            public void truncate(long size) throws IOException {
                f.truncate(size);
            }

            @Override
            public long size() throws IOException {
                return f.size();
            }

            @Override
            public void close() throws IOException {
                f.close();
            }
        };
    }

    @Override
    public boolean isDirectory(Path path) {
        return disk.isDirectory(path);
    }

    @Override
    public void createDirectory(Path dir) throws IOException {
        disk.createDirectory(dir);
    }

    @Override
    public List<Path> list(Path dir) throws IOException {
        return disk.list(dir);
    }

    @Override
    public byte[] readAll(Path file) throws IOException {
        return disk.readAll(file);
    }

    @Override
    public long size(Path file) throws IOException {
        return disk.size(file);
    }

    @Override
    public void rename(Path from, Path to) throws IOException {
        disk.rename(from, to);
    }

    @Override
    public void delete(Path file) throws IOException {
        disk.delete(file);
    }

    @Override
    public boolean deleteIfExists(Path file) throws IOException {
        return disk.deleteIfExists(file);
    }

    @Override
    public void syncDirectory(Path dir) throws IOException {
        disk.syncDirectory(dir);
    }
}
