package io.raftline.security;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Authenticates the Raft frames of the clustered event bus with the cluster's shared secret
 * ({@code security.cluster_secret}): an HMAC-SHA256 tag travels with every frame and is verified before the frame is
 * decoded, so a frame that was not written by a holder of the secret never reaches a node. It exists because Vert.x
 * does not tell a consumer which TLS peer delivered a message: mutual TLS decides who may connect to the event bus at
 * all, and this tag adds that the writer knew the cluster's secret (which a certificate from the same CA, issued for
 * another purpose, does not prove). It does not tell one member from another: every member holds the secret.
 *
 * <p>The tag key and the Hazelcast cluster name are derived from the secret with HMAC under distinct labels, so the
 * name, which Hazelcast sends in clear text when it joins, reveals nothing of the key.
 */
public final class FrameAuthenticator {

    /** Bytes of the tag appended to each frame. */
    public static final int TAG_BYTES = 32;

    private static final String ALGORITHM = "HmacSHA256";

    private final SecretKeySpec key;
    /** {@link Mac} is not thread-safe; frames are written and read on several event loops. */
    private final ThreadLocal<Mac> macs;

    /**
     * Derives the frame key from the secret.
     *
     * @param clusterSecret the secret, not empty
     */
    public FrameAuthenticator(String clusterSecret) {
        this(clusterSecret, "raftline event-bus frame key v1");
    }

    private FrameAuthenticator(String clusterSecret, String label) {
        if (clusterSecret.isEmpty()) {
            throw new IllegalArgumentException("the cluster secret is empty");
        }
        this.key = new SecretKeySpec(derive(clusterSecret, label), ALGORITHM);
        this.macs = ThreadLocal.withInitial(this::newMac);
    }

    /**
     * An authenticator of the processes' coordination messages (the network faults every process puts in force),
     * under a key of its own derived from the same secret: a tag made for a Raft frame is never valid for them, nor
     * the other way round.
     *
     * @param clusterSecret the secret, not empty
     * @return the authenticator
     */
    public static FrameAuthenticator forCoordination(String clusterSecret) {
        return new FrameAuthenticator(clusterSecret, "raftline coordination message key v1");
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
        }
    }

    /**
     * The tag of a frame and of the header that travels in clear before it: whatever a receiver acts on must be under
     * the tag, so the header (the sender's number of Raft groups) is covered too.
     *
     * @param header the bytes before the frame that the receiver reads, authenticated with it
     * @param frame  the frame's bytes
     * @return {@link #TAG_BYTES} bytes, {@code HMAC-SHA256(key, header | frame)}
     */
    public byte[] tag(byte[] header, byte[] frame) {
        Mac mac = macs.get();
        mac.update(header);
        return mac.doFinal(frame);
    }

    /**
     * Whether a tag is the header's and frame's, compared in constant time.
     *
     * @param header the bytes before the frame, as received
     * @param frame  the frame's bytes
     * @param tag    the tag that came with them
     * @return true if both were written with the same secret, unaltered
     */
    public boolean verify(byte[] header, byte[] frame, byte[] tag) {
        return MessageDigest.isEqual(tag(header, frame), tag);
    }

    /**
     * The Hazelcast cluster name of a cluster with a secret: the configured name and a label derived from the secret,
     * so that a process that does not know the secret cannot join the membership by guessing the name.
     *
     * @param clusterName   the configured {@code cluster_name}
     * @param clusterSecret the secret, or empty for none
     * @return {@code clusterName} without a secret, else {@code clusterName-<16 hex digits>}
     */
    public static String hazelcastClusterName(String clusterName, String clusterSecret) {
        if (clusterSecret.isEmpty()) {
            return clusterName;
        }
        byte[] label = derive(clusterSecret, "raftline hazelcast cluster name v1");
        return clusterName + "-" + HexFormat.of().formatHex(label, 0, 8);
    }

    private static byte[] derive(String secret, String label) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), ALGORITHM));
            return mac.doFinal(label.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
        }
    }
}
