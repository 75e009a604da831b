package io.raftline.security;

import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.NetSocket;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Whether a client's connection presented a certificate. It exists so that the key-value protocols (HTTP, gRPC, the
 * Redis protocol) decide alike whether a client certificate lets a client in ({@link ClientAccess}): the client ports'
 * TLS handshake trusts only the cluster CA and, when configured, the client CA ({@code tls.client_ca_file}), and checks
 * the revocation lists, so a certificate that is there at all was verified against them (one of another CA, or a
 * revoked one, fails the handshake and no request is ever read). Whether it is also a node's is
 * {@link PeerGuard#identify}'s question.
 */
public final class ClientCertificates {

    private ClientCertificates() {
    }

    /**
     * Whether an HTTP connection (HTTP/1.1 or HTTP/2, gRPC included) presented a verified client certificate.
     *
     * @param connection the connection
     * @return true when its TLS session has a peer certificate
     */
    public static boolean presented(HttpConnection connection) {
        return connection != null && connection.isSsl() && presented(connection.sslSession());
    }

    /**
     * Whether a TCP connection (the Redis protocol) presented a verified client certificate.
     *
     * @param socket the connection
     * @return true when its TLS session has a peer certificate
     */
    public static boolean presented(NetSocket socket) {
        return socket != null && socket.isSsl() && presented(socket.sslSession());
    }

    private static boolean presented(SSLSession session) {
        if (session == null) {
            return false;
        }
        try {
            return session.getPeerCertificates().length > 0;
        } catch (SSLPeerUnverifiedException e) {
            return false;
        }
    }
}
