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
 */
public final class NioDisk implements Disk {

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
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }

    @Override
    public byte[] readAll(Path file) throws IOException {
        return Files.readAllBytes(file);
    }

    @Override
    public long size(Path file) throws IOException {
        return Files.size(file);
    }

    @Override
    public AppendFile open(Path file, OpenMode mode) throws IOException {
        FileChannel ch = switch (mode) {
            case CREATE_NEW -> FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    StandardOpenOption.READ);
            case CREATE_OR_TRUNCATE -> FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
            case EXISTING -> FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.READ);
        };
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
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some file systems cannot open directories for sync; the rename itself is still atomic there.
            if (!String.valueOf(e.getMessage()).contains("Is a directory")) {
                throw e;
            }
        }
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
