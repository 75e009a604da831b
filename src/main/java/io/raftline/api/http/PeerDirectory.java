package io.raftline.api.http;

import io.vertx.core.http.RequestOptions;
import java.util.Optional;

/**
 * Where each node's HTTP API is, so that a follower can forward a request to the leader. In the local
 * cluster the ports are known only once the servers are listening (tests use port 0), hence a lookup
 * rather than a fixed map. It also holds the credential a node presents on those calls, so every node-to-node
 * HTTP call (forwarding, status, membership) passes the same key-value API check a client does.
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
     * The {@code Authorization} header this node sends to its peers' client ports: see
     * {@link io.raftline.security.ClientAccess#peerAuthorization()}.
     *
     * @return the header value, or null when the cluster has no token
     */
    default String peerAuthorization() {
        return null;
    }

    /**
     * The scheme of the nodes' client ports.
     *
     * @return {@code https} when the cluster speaks TLS, else {@code http}
     */
    default String scheme() {
        return "http";
    }

    /**
     * A node's base URL as clients reach it, with this cluster's scheme.
     *
     * @param nodeId the node
     * @return {@code scheme://host:port}, if its address is known
     */
    default Optional<String> url(int nodeId) {
        return httpAddress(nodeId).map(a -> scheme() + "://" + a.host() + ":" + a.port());
    }

    /**
     * Adds this node's credential to a call to a peer's client port.
     *
     * @param options the call
     * @return the same options
     */
    default RequestOptions authorize(RequestOptions options) {
        String authorization = peerAuthorization();
        return authorization == null ? options : options.putHeader("Authorization", authorization);
    }

    /**
     * A host and port.
     *
     * @param host host name or IP
     * @param port TCP port
     */
    record Address(String host, int port) {
    }
}
