package io.raftline.security;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * Whether a client certificate that a TLS handshake accepted leads to the cluster CA ({@code tls.ca_file}). It exists
 * for {@code tls.client_ca_file}: the client ports' handshake then trusts two CAs, the cluster's and the one that signs
 * key-value clients' certificates, and a certificate of the client CA must never speak for a node, whatever names it
 * carries ({@code urn:raftline:node:2} is only a string that whoever runs the client CA can write). The Raft service
 * and the leader's forwarding endpoint ask this check, and take a certificate it refuses for a client's.
 *
 * <p>The chain is validated again (PKIX) with the cluster CA as the only trust anchor; revocation was checked by the
 * handshake. The CA file is read on a worker ({@link #load}), again when it changes
 * ({@link CertificateReloader}); until it is read, no certificate passes (the safe side: Raft calls are refused, never
 * let in).
 */
public final class ClusterCaCheck {

    private final Path caFile;
    private volatile X509TrustManager trust;

    /**
     * Creates the check; nothing passes until {@link #load} completes.
     *
     * @param caFile the cluster CA's PEM certificates
     */
    public ClusterCaCheck(Path caFile) {
        this.caFile = caFile;
    }

    /**
     * Reads the CA file (on a worker) and checks against it from then on.
     *
     * @param vertx the Vert.x instance
     * @return completes with true once loaded; fails if the file does not hold a certificate (the previous one stays)
     */
    public Future<Boolean> load(Vertx vertx) {
        return vertx.executeBlocking(() -> {
            trust = read(caFile);
            return true;
        }, false);
    }

    private static X509TrustManager read(Path file) throws Exception {
        Collection<? extends Certificate> cas;
        try (InputStream in = Files.newInputStream(file)) {
            cas = CertificateFactory.getInstance("X.509").generateCertificates(in);
        }
        if (cas.isEmpty()) {
            throw new CertificateException(file + " holds no certificate");
        }
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        int i = 0;
        for (Certificate ca : cas) {
            store.setCertificateEntry("ca" + i++, ca);
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
        factory.init(store);
        for (TrustManager m : factory.getTrustManagers()) {
            if (m instanceof X509TrustManager x) {
                return x;
            }
        }
        throw new IllegalStateException("the JVM has no X.509 trust manager");
    }

    /**
     * Whether a verified client certificate chain (leaf first, as TLS gives it) was issued under the cluster CA.
     *
     * @param chain the peer's chain
     * @return true if the cluster CA alone validates it
     */
    public boolean issued(List<Certificate> chain) {
        X509TrustManager t = trust;
        if (t == null || chain.isEmpty()) {
            return false;
        }
        X509Certificate[] x509 = new X509Certificate[chain.size()];
        for (int i = 0; i < x509.length; i++) {
            if (!(chain.get(i) instanceof X509Certificate c)) {
                return false;
            }
            x509[i] = c;
        }
        try {
            t.checkClientTrusted(x509, x509[0].getPublicKey().getAlgorithm());
            return true;
        } catch (CertificateException | IllegalArgumentException e) {
            return false;
        }
    }
}
