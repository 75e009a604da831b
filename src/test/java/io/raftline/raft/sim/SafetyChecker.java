package io.raftline.raft.sim;

import io.raftline.raft.Entry;
import io.raftline.raft.EntryType;
import io.raftline.raft.Membership;
import io.raftline.raft.RaftCore;
import io.raftline.raft.Role;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks the Raft safety properties (Raft §5.2-§5.4, Figure 3) across a set of nodes after every step:
 * election safety, log matching, leader completeness, state-machine safety, and that commit indexes and
 * the durable commit index never go backwards. It also checks that no acknowledged client write is lost: an
 * entry a leader applied for its client is in the log of every later leader and is what every node applies at
 * its index. A violation throws {@link AssertionError} naming the property.
 *
 * <p>Across membership changes the properties above are unchanged (they hold for any configuration), and two more
 * are checked: every committed CONFIG entry changes the voters by at most one id from the membership before it (the
 * single-server rule that makes old and new majorities overlap), and no leader ever holds more than one
 * uncommitted CONFIG entry (one change at a time).
 */
public final class SafetyChecker {

    private final List<SimNode> nodes;
    private final Map<Long, Integer> leaderOfTerm = new HashMap<>();
    /** Per term, the node that led it and sent messages of it, and in which incarnation: {id, incarnation}. */
    private final Map<Long, int[]> shownLeaderOfTerm = new HashMap<>();
    /** Entry committed at each index, as first observed (index i at position i-1). */
    private final List<Entry> committed = new ArrayList<>();
    /**
     * Term in which each index was first seen committed (by a node in that term). Leader completeness
     * applies to leaders of that term and later: a stale leader of an earlier term may lack the entry.
     */
    private final List<Long> commitTerm = new ArrayList<>();
    /** Hash of the state machine after applying each index. */
    private final Map<Long, Long> appliedHash = new HashMap<>();
    private final Map<Integer, long[]> lastCommit = new HashMap<>();
    /**
     * Per node: {incarnation, index} up to which its committed entries were already recorded and checked. A node
     * never changes a committed entry, so each step only looks at the newly committed ones.
     */
    private final Map<Integer, long[]> recordedUpTo = new HashMap<>();
    /** Client writes a leader acknowledged (applied at the index and term its proposal got), by index. */
    private final Map<Long, Entry> acknowledged = new HashMap<>();
    /**
     * The term of the leader that acknowledged each write, when it did: leaders of that term and later must hold
     * it. Not the entry's own term: an entry of term 16 may commit only in term 19, and a leader of term 18
     * elected before that need not have it.
     */
    private final Map<Long, Long> acknowledgedInTerm = new HashMap<>();
    /** Terms whose leader was already checked against every acknowledged write (later ones are checked as they come). */
    private final java.util.Set<Long> leaderTermsChecked = new java.util.HashSet<>();
    private long ackChecks;

    public SafetyChecker(List<SimNode> nodes) {
        this.nodes = nodes;
    }

    /** The highest index known committed anywhere. */
    public long maxCommitted() {
        return committed.size();
    }

    /** Number of acknowledged writes. */
    public int acknowledgedWrites() {
        return acknowledged.size();
    }

    /** Number of times an acknowledged write was checked in a later leader's log. */
    public long ackChecks() {
        return ackChecks;
    }

    /**
     * A leader of term {@code leaderTerm} applied the entry a client proposed through it: the client is told
     * "committed". From now on every leader of that term or later must hold it, and every node must apply exactly
     * it at its index.
     */
    public void acknowledged(int node, Entry e, long leaderTerm) {
        Entry prev = acknowledged.putIfAbsent(e.index(), e);
        if (prev != null && !prev.equals(e)) {
            throw new AssertionError("acknowledged write lost: node " + node + " acknowledged " + e.describe() + " but "
                    + prev.describe() + " was acknowledged at that index before");
        }
        acknowledgedInTerm.merge(e.index(), leaderTerm, Math::min);
        for (SimNode n : nodes) {
            if (n.up() && n.core().role() == Role.LEADER && n.core().term() >= acknowledgedInTerm.get(e.index())) {
                requireHolds(n, e);
            }
        }
    }

    private void requireHolds(SimNode leader, Entry e) {
        RaftCore c = leader.core();
        ackChecks++;
        if (e.index() < c.log().firstIndex()) {
            return; // inside its snapshot, whose state is checked against the applied hashes
        }
        Entry has = e.index() <= c.log().lastIndex() ? c.log().entries(e.index(), 1).get(0) : null;
        if (!e.equals(has)) {
            throw new AssertionError("acknowledged write lost: leader " + leader.id() + " of term " + c.term()
                    + " holds " + (has == null ? "nothing" : has.describe()) + " at " + e.index() + " where "
                    + e.describe() + " was acknowledged to a client by the leader of term "
                    + acknowledgedInTerm.get(e.index()));
        }
    }

    /**
     * A node set its state machine to a snapshot's state: it must be the state every node had after applying that
     * index.
     */
    public void stateRestored(int node, long index, long hash) {
        Long h = appliedHash.putIfAbsent(index, hash);
        if (h != null && h != hash) {
            throw new AssertionError("state machine safety: node " + node + " restored a snapshot at " + index
                    + " with state hash " + hash + ", but the state after applying " + index + " was " + h);
        }
    }

    /** Called when a node applies an entry: every node must apply the same entry at the same index. */
    public void applied(int node, Entry e, long hashAfter) {
        Entry ack = acknowledged.get(e.index());
        if (ack != null && !ack.equals(e)) {
            throw new AssertionError("acknowledged write lost: node " + node + " applied " + e.describe() + " at "
                    + e.index() + " where " + ack.describe() + " was acknowledged to a client");
        }
        if (e.index() <= committed.size()) {
            Entry c = committed.get((int) e.index() - 1);
            if (c != null && !c.equals(e)) {
                throw new AssertionError("state machine safety: node " + node + " applied " + e.describe()
                        + " but " + c.describe() + " was committed at that index");
            }
        }
        Long h = appliedHash.putIfAbsent(e.index(), hashAfter);
        if (h != null && h != hashAfter) {
            throw new AssertionError("state machine safety: node " + node + " has state hash " + hashAfter
                    + " after index " + e.index() + ", another node had " + h);
        }
    }

    /** Checks every property over the current state of all live nodes. */
    public void check() {
        for (SimNode n : nodes) {
            if (!n.up()) {
                continue;
            }
            RaftCore c = n.core();
            if (c.role() == Role.LEADER) {
                checkOneChangeAtATime(n);
                // A leadership counts once the term is on the leader's disk or the leader sent a message of it. Until
                // then no other node can know of it: a sole voter elects itself without a message, and a crash (or a
                // failed write) before its term reached the disk takes the leadership away unseen; it may then vote
                // for another node in that term, which is safe, since nothing of the first leadership (entries,
                // acknowledgements, reads: all wait for its term's write) ever left it. A candidate elected by others
                // sent its RequestVotes of the term, so every contested election counts from the start.
                if (n.sentTerm() >= c.term() || n.durableTerm() >= c.term()) {
                    Integer other = leaderOfTerm.putIfAbsent(c.term(), n.id());
                    if (other != null && other != n.id()) {
                        throw new AssertionError("election safety: nodes " + other + " and " + n.id()
                                + " were both leader in term " + c.term());
                    }
                }
                int[] prev = shownLeaderOfTerm.get(c.term());
                // A node that led a term and restarted must campaign in a later one if any other node may have seen
                // that leadership: leading a term again that its earlier life sent messages of (entries, perhaps
                // others at the same indexes) means the term was not on its disk when they left. A sole voter that
                // crashed before its term's write had sent none, and may lead that term again harmlessly.
                if (prev != null && prev[1] != n.incarnation()) {
                    throw new AssertionError("election safety: node " + n.id() + " led term " + c.term()
                            + " in two lives (incarnations " + prev[1] + " and " + n.incarnation() + "), and"
                            + " messages of the first one's leadership left it");
                }
                if (prev == null && n.sentTerm() >= c.term()) {
                    shownLeaderOfTerm.put(c.term(), new int[] {n.id(), n.incarnation()});
                }
                if (!acknowledged.isEmpty() && leaderTermsChecked.add(c.term())) {
                    for (Entry e : acknowledged.values()) {
                        if (acknowledgedInTerm.get(e.index()) <= c.term()) {
                            requireHolds(n, e);
                        }
                    }
                }
            }
            checkCommitMonotonic(n);
            recordCommitted(n);
        }
        checkLogMatching();
        checkLeaderCompleteness();
    }

    private void checkCommitMonotonic(SimNode n) {
        long commit = n.core().log().committed();
        long persisted = n.durableCommit();
        long[] last = lastCommit.get(n.id());
        if (last != null) {
            if (last[0] == n.incarnation() && commit < last[1]) {
                throw new AssertionError("commit index of node " + n.id() + " went back from " + last[1] + " to "
                        + commit);
            }
            if (persisted < last[2]) {
                throw new AssertionError("durable commit of node " + n.id() + " went back from " + last[2]
                        + " to " + persisted);
            }
        }
        lastCommit.put(n.id(), new long[] {n.incarnation(), commit, persisted});
    }

    private void recordCommitted(SimNode n) {
        RaftCore c = n.core();
        long commit = c.log().committed();
        long from = Math.max(c.log().firstIndex(), 1);
        long[] done = recordedUpTo.get(n.id());
        long already = done != null && done[0] == n.incarnation() ? done[1] : 0;
        from = Math.max(from, already + 1);
        recordedUpTo.put(n.id(), new long[] {n.incarnation(), Math.max(commit, already)});
        for (long i = from; i <= commit; i++) {
            Entry e = c.log().entries(i, 1).get(0);
            if (e.type() == EntryType.CONFIG) {
                checkSingleServerChange(n.id(), c.membershipAt(i - 1), e);
            }
            if (i <= committed.size()) {
                Entry known = committed.get((int) i - 1);
                if (known == null) {
                    committed.set((int) i - 1, e);
                    commitTerm.set((int) i - 1, c.term());
                } else if (!known.equals(e)) {
                    throw new AssertionError("state machine safety: node " + n.id() + " committed "
                            + e.describe() + " at " + i + " but " + known.describe() + " was committed before");
                }
            } else {
                while (committed.size() < i - 1) {
                    committed.add(null); // known committed only through a snapshot
                    commitTerm.add(Long.MAX_VALUE);
                }
                committed.add(e);
                commitTerm.add(c.term());
            }
        }
    }

    private static void checkSingleServerChange(int node, Membership before, Entry e) {
        if (before.isEmpty()) {
            // A node that joined with an empty bootstrap does not know the membership before the first change it
            // received; the nodes that do check it.
            return;
        }
        Membership after = Membership.decode(e.data());
        java.util.Set<Integer> diff = new java.util.HashSet<>(before.voters());
        diff.addAll(after.voters());
        java.util.Set<Integer> both = new java.util.HashSet<>(before.voters());
        both.retainAll(after.voters());
        diff.removeAll(both);
        if (diff.size() > 1) {
            throw new AssertionError("single-server change: node " + node + " committed " + e.describe()
                    + " whose voters differ from the membership before it (" + before + ") by " + diff);
        }
    }

    private void checkOneChangeAtATime(SimNode n) {
        RaftCore c = n.core();
        // Above what is known committed anywhere: a leader elected with a stale commit index (a restarted node's
        // commit index is written lazily) may hold several changes above it that earlier leaders committed one by one.
        long from = Math.max(Math.max(c.log().committed(), maxCommitted()) + 1, c.log().firstIndex());
        int configs = 0;
        for (long i = from; i <= c.log().lastIndex(); i++) {
            if (c.log().entries(i, 1).get(0).type() == EntryType.CONFIG) {
                configs++;
            }
        }
        if (configs > 1) {
            throw new AssertionError("one change at a time: leader " + n.id() + " of term " + c.term() + " holds "
                    + configs + " uncommitted membership changes after index " + (from - 1));
        }
    }

    private void checkLogMatching() {
        List<SimNode> live = nodes.stream().filter(SimNode::up).toList();
        for (int a = 0; a < live.size(); a++) {
            for (int b = a + 1; b < live.size(); b++) {
                checkPair(live.get(a), live.get(b));
            }
        }
    }

    private static void checkPair(SimNode x, SimNode y) {
        RaftCore cx = x.core();
        RaftCore cy = y.core();
        // At or below both commit indexes, each node's entries were checked against the one committed entry
        // (recordCommitted), so they are equal: only the part above needs comparing.
        long lo = Math.max(Math.max(cx.log().firstIndex(), cy.log().firstIndex()),
                Math.min(cx.log().committed(), cy.log().committed()) + 1);
        long hi = Math.min(cx.log().lastIndex(), cy.log().lastIndex());
        boolean matched = false;
        for (long i = hi; i >= lo; i--) {
            long tx = cx.log().term(i);
            long ty = cy.log().term(i);
            if (!matched && tx == ty) {
                matched = true;
            }
            if (matched) {
                Entry ex = cx.log().entries(i, 1).get(0);
                Entry ey = cy.log().entries(i, 1).get(0);
                if (!ex.equals(ey)) {
                    throw new AssertionError("log matching: nodes " + x.id() + " and " + y.id()
                            + " agree on a later entry but differ at " + i + ": " + ex.describe() + " vs "
                            + ey.describe());
                }
            }
        }
    }

    private void checkLeaderCompleteness() {
        for (SimNode n : nodes) {
            if (!n.up() || n.core().role() != Role.LEADER) {
                continue;
            }
            RaftCore c = n.core();
            long from = Math.max(c.log().firstIndex(), 1);
            for (long i = from; i <= committed.size(); i++) {
                Entry e = committed.get((int) i - 1);
                if (e == null || c.term() < commitTerm.get((int) i - 1)) {
                    continue;
                }
                if (c.log().term(i) != e.term()) {
                    throw new AssertionError("leader completeness: leader " + n.id() + " of term " + c.term()
                            + " lacks committed entry " + e.describe() + " (has term " + c.log().term(i) + ")");
                }
            }
        }
    }
}
