package io.raftline.config;

/**
 * Where one member of the cluster lives: its HTTP API (which other nodes forward to), its Redis-protocol port, its
 * port on the clustered event bus when nodes run in separate processes, and its data directory.
 *
 * @param id       node id, > 0
 * @param host     host its HTTP API and cluster port are reachable at
 * @param httpPort its HTTP API port (0: any free port, for tests)
 * @param dataDir  directory of its durable state
 * @param busPort  its cluster-manager (Hazelcast) port in one-node-per-process mode
 * @param join     the node is not in the initial membership: it starts passive and waits for the cluster to add
 *                 it ({@code POST /v1/members}, see docs/membership.md)
 * @param respPort its Redis-protocol port (0: any free port; {@link #NO_RESP}: no Redis listener)
 */
public record NodeConfig(int id, String host, int httpPort, String dataDir, int busPort, boolean join, int respPort) {

    /** {@link #respPort()} of a node that runs no Redis-protocol listener. */
    public static final int NO_RESP = -1;

    /**
     * A member of the initial membership, without a Redis-protocol listener.
     *
     * @param id       node id
     * @param host     host
     * @param httpPort HTTP port
     * @param dataDir  data directory
     * @param busPort  Hazelcast port
     */
    public NodeConfig(int id, String host, int httpPort, String dataDir, int busPort) {
        this(id, host, httpPort, dataDir, busPort, false, NO_RESP);
    }

    /**
     * The base URL of the node's HTTP API.
     *
     * @return {@code http://host:port}
     */
    public String httpUrl() {
        return "http://" + host + ":" + httpPort;
    }
}
