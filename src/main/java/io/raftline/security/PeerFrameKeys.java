package io.raftline.security;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The keys that tell on the clustered event bus <em>which</em> member wrote a Raft frame, one per ordered pair of
 * nodes. {@link FrameAuthenticator}'s single cluster-wide key proves only that the writer holds the secret, which
 * every member does; Vert.x does not tell a consumer which TLS peer delivered a message. So each node derives, for
 * each peer whose certificate it verified ({@link PeerCertificateCheck}), a key only the two of them can compute:
 *
 * <pre>
 * shared    = ECDH(own private key, peer's certificate public key)      (static-static, P-256)
 * prk       = HMAC-SHA256(salt, shared)                                 (HKDF-Extract)
 * salt      = HMAC-SHA256(cluster secret, "raftline event-bus pair salt v1")
 * K(a → b)  = HMAC-SHA256(prk, "raftline event-bus pair key v1" | a | b | 0x01)   (HKDF-Expand, one block)
 * </pre>
 *
 * Node a computes {@code ECDH(a, B)} and node b {@code ECDH(b, A)}: the same value, which no third member can compute
 * (it would need one of the two private keys), and the cluster secret is still needed on top. The key is directional
 * (sender first), so a frame a sent to b cannot be reflected to a as if b had written it.
 *
 * <p>Every frame from a to b carries {@code HMAC-SHA256(K(a → b), from | to | header | frame)}, where the header is
 * what else the receiver reads in clear before the frame (the sender's number of Raft groups): one HMAC per frame, as
 * before, no signature. The receiver picks the key of the {@code from} the frame claims; when the tag does not verify
 * it tries the keys of the other peers it knows, so that a member that claims another's id is named in the log
 * ({@code sender_mismatch}) rather than taken for noise ({@code bad_mac}). That costs one HMAC per known peer, on
 * refused frames only.
 *
 * <p>Thread-safe: frames are written and read on several event loops. {@link Mac} is not thread-safe, so each key
 * keeps one {@link Mac} per thread.
 */
public final class PeerFrameKeys {

    /** Bytes of the header (sender and receiver ids) that precede each frame. */
    public static final int HEADER_BYTES = 8;

    /** Bytes of the tag that follows each frame. */
    public static final int TAG_BYTES = 32;

    private static final String HMAC = "HmacSHA256";
    private static final byte[] INFO = "raftline event-bus pair key v1".getBytes(StandardCharsets.UTF_8);

    /** What {@link #verify} found. */
    public enum Verdict {
        /** The tag is the claimed sender's. */
        OK,
        /** This node has no verified certificate of the claimed sender (yet). */
        UNKNOWN_SENDER,
        /** The frame names another receiver than this node. */
        NOT_FOR_ME,
        /** The tag is another known member's: that member wrote it and claims to be someone else. */
        OTHER_WRITER,
        /** The tag is nobody's this node knows (altered, another secret, or a key renewed since). */
        BAD_TAG
    }

    /**
     * What {@link #verify} found, and for {@link Verdict#OTHER_WRITER} who wrote the frame.
     *
     * @param verdict the finding
     * @param writer  the member whose key the tag verified with, or 0
     */
    public record Check(Verdict verdict, int writer) {
        /** The verdict of a good frame (allocated once). */
        public static final Check OK = new Check(Verdict.OK, 0);
        static final Check UNKNOWN = new Check(Verdict.UNKNOWN_SENDER, 0);
        static final Check NOT_FOR_ME = new Check(Verdict.NOT_FOR_ME, 0);
        static final Check BAD = new Check(Verdict.BAD_TAG, 0);
    }

    /** A verified peer: its public key and the two directional keys derived with it. */
    private static final class Peer {
        final PublicKey publicKey;
        final ThreadLocal<Mac> toPeer;
        final ThreadLocal<Mac> fromPeer;

        Peer(PublicKey publicKey, byte[] toPeer, byte[] fromPeer) {
            this.publicKey = publicKey;
            SecretKeySpec out = new SecretKeySpec(toPeer, HMAC);
            SecretKeySpec in = new SecretKeySpec(fromPeer, HMAC);
            this.toPeer = ThreadLocal.withInitial(() -> mac(out));
            this.fromPeer = ThreadLocal.withInitial(() -> mac(in));
        }
    }

    private final int self;
    private final byte[] salt;
    private volatile PrivateKey own;
    private final Map<Integer, Peer> peers = new ConcurrentHashMap<>();

    /**
     * Creates the keys of one node; it knows no peer yet, and writes nothing until it has its own key.
     *
     * @param self          this node's id (the one its certificate names)
     * @param clusterSecret {@code security.cluster_secret}, not empty
     * @param own           this node's private key ({@code tls.key_file}), or null until it is read
     */
    public PeerFrameKeys(int self, String clusterSecret, PrivateKey own) {
        if (clusterSecret.isEmpty()) {
            throw new IllegalArgumentException("the cluster secret is empty");
        }
        if (self <= 0) {
            throw new IllegalArgumentException("a node id is > 0, got " + self);
        }
        this.self = self;
        this.salt = hmac(clusterSecret.getBytes(StandardCharsets.UTF_8),
                "raftline event-bus pair salt v1".getBytes(StandardCharsets.UTF_8));
        this.own = own;
    }

    /**
     * This node's id.
     *
     * @return the id its frames carry as sender
     */
    public int self() {
        return self;
    }

    /**
     * Takes a new private key of this node (its certificate was renewed) and derives every peer's keys again.
     *
     * @param key the new key
     * @throws GeneralSecurityException if it does not agree with a known peer's key (another curve): that peer is
     *                                  forgotten, the others keep working
     */
    public synchronized void own(PrivateKey key) throws GeneralSecurityException {
        this.own = key;
        GeneralSecurityException failed = null;
        for (Map.Entry<Integer, Peer> e : Map.copyOf(peers).entrySet()) {
            try {
                peers.put(e.getKey(), derive(key, e.getKey(), e.getValue().publicKey));
            } catch (GeneralSecurityException ex) {
                peers.remove(e.getKey());
                failed = ex;
            }
        }
        if (failed != null) {
            throw failed;
        }
    }

    /**
     * Derives the keys shared with a peer from its public key; the caller verified the certificate it comes from.
     *
     * @param peer      the peer's node id (the one its certificate names)
     * @param publicKey the public key of its certificate
     * @throws GeneralSecurityException if this node has no key yet or the two keys do not agree (not EC, another curve)
     */
    public synchronized void accept(int peer, PublicKey publicKey) throws GeneralSecurityException {
        PrivateKey key = own;
        if (key == null) {
            throw new GeneralSecurityException("this node's own key is not read yet");
        }
        if (peer == self) {
            throw new GeneralSecurityException("node " + peer + " is this node");
        }
        peers.put(peer, derive(key, peer, publicKey));
    }

    /**
     * Forgets a peer (its certificate no longer verifies: revoked since, or the CA changed).
     *
     * @param peer the peer
     */
    public void forget(int peer) {
        peers.remove(peer);
    }

    /**
     * Whether frames to and from this peer can be tagged and verified.
     *
     * @param peer the peer
     * @return true once its certificate was verified and this node has its own key
     */
    public boolean knows(int peer) {
        return peers.containsKey(peer);
    }

    /**
     * Whether this node has the public key of a peer, for a check that a certificate offered again changed.
     *
     * @param peer the peer
     * @param key  the public key offered
     * @return true if it is the key already in use
     */
    public boolean uses(int peer, PublicKey key) {
        Peer p = peers.get(peer);
        return p != null && p.publicKey.equals(key);
    }

    /**
     * The peers known.
     *
     * @return their ids (a copy)
     */
    public java.util.Set<Integer> peers() {
        return java.util.Set.copyOf(peers.keySet());
    }

    /**
     * The tag of a frame this node sends to a peer.
     *
     * @param to     the receiver
     * @param header the bytes the receiver reads in clear besides the ids, authenticated with the frame
     * @param frame  the frame's bytes
     * @return {@link #TAG_BYTES} bytes, or null if the peer is not {@linkplain #knows known} (the caller checks
     *         first; a peer may still be forgotten in between)
     */
    public byte[] tag(int to, byte[] header, byte[] frame) {
        Peer p = peers.get(to);
        return p == null ? null : tag(p.toPeer.get(), self, to, header, frame);
    }

    /**
     * Verifies the tag of a frame that claims to come from {@code from}, in constant time per key tried.
     *
     * @param from   the sender the frame's header claims
     * @param to     the receiver the header names
     * @param header the other bytes of the header, as received
     * @param frame  the frame's bytes
     * @param tag    the tag that came with it
     * @return {@link Check#OK} (the same instance every time) or what is wrong
     */
    public Check verify(int from, int to, byte[] header, byte[] frame, byte[] tag) {
        if (to != self) {
            return Check.NOT_FOR_ME;
        }
        Peer claimed = peers.get(from);
        if (claimed != null && MessageDigest.isEqual(tag(claimed.fromPeer.get(), from, to, header, frame), tag)) {
            return Check.OK;
        }
        // Refused in any case: find out whether another member wrote it, for the log.
        for (Map.Entry<Integer, Peer> e : peers.entrySet()) {
            if (e.getKey() != from
                    && MessageDigest.isEqual(tag(e.getValue().fromPeer.get(), from, to, header, frame), tag)) {
                return new Check(Verdict.OTHER_WRITER, e.getKey());
            }
        }
        return claimed == null ? Check.UNKNOWN : Check.BAD;
    }

    private static byte[] tag(Mac mac, int from, int to, byte[] header, byte[] frame) {
        updateInt(mac, from);
        updateInt(mac, to);
        mac.update(header);
        return mac.doFinal(frame);
    }

    private static void updateInt(Mac mac, int v) {
        mac.update((byte) (v >>> 24));
        mac.update((byte) (v >>> 16));
        mac.update((byte) (v >>> 8));
        mac.update((byte) v);
    }

    private Peer derive(PrivateKey key, int peer, PublicKey publicKey) throws GeneralSecurityException {
        byte[] prk = extract(key, publicKey, salt);
        return new Peer(publicKey, expand(prk, self, peer), expand(prk, peer, self));
    }

    /**
     * The key of frames from {@code from} to {@code to}, as either end derives it: exposed for tests that check
     * that both ends agree and a third one cannot.
     *
     * @param own           the private key of one end
     * @param other         the public key of the other end
     * @param clusterSecret the cluster secret
     * @param from          the sender's id
     * @param to            the receiver's id
     * @return 32 bytes
     * @throws GeneralSecurityException if the keys do not agree (not EC, another curve)
     */
    public static byte[] pairKey(PrivateKey own, PublicKey other, String clusterSecret, int from, int to)
            throws GeneralSecurityException {
        byte[] salt = hmac(clusterSecret.getBytes(StandardCharsets.UTF_8),
                "raftline event-bus pair salt v1".getBytes(StandardCharsets.UTF_8));
        return expand(extract(own, other, salt), from, to);
    }

    private static byte[] extract(PrivateKey own, PublicKey other, byte[] salt) throws GeneralSecurityException {
        KeyAgreement agreement = KeyAgreement.getInstance("ECDH");
        agreement.init(own);
        agreement.doPhase(other, true);
        byte[] shared = agreement.generateSecret();
        try {
            return hmac(salt, shared);
        } finally {
            java.util.Arrays.fill(shared, (byte) 0);
        }
    }

    private static byte[] expand(byte[] prk, int from, int to) {
        Mac mac = mac(new SecretKeySpec(prk, HMAC));
        mac.update(INFO);
        updateInt(mac, from);
        updateInt(mac, to);
        mac.update((byte) 1);
        return mac.doFinal();
    }

    private static byte[] hmac(byte[] key, byte[] data) {
        return mac(new SecretKeySpec(key, HMAC)).doFinal(data);
    }

    private static Mac mac(SecretKeySpec key) {
        try {
            Mac mac = Mac.getInstance(HMAC);
            mac.init(key);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
        }
    }
}
