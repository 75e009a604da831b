package io.raftline.security;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.function.BiConsumer;
import java.util.function.Function;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * What a Raft call over gRPC without TLS must carry, and what nodes present on theirs: a credential only nodes hold.
 * It exists because the Raft service shares each node's client port with the key-value API, and without TLS no
 * certificate tells a node from a client there; the client token cannot be that credential, since every key-value
 * client holds it, and a Raft call (a heartbeat or entries at a higher term) writes through the log.
 *
 * <p>Which credential, in this order (docs/security.md, "Peer authentication"):
 * <ol>
 *   <li>{@code security.cluster_secret} set: a token derived from it ({@link #derive}), in the
 *       {@value #HEADER} metadata. The secret itself never travels: without TLS the token can be seen on the wire,
 *       and the event bus's frame keys and Hazelcast's name are derived from the same secret under other labels.</li>
 *   <li>else, when every node runs in this process (the local cluster): a random token made at start, which nothing
 *       outside the process knows ({@link #inProcess}).</li>
 *   <li>else the admin token, in {@code authorization} (what nodes presented before), never the client token.</li>
 * </ol>
 * A process with a client token and none of these is refused by the configuration ({@code security.cluster_secret}'s
 * rule in {@code RaftlineConfig}). During a rolling upgrade from a release that accepted the client token
 * ({@code security.legacy_raft_credential}), a node presents the earlier credential in {@code authorization} besides
 * the new one, and accepts either; tokens are compared in constant time.
 */
public final class RaftCallCredential {

    /** The metadata that carries the nodes' own token (not {@code authorization}, which the earlier credential keeps). */
    public static final String HEADER = "raftline-peer-token";

    private final byte[] token;
    private final byte[] adminToken;
    /** The earlier release's check and credential, accepted and presented during a rolling upgrade; null: never. */
    private final ClientAccess legacy;

    private RaftCallCredential(byte[] token, byte[] adminToken, ClientAccess legacy) {
        this.token = token;
        this.adminToken = adminToken;
        this.legacy = legacy;
    }

    /**
     * The credential of a cluster with a secret: a token derived from it.
     *
     * @param clusterSecret {@code security.cluster_secret}, not empty
     * @param legacy        the key-value API's policy, whose tokens are also accepted and presented (a rolling upgrade
     *                      from the earlier release); null: not
     * @return the credential
     */
    public static RaftCallCredential fromSecret(String clusterSecret, ClientAccess legacy) {
        if (clusterSecret.isEmpty()) {
            throw new IllegalArgumentException("no cluster secret");
        }
        return new RaftCallCredential(derive(clusterSecret).getBytes(StandardCharsets.US_ASCII), new byte[0], legacy);
    }

    /**
     * The credential of a process that runs every node: random, known to nothing outside it.
     *
     * @return the credential
     */
    public static RaftCallCredential inProcess() {
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        return new RaftCallCredential(HexFormat.of().formatHex(random).getBytes(StandardCharsets.US_ASCII),
                new byte[0], null);
    }

    /**
     * The credential of nodes in processes of their own without a secret: the admin token, in {@code authorization}.
     *
     * @param adminToken the admin token, not empty
     * @return the credential
     */
    public static RaftCallCredential adminToken(String adminToken) {
        if (adminToken.isEmpty()) {
            throw new IllegalArgumentException("no admin token");
        }
        return new RaftCallCredential(null, adminToken.getBytes(StandardCharsets.UTF_8), null);
    }

    /**
     * The token derived from a cluster secret: HMAC-SHA256 of a label under the secret, in hex.
     *
     * @param clusterSecret the secret
     * @return 64 hex digits
     */
    static String derive(String clusterSecret) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(clusterSecret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal("raftline grpc raft call token v1"
                    .getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
        }
    }

    /**
     * Why a Raft call may not go on, or null if it may.
     *
     * @param header a metadata value of the call by name, or null when absent
     * @return null when allowed, else a message for the caller
     */
    public String refusal(Function<String, String> header) {
        String authorization = header.apply("authorization");
        if (token != null) {
            String given = header.apply(HEADER);
            if (given != null && MessageDigest.isEqual(given.trim().getBytes(StandardCharsets.UTF_8), token)) {
                return null;
            }
            if (legacy != null && legacy.refusal(authorization) == null) {
                return null;
            }
            return "Calls between nodes (the Raft and fault services) need the nodes' credential (" + HEADER
                    + ", derived from security.cluster_secret); the client token is not one";
        }
        if (AdminAccess.presents(authorization, adminToken)) {
            return null;
        }
        return "Calls between nodes (the Raft and fault services) need the nodes' credential (Authorization: Bearer"
                + " <admin.token>); the client token is not one";
    }

    /**
     * Adds the nodes' credential to the metadata of a Raft call this node makes.
     *
     * @param headers sets a metadata value by name
     */
    public void present(BiConsumer<String, String> headers) {
        if (token != null) {
            headers.accept(HEADER, new String(token, StandardCharsets.US_ASCII));
            String earlier = legacy == null ? null : legacy.peerAuthorization();
            if (earlier != null) {
                headers.accept("authorization", earlier);
            }
        } else {
            headers.accept("authorization", AdminAccess.BEARER + new String(adminToken, StandardCharsets.UTF_8));
        }
    }
}
