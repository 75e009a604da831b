package io.raftline.api.http;

import java.util.Optional;

/**
 * Where each node's HTTP API is, so that a follower can forward a request to the leader. In the local
 * cluster the ports are known only once the servers are listening (tests use port 0), hence a lookup
 * rather than a fixed map.
 */
@FunctionalInterface
public interface PeerDirectory {

    /**
     * The HTTP address of a node.
     *
     * @param nodeId the node
     * @return host and port, if known
     */
    Optional<Address> httpAddress(int nodeId);

    /**
     * A host and port.
     *
     * @param host host name or IP
     * @param port TCP port
     */
    record Address(String host, int port) {
        /**
         * The base URL.
         *
         * @return {@code http://host:port}
         */
        public String url() {
            return "http://" + host + ":" + port;
        }
    }
}
