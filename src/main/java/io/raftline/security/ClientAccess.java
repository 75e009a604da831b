package io.raftline.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Decides whether a client may use the key-value API of a node's client ports (HTTP, gRPC, the Redis protocol) when
 * {@code security.client_token} is configured: it must present that token, or the admin token, which can do
 * everything. It exists because TLS alone says who the server is, not who the client is: once a cluster listens
 * beyond loopback, anyone who can reach a client port could otherwise read and write every key.
 *
 * <p>No token configured means an open key-value API (the loopback default, as before). With a token, loopback
 * clients need it too: the key-value API has no "trusted interface", unlike the admin API, because a process on the
 * same machine is no more entitled to the data than one across the network. Health probes ({@code /livez},
 * {@code /readyz}, {@code /health}) and {@code /metrics} stay open so supervisors and scrapers need no secret; they
 * carry no keys or values. Tokens are compared in constant time.
 */
public final class ClientAccess {

    /** The realm of the {@code WWW-Authenticate} challenge that goes with a 401. */
    public static final String CHALLENGE = "Bearer realm=\"raftline\"";

    private final byte[] clientToken;
    private final byte[] adminToken;

    /**
     * Creates the policy.
     *
     * @param clientToken the key-value API's token; empty or null: the API is open
     * @param adminToken  the admin token, accepted wherever the client token is; empty or null: none
     */
    public ClientAccess(String clientToken, String adminToken) {
        this.clientToken = bytes(clientToken);
        this.adminToken = bytes(adminToken);
    }

    /**
     * An open policy: every client may.
     *
     * @return the policy
     */
    public static ClientAccess open() {
        return new ClientAccess("", "");
    }

    /**
     * Whether clients must authenticate at all.
     *
     * @return true when a client token is configured
     */
    public boolean required() {
        return clientToken.length > 0;
    }

    /**
     * Why a client with this {@code Authorization} header may not use the key-value API, or null if it may.
     *
     * @param authorization the header ({@code Bearer <token>}), or null
     * @return null when allowed, else a message for the client
     */
    public String refusal(String authorization) {
        if (!required()) {
            return null;
        }
        if (authorization == null || authorization.isBlank()) {
            return "a token is required: send Authorization: Bearer <security.client_token>";
        }
        if (!authorization.regionMatches(true, 0, AdminAccess.BEARER, 0, AdminAccess.BEARER.length())) {
            return "the Authorization header must be Bearer <security.client_token>";
        }
        return accepts(authorization.substring(AdminAccess.BEARER.length()).trim()) ? null : "wrong token";
    }

    /**
     * Whether a bare token (a Redis {@code AUTH} password) is the client or the admin token.
     *
     * @param token the token
     * @return true when it lets the client in (always true when no client token is configured)
     */
    public boolean accepts(String token) {
        if (!required()) {
            return true;
        }
        byte[] given = bytes(token);
        // Both comparisons run whatever the first one gives, so timing says nothing about which token was close.
        boolean client = MessageDigest.isEqual(given, clientToken);
        boolean admin = adminToken.length > 0 && MessageDigest.isEqual(given, adminToken);
        return client | admin;
    }

    /**
     * The {@code Authorization} header a node sends when it calls another node's client port (forwarding to the
     * leader, asking for status or a membership change): the admin token when there is one (it passes every
     * check), else the client token; null when neither is configured.
     *
     * @return the header value, or null
     */
    public String peerAuthorization() {
        byte[] t = adminToken.length > 0 ? adminToken : clientToken;
        return t.length == 0 ? null : AdminAccess.BEARER + new String(t, StandardCharsets.UTF_8);
    }

    private static byte[] bytes(String s) {
        return s == null ? new byte[0] : s.getBytes(StandardCharsets.UTF_8);
    }
}
