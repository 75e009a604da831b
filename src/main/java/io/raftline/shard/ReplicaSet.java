package io.raftline.shard;

import io.raftline.kv.KvCommand;
import io.raftline.kv.KvResult;
import io.raftline.node.KvView;
import io.raftline.node.NodeHost;
import io.raftline.node.NodeRequestException;
import io.raftline.node.NodeStatus;
import io.raftline.node.RaftNode;
import io.raftline.node.ReadConsistency;
import io.raftline.node.StateDigest;
import io.raftline.node.WatchCompactedException;
import io.raftline.node.WatchPosition;
import io.raftline.raft.MembershipChange;
import io.vertx.core.Future;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Function;

/**
 * One node of a sharded cluster as the rest of the process sees it: its replicas of every Raft group, one
 * {@link RaftNode} per group, behind the interface of a single node.
 *
 * <p>Why a composite: a node is what fails and what an operator acts on. A crash, a pause, a freeze or a restart hits
 * the process, so here it hits every group's replica at once, which is what the fault controls, the admin API and the
 * live view mean by "crash node 2". Writes go to the group that owns their key ({@link KeyGroups}); a transaction
 * whose keys span groups is refused ({@code cross_group}). The node's status is group 0's (each group's own status is
 * {@link #replica(int)}'s), and its state digest covers every group. Reads, membership changes and leadership
 * transfers name a group: the request layer ({@link io.raftline.api.KvRequests}) picks the replica itself, so those
 * methods here serve group 0 only, and refuse where that would silently cover a part of the key space. A watch covers
 * every group: each group's replica is watched from its own position and their changes merged.
 */
public final class ReplicaSet implements RaftNode {

    private final int id;
    private final List<? extends RaftNode> replicas;
    private final KeyGroups keyGroups;

    /**
     * Groups a node's replicas.
     *
     * @param id       the node
     * @param replicas its replica of each group, by group (at least one)
     */
    public ReplicaSet(int id, List<? extends RaftNode> replicas) {
        if (replicas.isEmpty()) {
            throw new IllegalArgumentException("a node hosts at least one group");
        }
        this.id = id;
        this.replicas = List.copyOf(replicas);
        this.keyGroups = new KeyGroups(replicas.size());
    }

    /**
     * This node's replica of one group.
     *
     * @param group the group
     * @return the replica
     */
    public RaftNode replica(int group) {
        return replicas.get(group);
    }

    /**
     * Every replica, by group.
     *
     * @return the replicas
     */
    public List<? extends RaftNode> replicas() {
        return replicas;
    }

    /**
     * How keys map to this node's groups.
     *
     * @return the map
     */
    public KeyGroups keyGroups() {
        return keyGroups;
    }

    @Override
    public int id() {
        return id;
    }

    @Override
    public int knownLeader() {
        return replicas.get(0).knownLeader();
    }

    /** Group 0's, as {@link #knownLeader()}; requests wait on their own group's replica. */
    @Override
    public Future<Integer> awaitLeader(int other) {
        return replicas.get(0).awaitLeader(other);
    }

    @Override
    public Future<KvResult> propose(KvCommand command) {
        int group = keyGroups.groupOf(command);
        if (group < 0) {
            return Future.failedFuture(crossGroup(id, keyGroups, command));
        }
        return replicas.get(group).propose(command);
    }

    /**
     * The refusal of a transaction whose keys belong to more than one group.
     *
     * @param node      the node refusing
     * @param keyGroups the map
     * @param command   the transaction
     * @return the failure ({@code cross_group}, 400)
     */
    public static NodeRequestException crossGroup(int node, KeyGroups keyGroups, KvCommand command) {
        StringBuilder where = new StringBuilder();
        for (String key : new java.util.LinkedHashSet<>(command.keys())) {
            if (where.length() > 200) {
                where.append(", ...");
                break;
            }
            where.append(where.length() == 0 ? "" : ", ").append('"').append(key).append("\" in group ")
                    .append(keyGroups.groupOf(key));
        }
        return new NodeRequestException(NodeRequestException.Reason.CROSS_GROUP, 0, "a transaction's keys must all"
                + " belong to one Raft group of the " + keyGroups.count() + " this cluster is sharded over: " + where);
    }

    @Override
    public Future<KvView> read(ReadConsistency consistency) {
        return replicas.get(0).read(consistency);
    }

    /**
     * Every replica's status, by group: what {@code /v1/cluster}, {@code /metrics}, the leader balancer and the live
     * view's grid each need of a node's replicas.
     *
     * @param replicas a node's replicas, by group
     * @return their statuses, in the same order, once all answered
     */
    public static Future<List<NodeStatus>> statuses(List<? extends RaftNode> replicas) {
        List<Future<NodeStatus>> all = new ArrayList<>(replicas.size());
        for (RaftNode r : replicas) {
            all.add(r.status());
        }
        return Future.all(all).map(done -> {
            List<NodeStatus> out = new ArrayList<>(all.size());
            for (Future<NodeStatus> f : all) {
                out.add(f.result());
            }
            return out;
        });
    }

    @Override
    public Future<NodeStatus> status() {
        return replicas.get(0).status();
    }

    /** Group 0's, as {@link #status()} is: {@code /readyz} asks every replica itself. */
    @Override
    public Future<Long> confirmLeaderCommit() {
        return replicas.get(0).confirmLeaderCommit();
    }

    /**
     * Every group's state digest folded into one: SHA-256 over each group's applied index and hash, in group order,
     * at the sum of the applied indexes. Two nodes with the same digest hold the same state in every group.
     */
    @Override
    public Future<StateDigest> digest() {
        List<Future<StateDigest>> all = new ArrayList<>();
        for (RaftNode r : replicas) {
            all.add(r.digest());
        }
        return Future.all(all).map(done -> {
            long applied = 0;
            int keys = 0;
            List<GroupHash> hashes = new ArrayList<>(all.size());
            for (Future<StateDigest> f : all) {
                StateDigest d = f.result();
                applied += d.appliedIndex();
                keys += d.keys();
                hashes.add(new GroupHash(d.appliedIndex(), d.stateHash()));
            }
            return new StateDigest(id, applied, combinedHash(hashes), keys);
        });
    }

    /**
     * One group's applied index and state hash.
     *
     * @param appliedIndex the group's applied index
     * @param stateHash    the group's state hash (hex)
     */
    record GroupHash(long appliedIndex, String stateHash) {
    }

    /**
     * The state hash of a sharded node: SHA-256 over {@code "<applied>:<hash>;"} of each group in group order, so that
     * two nodes (or a node and a backup) agree exactly when every group has the same state at the same index.
     */
    static String combinedHash(List<GroupHash> groups) {
        MessageDigest sha = sha256();
        for (GroupHash g : groups) {
            sha.update((g.appliedIndex() + ":" + g.stateHash() + ";").getBytes(StandardCharsets.US_ASCII));
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    @Override
    public Future<Void> transferLeadership(int target) {
        return replicas.get(0).transferLeadership(target);
    }

    @Override
    public Future<NodeHost.MembershipInfo> changeMembership(MembershipChange change) {
        if (replicas.size() > 1) {
            return Future.failedFuture(new NodeRequestException(NodeRequestException.Reason.INVALID_CHANGE, 0,
                    "a cluster sharded over " + replicas.size() + " groups changes its membership group by group:"
                            + " use POST /v1/members and DELETE /v1/members/{id} (docs/sharding.md)"));
        }
        return replicas.get(0).changeMembership(change);
    }

    /**
     * A watch from a revision: a revision names a place in one group's log only, so on a sharded cluster only
     * {@code fromRevision} 0 (from the next change in every group) is served; a stream resumes from its last event id,
     * which names every group's position ({@link #watch(String, List, NodeHost.WatchSink)}).
     */
    @Override
    public Future<NodeHost.Watch> watch(String prefix, long fromRevision, int skip, NodeHost.WatchSink sink) {
        if (replicas.size() == 1) {
            return replicas.get(0).watch(prefix, fromRevision, skip, sink);
        }
        if (fromRevision != 0) {
            return Future.failedFuture(new IllegalArgumentException("fromRevision " + fromRevision + " cannot be"
                    + " served on a cluster sharded over " + replicas.size() + " Raft groups (revisions are per"
                    + " group); watch from now (no fromRevision), and resume with the last event id, which names"
                    + " every group's position"));
        }
        return watch(prefix, List.of(), sink);
    }

    /**
     * On a sharded cluster, watches every group from its own position and merges their changes as they are applied:
     * each group's changes stay in its log order and reach the sink tagged with their group
     * ({@link NodeHost.WatchSink#changes(int, List)}), so the client can keep every group's position and resume each
     * one where it was. The watch's {@link NodeHost.Watch#start()} has every group's start. The watch ends when any
     * group's ends (a crash ends them all anyway); if a group refuses it, the others' registrations are cancelled,
     * those that complete later too.
     */
    @Override
    public Future<NodeHost.Watch> watch(String prefix, List<WatchPosition> from, NodeHost.WatchSink sink) {
        if (replicas.size() == 1) {
            return replicas.get(0).watch(prefix, from, sink);
        }
        if (!from.isEmpty() && from.size() != replicas.size()) {
            return Future.failedFuture(new IllegalArgumentException("the position names " + from.size()
                    + " Raft group(s), but this cluster is sharded over " + replicas.size()
                    + " (an id of another cluster's watch?)"));
        }
        MergedWatch merged = new MergedWatch(sink, replicas.size());
        List<Future<NodeHost.Watch>> started = new ArrayList<>();
        for (int g = 0; g < replicas.size(); g++) {
            int group = g;
            WatchPosition p = from.isEmpty() ? null : from.get(g);
            started.add(replicas.get(g).watch(prefix, p == null ? 0 : p.revision(), p == null ? 0 : p.skip(),
                    merged.groupSink(g)).map(w -> {
                        merged.registered(group, w);
                        return w;
                    }).recover(e -> Future.failedFuture(e instanceof WatchCompactedException c
                            ? c.inGroup(group, replicas.size()) : e)));
        }
        return Future.all(started).<NodeHost.Watch>map(done -> merged).onFailure(e -> merged.cancel());
    }

    @Override
    public Future<Void> crash() {
        return all(RaftNode::crash);
    }

    @Override
    public Future<Void> restart() {
        return all(RaftNode::restart);
    }

    @Override
    public Future<Void> pause() {
        return all(RaftNode::pause);
    }

    @Override
    public Future<Void> freeze() {
        return all(RaftNode::freeze);
    }

    @Override
    public Future<Void> thaw() {
        return all(RaftNode::thaw);
    }

    @Override
    public Future<Void> resume() {
        return all(RaftNode::resume);
    }

    /** Does the same to every replica at once; fails if any failed, once all are done. */
    private Future<Void> all(Function<RaftNode, Future<Void>> action) {
        List<Future<Void>> done = new ArrayList<>(replicas.size());
        for (RaftNode r : replicas) {
            done.add(action.apply(r));
        }
        return Future.join(done).mapEmpty();
    }
}
