package io.raftline.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;

/**
 * The real {@link Disk}: the local file system through {@code java.nio} ({@link FileChannel}, {@link Files}).
 * Stateless; errors are the {@link IOException}s the JDK throws, unchanged, so the storage's messages name the
 * real cause.
 *
 * <p>The storage keeps file descriptors in reserve, so that a full descriptor table (EMFILE, "Too many open files") does
 * not fail-stop a node: {@link #RESERVE} descriptors of {@code /dev/null} are held open from the start. An open that
 * fails with EMFILE gives one of them back and is tried again at once; with the reserve spent, it is tried again after
 * growing pauses for up to {@link #DESCRIPTOR_WAIT_MS} before the error stands and the node fail-stops. After every
 * successful open the reserve is refilled if descriptors are free again. Why this is needed on top of the client
 * connection budget ({@code io.raftline.security.DescriptorBudget}): a burst of connections is accepted by the kernel
 * and by Netty faster than connections beyond the budget are closed, and an HTTP connection that sends nothing is not
 * seen by the server before its first bytes (HTTP/1.1 and HTTP/2 share the port, so the protocol is detected first),
 * so only its idle timeout closes it. When Netty's acceptor meets EMFILE it stops accepting on that port for a second,
 * which leaves a returned reserve descriptor to the storage. Only the storage's own worker threads call this class,
 * never an event loop, so the pauses block no one else.
 */
public final class NioDisk implements Disk {

    /** How long an open that fails with "Too many open files" is tried again before the error stands. */
    static final long DESCRIPTOR_WAIT_MS = 5_000;
    /** Descriptors held in reserve for the storage of this process (all its nodes). */
    static final int RESERVE = 32;
    /** The reserve: descriptors of {@code /dev/null}; guarded by its own monitor. */
    private static final java.util.ArrayDeque<FileChannel> RESERVED = new java.util.ArrayDeque<>();
    private static final Path PLACEHOLDER = Path.of("/dev/null");

    static {
        refillReserve();
    }

    /** Shared instance (the class holds no state). */
    public static final NioDisk INSTANCE = new NioDisk();

    private NioDisk() {
    }

    @Override
    public boolean isDirectory(Path path) {
        return Files.isDirectory(path);
    }

    @Override
    public void createDirectory(Path dir) throws IOException {
        // createDirectories rather than createDirectory: another process creating it at the same moment is fine.
        Files.createDirectories(dir);
    }

    @Override
    public List<Path> list(Path dir) throws IOException {
        return whenDescriptorsFree(() -> {
            try (Stream<Path> s = Files.list(dir)) {
                return s.toList();
            }
        });
    }

    @Override
    public byte[] readAll(Path file) throws IOException {
        return whenDescriptorsFree(() -> Files.readAllBytes(file));
    }

    @Override
    public long size(Path file) throws IOException {
        return Files.size(file);
    }

    @Override
    public AppendFile open(Path file, OpenMode mode) throws IOException {
        FileChannel ch = whenDescriptorsFree(() -> switch (mode) {
            case CREATE_NEW -> FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    StandardOpenOption.READ);
            case CREATE_OR_TRUNCATE -> FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
            case EXISTING -> FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.READ);
        });
        try {
            ch.position(ch.size());
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        return new ChannelFile(ch);
    }

    @Override
    public void rename(Path from, Path to) throws IOException {
        Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public void delete(Path file) throws IOException {
        Files.delete(file);
    }

    @Override
    public boolean deleteIfExists(Path file) throws IOException {
        return Files.deleteIfExists(file);
    }

    @Override
    public void syncDirectory(Path dir) throws IOException {
        try (FileChannel ch = whenDescriptorsFree(() -> FileChannel.open(dir, StandardOpenOption.READ))) {
            ch.force(true);
        } catch (IOException e) {
            // Some file systems cannot open directories for sync; the rename itself is still atomic there.
            if (!String.valueOf(e.getMessage()).contains("Is a directory")) {
                throw e;
            }
        }
    }

    /** An I/O call that opens a descriptor. */
    @FunctionalInterface
    interface Opening<T> {
        T call() throws IOException;
    }

    /**
     * Runs {@code opening}, again after growing pauses while it fails because the process has no descriptor left,
     * for at most {@link #DESCRIPTOR_WAIT_MS}.
     *
     * @param opening the call
     * @return what it returned
     * @throws IOException its last error, or any other error at once
     */
    static <T> T whenDescriptorsFree(Opening<T> opening) throws IOException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(DESCRIPTOR_WAIT_MS);
        long pauseMs = 1;
        while (true) {
            try {
                T opened = opening.call();
                refillReserve();
                return opened;
            } catch (IOException e) {
                if (!outOfDescriptors(e)) {
                    throw e;
                }
                if (releaseOne()) {
                    continue;
                }
                if (System.nanoTime() + pauseMs * 1_000_000 > deadline) {
                    throw e;
                }
            }
            try {
                Thread.sleep(pauseMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while waiting for a free file descriptor");
            }
            pauseMs = Math.min(pauseMs * 2, 200);
        }
    }

    /** Gives one reserved descriptor back to the process; false if the reserve is spent. */
    private static boolean releaseOne() {
        synchronized (RESERVED) {
            FileChannel c = RESERVED.poll();
            if (c == null) {
                return false;
            }
            try {
                c.close();
            } catch (IOException e) {
                // Closing /dev/null does not fail; if it did, the descriptor is gone anyway.
            }
            return true;
        }
    }

    /** Takes descriptors back into the reserve while the process has some free, up to {@link #RESERVE}. */
    private static void refillReserve() {
        synchronized (RESERVED) {
            while (RESERVED.size() < RESERVE) {
                try {
                    RESERVED.push(FileChannel.open(PLACEHOLDER, StandardOpenOption.READ));
                } catch (IOException | UnsupportedOperationException e) {
                    return; // none free now (or no /dev/null here): try again after the next open
                }
            }
        }
    }

    /**
     * Descriptors in reserve now.
     *
     * @return the count, at most {@link #RESERVE}
     */
    static int reserved() {
        synchronized (RESERVED) {
            return RESERVED.size();
        }
    }

    /** Whether an error says the process's descriptor table is full (EMFILE) or the system's (ENFILE). */
    static boolean outOfDescriptors(IOException e) {
        String m = String.valueOf(e.getMessage());
        return m.contains("Too many open files");
    }

    /** A {@link FileChannel} positioned at the end of its file. */
    private record ChannelFile(FileChannel ch) implements AppendFile {

        @Override
        public void write(ByteBuffer src) throws IOException {
            while (src.hasRemaining()) {
                ch.write(src);
            }
        }

        @Override
        public void force(boolean metadata) throws IOException {
            ch.force(metadata);
        }

        @Override
        public void truncate(long size) throws IOException {
            // FileChannel.truncate also moves a position past the new end back to it.
            ch.truncate(size);
        }

        @Override
        public long size() throws IOException {
            return ch.size();
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }
}
