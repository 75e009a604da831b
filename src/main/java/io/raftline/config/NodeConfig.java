package io.raftline.config;

/**
 * Where one member of the cluster lives: its HTTP API (which other nodes forward to) and its data directory.
 *
 * @param id       node id, > 0
 * @param host     host its HTTP API is reachable at
 * @param httpPort its HTTP API port (0: any free port, for tests)
 * @param dataDir  directory of its durable state
 */
public record NodeConfig(int id, String host, int httpPort, String dataDir) {

    /**
     * The base URL of the node's HTTP API.
     *
     * @return {@code http://host:port}
     */
    public String httpUrl() {
        return "http://" + host + ":" + httpPort;
    }
}
