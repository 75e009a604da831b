package io.raftline.config;

import java.util.List;

/**
 * Who may reach what, beyond the admin token: which names clients may call the servers by, which web origins may
 * send state-changing requests, and whether the loopback interface is trusted. It exists because a server bound
 * to loopback is still reachable from every web page the machine's browser opens (cross-site requests, DNS
 * rebinding); see docs/security.md.
 *
 * @param allowedHosts   host names accepted in the {@code Host} header besides IP literals, {@code localhost}
 *                       (and {@code *.localhost}) and the hosts the configuration names; {@code "*"} accepts any
 * @param allowedOrigins web origins ({@code https://ops.example.com}) allowed to send state-changing requests and
 *                       to open the live view's bridge, besides the server's own origin
 * @param trustLoopback  loopback clients may use the admin API and the live view's controls without the token
 * @param clientToken    bearer token every client of the key-value API must present (HTTP {@code Authorization},
 *                       gRPC metadata, Redis {@code AUTH}); empty: the key-value API is open
 */
public record SecurityConfig(List<String> allowedHosts, List<String> allowedOrigins, boolean trustLoopback,
        String clientToken) {

    /** Nothing extra allowed, loopback trusted, an open key-value API: the defaults. */
    public static final SecurityConfig DEFAULT = new SecurityConfig(List.of(), List.of(), true, "");

    /**
     * Copies the lists.
     *
     * @param allowedHosts   host names
     * @param allowedOrigins origins
     * @param trustLoopback  whether loopback clients need no token
     * @param clientToken    the key-value API's token, or empty
     */
    public SecurityConfig {
        allowedHosts = List.copyOf(allowedHosts);
        allowedOrigins = List.copyOf(allowedOrigins);
    }
}
