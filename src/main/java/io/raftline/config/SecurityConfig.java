package io.raftline.config;

import io.raftline.events.EventValues;
import java.util.List;

/**
 * Who may reach what, beyond the admin token: which names clients may call the servers by, which web origins may
 * send state-changing requests, whether the loopback interface is trusted, which token key-value clients present, and
 * how peers prove who they are. It exists because a server bound to loopback is still reachable from every web page
 * the machine's browser opens (cross-site requests, DNS rebinding), and one bound beyond loopback from every host that
 * can route to it; see docs/security.md.
 *
 * @param allowedHosts   host names accepted in the {@code Host} header besides IP literals, {@code localhost}
 *                       (and {@code *.localhost}) and the hosts the configuration names; {@code "*"} accepts any
 * @param allowedOrigins web origins ({@code https://ops.example.com}) allowed to send state-changing requests and
 *                       to open the live view's bridge, besides the server's own origin
 * @param trustLoopback  loopback clients may use the admin API and the live view's controls without the token
 * @param peerIdentity   what a peer's TLS certificate must name for its Raft messages to be accepted
 * @param clusterSecret  shared by every node: authenticates each Raft frame of the clustered event bus and names
 *                       its Hazelcast cluster; empty for none
 * @param clientToken    bearer token every client of the key-value API must present (HTTP {@code Authorization},
 *                       gRPC metadata, Redis {@code AUTH}); empty: the key-value API is open
 * @param eventValues    what of clients' keys and values the event stream (live view, recordings, relays) carries
 * @param legacyRaftCredential during a rolling upgrade from a release whose Raft calls over gRPC without TLS carried
 *                       the client or admin token: Raft calls also present and accept that earlier credential besides
 *                       the one derived from {@link #clusterSecret} (needs the secret)
 */
public record SecurityConfig(List<String> allowedHosts, List<String> allowedOrigins, boolean trustLoopback,
        PeerIdentityPolicy peerIdentity, String clusterSecret, String clientToken, EventValues eventValues,
        boolean legacyRaftCredential) {

    /**
     * Nothing extra allowed, loopback trusted, certificates must name their node, no secret, an open key-value API,
     * keys and values shown in events: the defaults.
     */
    public static final SecurityConfig DEFAULT = new SecurityConfig(List.of(), List.of(), true,
            PeerIdentityPolicy.NODE, "", "", EventValues.SHOW, false);

    /** Shortest cluster secret accepted, in characters. */
    public static final int MIN_SECRET_CHARS = 16;

    /**
     * Copies the lists.
     *
     * @param allowedHosts   host names
     * @param allowedOrigins origins
     * @param trustLoopback  whether loopback clients need no token
     * @param peerIdentity   what a peer's certificate must name
     * @param clusterSecret  the cluster's shared secret, or empty
     * @param clientToken    the key-value API's token, or empty
     * @param eventValues    what of keys and values events carry
     * @param legacyRaftCredential whether Raft calls also present and accept the earlier release's credential
     */
    public SecurityConfig {
        allowedHosts = List.copyOf(allowedHosts);
        allowedOrigins = List.copyOf(allowedOrigins);
        java.util.Objects.requireNonNull(peerIdentity, "peerIdentity");
        java.util.Objects.requireNonNull(clusterSecret, "clusterSecret");
        java.util.Objects.requireNonNull(clientToken, "clientToken");
        java.util.Objects.requireNonNull(eventValues, "eventValues");
    }

    /**
     * Never prints the secrets.
     *
     * @return the settings, the secrets masked
     */
    @Override
    public String toString() {
        return "SecurityConfig[allowedHosts=" + allowedHosts + ", allowedOrigins=" + allowedOrigins + ", trustLoopback="
                + trustLoopback + ", peerIdentity=" + peerIdentity.configName() + ", clusterSecret="
                + (clusterSecret.isEmpty() ? "none" : "set") + ", clientToken=" + (clientToken.isEmpty() ? "none" : "set")
                + ", eventValues=" + eventValues.configName() + ", legacyRaftCredential=" + legacyRaftCredential + "]";
    }
}
