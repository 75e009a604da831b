package io.raftline.raft;

import java.util.List;

/**
 * Where a snapshot sits in the log and which members it was taken under.
 *
 * @param index  last log index the snapshot covers
 * @param term   term of that entry
 * @param voters voting members at that index
 */
public record SnapshotMetadata(long index, long term, List<Integer> voters) {

    /** No snapshot: the log starts at index 1. */
    public static final SnapshotMetadata EMPTY = new SnapshotMetadata(0, 0, List.of());

    public SnapshotMetadata {
        voters = List.copyOf(voters);
        if (index < 0 || term < 0) {
            throw new IllegalArgumentException("snapshot index and term must be >= 0");
        }
    }
}
