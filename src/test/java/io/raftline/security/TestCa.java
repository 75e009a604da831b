package io.raftline.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Certificates for the TLS tests: {@code bin/tls-ca.sh} run as a user would, and a TLS context for test clients that
 * trusts exactly the PEM certificate authorities it made, as a client of a cluster with its own CA would.
 */
public final class TestCa {

    private TestCa() {
    }

    /**
     * Runs {@code bin/tls-ca.sh DIR ARGS...} and requires it to succeed.
     *
     * @param dir  where the CA and certificates go (an existing CA there is reused)
     * @param args the script's further arguments ({@code --node 1,2,3}, names)
     * @throws Exception if it cannot run
     */
    public static void make(Path dir, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("bin/tls-ca.sh", dir.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
    }

    /**
     * Builds the context.
     *
     * @param cas PEM files, one CA certificate each
     * @return a context whose trust store holds only those CAs
     * @throws Exception if a file cannot be read or parsed
     */
    static SSLContext trusting(Path... cas) throws Exception {
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

    /**
     * Reads one certificate.
     *
     * @param pem a PEM file holding it
     * @return the certificate
     * @throws Exception if it cannot be read
     */
    static java.security.cert.Certificate certificate(Path pem) throws Exception {
        try (InputStream in = Files.newInputStream(pem)) {
            return CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    /**
     * Replaces {@code to} with {@code from} in one rename, as a renewal tool does.
     *
     * @param from the new content
     * @param to   the file replaced
     * @throws Exception if it cannot be copied or moved
     */
    static void replace(Path from, Path to) throws Exception {
        Path tmp = to.resolveSibling(to.getFileName() + ".new");
        Files.copy(from, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, to, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
}
