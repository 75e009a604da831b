package io.raftline.config;

/**
 * Where one member of the cluster lives: its HTTP API (which other nodes forward to), its port on the
 * clustered event bus when nodes run in separate processes, and its data directory.
 *
 * @param id       node id, > 0
 * @param host     host its HTTP API and cluster port are reachable at
 * @param httpPort its HTTP API port (0: any free port, for tests)
 * @param dataDir  directory of its durable state
 * @param busPort  its cluster-manager (Hazelcast) port in one-node-per-process mode
 */
public record NodeConfig(int id, String host, int httpPort, String dataDir, int busPort) {

    /**
     * The base URL of the node's HTTP API.
     *
     * @return {@code http://host:port}
     */
    public String httpUrl() {
        return "http://" + host + ":" + httpPort;
    }
}
