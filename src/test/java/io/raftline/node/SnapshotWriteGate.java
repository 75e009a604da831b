package io.raftline.node;

import io.raftline.storage.ForwardingDisk;
import io.raftline.storage.Disk;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A {@link Disk} that holds every write to a snapshot file ({@code *.snap.tmp}) until the test releases it, or fails
 * it: a snapshot of a huge state machine that takes as long as the test wants, without any sleep. Everything else
 * goes straight to the wrapped disk.
 */
final class SnapshotWriteGate extends ForwardingDisk {

    private final CountDownLatch released = new CountDownLatch(1);
    private final CompletableFuture<Void> entered = new CompletableFuture<>();
    private volatile boolean fail;

    SnapshotWriteGate(Disk disk) {
        super(disk);
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
    protected AppendFile wrap(Path file, AppendFile f) {
        if (!file.getFileName().toString().endsWith(".snap.tmp")) {
            return f;
        }
        return new ForwardingFile(f) {
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
                super.write(src);
            }
        };
    }
}
