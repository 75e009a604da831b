package io.raftline.raft;

import java.util.Objects;

/**
 * A state-machine snapshot: the opaque bytes the host's state machine produced at {@code metadata.index()}.
 * The core never looks inside {@code data}; it only moves it to followers that are too far behind
 * (InstallSnapshot, Raft §7) and tells the host to install it.
 *
 * @param metadata position in the log
 * @param data     serialized state machine
 */
public record Snapshot(SnapshotMetadata metadata, byte[] data) {

    /** No snapshot. */
    public static final Snapshot EMPTY = new Snapshot(SnapshotMetadata.EMPTY, new byte[0]);

    public Snapshot {
        Objects.requireNonNull(metadata, "metadata");
        data = data == null ? new byte[0] : data;
    }

    public long index() {
        return metadata.index();
    }

    public long term() {
        return metadata.term();
    }

    public boolean isEmpty() {
        return metadata.index() == 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Snapshot s && s.metadata.equals(metadata) && java.util.Arrays.equals(s.data, data);
    }

    @Override
    public int hashCode() {
        return metadata.hashCode() * 31 + java.util.Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "Snapshot[" + metadata.index() + "@" + metadata.term() + " " + metadata.membership()
                + " bytes=" + data.length + "]";
    }
}
