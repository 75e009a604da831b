package io.raftline.app;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The command line's TLS options ({@code --cacert}, {@code --cert}, {@code --key}, as curl names them): the CA a node's
 * certificate must chain to, and the client certificate to present when the nodes ask for one
 * ({@code tls.client_auth}). It exists so that every client command reaches a cluster that serves only TLS, and one
 * that lets in only holders of a client certificate, from the same PEM files {@code bin/tls-ca.sh} writes.
 *
 * @param caCert PEM CA certificates to trust instead of the JVM's, or null
 * @param cert   PEM client certificate (chain) to present, or null
 * @param key    its PEM private key (PKCS#8), or null
 */
record ClientTls(Path caCert, Path cert, Path key) {

    /** No TLS options: http URLs as given, https ones with the JVM's trust store. */
    static final ClientTls NONE = new ClientTls(null, null, null);

    /** A TLS option that cannot be used; the message names it. */
    static final class InvalidOption extends IOException {
        private static final long serialVersionUID = 1L;

        InvalidOption(String message) {
            super(message);
        }

        InvalidOption(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Whether any TLS option was given: then the node is called over https whatever the URL's scheme.
     *
     * @return true with {@code --cacert} or {@code --cert}
     */
    boolean given() {
        return caCert != null || cert != null || key != null;
    }

    /**
     * The node's URL, with https when a TLS option was given (a cluster with TLS serves nothing over http).
     *
     * @param url the URL given
     * @return the URL to call
     */
    URI apply(URI url) {
        if (!given() || "https".equalsIgnoreCase(url.getScheme())) {
            return url;
        }
        try {
            return new URI("https", url.getRawUserInfo(), url.getHost(), url.getPort(), url.getRawPath(),
                    url.getRawQuery(), url.getRawFragment());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(url + ": " + e.getMessage(), e);
        }
    }

    /**
     * Checks that the options go together.
     *
     * @throws InvalidOption naming the option that is missing
     */
    void check() throws InvalidOption {
        if ((cert == null) != (key == null)) {
            throw new InvalidOption(cert == null ? "--key needs --cert (the certificate of that key)"
                    : "--cert needs --key (the certificate's private key, PEM)");
        }
    }

    /**
     * The TLS context of the JDK's HTTP client: trusting {@code --cacert} (or the JVM's store) and presenting
     * {@code --cert}/{@code --key} when given. Reads the files.
     *
     * @return the context
     * @throws InvalidOption if a file cannot be read or is not what its option needs
     */
    SSLContext context() throws InvalidOption {
        check();
        try {
            TrustManagerFactory trust = null;
            if (caCert != null) {
                KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
                store.load(null, null);
                int i = 0;
                for (Certificate ca : certificates("--cacert", caCert)) {
                    store.setCertificateEntry("ca" + i++, ca);
                }
                trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                trust.init(store);
            }
            KeyManagerFactory keys = null;
            if (cert != null) {
                Certificate[] chain = certificates("--cert", cert).toArray(Certificate[]::new);
                KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
                store.load(null, null);
                char[] none = new char[0];
                store.setKeyEntry("client", privateKey(key), none, chain);
                keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                keys.init(store, none);
            }
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(keys == null ? null : keys.getKeyManagers(), trust == null ? null : trust.getTrustManagers(),
                    null);
            return ssl;
        } catch (GeneralSecurityException | IOException e) {
            if (e instanceof InvalidOption invalid) {
                throw invalid;
            }
            throw new InvalidOption("cannot use the TLS files: " + e.getMessage(), e);
        }
    }

    private static Collection<? extends Certificate> certificates(String option, Path file) throws InvalidOption {
        try (InputStream in = Files.newInputStream(file)) {
            Collection<? extends Certificate> all = CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (all.isEmpty()) {
                throw new InvalidOption(option + " " + file + ": no PEM certificate in it");
            }
            return all;
        } catch (IOException e) {
            if (e instanceof InvalidOption invalid) {
                throw invalid;
            }
            throw new InvalidOption(option + " " + file + ": cannot read it (" + e.getMessage() + ")", e);
        } catch (GeneralSecurityException e) {
            throw new InvalidOption(option + " " + file + ": not a PEM certificate (" + e.getMessage() + ")", e);
        }
    }

    /** A PKCS#8 PEM key ({@code BEGIN PRIVATE KEY}, what bin/tls-ca.sh writes), EC, RSA or EdDSA. */
    private static PrivateKey privateKey(Path file) throws InvalidOption {
        try {
            return io.raftline.security.PemKeys.read(file);
        } catch (IOException e) {
            throw new InvalidOption("--key " + file + ": cannot read it (" + e.getMessage() + ")", e);
        } catch (GeneralSecurityException e) {
            throw new InvalidOption("--key " + file + ": " + e.getMessage(), e);
        }
    }
}
