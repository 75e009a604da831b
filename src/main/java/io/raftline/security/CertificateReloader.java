package io.raftline.security;

import io.raftline.config.TlsConfig;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Picks up renewed TLS certificates without a restart: every {@code tls.reload_interval_ms} it reads the certificate,
 * key and CA files, and when their content changed, tells every listener and client that registered to load them
 * again. Certificates are short-lived where they are managed well (cert-manager, Let's Encrypt, a cluster CA that
 * rotates), and restarting a node to renew one costs an election when it is the leader.
 *
 * <p>A reload applies to connections made after it; connections already open keep the session they negotiated (their
 * certificate was valid then). Files caught half-written (a renewal that replaces the key before the certificate) fail
 * to load: the listener keeps the old pair, the failure is logged, and the next check tries again, since the content
 * differs from what was last loaded. The files are read on a worker, never on an event loop.
 *
 * <p>One check runs at a time, and it ends only once every target answered: a target that never answers (a future
 * left incomplete by a bug, a client closed under it, an exception thrown on another event loop before the answer is
 * completed) would stop every later check, so that no renewal is ever picked up again and nothing says so. Each
 * target therefore gets {@link #TARGET_TIMEOUT_MS} to answer; one that does not is counted as failed, logged by name,
 * and asked again by the next check, like a target whose reload failed. A target that throws instead of returning its
 * future is failed the same way, without keeping the others from being asked.
 */
public final class CertificateReloader {

    private static final Logger LOG = LoggerFactory.getLogger(CertificateReloader.class);

    /**
     * How long a target may take to reload before it counts as failed: far beyond a reload's few file reads and TLS
     * context builds on a worker, even on a loaded machine.
     */
    public static final long TARGET_TIMEOUT_MS = 30_000;

    private final Vertx vertx;
    private final TlsConfig tls;
    private final List<Path> files;
    private final long intervalMs;
    private final long targetTimeoutMs;
    private final Map<String, Supplier<Future<Boolean>>> targets = new ConcurrentHashMap<>();
    private byte[] loaded;
    private long timer = -1;
    private boolean checking;
    private volatile long reloads;
    private volatile long failures;
    private volatile long checks;
    /** The revocation lists loaded, checked ({@link RevocationLists}); null without {@code tls.crl_files}. */
    private volatile RevocationLists.Checked crls;
    /** When an out-of-date revocation list was last reported (nanoTime), or 0. */
    private long staleReportedAt;

    /**
     * Creates the reloader of a process's TLS files.
     *
     * @param vertx      the Vert.x instance (timer and worker)
     * @param tls        the TLS configuration (enabled)
     * @param intervalMs how often the files are read
     */
    public CertificateReloader(Vertx vertx, TlsConfig tls, long intervalMs) {
        this(vertx, tls, intervalMs, TARGET_TIMEOUT_MS);
    }

    /**
     * Creates the reloader with another deadline for the targets' answers (tests).
     *
     * @param vertx           the Vert.x instance (timer and worker)
     * @param tls             the TLS configuration (enabled)
     * @param intervalMs      how often the files are read
     * @param targetTimeoutMs how long a target may take to answer a reload before it counts as failed
     */
    CertificateReloader(Vertx vertx, TlsConfig tls, long intervalMs, long targetTimeoutMs) {
        this.vertx = vertx;
        this.targetTimeoutMs = targetTimeoutMs;
        this.tls = tls;
        List<Path> paths = new ArrayList<>(List.of(Path.of(tls.certFile()), Path.of(tls.keyFile())));
        if (!tls.caFile().isEmpty()) {
            paths.add(Path.of(tls.caFile()));
        }
        if (!tls.clientCaFile().isEmpty()) {
            paths.add(Path.of(tls.clientCaFile()));
        }
        for (String crl : tls.crlFiles()) {
            paths.add(Path.of(crl));
        }
        this.files = List.copyOf(paths);
        this.intervalMs = intervalMs;
    }

    /**
     * Adds a listener or client that reloads its TLS files when asked (e.g. {@code server.updateSSLOptions(options,
     * true)}: the same options, which name the same files, forced to be read again).
     *
     * @param what   a name for the log
     * @param reload reloads, completing with whether anything changed
     */
    public void register(String what, Supplier<Future<Boolean>> reload) {
        targets.put(what, reload);
    }

    /**
     * Removes a listener or client (it stopped).
     *
     * @param what the name it registered under
     */
    public void unregister(String what) {
        targets.remove(what);
    }

    /**
     * Starts checking: the first read records the files as loaded at start.
     *
     * @return completes once the files were read once
     */
    public Future<Void> start() {
        return read().compose(content -> vertx.executeBlocking(this::checkCrls, false).map(checked -> {
            loaded = content;
            crls = checked;
            reportStale();
            timer = vertx.setPeriodic(intervalMs, t -> check());
            return null;
        }));
    }

    /** Stops checking. */
    public void stop() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    /** How many times the files changed and every target reloaded them. */
    public long reloads() {
        return reloads;
    }

    /** How many times the files changed but could not be read or loaded (the previous certificate stayed). */
    public long failures() {
        return failures;
    }

    /** How many checks have completed. */
    public long checks() {
        return checks;
    }

    /**
     * Reads the files now and reloads if they changed (what the timer does).
     *
     * @return completes once checked (and, if they changed, once every target answered)
     */
    public Future<Void> check() {
        if (checking) {
            return Future.succeededFuture();
        }
        checking = true;
        return read().compose(content -> {
            if (Arrays.equals(content, loaded)) {
                reportStale();
                return Future.<Void>succeededFuture();
            }
            return vertx.executeBlocking(() -> {
                checkPair();
                return checkCrls();
            }, false).compose(checked -> reloadAll(content, checked));
        }, e -> {
            failures++;
            LOG.error("cannot read the TLS files {}: {}; the previous certificate stays", files, e.getMessage());
            return Future.succeededFuture();
        }).recover(e -> {
            // The files changed but are not a matching pair yet (a renewal caught between the key and the certificate).
            failures++;
            LOG.error("TLS files {} changed but are not usable yet, the previous certificate stays: {}", files,
                    e.getMessage());
            return Future.succeededFuture();
        }).andThen(x -> {
            checking = false;
            checks++;
        });
    }

    /**
     * Checks that the private key is the certificate's: a listener would load a mismatched pair and then fail every
     * handshake, so a renewal caught between writing the key and the certificate must not reach the listeners.
     */
    private void checkPair() throws Exception {
        javax.net.ssl.KeyManager[] managers = tls.keyCert().getKeyManagerFactory(vertx).getKeyManagers();
        for (javax.net.ssl.KeyManager m : managers) {
            if (!(m instanceof javax.net.ssl.X509KeyManager km)) {
                continue;
            }
            for (String type : new String[] {"RSA", "EC", "EdDSA", "Ed25519"}) {
                String[] aliases = km.getServerAliases(type, null);
                for (String alias : aliases == null ? new String[0] : aliases) {
                    java.security.PrivateKey key = km.getPrivateKey(alias);
                    java.security.cert.X509Certificate[] chain = km.getCertificateChain(alias);
                    if (key != null && chain != null && chain.length > 0) {
                        if (!matches(key, chain[0].getPublicKey())) {
                            throw new IllegalStateException("the private key in " + tls.keyFile()
                                    + " is not the key of the certificate in " + tls.certFile());
                        }
                        return;
                    }
                }
            }
        }
        throw new IllegalStateException("no private key with its certificate in " + tls.keyFile() + " and "
                + tls.certFile());
    }

    /**
     * Whether {@code key} is the private key of {@code pub}: signs a random probe and verifies it (RSA, EC, EdDSA).
     * Also what the event bus's pair keys check their files with ({@link PeerKeyExchange}).
     */
    static boolean matches(java.security.PrivateKey key, java.security.PublicKey pub) throws Exception {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> key.getAlgorithm(); // Ed25519, Ed448 and EdDSA name their own signature
        };
        byte[] probe = new byte[32];
        new java.security.SecureRandom().nextBytes(probe);
        java.security.Signature sign = java.security.Signature.getInstance(algorithm);
        sign.initSign(key);
        sign.update(probe);
        byte[] signature = sign.sign();
        java.security.Signature verify = java.security.Signature.getInstance(algorithm);
        verify.initVerify(pub);
        verify.update(probe);
        return verify.verify(signature);
    }

    /** The revocation lists, checked (signed by a trusted CA), or null without any; on a worker. */
    private RevocationLists.Checked checkCrls() throws RevocationLists.Invalid {
        return tls.crlFiles().isEmpty() ? null : RevocationLists.check(tls.crlFiles(), tls.certificateAuthorities());
    }

    /** Reports an out-of-date revocation list when loaded, then once an hour while it stays so. */
    private void reportStale() {
        RevocationLists.Checked c = crls;
        long now = System.nanoTime();
        if (c == null || !c.stale(java.time.Instant.now())) {
            staleReportedAt = 0;
            return;
        }
        if (staleReportedAt == 0 || now - staleReportedAt >= java.util.concurrent.TimeUnit.HOURS.toNanos(1)) {
            staleReportedAt = now;
            LOG.error("{}", c.staleMessage());
        }
    }

    /**
     * The earliest next update of the revocation lists loaded (when a list should have been replaced), for
     * monitoring.
     *
     * @return the instant, or null without lists or when none gives one
     */
    public java.time.Instant crlNextUpdate() {
        RevocationLists.Checked c = crls;
        return c == null ? null : c.nextUpdate();
    }

    /** Every target reloads; the content counts as loaded only if all did. */
    private Future<Void> reloadAll(byte[] content, RevocationLists.Checked checked) {
        List<Future<Boolean>> all = new ArrayList<>();
        List<String> names = new ArrayList<>(targets.keySet());
        for (String name : names) {
            all.add(ask(name));
        }
        return Future.join(all).transform(ar -> {
            List<String> failed = new ArrayList<>();
            for (int i = 0; i < all.size(); i++) {
                if (all.get(i).failed()) {
                    failed.add(names.get(i) + ": " + all.get(i).cause().getMessage());
                }
            }
            if (failed.isEmpty()) {
                loaded = content;
                crls = checked;
                staleReportedAt = 0;
                reportStale();
                reloads++;
                LOG.info("TLS certificate reloaded from {} by {}", files, names);
            } else {
                failures++;
                // Kept the old pair; the next check tries again (the content still differs from what was loaded).
                LOG.error("TLS files {} changed but could not be loaded, the previous certificate stays: {}", files,
                        failed);
            }
            return Future.<Void>succeededFuture();
        });
    }

    /**
     * Asks one target to reload: its answer, or a failure if it throws, is gone (unregistered meanwhile: nothing to
     * reload), or does not answer within {@link #targetTimeoutMs} (its late answer is then ignored).
     */
    private Future<Boolean> ask(String name) {
        Supplier<Future<Boolean>> target = targets.get(name);
        if (target == null) {
            return Future.succeededFuture(false);
        }
        Future<Boolean> answer;
        try {
            answer = target.get();
        } catch (RuntimeException e) {
            return Future.failedFuture(e);
        }
        if (answer == null) {
            return Future.failedFuture(new IllegalStateException("gave no answer to wait for"));
        }
        if (answer.isComplete()) {
            return answer;
        }
        Promise<Boolean> bounded = Promise.promise();
        long deadline = vertx.setTimer(targetTimeoutMs, t -> bounded.tryFail(new java.util.concurrent.TimeoutException(
                "did not answer within " + targetTimeoutMs + " ms (asked again at the next check)")));
        answer.onComplete(ar -> {
            vertx.cancelTimer(deadline);
            if (ar.succeeded()) {
                bounded.tryComplete(ar.result());
            } else {
                bounded.tryFail(ar.cause());
            }
        });
        return bounded.future();
    }

    /** A digest of the files' content, read on a worker. */
    private Future<byte[]> read() {
        return vertx.executeBlocking(() -> {
            MessageDigest sha;
            try {
                sha = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("every JVM has SHA-256", e);
            }
            for (Path f : files) {
                try {
                    sha.update(Files.readAllBytes(f));
                } catch (IOException e) {
                    throw new IOException(f + ": " + e.getMessage(), e);
                }
                sha.update((byte) 0);
            }
            return sha.digest();
        }, false);
    }
}
