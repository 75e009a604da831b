package io.raftline.raft.sim;

import io.raftline.raft.CoreEvent;
import io.raftline.raft.Entry;
import io.raftline.raft.RaftConfig;
import io.raftline.raft.RaftCore;
import io.raftline.raft.RaftException;
import io.raftline.raft.ReadState;
import io.raftline.raft.Snapshot;
import io.raftline.raft.Status;
import io.raftline.raft.message.Message;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A cluster driven step by step by a scenario file: messages wait in one FIFO queue until the scenario
 * delivers them, links can be cut, nodes crashed and restarted. Everything observable is written as text
 * lines, which the scenario compares with the expected output. Safety invariants are checked after every
 * command.
 */
final class ScenarioCluster implements SimNode.Observer {

    private final TreeMap<Integer, SimNode> nodes = new TreeMap<>();
    private final SafetyChecker checker;
    private List<Message> pending = new ArrayList<>();
    /** Messages the network holds back ({@code hold-pending}) until {@code release-held}. */
    private final List<Message> held = new ArrayList<>();
    private final Set<Long> cutLinks = new HashSet<>();
    private final StringBuilder out = new StringBuilder();
    private final Map<Integer, List<Entry>> appliedBatch = new TreeMap<>();

    ScenarioCluster(List<RaftConfig> configs, long seed, long snapshotEvery) {
        for (RaftConfig c : configs) {
            nodes.put(c.id(), new SimNode(c, seed * 1000 + c.id(), snapshotEvery));
        }
        checker = new SafetyChecker(new ArrayList<>(nodes.values()));
    }

    SimNode node(int id) {
        SimNode n = nodes.get(id);
        if (n == null) {
            throw new IllegalArgumentException("no node " + id);
        }
        return n;
    }

    Set<Integer> ids() {
        return nodes.keySet();
    }

    /** Output produced since the last call. */
    String takeOutput() {
        String s = out.toString();
        out.setLength(0);
        return s;
    }

    void println(String line) {
        out.append(line).append('\n');
    }

    void check() {
        checker.check();
    }

    // ------------------------------------------------------------ network

    private static long link(int from, int to) {
        return ((long) from << 32) | to;
    }

    void cut(int from, int to) {
        cutLinks.add(link(from, to));
    }

    /** Splits the nodes into groups that cannot talk to each other. */
    void partition(List<Set<Integer>> groups) {
        cutLinks.clear();
        for (int a : nodes.keySet()) {
            for (int b : nodes.keySet()) {
                if (a != b && groupOf(groups, a) != groupOf(groups, b)) {
                    cut(a, b);
                }
            }
        }
    }

    private static int groupOf(List<Set<Integer>> groups, int id) {
        for (int i = 0; i < groups.size(); i++) {
            if (groups.get(i).contains(id)) {
                return i;
            }
        }
        return -1 - id; // not listed: alone
    }

    void heal() {
        cutLinks.clear();
    }

    // ------------------------------------------------------------ processing

    /** Handles every node's Ready until none has anything left, collecting sent messages. */
    boolean processReadies() {
        boolean any = false;
        for (SimNode n : nodes.values()) {
            while (n.handleReady(0, pending::add, this)) {
                any = true;
                flushApplied(n.id());
            }
        }
        return any;
    }

    /** Delivers every queued message once (new messages produced by handling wait for the next round). */
    boolean deliverRound() {
        if (pending.isEmpty()) {
            return false;
        }
        List<Message> batch = pending;
        pending = new ArrayList<>();
        for (Message m : batch) {
            SimNode to = nodes.get(m.to());
            if (cutLinks.contains(link(m.from(), m.to()))) {
                println(m.describe() + "  DROPPED (link cut)");
            } else if (to == null || !to.up()) {
                println(m.describe() + "  DROPPED (node down)");
            } else {
                println(m.describe());
                to.core().step(m);
            }
        }
        return true;
    }

    /** Queues a second copy of every queued message, after all of them. */
    void duplicatePending() {
        List<Message> copy = new ArrayList<>(pending);
        pending.addAll(copy);
        println("duplicated " + copy.size() + " messages");
    }

    /** Takes the queued messages from {@code from} to {@code to} out of the queue, until {@link #releaseHeld}. */
    void holdPending(int from, int to) {
        List<Message> keep = new ArrayList<>();
        for (Message m : pending) {
            if (m.from() == from && m.to() == to) {
                held.add(m);
                println(m.describe() + "  HELD (delayed by the network)");
            } else {
                keep.add(m);
            }
        }
        pending = keep;
    }

    /** Queues the held messages again, after everything queued. */
    void releaseHeld() {
        for (Message m : held) {
            println(m.describe() + "  RELEASED");
        }
        pending.addAll(held);
        held.clear();
    }

    /** Loses every queued message. */
    void dropPending() {
        for (Message m : pending) {
            println(m.describe() + "  DROPPED (lost)");
        }
        pending = new ArrayList<>();
    }

    /** Processes and delivers until the cluster is quiet. */
    void stabilize() {
        for (int round = 0; round < 10_000; round++) {
            boolean worked = processReadies();
            worked |= deliverRound();
            check();
            if (!worked) {
                return;
            }
        }
        throw new AssertionError("cluster did not stabilize in 10,000 rounds");
    }

    // ------------------------------------------------------------ observer

    @Override
    public void event(int node, CoreEvent e) {
        println("[" + node + "] " + describe(e));
    }

    static String describe(CoreEvent e) {
        if (e instanceof CoreEvent.StateChange s) {
            return s.from().displayName() + " -> " + s.to().displayName() + " term=" + s.term() + " lead="
                    + s.leader() + ": " + s.reason();
        } else if (e instanceof CoreEvent.ElectionStarted s) {
            return (s.preVote() ? "pre-vote" : "election") + " for term " + s.term()
                    + (s.transfer() ? " (leadership transfer)" : "");
        } else if (e instanceof CoreEvent.VoteGranted s) {
            return "grants " + (s.preVote() ? "pre-vote" : "vote") + " to " + s.candidate() + " for term "
                    + s.term();
        } else if (e instanceof CoreEvent.LeaderElected s) {
            return "leader of term " + s.term() + " with " + s.votes() + " votes";
        } else if (e instanceof CoreEvent.LeadershipTransfer s) {
            return "leadership transfer to " + s.target() + " " + s.description();
        } else if (e instanceof CoreEvent.MembershipChanged s) {
            return "membership " + s.membership() + " (index " + s.index() + ": " + s.reason() + ")";
        } else if (e instanceof CoreEvent.StateLost s) {
            return "state lost: leader " + s.leader() + " knows index " + s.acknowledged() + " acknowledged, log ends at "
                    + s.lastIndex();
        } else if (e instanceof CoreEvent.Quiescence s) {
            return (s.quiet() ? "quiet: " : "awake: ") + s.reason();
        }
        throw new IllegalArgumentException(e.toString());
    }

    @Override
    public void applied(int node, Entry e, long hashAfter) {
        checker.applied(node, e, hashAfter);
        appliedBatch.computeIfAbsent(node, k -> new ArrayList<>()).add(e);
    }

    private void flushApplied(int node) {
        List<Entry> batch = appliedBatch.remove(node);
        if (batch == null || batch.isEmpty()) {
            return;
        }
        if (batch.size() <= 3) {
            StringBuilder sb = new StringBuilder("[" + node + "] applied");
            for (Entry e : batch) {
                sb.append(' ').append(e.describe());
            }
            println(sb.toString());
        } else {
            println("[" + node + "] applied " + batch.get(0).index() + ".." + batch.get(batch.size() - 1).index()
                    + " (" + batch.size() + " entries)");
        }
    }

    @Override
    public void stateRestored(int node, long index, long hash) {
        checker.stateRestored(node, index, hash);
    }

    /** Restarts a crashed node from its disk. */
    void restart(int id) {
        if (!node(id).restart(this)) {
            throw new IllegalStateException("node " + id + " did not come back");
        }
    }

    @Override
    public void readState(int node, ReadState rs) {
        println("[" + node + "] read ctx=" + rs.context() + " at index " + rs.index());
    }

    @Override
    public void snapshotInstalled(int node, Snapshot s) {
        println("[" + node + "] installed snapshot " + s.index() + "@" + s.term());
    }

    // ------------------------------------------------------------ commands

    /** Proposes a membership change on {@code id} and prints where it landed or why it was refused. */
    void changeMembership(int id, io.raftline.raft.MembershipChange change) {
        try {
            var p = node(id).core().changeMembership(change);
            println("[" + id + "] proposed " + change.describe() + " at " + p.index() + "@" + p.term());
        } catch (RaftException e) {
            println("[" + id + "] error: " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    void propose(int id, String data) {
        try {
            var p = node(id).core().propose(data.getBytes(StandardCharsets.UTF_8));
            println("[" + id + "] proposed " + p.index() + "@" + p.term());
        } catch (RaftException e) {
            println("[" + id + "] error: " + e.getMessage());
        }
    }

    String status(int id) {
        SimNode n = node(id);
        if (!n.up()) {
            var disk = n.storage();
            return id + ": down  disk: " + describeLog(disk.firstIndex(), disk.lastIndex(), disk::term) + " hs="
                    + disk.hardState().term() + "/" + disk.hardState().vote() + "/" + disk.hardState().commit();
        }
        RaftCore c = n.core();
        Status s = c.status();
        StringBuilder sb = new StringBuilder();
        sb.append(id).append(": ").append(s.role().displayName()).append(" term=").append(s.term())
                .append(" vote=").append(s.vote()).append(" lead=").append(s.leader())
                .append(" commit=").append(s.commit()).append(" applied=").append(s.applied())
                .append(" log=").append(describeLog(s.firstIndex(), s.lastIndex(), i -> c.log().term(i)));
        if (c.quiesced()) {
            sb.append(" quiesced");
        }
        if (!s.progress().isEmpty()) {
            sb.append("\n   progress:");
            s.progress().forEach((peer, p) -> sb.append(' ').append(peer).append('=').append(p.match()).append('/')
                    .append(p.next()).append(':').append(p.state().name().toLowerCase()));
        }
        return sb.toString();
    }

    /** Terms of a log as runs, e.g. {@code 1..7 [1x2 2x5]}; snapshot-compacted prefix shown as its bound. */
    static String describeLog(long first, long last, java.util.function.LongUnaryOperator termOf) {
        if (last < first) {
            return "empty" + (first > 1 ? " (snapshot " + (first - 1) + ")" : "");
        }
        StringBuilder sb = new StringBuilder();
        sb.append(first).append("..").append(last).append(" [");
        long run = 0;
        long runTerm = -1;
        for (long i = first; i <= last; i++) {
            long t = termOf.applyAsLong(i);
            if (t != runTerm && run > 0) {
                sb.append(runTerm).append('x').append(run).append(' ');
                run = 0;
            }
            runTerm = t;
            run++;
        }
        sb.append(runTerm).append('x').append(run).append(']');
        return sb.toString();
    }
}
