package io.raftline.node;

import io.raftline.raft.LeaseRead;
import java.util.ArrayDeque;

/**
 * A leader lease measured in real time. The core dates a lease by the heartbeat round a majority acknowledged
 * and checks it in ticks; but ticks stop while the node is stalled (a GC pause, SIGSTOP), and a
 * leader that comes back from a stall would trust a lease whose time ran out long ago, while another leader
 * was elected and committed newer writes. So the host also remembers, on a monotonic clock that keeps running
 * while the node does not, when each heartbeat round was sent, and honours a lease only while less than the
 * lease duration ({@link io.raftline.raft.RaftConfig#leaseDurationNanos()}) has passed since then.
 *
 * <p>The time recorded is when the host took the round from the core, before handing it to the transport:
 * never later than the moment followers reset their election timers, so the lease is never longer than their
 * promise. Plain Java, single-threaded, no clock of its own: the caller passes the time.
 *
 * <p>What it cannot see is a stall that stops that clock too: {@link System#nanoTime()} is {@code CLOCK_MONOTONIC}
 * on Linux, which does not count a suspended host, and a hypervisor may resume a paused VM with its clocks where
 * they stopped. Lease reads are therefore only as safe as the leader's clock; the default ReadIndex reads need none
 * (see docs/raft-core.md, Leases in real time).
 */
final class LeaseClock {

    /** Rounds remembered: far more than a lease can span at any heartbeat rate. */
    private static final int KEEP = 4096;

    private final long leaseNanos;
    /** {round, sentAt} in increasing round order. */
    private final ArrayDeque<long[]> sent = new ArrayDeque<>();

    LeaseClock(long leaseNanos) {
        this.leaseNanos = leaseNanos;
    }

    /** Heartbeat round {@code round} leaves now (its first message counts; later ones of the round are ignored). */
    void heartbeatSent(long round, long now) {
        long[] last = sent.peekLast();
        if (last != null && last[0] >= round) {
            return;
        }
        sent.addLast(new long[] {round, now});
        if (sent.size() > KEEP) {
            sent.removeFirst();
        }
    }

    /** Whether the lease the core vouches for still holds in real time at {@code now}. */
    boolean holds(LeaseRead lease, long now) {
        if (lease.heartbeatRound() == 0) {
            return true; // a single-node cluster: no one else can be elected
        }
        for (var it = sent.descendingIterator(); it.hasNext();) {
            long[] r = it.next();
            if (r[0] == lease.heartbeatRound()) {
                return now - r[1] < leaseNanos;
            }
            if (r[0] < lease.heartbeatRound()) {
                break;
            }
        }
        return false; // a round we did not see leave: vouch for nothing
    }
}
