package io.raftline.security;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many client connections the whole process may hold at once, so that a flood of connections can never take the
 * file descriptors the storage needs. Every listener of the process (each node's HTTP and Redis-protocol ports, the
 * admin port) takes one unit per accepted connection and gives it back when the connection closes; a connection
 * beyond the budget is closed at once.
 *
 * <p>Why a process-wide count on top of {@code limits.max_connections}: that limit is per listener, and one process
 * has several (a local cluster has seven), while file descriptors are per process. Issue 17 saw about 20,000 idle
 * connections exhaust the JVM's descriptors; the next snapshot failed with "Too many open files" and every node
 * fail-stopped. A new connection is refused when the connections held reach the descriptor limit (the JVM raises the
 * soft limit to the hard one) minus what was open when the budget was made minus a reserve, or when the process's
 * open descriptors (all of them: files, peers, connections not yet seen, such as an HTTP connection that has sent
 * nothing) exceed the limit minus the reserve. The reserve, for what the nodes open later (write-ahead log segments,
 * snapshots, directories, peer connections, Hazelcast, jars), is an eighth of the limit, at least 256 and at most
 * half of it. The storage also holds a few descriptors of its own in reserve ({@code NioDisk}).
 */
public final class DescriptorBudget {

    private static final Logger LOG = LoggerFactory.getLogger(DescriptorBudget.class);
    /** Smallest reserve, whatever the limit. */
    static final long MIN_RESERVE = 256;
    /** How long a count of the open descriptors is used before it is read again. */
    private static final long SAMPLE_NANOS = 10_000_000L;
    /** Time between two warnings about refused connections. */
    private static final long WARN_INTERVAL_NANOS = 10_000_000_000L;

    /** The process's budget, made when the first listener starts. */
    private static volatile DescriptorBudget process;

    private final long limit;
    private final long allowance;
    /** Connections are refused while the process has more descriptors open than this. */
    private final long ceiling;
    /** Reads the process's open descriptor count, or null when unknown. */
    private final java.util.function.LongSupplier openDescriptors;
    /** The last count read and when (nanoTime): read at most every {@link #SAMPLE_NANOS}. */
    private volatile long sampledOpen;
    private volatile long sampledAt = Long.MIN_VALUE / 2;
    private final AtomicLong open = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong lastWarning = new AtomicLong(System.nanoTime() - WARN_INTERVAL_NANOS);

    /**
     * Creates a budget.
     *
     * @param limit           the process's descriptor limit, or a negative number if unknown (no budget then)
     * @param openDescriptors reads how many descriptors the process has open (called at most every 10 ms)
     */
    public DescriptorBudget(long limit, java.util.function.LongSupplier openDescriptors) {
        this.limit = limit;
        this.openDescriptors = openDescriptors;
        if (limit <= 0) {
            this.allowance = Long.MAX_VALUE;
            this.ceiling = Long.MAX_VALUE;
        } else {
            long reserve = Math.min(limit / 2, Math.max(MIN_RESERVE, limit / 8));
            this.ceiling = limit - reserve;
            this.allowance = Math.max(0, ceiling - openDescriptors.getAsLong());
        }
    }

    /**
     * The budget of this process (one per JVM: descriptors are per process).
     *
     * @return the budget
     */
    public static DescriptorBudget process() {
        DescriptorBudget b = process;
        if (b == null) {
            synchronized (DescriptorBudget.class) {
                b = process;
                if (b == null) {
                    OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
                    b = os instanceof com.sun.management.UnixOperatingSystemMXBean unix
                            ? new DescriptorBudget(unix.getMaxFileDescriptorCount(), unix::getOpenFileDescriptorCount)
                            : new DescriptorBudget(-1, () -> 0);
                    process = b;
                    LOG.debug("client connections of this process: at most {} (descriptor limit {})",
                            b.allowance, b.limit);
                }
            }
        }
        return b;
    }

    /**
     * Takes one connection's descriptor, if the budget allows.
     *
     * @param what the listener, for the warning
     * @return true if the connection may stay open; false: close it now (counted and warned about)
     */
    public boolean tryAcquire(String what) {
        if (open.incrementAndGet() <= allowance && openDescriptors() <= ceiling) {
            return true;
        }
        open.decrementAndGet();
        refused.incrementAndGet();
        long now = System.nanoTime();
        long last = lastWarning.get();
        if (now - last >= WARN_INTERVAL_NANOS && lastWarning.compareAndSet(last, now)) {
            LOG.warn("{}: closing new connections: this process holds {} client connections and {} descriptors, all"
                    + " its descriptor limit ({}) allows beside what the storage and the peers keep in reserve; {}"
                    + " refused so far. Raise the limit (ulimit -n) or lower limits.max_connections", what, open.get(),
                    sampledOpen, limit, refused.get());
        }
        return false;
    }

    /**
     * The process's open descriptors, read again when the last count is older than 10 ms: reading it lists
     * {@code /proc/self/fd}, too slow for every connection of a flood, while ten milliseconds of connections are few
     * next to the reserve.
     */
    private long openDescriptors() {
        if (ceiling == Long.MAX_VALUE) {
            return 0;
        }
        long now = System.nanoTime();
        if (now - sampledAt > SAMPLE_NANOS) {
            sampledOpen = openDescriptors.getAsLong();
            sampledAt = now;
        }
        return sampledOpen;
    }

    /** Gives one connection's descriptor back. */
    public void release() {
        open.decrementAndGet();
    }

    /**
     * Client connections the process may hold.
     *
     * @return the allowance ({@link Long#MAX_VALUE} when the limit is unknown)
     */
    public long allowance() {
        return allowance;
    }

    /**
     * Connections refused so far.
     *
     * @return the count
     */
    public long refused() {
        return refused.get();
    }
}
