package io.raftline.raft.sim;

import io.raftline.raft.MembershipChange;
import io.raftline.raft.RaftConfig;
import io.raftline.raft.RaftCore;
import io.raftline.raft.RaftException;
import io.raftline.raft.Role;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Interprets a scenario file (the format of etcd-raft's datadriven tests): a command line, a {@code ----}
 * line, the expected output, then a blank line. Lines starting with {@code #} are comments. The result is
 * the same file with every expected output replaced by the actual one, so a test passes when nothing
 * changed and {@code -Draft.rewrite=true} can write the new truth back.
 *
 * <p>Commands (times are in ticks; in scenarios one tick is 100 ms, a heartbeat 1 tick and the election
 * timeout 5..10 ticks unless {@code cluster} says otherwise):
 * <pre>
 * cluster n=3 [prevote=true] [checkquorum=true] [seed=1] [election=5..10] [heartbeat=1] [inflight=256]
 *         [max-entries=512] [max-bytes=1048576] [snapshot-every=0] [single] [quiesce=TICKS]
 * campaign ID            start an election on ID now (as if its timer fired)
 * tick ID[,ID]|all [N]  advance logical time (no delivery); a crashed node named counts the ticks it is down,
 *                        which its restart tells the core (RaftCore.downFor)
 * tick-election ID       tick ID until it starts an election
 * tick-heartbeat ID      tick ID for one heartbeat interval
 * elapse N               N times: every live node ticks (a crashed one counts it), then the cluster settles
 * peer-silent ID P[,P]|none  the host of ID found these nodes silent, and no other (see RaftCore.checkLiveness)
 * stabilize              handle Readies and deliver messages until quiet
 * elapse-until-leader [ID,ID]  tick every node and stabilize, one tick at a time, until one of them leads
 * (wherever a command takes an ID, {@code leader} names the live leader with the highest term)
 * deliver                one round: handle Readies, deliver what was queued
 * process                handle Readies only (messages stay queued)
 * drop-pending           lose every queued message
 * duplicate-pending      queue every queued message twice (a network that duplicates)
 * hold-pending FROM TO   hold back the queued messages from FROM to TO (a network that delays them)
 * release-held           queue the held messages again, after everything queued
 * propose ID DATA | propose-n ID N | propose-size ID BYTES (one entry of BYTES bytes)
 * read-index ID CTX | lease-read ID | transfer LEADER TARGET
 * partition 1,2 3 | isolate ID | cut FROM TO | heal
 * crash ID | restart ID|all | snapshot ID
 * lose-state ID          the host tells ID that its node lost state (another group of a sharded node found it out)
 * status [ID...]         role, term, vote, leader, commit, applied, log terms, leader's progress
 * members [ID...]        membership in effect and its config index
 * add-learner ID X | promote ID X | add-voter ID X | remove ID X   membership change proposed on ID
 * caught-up ID X [LAG]   whether leader ID sees X within LAG (default 0) entries of its last index
 * </pre>
 * {@code cluster} also takes {@code joining=K}: K more nodes (ids n+1..n+K) started with an empty membership,
 * waiting passively to be added.
 */
public final class ScenarioRunner {

    /** The file with actual outputs in place of expected ones. */
    public record Result(String rewritten) {
    }

    private ScenarioCluster cluster;

    private ScenarioRunner() {
    }

    public static Result run(String text) {
        return new ScenarioRunner().runAll(text);
    }

    private Result runAll(String text) {
        String[] lines = text.split("\n", -1);
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < lines.length) {
            String line = lines[i];
            if (line.isBlank() || line.startsWith("#")) {
                out.append(line);
                i++;
                if (i < lines.length) {
                    out.append('\n');
                }
                continue;
            }
            // A command, then ----, then the expected output up to a blank line.
            out.append(line).append('\n');
            i++;
            if (i >= lines.length || !lines[i].equals("----")) {
                throw new IllegalArgumentException("line " + i + ": expected ---- after command '" + line + "'");
            }
            i++;
            while (i < lines.length && !lines[i].isEmpty()) {
                i++;
            }
            String actual;
            try {
                actual = execute(line.trim());
            } catch (AssertionError e) {
                throw new AssertionError("command '" + line + "': " + e.getMessage(), e);
            }
            out.append("----\n").append(actual.isEmpty() ? "ok\n" : actual);
        }
        return new Result(out.toString());
    }

    private String execute(String line) {
        String[] parts = line.split("\\s+");
        String cmd = parts[0];
        String[] args = Arrays.copyOfRange(parts, 1, parts.length);
        if (cmd.equals("cluster")) {
            cluster = newCluster(args);
            return cluster.takeOutput();
        }
        if (cluster == null) {
            throw new IllegalArgumentException("first command must be 'cluster', got " + cmd);
        }
        switch (cmd) {
            case "campaign" -> cluster.node(id(args, 0)).core().campaign();
            case "tick" -> tick(args);
            case "tick-election" -> tickElection(id(args, 0));
            case "tick-heartbeat" -> {
                RaftCore c = cluster.node(id(args, 0)).core();
                for (int t = 0; t < c.config().heartbeatTicks(); t++) {
                    c.tick();
                }
            }
            case "stabilize" -> cluster.stabilize();
            case "elapse" -> {
                for (int t = Integer.parseInt(args[0]); t > 0; t--) {
                    tickAllLive();
                    cluster.stabilize();
                }
            }
            case "peer-silent" -> {
                java.util.Set<Integer> silent = new java.util.HashSet<>();
                if (!args[1].equals("none")) {
                    for (String x : args[1].split(",")) {
                        silent.add(Integer.parseInt(x));
                    }
                }
                cluster.node(id(args, 0)).core().checkLiveness(silent::contains);
            }
            case "elapse-until-leader" -> elapseUntilLeader(args.length == 0 ? cluster.ids()
                    : Arrays.stream(args[0].split(",")).map(Integer::parseInt).toList());
            case "deliver" -> {
                cluster.processReadies();
                cluster.deliverRound();
                cluster.check();
            }
            case "process" -> {
                cluster.processReadies();
                cluster.check();
            }
            case "duplicate-pending" -> {
                cluster.processReadies();
                cluster.duplicatePending();
            }
            case "hold-pending" -> {
                cluster.processReadies();
                cluster.holdPending(id(args, 0), id(args, 1));
            }
            case "release-held" -> cluster.releaseHeld();
            case "drop-pending" -> {
                cluster.processReadies();
                cluster.dropPending();
            }
            case "propose" -> cluster.propose(id(args, 0), args[1]);
            case "propose-size" -> cluster.propose(id(args, 0), "x".repeat(Integer.parseInt(args[1])));
            case "propose-n" -> {
                int n = Integer.parseInt(args[1]);
                int count = 0;
                for (int k = 1; k <= n; k++) {
                    try {
                        cluster.node(id(args, 0)).core().propose(("v" + k).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                        count++;
                    } catch (RaftException e) {
                        cluster.println("[" + args[0] + "] error: " + e.getMessage());
                        break;
                    }
                }
                cluster.println("[" + args[0] + "] proposed " + count + " entries");
            }
            case "read-index" -> {
                try {
                    cluster.node(id(args, 0)).core().readIndex(Long.parseLong(args[1]));
                } catch (RaftException e) {
                    cluster.println("[" + args[0] + "] error: " + e.getMessage());
                }
            }
            case "lease-read" -> {
                try {
                    var idx = cluster.node(id(args, 0)).core().leaseReadIndex();
                    cluster.println("[" + args[0] + "] lease read " + (idx.isPresent() ? "at index " + idx.get().index()
                            : "unavailable"));
                } catch (RaftException e) {
                    cluster.println("[" + args[0] + "] error: " + e.getMessage());
                }
            }
            case "transfer" -> cluster.node(id(args, 0)).core().transferLeadership(id(args, 1));
            case "add-learner" -> cluster.changeMembership(id(args, 0), new MembershipChange.AddLearner(id(args, 1)));
            case "promote" -> cluster.changeMembership(id(args, 0), new MembershipChange.Promote(id(args, 1)));
            case "add-voter" -> cluster.changeMembership(id(args, 0), new MembershipChange.AddVoter(id(args, 1)));
            case "remove" -> cluster.changeMembership(id(args, 0), new MembershipChange.Remove(id(args, 1)));
            case "caught-up" -> {
                long lag = args.length > 2 ? Long.parseLong(args[2]) : 0;
                cluster.println("[" + args[0] + "] node " + args[1] + " caught up within " + lag + ": "
                        + cluster.node(id(args, 0)).core().caughtUp(id(args, 1), lag));
            }
            case "members" -> {
                List<Integer> ids = args.length == 0 ? new ArrayList<>(cluster.ids())
                        : Arrays.stream(args).map(Integer::parseInt).toList();
                for (int x : ids) {
                    SimNode n = cluster.node(x);
                    cluster.println(x + ": " + (n.up() ? n.core().membership() + " (config index "
                            + n.core().configIndex() + ")" : "down"));
                }
            }
            case "partition" -> {
                List<Set<Integer>> groups = new ArrayList<>();
                for (String g : args) {
                    Set<Integer> set = new LinkedHashSet<>();
                    for (String x : g.split(",")) {
                        set.add(Integer.parseInt(x));
                    }
                    groups.add(set);
                }
                cluster.partition(groups);
            }
            case "isolate" -> {
                int x = id(args, 0);
                for (int other : cluster.ids()) {
                    if (other != x) {
                        cluster.cut(x, other);
                        cluster.cut(other, x);
                    }
                }
            }
            case "cut" -> cluster.cut(id(args, 0), id(args, 1));
            case "heal" -> cluster.heal();
            case "crash" -> cluster.node(id(args, 0)).crash();
            case "restart" -> {
                for (int x : args[0].equals("all") ? cluster.ids() : List.of(id(args, 0))) {
                    cluster.restart(x);
                }
                cluster.processReadies();
                cluster.check();
            }
            case "lose-state" -> cluster.node(id(args, 0)).core().markStateLost("found out by another group");
            case "snapshot" -> {
                SimNode n = cluster.node(id(args, 0));
                n.takeSnapshot();
                cluster.println("[" + n.id() + "] snapshot at " + n.storage().snapshot().index() + "@"
                        + n.storage().snapshot().term() + ", log now starts at " + n.storage().firstIndex());
            }
            case "status" -> {
                List<Integer> ids = args.length == 0 ? new ArrayList<>(cluster.ids())
                        : Arrays.stream(args).map(Integer::parseInt).toList();
                for (int x : ids) {
                    cluster.println(cluster.status(x));
                }
            }
            default -> throw new IllegalArgumentException("unknown command: " + cmd);
        }
        return cluster.takeOutput();
    }

    /** A node id, or {@code leader}: the live leader with the highest term. */
    private int id(String[] args, int i) {
        if (args.length <= i) {
            throw new IllegalArgumentException("missing node id");
        }
        if (!args[i].equals("leader")) {
            return Integer.parseInt(args[i]);
        }
        int best = 0;
        long bestTerm = -1;
        for (int x : cluster.ids()) {
            SimNode n = cluster.node(x);
            if (n.up() && n.core().role() == Role.LEADER && n.core().term() > bestTerm) {
                best = x;
                bestTerm = n.core().term();
            }
        }
        if (best == 0) {
            throw new IllegalStateException("no leader");
        }
        return best;
    }

    private void tick(String[] args) {
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        for (int t = 0; t < n; t++) {
            for (int x : args[0].equals("all") ? cluster.ids()
                    : Arrays.stream(args[0].split(",")).map(Integer::parseInt).toList()) {
                SimNode node = cluster.node(x);
                if (node.up()) {
                    node.core().tick();
                } else {
                    node.tickWhileDown();
                }
            }
        }
    }

    /** Real time passing: every live node ticks, then the cluster settles, until someone leads. */
    private void elapseUntilLeader(java.util.Collection<Integer> candidates) {
        for (int t = 1; t <= 1000; t++) {
            tickAllLive();
            cluster.stabilize();
            for (int x : candidates) {
                if (cluster.node(x).up() && cluster.node(x).core().role() == Role.LEADER) {
                    cluster.println("leader " + x + " after " + t + " ticks");
                    return;
                }
            }
        }
        cluster.println("no leader after 1000 ticks");
    }

    /** One tick of every node that is up (real time passing, before the cluster settles). */
    private void tickAllLive() {
        for (int x : cluster.ids()) {
            if (cluster.node(x).up()) {
                cluster.node(x).core().tick();
            } else {
                cluster.node(x).tickWhileDown();
            }
        }
    }

    /** Ticks a node until its election timer fires (it then has an election to announce). */
    private void tickElection(int id) {
        RaftCore c = cluster.node(id).core();
        cluster.processReadies();
        for (int t = 0; t <= c.config().electionTicksMax() + 1; t++) {
            c.tick();
            if (c.hasReady()) {
                return;
            }
        }
        cluster.println("[" + id + "] no election after " + (c.config().electionTicksMax() + 2) + " ticks");
    }

    private static ScenarioCluster newCluster(String[] args) {
        Map<String, String> opts = new HashMap<>();
        for (String a : args) {
            int eq = a.indexOf('=');
            opts.put(eq < 0 ? a : a.substring(0, eq), eq < 0 ? "true" : a.substring(eq + 1));
        }
        int n = Integer.parseInt(opts.getOrDefault("n", "3"));
        int joining = Integer.parseInt(opts.getOrDefault("joining", "0"));
        boolean single = opts.containsKey("single");
        List<Integer> members = new ArrayList<>();
        for (int k = 1; k <= n; k++) {
            members.add(k);
        }
        String[] election = opts.getOrDefault("election", "5..10").split("\\.\\.");
        int tickMs = 100;
        List<RaftConfig> configs = new ArrayList<>();
        for (int k = 1; k <= n + joining; k++) {
            configs.add(RaftConfig.builder(k, k <= n ? members : List.of())
                    .singleNode(single)
                    .tickMs(tickMs)
                    .heartbeatMs(tickMs * Integer.parseInt(opts.getOrDefault("heartbeat", "1")))
                    .electionTimeoutMs(tickMs * Integer.parseInt(election[0]), tickMs * Integer.parseInt(election[1]))
                    .preVote(Boolean.parseBoolean(opts.getOrDefault("prevote", "true")))
                    .checkQuorum(Boolean.parseBoolean(opts.getOrDefault("checkquorum", "true")))
                    .maxInflightMessages(Integer.parseInt(opts.getOrDefault("inflight", "256")))
                    .maxEntriesPerMessage(Integer.parseInt(opts.getOrDefault("max-entries", "512")))
                    .maxBytesPerMessage(Long.parseLong(opts.getOrDefault("max-bytes", "1048576")))
                    .quiesceMs(tickMs * Integer.parseInt(opts.getOrDefault("quiesce", "0")))
                    .build());
        }
        long seed = Long.parseLong(opts.getOrDefault("seed", "1"));
        long snapEvery = Long.parseLong(opts.getOrDefault("snapshot-every", "0"));
        ScenarioCluster c = new ScenarioCluster(configs, seed, snapEvery);
        c.processReadies();
        return c;
    }
}
