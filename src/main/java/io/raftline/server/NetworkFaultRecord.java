package io.raftline.server;

import io.raftline.faults.FaultControl;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The versioned record of the network's faults that one process holds as the cluster's, whatever carries it between
 * the processes (the clustered event bus, {@link NetworkFaultSync}; the gRPC transport, {@link GrpcFaults}): a record
 * is {@code {"version", "origin", "state"}} sealed by {@link CoordinationSeal} for {@link #SEAL_ADDRESS}, and a process
 * puts in force ({@link FaultControl#adopt}) a record it receives only if it is above the one it holds: a higher
 * version, or the same version from a higher origin (two processes that changed the faults at once without a shared
 * store to order them; over the event bus the store gives every change a version of its own). So every process ends
 * with the same record whatever order the records arrived in.
 */
final class NetworkFaultRecord {

    private static final Logger LOG = LoggerFactory.getLogger(NetworkFaultRecord.class);

    /** What records are sealed for (the event bus's address of the changes, kept as the tag's purpose everywhere). */
    static final String SEAL_ADDRESS = "raftline.faults.network";
    /**
     * How often a running process reads the cluster's record again (the cluster manager's map, or the other processes
     * over gRPC): a change that did not reach it while it ran on (a lost publish, a call that failed) is in force here
     * this long after it can reach the record again at the latest; a round costs one small read.
     */
    static final long CATCH_UP_PERIOD_MS = 5_000;

    private final FaultControl control;
    private final int self;
    private final CoordinationSeal seal;
    /** The version of the record in force here (0: none received yet); guarded by this. */
    private long version;
    /** The process that made it; guarded by this. */
    private int origin;
    /** The record in force here as it came, sealed, or null; guarded by this. */
    private String record;

    /**
     * Creates the record of one process.
     *
     * @param control the process's fault control
     * @param self    the id of the node this process runs (the origin of the records it makes)
     * @param secret  the cluster secret, empty for none
     */
    NetworkFaultRecord(FaultControl control, int self, String secret) {
        this.control = control;
        this.self = self;
        this.seal = new CoordinationSeal(secret);
    }

    /**
     * The id of the node this process runs.
     *
     * @return it
     */
    int self() {
        return self;
    }

    /**
     * Seals a record made here.
     *
     * @param version its version
     * @param state   the faults ({@link FaultControl#clusterState()})
     * @return the sealed text
     */
    String seal(long version, JsonObject state) {
        return seal.seal(SEAL_ADDRESS, new JsonObject().put("version", version).put("origin", self)
                .put("state", state));
    }

    /**
     * The record a sealed text holds, or null (with a warning) if it cannot be read or, with a secret, its tag is
     * missing or wrong.
     *
     * @param sealed the text
     * @return the record, or null
     */
    JsonObject open(String sealed) {
        try {
            return seal.open(SEAL_ADDRESS, sealed);
        } catch (IllegalArgumentException e) {
            LOG.warn("a change of the network faults from the cluster was ignored: {}", e.getMessage());
            return null;
        }
    }

    /**
     * The version of the record in force here.
     *
     * @return it, 0 if none was received yet
     */
    synchronized long version() {
        return version;
    }

    /**
     * The record in force here, sealed as it came.
     *
     * @return it, or null if none was received yet
     */
    synchronized String record() {
        return record;
    }

    /**
     * Whether the record in force here is one this process made with this version.
     *
     * @param made the version
     * @return true if no other record replaced it
     */
    synchronized boolean holdsOwn(long made) {
        return version == made && origin == self;
    }

    /**
     * Puts a record in force here if it is above the one held ({@link FaultControl#adopt}).
     *
     * @param sealed the record as it came
     * @return true if it was put in force; false if it is not above, or cannot be read (logged)
     */
    synchronized boolean received(String sealed) {
        JsonObject change = open(sealed);
        if (change == null) {
            return false;
        }
        try {
            long v = change.getLong("version");
            int o = change.getInteger("origin", 0);
            if (v < version || (v == version && o <= origin)) {
                return false;
            }
            control.adopt(change.getJsonObject("state"));
            version = v;
            origin = o;
            record = sealed;
            return true;
        } catch (RuntimeException e) {
            // Only processes of the cluster send these; a change this process cannot read is logged, not applied.
            LOG.warn("a change of the network faults from the cluster could not be read ({}): ignored", e.toString());
            return false;
        }
    }

    /**
     * Makes a record of the faults in force here, above every version this process holds or was told of, and puts
     * it in force here (a no-op for the faults themselves when they are those in force).
     *
     * @param state the faults ({@link FaultControl#clusterState()})
     * @param floor a version the new one must be above too (one another process holds)
     * @return the record made
     */
    synchronized Made next(JsonObject state, long floor) {
        long v = Math.max(version, floor) + 1;
        String sealed = seal(v, state);
        received(sealed);
        return new Made(v, sealed);
    }

    /**
     * A record made here.
     *
     * @param version its version
     * @param sealed  its text
     */
    record Made(long version, String sealed) {
    }
}
