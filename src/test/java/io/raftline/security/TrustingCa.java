package io.raftline.security;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A TLS context for test clients that trusts exactly the given PEM certificate authorities (those
 * {@code bin/tls-ca.sh} makes), as a client of a cluster with its own CA would.
 */
final class TrustingCa {

    private TrustingCa() {
    }

    /**
     * Builds the context.
     *
     * @param cas PEM files, one CA certificate each
     * @return a context whose trust store holds only those CAs
     * @throws Exception if a file cannot be read or parsed
     */
    static SSLContext of(Path... cas) throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        for (int i = 0; i < cas.length; i++) {
            try (InputStream in = Files.newInputStream(cas[i])) {
                trust.setCertificateEntry("ca" + i, CertificateFactory.getInstance("X.509").generateCertificate(in));
            }
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        return ssl;
    }
}
