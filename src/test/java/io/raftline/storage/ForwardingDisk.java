package io.raftline.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;

/**
 * A {@link Disk} that passes every call to another; a test disk overrides {@link #wrap} to watch or hold the writes of
 * the files it cares about, and extends {@link ForwardingFile} to change only the calls it needs.
 */
public abstract class ForwardingDisk implements Disk {

    private final Disk disk;

    protected ForwardingDisk(Disk disk) {
        this.disk = disk;
    }

    /**
     * The file as the caller gets it: {@code f} itself, or a wrapper of it.
     *
     * @param file its path
     * @param f    the file the wrapped disk opened
     * @return what the caller writes to
     */
    protected abstract AppendFile wrap(Path file, AppendFile f);

    @Override
    public AppendFile open(Path file, OpenMode mode) throws IOException {
        return wrap(file, disk.open(file, mode));
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

    /** A file that passes every call to another. */
    public static class ForwardingFile implements AppendFile {

        private final AppendFile f;

        public ForwardingFile(AppendFile f) {
            this.f = f;
        }

        @Override
        public void write(ByteBuffer src) throws IOException {
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
    }
}
