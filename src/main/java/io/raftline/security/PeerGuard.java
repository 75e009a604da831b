package io.raftline.security;

import io.raftline.config.PeerIdentityPolicy;
import java.security.cert.Certificate;
import java.util.Collection;
import java.util.List;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides whether Raft traffic from an authenticated peer is accepted, and keeps the record of refusals: a counter per
 * reason (for {@code /metrics}) and a log line per peer and reason at most once per {@link #LOG_INTERVAL_MS}, and at
 * most {@link #MAX_LINES_PER_INTERVAL} lines in all per interval (a misconfigured or hostile peer sends many messages a
 * second, and clients without a certificate may come from many addresses: one line each would drown the log). It exists so
 * that every transport refuses the same things for the same reasons: a sender is accepted on the id its certificate
 * names ({@link PeerIdentity}), never on the id its message claims.
 */
public final class PeerGuard {

    private static final Logger LOG = LoggerFactory.getLogger(PeerGuard.class);

    /** At most one log line per peer and reason in this many milliseconds. */
    public static final long LOG_INTERVAL_MS = 30_000;

    /**
     * Peers remembered for the log interval; beyond this many (clients from ever new addresses) the memory is
     * cleared, so it stays bounded at the price of a few more log lines.
     */
    static final int MAX_REMEMBERED_PEERS = 1024;

    /** At most this many refusal lines per {@link #LOG_INTERVAL_MS} in all, whatever the number of peers. */
    static final int MAX_LINES_PER_INTERVAL = 20;

    /** Why peer traffic was refused; the code is the {@code reason} label in {@code /metrics}. */
    public enum Reason {
        /** A Raft call arrived on a connection without a client certificate. */
        NO_CERTIFICATE("no_certificate"),
        /** The certificate names no node and {@code security.peer_identity} is {@code node}. */
        NO_NODE_ID("no_node_id"),
        /** A message's sender is not a node the certificate names. */
        SENDER_MISMATCH("sender_mismatch"),
        /** A peer this node called presented the certificate of another node than the one it called. */
        SERVER_MISMATCH("server_mismatch"),
        /** An event-bus frame whose authentication code did not verify (or was missing). */
        BAD_MAC("bad_mac"),
        /**
         * An event-bus frame from a sender whose certificate this node has not verified yet ({@link PeerFrameKeys}):
         * refused, and the certificate is asked for.
         */
        UNKNOWN_PEER("unknown_peer"),
        /**
         * A certificate offered on the event bus for a node that does not speak for it: another CA, revoked, expired,
         * naming another node or several ({@link PeerCertificateCheck}).
         */
        BAD_CERTIFICATE("bad_certificate");

        private final String code;

        Reason(String code) {
            this.code = code;
        }

        /**
         * The label of this reason.
         *
         * @return e.g. {@code sender_mismatch}
         */
        public String code() {
            return code;
        }
    }

    /**
     * A refusal.
     *
     * @param reason  why
     * @param message what to tell the peer and the log
     */
    public record Refusal(Reason reason, String message) {
    }

    private final PeerIdentityPolicy policy;
    /** With a separate client CA: which accepted certificates are the cluster CA's (null: all of them are). */
    private final ClusterCaCheck clusterCa;
    private final Map<Reason, AtomicLong> counts = new EnumMap<>(Reason.class);
    private final Map<String, Long> lastLogged = new ConcurrentHashMap<>();
    /** Start of the current interval of the overall bound, lines logged and lines held back in it (guarded by this). */
    private long windowStart = System.nanoTime();
    private int linesInWindow;
    private long heldBack;

    /**
     * Creates a guard.
     *
     * @param policy what a certificate must name
     */
    public PeerGuard(PeerIdentityPolicy policy) {
        this(policy, null);
    }

    /**
     * Creates a guard for a process whose client ports also trust a client CA ({@code tls.client_ca_file}).
     *
     * @param policy    what a certificate must name
     * @param clusterCa tells the cluster CA's certificates from the client CA's; null when the handshake trusts the
     *                  cluster CA only
     */
    public PeerGuard(PeerIdentityPolicy policy, ClusterCaCheck clusterCa) {
        this.policy = policy;
        this.clusterCa = clusterCa;
        for (Reason r : Reason.values()) {
            counts.put(r, new AtomicLong());
        }
    }

    /**
     * The policy in force.
     *
     * @return what a certificate must name
     */
    public PeerIdentityPolicy policy() {
        return policy;
    }

    /**
     * The identity of a verified client certificate chain: what it names if the cluster CA issued it, else a key-value
     * client's (a certificate of the client CA never speaks for a node, whatever it names).
     *
     * @param chain the chain the TLS handshake verified, leaf first
     * @return its identity
     */
    public PeerIdentity identify(List<Certificate> chain) {
        if (clusterCa != null && !clusterCa.issued(chain)) {
            return PeerIdentity.CLIENT_CA;
        }
        return PeerIdentity.of(chain);
    }

    /**
     * Checks that the peer of a connection may send messages with these senders.
     *
     * @param identity the identity of the peer's verified certificate, or null if it presented none
     * @param senders  the {@code from} of every message of a frame
     * @return null if accepted, else why not
     */
    public Refusal checkSenders(PeerIdentity identity, Collection<Integer> senders) {
        if (identity == null) {
            return new Refusal(Reason.NO_CERTIFICATE, "Raft messages need a client certificate signed by the cluster"
                    + " CA (tls.ca_file)");
        }
        if (identity.client()) {
            return new Refusal(Reason.NO_NODE_ID, "a key-value client's certificate (" + PeerIdentity.CLIENT_URI_PREFIX
                    + "...) never speaks for a node");
        }
        if (identity.anonymous()) {
            if (policy == PeerIdentityPolicy.ANY_MEMBER) {
                return null;
            }
            return new Refusal(Reason.NO_NODE_ID, "the client certificate names no node (make one per node with"
                    + " bin/tls-ca.sh DIR --node <id>, or set security.peer_identity to \"any_member\")");
        }
        for (int from : senders) {
            if (!identity.names(from)) {
                return new Refusal(Reason.SENDER_MISMATCH, "a message claims to come from node " + from + " but the"
                        + " peer holds " + identity);
            }
        }
        return null;
    }

    /**
     * Checks that a peer this node called is the node it meant to call.
     *
     * @param identity the identity of the certificate the peer presented
     * @param expected the node called
     * @return null if it is, else why not
     */
    public Refusal checkServer(PeerIdentity identity, int expected) {
        if (identity.names(expected)
                || (identity.anonymous() && !identity.client() && policy == PeerIdentityPolicy.ANY_MEMBER)) {
            return null;
        }
        return new Refusal(identity.anonymous() ? Reason.NO_NODE_ID : Reason.SERVER_MISMATCH, "called node "
                + expected + " but the peer holds " + identity);
    }

    /**
     * Counts a refusal and logs it unless the same peer was logged for the same reason less than
     * {@link #LOG_INTERVAL_MS} ago, or {@link #MAX_LINES_PER_INTERVAL} lines were logged in this interval already (the
     * next line says how many were held back).
     *
     * @param peer    who (its address, as the transport knows it)
     * @param refusal what was refused
     */
    public void refused(String peer, Refusal refusal) {
        long n = counts.get(refusal.reason()).incrementAndGet();
        String key = peer + "|" + refusal.reason();
        long now = System.nanoTime();
        long interval = TimeUnit.MILLISECONDS.toNanos(LOG_INTERVAL_MS);
        Long last = lastLogged.get(key);
        if (last != null && now - last < interval) {
            return;
        }
        long held;
        synchronized (this) {
            if (now - windowStart >= interval) {
                windowStart = now;
                linesInWindow = 0;
            }
            if (linesInWindow >= MAX_LINES_PER_INTERVAL) {
                heldBack++;
                return;
            }
            linesInWindow++;
            held = heldBack;
            heldBack = 0;
        }
        if (last == null && lastLogged.size() >= MAX_REMEMBERED_PEERS) {
            lastLogged.clear();
        }
        lastLogged.put(key, now);
        LOG.warn("refused Raft traffic from {}: {} ({}; {} refusals of this kind so far, logged at most every {}"
                + " s per peer{})", peer, refusal.message(), refusal.reason().code(), n, LOG_INTERVAL_MS / 1000,
                held == 0 ? "" : "; " + held + " lines about other peers held back before this one");
    }

    /**
     * How many peers the log interval is remembered for (bounded by {@link #MAX_REMEMBERED_PEERS}).
     *
     * @return the count
     */
    int rememberedPeers() {
        return lastLogged.size();
    }

    /**
     * How many times traffic was refused for a reason.
     *
     * @param reason the reason
     * @return the count since start
     */
    public long refusals(Reason reason) {
        return counts.get(reason).get();
    }
}
