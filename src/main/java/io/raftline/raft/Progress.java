package io.raftline.raft;

/**
 * The leader's knowledge of one follower: how far its log matches ({@link #match}), what to send next
 * ({@link #next}), and the flow-control state that decides whether it may send now.
 */
final class Progress {

    long match;
    long next;
    ReplicationState state = ReplicationState.PROBE;
    /** In {@link ReplicationState#PROBE}: an append is out and unanswered, wait before sending another. */
    boolean probeSent;
    /** Bytes of entry data the outstanding probe carries (0 when none is out, or it carried none). */
    long probeBytes;
    /** Leader ticks since the outstanding probe was sent. */
    int probeTicks;
    /** In {@link ReplicationState#SNAPSHOT}: index of the snapshot sent. */
    long pendingSnapshot;
    /** Heard from since the last CheckQuorum round. */
    boolean recentActive;
    /**
     * The leader's tick count ({@code RaftCore.leaderTicks}) when the follower last answered, or -1 if it has not
     * answered this leader: whether it answers now, whatever CheckQuorum's window says (a change of the voters is
     * refused when those that answer could not commit it).
     */
    long answeredAt = -1;
    /** Newest heartbeat round the follower answered. */
    long ackedRound;
    /**
     * Where the follower came among those that answered the leader's last round to every follower (1 = first), or 0
     * while it has not answered it: read rounds go to the fastest quorum only.
     */
    long fullRoundRank;
    /** Leader ticks spent in {@link ReplicationState#SNAPSHOT}. */
    int snapshotTicks;
    final Inflights inflights;

    Progress(long next, int maxInflight) {
        this.next = next;
        this.inflights = new Inflights(maxInflight);
    }

    void becomeProbe() {
        if (state == ReplicationState.SNAPSHOT) {
            long pending = pendingSnapshot;
            reset(ReplicationState.PROBE);
            next = Math.max(match + 1, pending + 1);
        } else {
            reset(ReplicationState.PROBE);
            next = match + 1;
        }
    }

    void becomeReplicate() {
        reset(ReplicationState.REPLICATE);
        next = match + 1;
    }

    void becomeSnapshot(long snapshotIndex) {
        reset(ReplicationState.SNAPSHOT);
        pendingSnapshot = snapshotIndex;
    }

    private void reset(ReplicationState s) {
        probeSent = false;
        probeBytes = 0;
        probeTicks = 0;
        snapshotTicks = 0;
        pendingSnapshot = 0;
        state = s;
        inflights.reset();
    }

    /** An acknowledgement up to {@code n}; returns whether match advanced. */
    boolean maybeUpdate(long n) {
        boolean updated = false;
        if (match < n) {
            match = n;
            updated = true;
            probeSent = false;
        }
        next = Math.max(next, n + 1);
        return updated;
    }

    /**
     * A rejection of the append after {@code rejected}; moves {@code next} back, using the follower's hint.
     * Returns false if the rejection is stale (answers an append we have already moved past).
     */
    boolean maybeDecrTo(long rejected, long matchHint) {
        if (state == ReplicationState.REPLICATE) {
            if (rejected <= match) {
                return false;
            }
            next = match + 1;
            return true;
        }
        if (next - 1 != rejected) {
            return false;
        }
        next = Math.max(Math.min(rejected, matchHint + 1), 1);
        probeSent = false;
        return true;
    }

    boolean isPaused() {
        return switch (state) {
            case PROBE -> probeSent;
            case REPLICATE -> inflights.full();
            case SNAPSHOT -> true;
        };
    }

    /**
     * A heartbeat's answer. In {@link ReplicationState#PROBE} it releases the pause of an unanswered probe, which may
     * have been lost, so that the next append goes (etcd's way of retrying a probe, at the heartbeat's pace). A probe
     * of more than {@code bytesPerHeartbeat} (a single entry larger than one AppendEntries may hold: a large MSET)
     * takes longer than a heartbeat interval to arrive, and releasing it at every answer sent it again and again
     * while it travelled: an answer every 50 ms against a 64 MiB entry that needs a second or more on the way, each
     * copy encoded, written and decoded in full (review, 2026-12-04). Such a probe is given a heartbeat interval per
     * {@code bytesPerHeartbeat} it carries before an answer releases it, and at most {@code maxWaitTicks}: the probe
     * may have been lost after all (a frame given up on its way), and a small byte limit beside a large entry would
     * otherwise make the wait minutes long.
     *
     * @param heartbeatTicks    ticks per heartbeat interval
     * @param bytesPerHeartbeat bytes one heartbeat interval is taken to carry (the AppendEntries byte limit)
     * @param maxWaitTicks      the longest a large probe waits before an answer releases it
     */
    void heartbeatAnswered(int heartbeatTicks, long bytesPerHeartbeat, int maxWaitTicks) {
        if (!probeSent || probeBytes <= bytesPerHeartbeat) {
            probeSent = false;
            return;
        }
        long intervals = (probeBytes + bytesPerHeartbeat - 1) / bytesPerHeartbeat;
        if (probeTicks >= Math.min(intervals * heartbeatTicks, maxWaitTicks)) {
            probeSent = false;
        }
    }

    /** A leader tick: ages the outstanding probe. */
    void tick() {
        if (state == ReplicationState.PROBE && probeSent && probeTicks < Integer.MAX_VALUE) {
            probeTicks++;
        }
    }

    /**
     * Bookkeeping after sending {@code count} entries ending at {@code lastIndex}; {@code bytes} is their size, which
     * only a probe keeps (the caller may pass 0 in other states).
     */
    void sentEntries(int count, long lastIndex, long bytes) {
        switch (state) {
            case REPLICATE -> {
                if (count > 0) {
                    next = lastIndex + 1;
                    inflights.add(lastIndex);
                }
            }
            case PROBE -> {
                probeSent = true;
                probeBytes = bytes;
                probeTicks = 0;
            }
            case SNAPSHOT -> throw new IllegalStateException("sending entries while in snapshot state");
            default -> throw new IllegalStateException(state.name());
        }
    }
}
