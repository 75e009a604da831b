package io.raftline.raft;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What one node knows of its peers' liveness, across all of its Raft groups: when it last heard anything from each
 * peer and when it last sent each peer anything. Quiesced groups (see {@link RaftConfig#quiesceMs()}) exchange no
 * heartbeats, so a follower's election timer can no longer tell that its leader died; the node tells it instead,
 * from this record: a peer silent for an election timeout ({@link #silent}) wakes the followers it leads
 * ({@link RaftCore#checkLiveness}), and a {@link io.raftline.raft.message.Keepalive} goes to every peer the node
 * has sent nothing for a heartbeat interval ({@link #keepaliveDue}), so silence means what it says. One record serves
 * every group of the node: the cost is one small message per peer per interval, not one per group.
 *
 * <p>No clock of its own: callers pass the time (monotonic nanoseconds in the host, ticks in the simulator), in the
 * unit the thresholds were given in. Safe for concurrent use: a node's group replicas may run on different event
 * loops.
 */
public final class PeerLiveness {

    private final long silenceThreshold;
    private final long keepaliveInterval;
    private final long since;
    private final ConcurrentHashMap<Integer, AtomicLong> heard = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Integer, AtomicLong> sent = new ConcurrentHashMap<>();

    /**
     * @param silenceThreshold  how long a peer may stay silent before it counts as gone: at least the minimum election
     *                          timeout, so a leader's lease (shorter than that) has ended by then
     * @param keepaliveInterval how long the node may send a peer nothing before it sends a keepalive (the heartbeat
     *                          interval): well below {@code silenceThreshold}
     * @param now               the time now; peers never heard from count as heard from at this moment
     */
    public PeerLiveness(long silenceThreshold, long keepaliveInterval, long now) {
        if (keepaliveInterval <= 0 || silenceThreshold <= keepaliveInterval) {
            throw new IllegalArgumentException("need 0 < keepaliveInterval (" + keepaliveInterval
                    + ") < silenceThreshold (" + silenceThreshold + ")");
        }
        this.silenceThreshold = silenceThreshold;
        this.keepaliveInterval = keepaliveInterval;
        this.since = now;
    }

    /** Something (any message of any group) arrived from {@code peer} at {@code now}. */
    public void heard(int peer, long now) {
        heard.computeIfAbsent(peer, p -> new AtomicLong(since)).accumulateAndGet(now, Math::max);
    }

    /** Something was sent to {@code peer} at {@code now}. */
    public void sent(int peer, long now) {
        sent.computeIfAbsent(peer, p -> new AtomicLong(since)).accumulateAndGet(now, Math::max);
    }

    /** Whether nothing arrived from {@code peer} for at least the silence threshold. */
    public boolean silent(int peer, long now) {
        AtomicLong last = heard.get(peer);
        return now - (last == null ? since : last.get()) >= silenceThreshold;
    }

    /**
     * Whether {@code peer} is owed a keepalive: nothing was sent to it for a keepalive interval. When it answers
     * true it records the keepalive as sent, so concurrent callers send one between them.
     */
    public boolean keepaliveDue(int peer, long now) {
        AtomicLong last = sent.computeIfAbsent(peer, p -> new AtomicLong(since));
        long seen = last.get();
        return now - seen >= keepaliveInterval && last.compareAndSet(seen, now);
    }
}
