package io.raftline.transport;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A process's number of Raft groups as its transport states it on the wire, and the refusal of peers that state
 * another.
 *
 * <p>Why: a key's group is {@code hash mod G} ({@link io.raftline.shard.KeyGroups}). Nodes configured with different
 * {@code "groups"} still form the groups they share, but map keys to them differently, so one key could get two
 * acknowledged values in two groups. The check a node makes before it starts ({@code server.GroupCountGuard}) misses
 * peers that are not up yet; the transports close that gap: every event-bus frame and every gRPC call between
 * processes carries the sender's count, and a receiver with another count refuses what it carries, so a node that
 * disagrees can never be part of any group's quorum, whenever it starts.
 *
 * <p>The comparison is one {@code int} compare per frame (or per call). A refusal is the slow path: its reason is
 * made once per peer and count and reused, and the ERROR line that names the peer and both counts is logged once per
 * peer and count, not once per message (a peer sends heartbeats many times a second).
 */
public final class GroupCountCheck {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(GroupCountCheck.class);

    /** Most groups a count on the wire may state (two bytes on the event bus). */
    public static final int MAX = 0xffff;

    private final int own;
    /** Peer node → the refusal last reported for it (its count and the reason reported with its messages). */
    private final Map<Integer, Refusal> refused = new ConcurrentHashMap<>();

    /** The reason for one peer's messages, made once. */
    private record Refusal(int theirs, String reason) {
    }

    /**
     * Creates the check of a process.
     *
     * @param own the process's configured number of groups, 1 to {@link #MAX}
     */
    public GroupCountCheck(int own) {
        if (own < 1 || own > MAX) {
            throw new IllegalArgumentException("groups must be 1.." + MAX + ", got " + own);
        }
        this.own = own;
    }

    /**
     * This process's number of groups: what it writes on every frame or call.
     *
     * @return at least 1
     */
    public int own() {
        return own;
    }

    /**
     * Whether a peer that states {@code theirs} may be heard.
     *
     * @param theirs the count the peer's frame or call carries
     * @return true if it is this process's
     */
    public boolean accepts(int theirs) {
        return theirs == own;
    }

    /**
     * Refuses what a peer sent with another count: logs an ERROR naming the peer and both counts the first time (and
     * again if the peer's count changes, a restart with yet another file), and returns the drop reason for its
     * messages. The reason begins with {@code receiver}: the event stream reports the drop at the receiving node.
     *
     * @param peer   the sending node (0 if none could be read)
     * @param theirs the count it stated
     * @param where  how it arrived, for the log ("the clustered event bus", "gRPC from 127.0.0.1")
     * @return the reason, the same string for every message of that peer and count
     */
    public String refuse(int peer, int theirs, String where) {
        Refusal r = refused.get(peer);
        if (r != null && r.theirs() == theirs) {
            return r.reason();
        }
        Refusal made = new Refusal(theirs, "receiver has \"groups\": " + own + ", node " + peer + " has "
                + (theirs == 0 ? "none stated" : theirs));
        if (r == null ? refused.putIfAbsent(peer, made) == null : refused.replace(peer, r, made)) {
            LOG.error("messages from node {} ({}) are refused: it runs with \"groups\": {} and this process with {}:"
                    + " every node of a cluster must have the same number of groups (keys map to groups by it, and"
                    + " nodes that disagree would store a key in different groups); restart the node whose file is"
                    + " wrong with the cluster's number", peer, where, theirs == 0 ? "none stated" : theirs, own);
        }
        return made.reason();
    }
}
