package io.raftline.server;

import io.raftline.api.http.PeerDirectory;
import io.raftline.raft.ConfigException;
import io.vertx.core.Future;
import io.vertx.core.http.HttpClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Keeps a node from joining peers that shard the key space over another number of Raft groups.
 *
 * <p>Why: a key's group is {@code hash mod G}, computed by whichever node a client asks. Nodes configured with different
 * {@code "groups"} still form the groups they share (each node's replica of group g talks to the others' replicas of
 * g), but map keys to them differently: a node that leads a shared group proposes a key there under its own map, the
 * others apply it there and then look for the key in another group. Its reads on the other nodes miss it, and a write
 * of the same key through another node lands in that other group: two values of one key, each acknowledged. The data
 * directory pins G for a node's restarts ({@link io.raftline.shard.GroupLayout}); nothing compared it between nodes.
 *
 * <p>So before a node of a process (one node per process) opens its data, it asks the other configured nodes' client
 * ports for their number of groups ({@code GET /v1/cluster?scope=local}: its {@code "groups"} list, absent on a
 * cluster of one group) and refuses to start if one that answers has another. A peer that does not answer within the
 * timeout is not waited for (a whole cluster starting): nodes started at the same instant may each miss the other, so
 * this check is for the node that comes up next to running ones (a node added, or one started again without its data,
 * with a changed file), and says which number the cluster runs with. A node whose data directory holds its data
 * already is not checked here: the directory fixes its number ({@link io.raftline.shard.GroupLayout} refuses to open it
 * with another), so a restart with a changed file is refused without asking anyone, and a restart with the same file
 * does not wait for its peers' answers. Whatever it misses the transports refuse: every frame or call between
 * processes states its sender's number of groups, and a receiver with another refuses it
 * ({@link io.raftline.transport.GroupCountCheck}), so a node that disagrees is part of no group's quorum.
 */
final class GroupCountGuard {

    private static final long ASK_TIMEOUT_MS = 1500;

    private GroupCountGuard() {
    }

    /**
     * Checks that every peer that answers has {@code groups} groups.
     *
     * @param id     this node
     * @param groups this node's configured number of groups
     * @param peers  every node of the configuration (this one is skipped)
     * @param where  their client ports
     * @param client the HTTP client
     * @return succeeds if no answering peer differs; fails with a {@link ConfigException} naming the peer otherwise
     */
    static Future<Void> check(int id, int groups, Collection<Integer> peers, PeerDirectory where, HttpClient client) {
        List<Integer> asked = new ArrayList<>();
        List<Future<Integer>> answers = new ArrayList<>();
        for (int peer : peers) {
            if (peer == id) {
                continue;
            }
            asked.add(peer);
            answers.add(PeerViews.local(client, where, peer, ASK_TIMEOUT_MS).map(view -> view.map(
                    GroupCountGuard::groupsOf).orElse(0)));
        }
        return Future.join(answers).otherwiseEmpty().compose(v -> {
            for (int i = 0; i < answers.size(); i++) {
                Integer theirs = answers.get(i).result();
                if (theirs != null && theirs != 0 && theirs != groups) {
                    return Future.failedFuture(new ConfigException("groups", "is " + groups + " but node "
                            + asked.get(i) + " runs with \"groups\": " + theirs + ": every node of a cluster must have"
                            + " the same number of groups (keys map to groups by it, and nodes that disagree would"
                            + " store a key in different groups); start node " + id + " with \"groups\": " + theirs));
                }
            }
            return Future.succeededFuture();
        });
    }

    /** A peer's number of groups from its local cluster view: the length of its "groups" list, 1 without one. */
    private static int groupsOf(JsonObject cluster) {
        JsonArray groups = cluster.getJsonArray("groups");
        return groups == null ? 1 : groups.size();
    }
}
