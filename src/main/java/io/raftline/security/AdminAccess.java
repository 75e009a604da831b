package io.raftline.security;

import io.vertx.core.net.SocketAddress;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Decides whether a client may change the cluster (inflict faults, add and remove nodes, write through the live
 * view): a loopback client may, unless loopback is not trusted; any client may with the admin token, given as
 * {@code Authorization: Bearer <token>}. It exists so the admin API and the live view's {@code raft.control}
 * channel ask exactly the same question: a second, weaker door into the same controls is the hole it closes.
 *
 * <p>The token is compared in constant time. An empty token lets no one in by token.
 */
public final class AdminAccess {

    /** The scheme of the {@code Authorization} header. */
    public static final String BEARER = "Bearer ";

    private final byte[] token;
    private final boolean trustLoopback;

    /**
     * Creates the policy.
     *
     * @param token         the admin token; empty or null: none (loopback clients only)
     * @param trustLoopback whether loopback clients need no token
     */
    public AdminAccess(String token, boolean trustLoopback) {
        this.token = token == null ? new byte[0] : token.getBytes(StandardCharsets.UTF_8);
        this.trustLoopback = trustLoopback;
    }

    /**
     * Why a client may not change the cluster, or null if it may.
     *
     * @param remote        the client's address
     * @param authorization its {@code Authorization} header (may be null)
     * @return null when allowed, else a message for the client saying what it must do
     */
    public String refusal(SocketAddress remote, String authorization) {
        if (trustLoopback && isLoopback(remote)) {
            return null;
        }
        if (presents(authorization, token)) {
            return null;
        }
        if (token.length == 0) {
            return trustLoopback
                    ? "only loopback clients may do this (configure admin.token to allow others)"
                    : "loopback is not trusted (security.trust_loopback is false) and no admin.token is configured:"
                            + " no one may do this";
        }
        return authorization == null ? "the admin token is required: send Authorization: Bearer <admin.token>"
                : "wrong admin token";
    }

    /**
     * Whether an {@code Authorization} header presents {@code token} as a bearer token, compared in constant time.
     *
     * @param authorization the header (may be null)
     * @param token         the token; empty: none, never presented
     * @return true if the header is {@code Bearer <token>}
     */
    static boolean presents(String authorization, byte[] token) {
        return token.length > 0 && authorization != null
                && authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())
                && MessageDigest.isEqual(authorization.substring(BEARER.length()).trim()
                        .getBytes(StandardCharsets.UTF_8), token);
    }

    /**
     * Whether a client address is on the loopback interface.
     *
     * @param address the remote address
     * @return true for 127.0.0.0/8 and ::1
     */
    public static boolean isLoopback(SocketAddress address) {
        if (address == null || address.hostAddress() == null) {
            return false;
        }
        String host = address.hostAddress();
        if (!host.isEmpty() && (Character.isDigit(host.charAt(0)) || host.indexOf(':') >= 0)) {
            try {
                // An IP literal: no name lookup happens.
                return InetAddress.getByName(host).isLoopbackAddress();
            } catch (UnknownHostException e) {
                return false;
            }
        }
        return false;
    }
}
