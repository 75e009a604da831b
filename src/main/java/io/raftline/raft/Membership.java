package io.raftline.raft;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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
 * <p>A membership also says where members added at runtime can be reached ({@link #addresses()}: the URL of their
 * client API, given by whoever added them). The core never reads the addresses; it carries them in CONFIG entries
 * and snapshots so that every node, a restarted one included, learns where a new member is from the log itself, as
 * etcd carries peer URLs in its configuration changes. Members of the bootstrap configuration usually have none:
 * their addresses are in every node's configuration file.
 *
 * @param voters    voting member ids, ascending
 * @param learners  non-voting member ids, ascending, none of them a voter
 * @param addresses member id to the URL of its client API (e.g. {@code http://10.0.0.4:8084}), for some members
 */
public record Membership(List<Integer> voters, List<Integer> learners, Map<Integer, String> addresses) {

    /** No members: a node that was started to join a running cluster and has not learnt its membership yet. */
    public static final Membership EMPTY = new Membership(List.of(), List.of());

    /** Format version of {@link #encode()} without addresses: still read. */
    private static final byte ENCODING_IDS_ONLY = 1;
    /** Format version of {@link #encode()}: the first byte of every CONFIG entry's data. */
    private static final byte ENCODING_VERSION = 2;
    /** Longest address, in UTF-8 bytes. */
    public static final int MAX_ADDRESS_BYTES = 1024;

    public Membership {
        voters = sortedIds("voters", voters);
        learners = sortedIds("learners", learners);
        for (int l : learners) {
            if (voters.contains(l)) {
                throw new IllegalArgumentException("node " + l + " cannot be both a voter and a learner");
            }
        }
        TreeMap<Integer, String> a = new TreeMap<>();
        if (addresses != null) {
            for (Map.Entry<Integer, String> e : addresses.entrySet()) {
                int id = e.getKey();
                if (!voters.contains(id) && !learners.contains(id)) {
                    throw new IllegalArgumentException("address of node " + id + ", which is not a member");
                }
                String url = e.getValue();
                if (url == null || url.isEmpty() || url.getBytes(StandardCharsets.UTF_8).length > MAX_ADDRESS_BYTES) {
                    throw new IllegalArgumentException("address of node " + id + " must be 1 to " + MAX_ADDRESS_BYTES
                            + " bytes");
                }
                a.put(id, url);
            }
        }
        addresses = Collections.unmodifiableMap(a);
    }

    /** Voters and learners with no addresses. */
    public Membership(List<Integer> voters, List<Integer> learners) {
        this(voters, learners, Map.of());
    }

    /** The address of member {@code id}, or null if none was given. */
    public String address(int id) {
        return addresses.get(id);
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
        TreeMap<Integer, String> a = new TreeMap<>(addresses);
        if (change instanceof MembershipChange.AddLearner add) {
            requireAbsent(change, add.address());
            l.add(id);
            putAddress(a, id, add.address());
        } else if (change instanceof MembershipChange.AddVoter add) {
            if (isLearner(id)) {
                throw refused(MembershipChangeException.Reason.MEMBER_EXISTS, change, "node " + id
                        + " is already a learner: promote it instead");
            }
            requireAbsent(change, add.address());
            v.add(id);
            putAddress(a, id, add.address());
        } else if (change instanceof MembershipChange.Promote) {
            if (isVoter(id)) {
                throw invalid(change, "node " + id + " is already a voter: only learners can be promoted");
            }
            if (!isLearner(id)) {
                throw refused(MembershipChangeException.Reason.UNKNOWN_MEMBER, change, "node " + id
                        + " is not a member: only learners can be promoted; add it as a learner first");
            }
            l.remove(Integer.valueOf(id));
            v.add(id);
        } else {
            if (!contains(id)) {
                throw refused(MembershipChangeException.Reason.UNKNOWN_MEMBER, change, "node " + id
                        + " is not a member, there is nothing to remove");
            }
            if (isVoter(id) && voters.size() == 1) {
                throw invalid(change, "node " + id + " is the last voter: a cluster needs at least one");
            }
            v.remove(Integer.valueOf(id));
            l.remove(Integer.valueOf(id));
            a.remove(id);
        }
        return new Membership(v, l, a);
    }

    private void requireAbsent(MembershipChange change, String address) {
        int id = change.id();
        if (contains(id)) {
            throw refused(MembershipChangeException.Reason.MEMBER_EXISTS, change, "node " + id + " is already a "
                    + (isVoter(id) ? "voter" : "learner"));
        }
        if (address != null && !address.isEmpty()) {
            if (address.getBytes(StandardCharsets.UTF_8).length > MAX_ADDRESS_BYTES) {
                throw invalid(change, "the address is longer than " + MAX_ADDRESS_BYTES + " bytes");
            }
            for (Map.Entry<Integer, String> e : addresses.entrySet()) {
                if (e.getValue().equals(address)) {
                    throw refused(MembershipChangeException.Reason.MEMBER_EXISTS, change, "node " + e.getKey()
                            + " already has the address " + address);
                }
            }
        }
    }

    private static void putAddress(Map<Integer, String> a, int id, String address) {
        if (address != null && !address.isEmpty()) {
            a.put(id, address);
        }
    }

    private MembershipChangeException invalid(MembershipChange change, String rule) {
        return refused(MembershipChangeException.Reason.INVALID, change, rule);
    }

    private MembershipChangeException refused(MembershipChangeException.Reason reason, MembershipChange change,
            String rule) {
        return new MembershipChangeException(reason, change.describe() + " refused: " + rule + " (membership " + this
                + ")");
    }

    /**
     * The data of a CONFIG entry: {@code u8 version (2) | i32 voter count | i32 voters… | i32 learner count |
     * i32 learners… | i32 address count | (i32 id | u16 length | UTF-8 bytes)…}, big-endian. Version 1 (the same
     * without addresses) is still read.
     */
    public byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(1 + 4 + 4 * voters.size() + 4 + 4 * learners.size()
                + addressesBytes(addresses));
        b.put(ENCODING_VERSION).putInt(voters.size());
        voters.forEach(b::putInt);
        b.putInt(learners.size());
        learners.forEach(b::putInt);
        putAddresses(b, addresses);
        return b.array();
    }

    /**
     * The size of {@link #putAddresses}'s output: the address part of every format that carries a membership
     * (CONFIG entries, snapshot files, snapshot messages).
     */
    public static int addressesBytes(Map<Integer, String> addresses) {
        int size = 4;
        for (String url : addresses.values()) {
            size += 6 + url.getBytes(StandardCharsets.UTF_8).length;
        }
        return size;
    }

    /** Writes {@code i32 count | (i32 id | u16 length | UTF-8 bytes)…}. */
    public static void putAddresses(ByteBuffer b, Map<Integer, String> addresses) {
        b.putInt(addresses.size());
        for (Map.Entry<Integer, String> e : addresses.entrySet()) {
            byte[] u = e.getValue().getBytes(StandardCharsets.UTF_8);
            b.putInt(e.getKey()).putShort((short) u.length).put(u);
        }
    }

    /**
     * Reads {@link #putAddresses}'s format.
     *
     * @throws SerializationException if a count or length runs past the buffer
     */
    public static Map<Integer, String> readAddresses(ByteBuffer b) {
        try {
            return readAddressesUnchecked(b);
        } catch (java.nio.BufferUnderflowException e) {
            throw new SerializationException("membership: addresses truncated", e);
        }
    }

    private static Map<Integer, String> readAddressesUnchecked(ByteBuffer b) {
        int n = b.getInt();
        if (n < 0 || n > b.remaining() / 6) {
            throw new SerializationException("membership: bad address count " + n);
        }
        Map<Integer, String> a = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            int id = b.getInt();
            int len = Short.toUnsignedInt(b.getShort());
            if (len > b.remaining()) {
                throw new SerializationException("membership: address of node " + id + " runs past the data");
            }
            byte[] u = new byte[len];
            b.get(u);
            a.put(id, new String(u, StandardCharsets.UTF_8));
        }
        return a;
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
            if (version != ENCODING_VERSION && version != ENCODING_IDS_ONLY) {
                throw new SerializationException("membership: unsupported encoding version " + version);
            }
            List<Integer> v = readIds(b);
            List<Integer> l = readIds(b);
            Map<Integer, String> a = version == ENCODING_VERSION ? readAddresses(b) : Map.of();
            if (b.hasRemaining()) {
                throw new SerializationException("membership: " + b.remaining() + " trailing bytes");
            }
            return new Membership(v, l, a);
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

    /** {@code voters=[1, 2, 3]} or {@code voters=[1, 2, 3] learners=[4]} (addresses are left out). */
    @Override
    public String toString() {
        return "voters=" + voters + (learners.isEmpty() ? "" : " learners=" + learners);
    }
}
