package io.raftline.security;

import io.raftline.config.TlsConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the nodes of a clustered event bus learn each other's certificates, so that each can derive the pair keys of
 * {@link PeerFrameKeys}. Every node answers on {@code raft.peer.certificate.<id>} with its certificate chain; a node
 * that must send to, or has received a frame from, a peer whose key it lacks (first contact, a node added at runtime,
 * a frame whose tag failed: the peer may have renewed its certificate) asks that address, at most once per
 * {@link #ASK_INTERVAL_MS} per peer, and offers its own chain in the request so that the peer learns it too. A node
 * whose certificate was renewed tells everyone on {@code raft.peer.certificate.changed}.
 *
 * <p>Whatever arrives is untrusted: anyone on Hazelcast's port could redirect an address, and any holder of a CA
 * certificate can send on the bus. A chain is used only if {@link PeerCertificateCheck} accepts it for the id it is
 * offered for (the cluster CA, the revocation lists, exactly that node named); a refused one is counted and logged
 * ({@code bad_certificate}) and the key in use, if any, stays. Nothing here blocks an event loop: files are read on a
 * worker, the bus is asked asynchronously, and a chain's check and a key agreement (a few public-key operations, once
 * per peer and certificate) run on the event loop that received the chain. Until a peer's key is known, frames to it are not sent and frames from it are refused; Raft retries both.
 */
public final class PeerKeyExchange {

    private static final Logger LOG = LoggerFactory.getLogger(PeerKeyExchange.class);

    /** The address prefix a node answers with its certificate on; its id follows. */
    public static final String ADDRESS_PREFIX = "raft.peer.certificate.";

    /** Where a node tells everyone that its certificate changed. */
    public static final String CHANGED = "raft.peer.certificate.changed";

    /** A peer is asked for its certificate at most this often. */
    public static final long ASK_INTERVAL_MS = 500;

    /** Peers remembered for {@link #ASK_INTERVAL_MS}; beyond this many (ids claimed by junk frames) it is cleared. */
    private static final int MAX_REMEMBERED = 1024;

    private final Vertx vertx;
    private final int self;
    private final TlsConfig tls;
    private final PeerGuard guard;
    private final PeerFrameKeys keys;
    private final Map<Integer, Long> asked = new ConcurrentHashMap<>();
    /** The chains accepted per peer, checked again when the CA or the revocation lists change. */
    private final Map<Integer, String> accepted = new ConcurrentHashMap<>();
    private volatile PeerCertificateCheck check;
    /** This node's own chain as sent (PEM); null until started. */
    private volatile String ownPem;
    private MessageConsumer<Object> answering;
    private MessageConsumer<Object> changes;

    /** What the files held. */
    private record Loaded(String pem, PrivateKey key, PeerCertificateCheck check) {
    }

    /**
     * Creates the exchange of one node; {@link #start} reads its files.
     *
     * @param vertx         the clustered Vert.x
     * @param self          this node's id
     * @param clusterSecret {@code security.cluster_secret}
     * @param tls           the TLS configuration (certificate, key, CA, revocation lists)
     * @param guard         counts and logs refused certificates
     */
    public PeerKeyExchange(Vertx vertx, int self, String clusterSecret, TlsConfig tls, PeerGuard guard) {
        this.vertx = vertx;
        this.self = self;
        this.tls = tls;
        this.guard = guard;
        this.keys = new PeerFrameKeys(self, clusterSecret, null);
    }

    /**
     * The pair keys, for the codecs and the transport; empty until {@link #start} completes.
     *
     * @return the keys
     */
    public PeerFrameKeys keys() {
        return keys;
    }

    /**
     * Reads this node's certificate, key, CA and revocation lists (on a worker) and starts answering.
     *
     * @return completes once this node answers; fails if the files cannot be read or the key is not the
     *         certificate's (a certificate its peers will refuse is logged as an error, not fatal)
     */
    public Future<Void> start() {
        return vertx.executeBlocking(this::load, false).compose(loaded -> {
            try {
                keys.own(loaded.key());
            } catch (GeneralSecurityException e) {
                return Future.failedFuture(e);
            }
            check = loaded.check();
            ownPem = loaded.pem();
            answering = vertx.eventBus().consumer(ADDRESS_PREFIX + self, this::asked);
            changes = vertx.eventBus().consumer(CHANGED, m -> offered(m.body(), 0));
            return Future.all(answering.completion(), changes.completion()).mapEmpty();
        });
    }

    /**
     * Stops answering.
     *
     * @return completes when unregistered
     */
    public Future<Void> stop() {
        return Future.all(answering == null ? Future.succeededFuture() : answering.unregister(),
                changes == null ? Future.succeededFuture() : changes.unregister()).mapEmpty();
    }

    /**
     * Reads the files again ({@link CertificateReloader}): a new certificate and key of this node re-derive every pair
     * key and are announced to the peers; a new CA or new revocation lists are applied to the peers' chains accepted
     * before, forgetting those that no longer pass.
     *
     * @return completes with whether anything changed; fails (the previous state stays) if the files do not load
     */
    public Future<Boolean> reload() {
        return vertx.executeBlocking(this::load, false).map(loaded -> {
            boolean renewed = !loaded.pem().equals(ownPem);
            if (renewed) {
                try {
                    keys.own(loaded.key());
                } catch (GeneralSecurityException e) {
                    LOG.warn("node {}: a peer's key does not agree with the renewed one: {}", self, e.getMessage());
                }
                ownPem = loaded.pem();
            }
            check = loaded.check();
            for (Map.Entry<Integer, String> e : Map.copyOf(accepted).entrySet()) {
                try {
                    loaded.check().check(e.getValue(), e.getKey());
                } catch (CertificateException ex) {
                    keys.forget(e.getKey());
                    accepted.remove(e.getKey(), e.getValue());
                    refused(e.getKey(), ex.getMessage());
                }
            }
            if (renewed) {
                vertx.eventBus().publish(CHANGED, hello());
            }
            return renewed;
        });
    }

    /**
     * Asks a peer for its certificate unless it was asked less than {@link #ASK_INTERVAL_MS} ago; returns at once.
     * Called when a frame must go to a peer without a key, and when a frame from it was refused for want of one (or
     * with a tag that did not verify: its certificate may have been renewed).
     *
     * @param peer the peer
     */
    public void want(int peer) {
        if (peer <= 0 || peer == self || ownPem == null) {
            return;
        }
        long now = System.nanoTime();
        Long last = asked.get(peer);
        if (last != null && now - last < TimeUnit.MILLISECONDS.toNanos(ASK_INTERVAL_MS)) {
            return;
        }
        if (last == null && asked.size() >= MAX_REMEMBERED) {
            asked.clear();
        }
        asked.put(peer, now);
        vertx.eventBus().<Object>request(ADDRESS_PREFIX + peer, hello(),
                new DeliveryOptions().setSendTimeout(2000)).onComplete(ar -> {
                    if (ar.succeeded()) {
                        offered(ar.result().body(), peer);
                    } else {
                        LOG.debug("node {}: no certificate from node {} yet: {}", self, peer, ar.cause().getMessage());
                    }
                });
    }

    private void asked(Message<Object> request) {
        // The asker offers its own chain: learn it (checked like any other), then answer with this node's.
        offered(request.body(), 0);
        request.reply(hello());
    }

    private JsonObject hello() {
        return new JsonObject().put("id", self).put("pem", ownPem);
    }

    /**
     * Checks a chain offered for a node and derives the keys from it.
     *
     * @param message  {@code {"id": n, "pem": "..."}}, as received (anything else is refused)
     * @param expected the node asked (0: whoever it names, a request or an announcement)
     */
    private void offered(Object message, int expected) {
        JsonObject body = message instanceof JsonObject j ? j : null;
        Object id = body == null ? null : body.getValue("id");
        Object pem = body == null ? null : body.getValue("pem");
        if (!(id instanceof Integer peer) || !(pem instanceof String chain)) {
            refused(expected, "an offer without an id and a PEM chain");
            return;
        }
        if (peer == self) {
            return;
        }
        if (expected != 0 && peer != expected) {
            refused(expected, "node " + expected + " was asked, the answer is for node " + peer);
            return;
        }
        if (chain.equals(accepted.get(peer)) && keys.knows(peer)) {
            return;
        }
        PeerCertificateCheck c = check;
        X509Certificate leaf;
        try {
            leaf = c.check(chain, peer);
        } catch (CertificateException e) {
            refused(peer, e.getMessage());
            return;
        }
        PublicKey key = leaf.getPublicKey();
        try {
            boolean renewed;
            synchronized (this) {
                // Two offers of the same chain may be checked at once on two event loops: one takes it.
                if (chain.equals(accepted.get(peer)) && keys.knows(peer)) {
                    return;
                }
                renewed = keys.knows(peer) && !keys.uses(peer, key);
                keys.accept(peer, key);
                accepted.put(peer, chain);
            }
            LOG.info("node {}: {} node {}'s certificate (serial {}): frames between them are tagged with their pair key",
                    self, renewed ? "renewed keys with" : "verified", peer, leaf.getSerialNumber().toString(16));
        } catch (GeneralSecurityException e) {
            refused(peer, "no key agreement with it: " + e.getMessage());
        }
    }

    private void refused(int peer, String why) {
        guard.refused("the certificate offered for node " + peer + " on the clustered event bus",
                new PeerGuard.Refusal(PeerGuard.Reason.BAD_CERTIFICATE, why));
    }

    /** Reads this node's chain and key, the CA and the lists, and checks the chain against them. On a worker. */
    private Loaded load() throws Exception {
        List<X509Certificate> chain = PeerCertificateCheck.parse(
                Files.readString(Path.of(tls.certFile()), StandardCharsets.US_ASCII));
        PrivateKey key;
        try {
            key = PemKeys.read(Path.of(tls.keyFile()));
        } catch (GeneralSecurityException e) {
            throw new GeneralSecurityException(tls.keyFile() + ": " + e.getMessage(), e);
        }
        PeerCertificateCheck c = PeerCertificateCheck.load(Path.of(tls.caFile()), tls.crlFiles());
        try {
            c.check(chain, self);
        } catch (CertificateException e) {
            // Said, not fatal: the node runs, and its peers refuse what it sends until the certificate is replaced.
            LOG.error("node {}: its own certificate {} will be refused by its peers on the clustered event bus: {}",
                    self, tls.certFile(), e.getMessage());
        }
        // A key that is not the certificate's would make every tag fail: said at once instead.
        if (!CertificateReloader.matches(key, chain.get(0).getPublicKey())) {
            throw new GeneralSecurityException(tls.keyFile() + " is not the key of " + tls.certFile()
                    + " (a renewal caught half-written?)");
        }
        StringBuilder pem = new StringBuilder();
        Base64.Encoder b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
        for (X509Certificate x : chain) {
            pem.append("-----BEGIN CERTIFICATE-----\n").append(b64.encodeToString(x.getEncoded()))
                    .append("\n-----END CERTIFICATE-----\n");
        }
        return new Loaded(pem.toString(), key, c);
    }
}
