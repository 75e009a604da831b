package io.raftline.raft;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Who is in the cluster: the voters, whose majority commits entries and elects leaders, and the learners, which
 * receive the log and snapshots but never count for any quorum and never campaign. The two sets are disjoint and
 * kept sorted, so two equal memberships are equal values and print the same.
 *
 * <p>A membership is carried in full (never as a delta) by {@link EntryType#CONFIG} entries and by
 * {@link SnapshotMetadata}; a node uses the latest one in its log, committed or not (Raft thesis §4.1). The
 * {@code with...} methods derive the next membership of a single-server change and refuse anything else, so
 * every change the core proposes keeps any majority of the old voters overlapping any majority of the new ones.
 *
 * @param voters   voting member ids, ascending
 * @param learners non-voting member ids, ascending, none of them a voter
 */
public record Membership(List<Integer> voters, List<Integer> learners) {

    /** No members: a node that was started to join a running cluster and has not learnt its membership yet. */
    public static final Membership EMPTY = new Membership(List.of(), List.of());

    /** Format version of {@link #encode()}: the first byte of every CONFIG entry's data. */
    private static final byte ENCODING_VERSION = 1;

    public Membership {
        voters = sortedIds("voters", voters);
        learners = sortedIds("learners", learners);
        for (int l : learners) {
            if (voters.contains(l)) {
                throw new IllegalArgumentException("node " + l + " cannot be both a voter and a learner");
            }
        }
    }

    /** Voters only. */
    public static Membership ofVoters(List<Integer> voters) {
        return new Membership(voters, List.of());
    }

    private static List<Integer> sortedIds(String what, List<Integer> ids) {
        TreeSet<Integer> set = new TreeSet<>();
        for (Integer i : ids == null ? List.<Integer>of() : ids) {
            if (i == null || i <= 0) {
                throw new IllegalArgumentException(what + ": ids must be > 0, got " + i);
            }
            if (!set.add(i)) {
                throw new IllegalArgumentException(what + ": duplicate id " + i);
            }
        }
        return List.copyOf(set);
    }

    public boolean isVoter(int id) {
        return voters.contains(id);
    }

    public boolean isLearner(int id) {
        return learners.contains(id);
    }

    /** Whether {@code id} is a voter or a learner. */
    public boolean contains(int id) {
        return isVoter(id) || isLearner(id);
    }

    /** No voters and no learners. */
    public boolean isEmpty() {
        return voters.isEmpty() && learners.isEmpty();
    }

    /** Votes (or acknowledgements) needed for a majority of the voters. */
    public int quorum() {
        return voters.size() / 2 + 1;
    }

    /** Voters then learners, every member once. */
    public List<Integer> all() {
        List<Integer> out = new ArrayList<>(voters);
        out.addAll(learners);
        return out;
    }

    /**
     * The membership after {@code change}, if it is one the core accepts: add a learner, promote a learner, add a
     * voter, or remove a member (voter or learner). Each moves at most one id in or out of the voters.
     *
     * @throws MembershipChangeException ({@link MembershipChangeException.Reason#INVALID}) naming the id and the rule
     */
    public Membership apply(MembershipChange change) {
        int id = change.id();
        if (id <= 0) {
            throw invalid(change, "node ids must be > 0");
        }
        List<Integer> v = new ArrayList<>(voters);
        List<Integer> l = new ArrayList<>(learners);
        if (change instanceof MembershipChange.AddLearner) {
            requireAbsent(change);
            l.add(id);
        } else if (change instanceof MembershipChange.AddVoter) {
            if (isLearner(id)) {
                throw invalid(change, "node " + id + " is already a learner: promote it instead");
            }
            requireAbsent(change);
            v.add(id);
        } else if (change instanceof MembershipChange.Promote) {
            if (isVoter(id)) {
                throw invalid(change, "node " + id + " is already a voter: only learners can be promoted");
            }
            if (!isLearner(id)) {
                throw invalid(change, "node " + id + " is not a member: only learners can be promoted; add it as a"
                        + " learner first");
            }
            l.remove(Integer.valueOf(id));
            v.add(id);
        } else {
            if (!contains(id)) {
                throw invalid(change, "node " + id + " is not a member, there is nothing to remove");
            }
            if (isVoter(id) && voters.size() == 1) {
                throw invalid(change, "node " + id + " is the last voter: a cluster needs at least one");
            }
            v.remove(Integer.valueOf(id));
            l.remove(Integer.valueOf(id));
        }
        return new Membership(v, l);
    }

    private void requireAbsent(MembershipChange change) {
        int id = change.id();
        if (contains(id)) {
            throw invalid(change, "node " + id + " is already a " + (isVoter(id) ? "voter" : "learner"));
        }
    }

    private MembershipChangeException invalid(MembershipChange change, String rule) {
        return new MembershipChangeException(MembershipChangeException.Reason.INVALID,
                change.describe() + " refused: " + rule + " (membership " + this + ")");
    }

    /**
     * The data of a CONFIG entry: {@code u8 version (1) | i32 voter count | i32 voters… | i32 learner count |
     * i32 learners…}, big-endian. Versioned so a later format can still read this one.
     */
    public byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(1 + 4 + 4 * voters.size() + 4 + 4 * learners.size());
        b.put(ENCODING_VERSION).putInt(voters.size());
        voters.forEach(b::putInt);
        b.putInt(learners.size());
        learners.forEach(b::putInt);
        return b.array();
    }

    /**
     * Reads {@link #encode()}'s format.
     *
     * @throws SerializationException if the bytes are not a membership of a known version
     */
    public static Membership decode(byte[] data) {
        try {
            ByteBuffer b = ByteBuffer.wrap(data);
            byte version = b.get();
            if (version != ENCODING_VERSION) {
                throw new SerializationException("membership: unsupported encoding version " + version);
            }
            List<Integer> v = readIds(b);
            List<Integer> l = readIds(b);
            if (b.hasRemaining()) {
                throw new SerializationException("membership: " + b.remaining() + " trailing bytes");
            }
            return new Membership(v, l);
        } catch (java.nio.BufferUnderflowException | IllegalArgumentException e) {
            throw new SerializationException("membership: malformed (" + e.getMessage() + ")", e);
        }
    }

    private static List<Integer> readIds(ByteBuffer b) {
        int n = b.getInt();
        if (n < 0 || n > b.remaining() / 4) {
            throw new SerializationException("membership: bad id count " + n);
        }
        List<Integer> ids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ids.add(b.getInt());
        }
        return ids;
    }

    /** {@code voters=[1, 2, 3]} or {@code voters=[1, 2, 3] learners=[4]}. */
    @Override
    public String toString() {
        return "voters=" + voters + (learners.isEmpty() ? "" : " learners=" + learners);
    }
}
