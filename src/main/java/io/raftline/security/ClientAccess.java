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
 *
 * <p>With client certificates ({@code tls.client_auth} {@code "request"} or {@code "required"}), a connection whose
 * client presented a certificate the cluster CA or the client CA ({@code tls.client_ca_file}) signed (the TLS handshake
 * verified it; one of another CA never gets this far) is let in without a token: the certificate is the credential, as etcd's {@code --client-cert-auth}.
 */
public final class ClientAccess {

    /** The realm of the {@code WWW-Authenticate} challenge that goes with a 401. */
    public static final String CHALLENGE = "Bearer realm=\"raftline\"";

    private final byte[] clientToken;
    private final byte[] adminToken;
    private final boolean certificates;

    /**
     * Creates the policy without client certificates.
     *
     * @param clientToken the key-value API's token; empty or null: the API is open
     * @param adminToken  the admin token, accepted wherever the client token is; empty or null: none
     */
    public ClientAccess(String clientToken, String adminToken) {
        this(clientToken, adminToken, false);
    }

    /**
     * Creates the policy.
     *
     * @param clientToken  the key-value API's token; empty or null: no token lets anyone in (the API is open unless
     *                     the handshake requires a certificate)
     * @param adminToken   the admin token, accepted wherever the client token is; empty or null: none
     * @param certificates whether a verified client certificate lets a client in ({@code tls.client_auth} set)
     */
    public ClientAccess(String clientToken, String adminToken, boolean certificates) {
        this.clientToken = bytes(clientToken);
        this.adminToken = bytes(adminToken);
        this.certificates = certificates;
    }

    /**
     * Whether a verified client certificate lets a client in.
     *
     * @return true with {@code tls.client_auth} {@code "request"} or {@code "required"}
     */
    public boolean certificates() {
        return certificates;
    }

    /**
     * Why a client may not use the key-value API, or null if it may: a verified client certificate (when
     * certificates count) or the token.
     *
     * @param authorization the {@code Authorization} header ({@code Bearer <token>}), or null
     * @param certified     whether the client's connection presented a certificate the CA signed (asked only when a
     *                      token would be needed and certificates count)
     * @return null when allowed, else a message for the client
     */
    public String refusal(String authorization, java.util.function.BooleanSupplier certified) {
        if (!required() || certificates && certified.getAsBoolean()) {
            return null;
        }
        String refusal = refusal(authorization);
        return refusal != null && certificates ? refusal + " (or present a client certificate the cluster CA signed)"
                : refusal;
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
