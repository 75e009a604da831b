package io.raftline.raft;

import java.util.List;
import java.util.Map;

/**
 * Where a snapshot sits in the log and which members it was taken under. The membership is part of the snapshot
 * because the CONFIG entries it replaces are gone from the log: a node restarting from it, or a follower installing
 * it, learns the membership in effect at {@code index} from here.
 *
 * @param index    last log index the snapshot covers
 * @param term     term of that entry
 * @param voters   voting members at that index
 * @param learners  non-voting members at that index
 * @param addresses the members' addresses at that index ({@link Membership#addresses()})
 */
public record SnapshotMetadata(long index, long term, List<Integer> voters, List<Integer> learners,
        Map<Integer, String> addresses) {

    /** No snapshot: the log starts at index 1. */
    public static final SnapshotMetadata EMPTY = new SnapshotMetadata(0, 0, List.of(), List.of());

    public SnapshotMetadata {
        voters = List.copyOf(voters);
        learners = learners == null ? List.of() : List.copyOf(learners);
        addresses = addresses == null ? Map.of() : Map.copyOf(addresses);
        for (int id : addresses.keySet()) {
            if (!voters.contains(id) && !learners.contains(id)) {
                throw new IllegalArgumentException("address of node " + id + ", which is not a member");
            }
        }
        if (index < 0 || term < 0) {
            throw new IllegalArgumentException("snapshot index and term must be >= 0");
        }
        // The membership's own rules (ids above 0, none twice, none both a voter and a learner), checked when the
        // metadata is made, a received snapshot's included: a peer's malformed one is refused as it is decoded rather
        // than thrown out of the core when it installs it.
        new Membership(voters, learners, addresses);
    }

    /** A snapshot without addresses. */
    public SnapshotMetadata(long index, long term, List<Integer> voters, List<Integer> learners) {
        this(index, term, voters, learners, Map.of());
    }

    /** A snapshot without learners (what every snapshot was before learners existed). */
    public SnapshotMetadata(long index, long term, List<Integer> voters) {
        this(index, term, voters, List.of());
    }

    /** A snapshot taken under {@code membership}. */
    public static SnapshotMetadata of(long index, long term, Membership membership) {
        return new SnapshotMetadata(index, term, membership.voters(), membership.learners(), membership.addresses());
    }

    /** The membership in effect at {@link #index()} (empty for {@link #EMPTY}). */
    public Membership membership() {
        return new Membership(voters, learners, addresses);
    }
}
