package io.raftline.verify.nemesis;

import io.raftline.config.TransportKind;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Everything one nemesis run is parameterised by. Build with {@link #builder()}; every field has a default that
 * makes a meaningful one-minute run.
 *
 * @param duration          how long clients issue requests; faults stop {@code recoveryMs} before the end
 * @param clients           concurrent clients, each with one request in flight at a time
 * @param nodes             cluster size (3 or 5)
 * @param keys              keys in use at any moment; each is retired for a fresh one after {@code opsPerKey}
 *                          requests, which keeps every key's history small enough to check quickly
 * @param opsPerKey         requests on one key before it is retired
 * @param faults            the fault kinds the nemesis picks from (empty: a run without faults)
 * @param mode              where the cluster runs
 * @param out               the directory for the report, the history, the event recording and process logs
 * @param consistency       {@code linearizable}, {@code lease} or {@code stale}: what the clients' reads ask for
 *                          unless they are lease reads (the final reads are always linearizable)
 * @param leaseReads        the share of the clients' reads (0..1) that ask for {@code consistency=lease}; a lease
 *                          read from a correct cluster is linearizable, so it is checked like the others
 * @param seed              seeds the clients' and the nemesis's choices
 * @param faultMinMs        shortest time a fault lasts
 * @param faultMaxMs        longest time a fault lasts
 * @param healthyMinMs      shortest healthy pause between two faults
 * @param healthyMaxMs      longest healthy pause between two faults
 * @param recoveryMs        the healthy time at the end of the run, after everything was healed, while clients go on
 * @param requestTimeoutMs  the cluster's {@code service.request_timeout_ms}
 * @param clientTimeoutMs   how long a client waits for an answer before it counts the request as unknown
 * @param writeRetries      retries (with the same {@code Idempotency-Key}) of a write whose outcome is unknown
 * @param checkBudget       the checker's time budget
 * @param protocol          how the clients talk to the cluster: HTTP, or the Redis protocol (linearizable reads
 *                          only, no retries of unknown writes: it has no idempotency keys)
 * @param groups            how many Raft groups the cluster is sharded over (1: one group)
 * @param transport         how the nodes send each other Raft messages: the event bus (clustered between
 *                          processes) or gRPC
 */
public record NemesisOptions(Duration duration, int clients, int nodes, int keys, int opsPerKey, Set<FaultKind> faults,
                             Mode mode, Path out, String consistency, double leaseReads, long seed, long faultMinMs,
                             long faultMaxMs,
                             long healthyMinMs, long healthyMaxMs, long recoveryMs, long requestTimeoutMs,
                             long clientTimeoutMs, int writeRetries, Duration checkBudget, Protocol protocol,
                             int groups, TransportKind transport) {

    /** The share of lease reads when none is given: a third of the clients' reads. */
    public static final double DEFAULT_LEASE_READS = 1.0 / 3;
    // The defaults below are constants so that the verify command's help can quote them: the builder stays the
    // one place they are decided.
    /** Seconds of client load when no duration is given. */
    public static final int DEFAULT_DURATION_SECONDS = 60;
    /** Concurrent clients when none are given. */
    public static final int DEFAULT_CLIENTS = 8;
    /** Cluster size when none is given. */
    public static final int DEFAULT_NODES = 3;
    /** Keys in use at once when none are given. */
    public static final int DEFAULT_KEYS = 10;
    /** Requests on one key before it is retired, when not given. */
    public static final int DEFAULT_OPS_PER_KEY = 1000;
    /** What the clients' reads ask for when not given. */
    public static final String DEFAULT_CONSISTENCY = "linearizable";
    /** Seconds the checker may search when no budget is given. */
    public static final int DEFAULT_CHECK_BUDGET_SECONDS = 60;

    /** Where the cluster under test runs. */
    public enum Mode {
        /** Every node in this JVM, one Vert.x, faults through the admin API; the event recording is complete. */
        LOCAL,
        /** One child process per node (over the clustered event bus or gRPC); a crash is a SIGKILL of the process. */
        PROCESSES;

        /**
         * Parses {@code local} or {@code processes}.
         *
         * @param text the name
         * @return the mode
         */
        public static Mode parse(String text) {
            return switch (text.trim().toLowerCase(Locale.ROOT)) {
                case "local" -> LOCAL;
                case "processes", "process" -> PROCESSES;
                default -> throw new IllegalArgumentException("must be local or processes, got '" + text + "'");
            };
        }

        /**
         * The name on the command line.
         *
         * @return {@code local} or {@code processes}
         */
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** How the clients send their requests. */
    public enum Protocol {
        /** The HTTP API ({@link HttpKvClient}). */
        HTTP,
        /** The Redis protocol ({@link RespKvClient}). */
        RESP;

        /**
         * Parses {@code http} or {@code resp}.
         *
         * @param text the name
         * @return the protocol
         */
        public static Protocol parse(String text) {
            return switch (text.trim().toLowerCase(Locale.ROOT)) {
                case "http" -> HTTP;
                case "resp", "redis" -> RESP;
                default -> throw new IllegalArgumentException("must be http or resp, got '" + text + "'");
            };
        }
    }

    /**
     * Checks the fields.
     *
     * @param duration         run length
     * @param clients          concurrent clients
     * @param nodes            cluster size
     * @param keys             keys in use at once
     * @param opsPerKey        requests per key before it is retired
     * @param faults           fault kinds
     * @param mode             where the cluster runs
     * @param out              output directory
     * @param consistency      read consistency
     * @param leaseReads       share of lease reads
     * @param seed             random seed
     * @param faultMinMs       shortest fault
     * @param faultMaxMs       longest fault
     * @param healthyMinMs     shortest healthy pause
     * @param healthyMaxMs     longest healthy pause
     * @param recoveryMs       healthy time at the end
     * @param requestTimeoutMs cluster request timeout
     * @param clientTimeoutMs  client-side timeout
     * @param writeRetries     retries of unknown writes
     * @param checkBudget      checker budget
     * @param protocol         the clients' protocol
     * @param groups           Raft groups
     * @param transport        the nodes' transport
     */
    public NemesisOptions {
        Objects.requireNonNull(duration, "duration");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(checkBudget, "checkBudget");
        faults = Collections.unmodifiableSet(faults.isEmpty() ? EnumSet.noneOf(FaultKind.class) : EnumSet.copyOf(faults));
        consistency = consistency.toLowerCase(Locale.ROOT);
        require(!duration.isNegative() && !duration.isZero(), "duration must be > 0");
        require(duration.compareTo(Duration.ofHours(24)) <= 0, "duration must be at most 24h");
        require(clients >= 1 && clients <= 256, "clients must be in 1..256, got " + clients);
        require(nodes == 3 || nodes == 5, "nodes must be 3 or 5, got " + nodes);
        require(keys >= 1 && keys <= 10_000, "keys must be in 1..10000, got " + keys);
        require(opsPerKey >= 10, "opsPerKey must be at least 10, got " + opsPerKey);
        require(consistency.equals("linearizable") || consistency.equals("lease") || consistency.equals("stale"),
                "consistency must be linearizable, lease or stale, got '" + consistency + "'");
        require(leaseReads >= 0 && leaseReads <= 1, "the share of lease reads must be in 0..1, got " + leaseReads);
        require(faultMinMs > 0 && faultMaxMs >= faultMinMs, "fault times must satisfy 0 < min <= max");
        require(healthyMinMs >= 0 && healthyMaxMs >= healthyMinMs, "healthy times must satisfy 0 <= min <= max");
        require(recoveryMs >= 0 && recoveryMs < duration.toMillis(), "recovery must be shorter than the run");
        require(requestTimeoutMs >= 100, "requestTimeoutMs must be at least 100");
        require(clientTimeoutMs > requestTimeoutMs, "the client timeout must exceed the cluster's request timeout");
        require(writeRetries >= 0 && writeRetries <= 10, "writeRetries must be in 0..10");
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(transport, "transport");
        if (protocol == Protocol.RESP) {
            require(consistency.equals("linearizable") && leaseReads == 0, "over the Redis protocol every read is"
                    + " linearizable: no --consistency other than linearizable, and --lease-reads 0");
            require(writeRetries == 0, "over the Redis protocol a write whose outcome is unknown is not retried (it has"
                    + " no idempotency key, so a retry could apply it twice): writeRetries must be 0");
        }
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }

    /**
     * A builder with the defaults: 60 s, 8 clients, 3 nodes, 10 keys of 1,000 requests, partition, crash, pause,
     * stall, delay and drop, local mode, linearizable reads with a third of them lease reads.
     *
     * @return the builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The same options with another output directory.
     *
     * @param dir the directory
     * @return a copy
     */
    public NemesisOptions withOut(Path dir) {
        return new NemesisOptions(duration, clients, nodes, keys, opsPerKey, faults, mode, dir, consistency,
                leaseReads, seed, faultMinMs, faultMaxMs, healthyMinMs, healthyMaxMs, recoveryMs, requestTimeoutMs,
                clientTimeoutMs, writeRetries, checkBudget, protocol, groups, transport);
    }

    /** Builds {@link NemesisOptions}; unset fields keep their defaults. */
    public static final class Builder {
        private Duration duration = Duration.ofSeconds(DEFAULT_DURATION_SECONDS);
        private int clients = DEFAULT_CLIENTS;
        private int nodes = DEFAULT_NODES;
        private int keys = DEFAULT_KEYS;
        private int opsPerKey = DEFAULT_OPS_PER_KEY;
        private Set<FaultKind> faults = FaultKind.DEFAULTS;
        private Mode mode = Mode.LOCAL;
        private Path out = Path.of("verify-runs");
        private String consistency = DEFAULT_CONSISTENCY;
        private double leaseReads = DEFAULT_LEASE_READS;
        private long seed = System.nanoTime();
        private long faultMinMs = 1000;
        private long faultMaxMs = 3000;
        private long healthyMinMs = 500;
        private long healthyMaxMs = 1500;
        private long recoveryMs = -1;
        private long requestTimeoutMs = 2000;
        private long clientTimeoutMs = 5000;
        private int writeRetries = 2;
        private Duration checkBudget = Duration.ofSeconds(DEFAULT_CHECK_BUDGET_SECONDS);
        private Protocol protocol = Protocol.HTTP;
        private int groups = 1;
        private TransportKind transport = TransportKind.EVENTBUS;
        private boolean leaseReadsGiven;
        private boolean writeRetriesGiven;

        private Builder() {
        }

        /** @param v run length @return this */
        public Builder duration(Duration v) {
            duration = v;
            return this;
        }

        /** @param v concurrent clients @return this */
        public Builder clients(int v) {
            clients = v;
            return this;
        }

        /** @param v cluster size @return this */
        public Builder nodes(int v) {
            nodes = v;
            return this;
        }

        /** @param v keys in use at once @return this */
        public Builder keys(int v) {
            keys = v;
            return this;
        }

        /** @param v requests per key before it is retired @return this */
        public Builder opsPerKey(int v) {
            opsPerKey = v;
            return this;
        }

        /** @param v fault kinds @return this */
        public Builder faults(Set<FaultKind> v) {
            faults = v;
            return this;
        }

        /** @param v where the cluster runs @return this */
        public Builder mode(Mode v) {
            mode = v;
            return this;
        }

        /** @param v output directory @return this */
        public Builder out(Path v) {
            out = v;
            return this;
        }

        /** @param v read consistency @return this */
        public Builder consistency(String v) {
            consistency = v;
            return this;
        }

        /** @param v the share of the clients' reads that are lease reads, 0..1 @return this */
        public Builder leaseReads(double v) {
            leaseReads = v;
            leaseReadsGiven = true;
            return this;
        }

        /** @param v random seed @return this */
        public Builder seed(long v) {
            seed = v;
            return this;
        }

        /**
         * How long each fault lasts.
         *
         * @param minMs shortest
         * @param maxMs longest
         * @return this
         */
        public Builder faultMs(long minMs, long maxMs) {
            faultMinMs = minMs;
            faultMaxMs = maxMs;
            return this;
        }

        /**
         * How long the cluster stays healthy between two faults.
         *
         * @param minMs shortest
         * @param maxMs longest
         * @return this
         */
        public Builder healthyMs(long minMs, long maxMs) {
            healthyMinMs = minMs;
            healthyMaxMs = maxMs;
            return this;
        }

        /** @param v healthy time at the end of the run (default: a fifth of the run, at most 5 s) @return this */
        public Builder recoveryMs(long v) {
            recoveryMs = v;
            return this;
        }

        /** @param v the cluster's request timeout @return this */
        public Builder requestTimeoutMs(long v) {
            requestTimeoutMs = v;
            return this;
        }

        /** @param v client-side timeout @return this */
        public Builder clientTimeoutMs(long v) {
            clientTimeoutMs = v;
            return this;
        }

        /** @param v retries of unknown writes @return this */
        public Builder writeRetries(int v) {
            writeRetries = v;
            writeRetriesGiven = true;
            return this;
        }

        /** @param v checker budget @return this */
        public Builder checkBudget(Duration v) {
            checkBudget = v;
            return this;
        }

        /**
         * The clients' protocol; over the Redis protocol the share of lease reads and the write retries default to
         * 0, the only values it allows.
         *
         * @param v the protocol
         * @return this
         */
        public Builder protocol(Protocol v) {
            protocol = v;
            return this;
        }

        /**
         * How many Raft groups the cluster is sharded over ({@code "groups"}); 1 by default.
         *
         * @param v 1 to {@link io.raftline.config.RaftlineConfig#MAX_GROUPS}
         * @return this
         * @throws IllegalArgumentException naming the field if out of range
         */
        public Builder groups(int v) {
            if (v < 1 || v > io.raftline.config.RaftlineConfig.MAX_GROUPS) {
                throw new IllegalArgumentException("groups must be in 1.." + io.raftline.config.RaftlineConfig.MAX_GROUPS
                        + ", got " + v);
            }
            groups = v;
            return this;
        }

        /**
         * How the nodes send each other Raft messages ({@code "transport"}): the event bus by default.
         *
         * @param v the transport
         * @return this
         */
        public Builder transport(TransportKind v) {
            transport = Objects.requireNonNull(v, "transport");
            return this;
        }

        /**
         * Validates and builds.
         *
         * @return the options
         * @throws IllegalArgumentException naming the bad field
         */
        public NemesisOptions build() {
            long recovery = recoveryMs >= 0 ? recoveryMs : Math.min(5000, duration.toMillis() / 5);
            boolean resp = protocol == Protocol.RESP;
            return new NemesisOptions(duration, clients, nodes, keys, opsPerKey, faults, mode, out, consistency,
                    resp && !leaseReadsGiven ? 0 : leaseReads, seed, faultMinMs, faultMaxMs, healthyMinMs,
                    healthyMaxMs, recovery, requestTimeoutMs, clientTimeoutMs,
                    resp && !writeRetriesGiven ? 0 : writeRetries, checkBudget, protocol, groups, transport);
        }
    }
}
