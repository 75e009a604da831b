package io.raftline.config;

import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;

/**
 * TLS for the listeners clients use (every node's client port and the admin/live-view port), from PEM files. It exists
 * so that values, the admin token and the live view's frames do not cross a network in clear text once a cluster is
 * bound beyond loopback. Nodes call each other's client ports (forwarding to the leader, status, membership) over TLS
 * too, trusting {@code caFile}. Where Raft traffic crosses the network (the gRPC transport, the clustered event bus)
 * the same files make it mutual TLS: a node presents its certificate as a client too and accepts Raft traffic only
 * from certificates {@code caFile} signed (docs/security.md, "Peer authentication"). With {@code clientAuth}, the
 * client ports ask key-value clients for a certificate {@code caFile} signed, and nodes present theirs when they call
 * each other's client ports. {@code clientCaFile} lets a CA other than the cluster's sign key-value clients'
 * certificates (the teams that hand out application identities are rarely the ones that run the nodes), without
 * letting those certificates speak for a node; {@code crlFiles} withdraw certificates before they expire.
 *
 * @param certFile PEM certificate chain of this process's listeners; empty: no TLS
 * @param keyFile  PEM private key (PKCS#8, or PKCS#1 for RSA) of that certificate
 * @param caFile     PEM certificates the nodes trust when they call each other (the cluster CA), and that sign key-value
 *                   clients' certificates; empty: the JVM's trust store, allowed only where no Raft traffic crosses the
 *                   network and no client certificates are asked for
 * @param clientAuth whether key-value clients authenticate with a certificate {@code caFile} signed
 * @param reloadIntervalMs how often the files are read again to pick up a renewed certificate; 0: never
 * @param clientCaFile PEM certificates of a CA that signs key-value clients' certificates only (trusted on the client
 *                     ports besides {@code caFile}, never for a node); empty: {@code caFile} signs clients too
 * @param crlFiles   certificate revocation lists (PEM or DER): a certificate they list is refused wherever client or
 *                   peer certificates are verified
 */
public record TlsConfig(String certFile, String keyFile, String caFile, ClientCertAuth clientAuth,
        long reloadIntervalMs, String clientCaFile, java.util.List<String> crlFiles) {

    /** Default of {@code tls.reload_interval_ms}. */
    public static final long DEFAULT_RELOAD_INTERVAL_MS = 10_000;

    /** No TLS. */
    public static final TlsConfig NONE = new TlsConfig("", "", "", ClientCertAuth.NONE, DEFAULT_RELOAD_INTERVAL_MS,
            "", java.util.List.of());

    /**
     * TLS without client certificates.
     *
     * @param certFile PEM certificate chain
     * @param keyFile  PEM private key
     * @param caFile   PEM CA certificates, or empty
     */
    public TlsConfig(String certFile, String keyFile, String caFile) {
        this(certFile, keyFile, caFile, ClientCertAuth.NONE, DEFAULT_RELOAD_INTERVAL_MS, "", java.util.List.of());
    }

    /**
     * Checks that every part is given.
     *
     * @param certFile   PEM certificate chain, or empty
     * @param keyFile    PEM private key, or empty
     * @param caFile     PEM CA certificates, or empty
     * @param clientAuth client certificates
     * @param reloadIntervalMs how often the files are read again
     * @param clientCaFile PEM CA certificates of key-value clients, or empty
     * @param crlFiles   revocation lists
     */
    public TlsConfig {
        java.util.Objects.requireNonNull(clientAuth, "clientAuth");
        java.util.Objects.requireNonNull(clientCaFile, "clientCaFile");
        crlFiles = java.util.List.copyOf(crlFiles);
    }

    /**
     * Whether the listeners speak TLS.
     *
     * @return true when a certificate is configured
     */
    public boolean enabled() {
        return !certFile.isEmpty();
    }

    /**
     * This process's certificate and key, for every TLS listener and for the client side of mutual TLS.
     *
     * @return the PEM options of {@code cert_file} and {@code key_file}
     */
    public PemKeyCertOptions keyCert() {
        return new PemKeyCertOptions().setCertPath(certFile).setKeyPath(keyFile);
    }

    /**
     * The certificate authorities the nodes trust when they call each other.
     *
     * @return the PEM options of {@code ca_file} (which must be set)
     */
    public PemTrustOptions trust() {
        return new PemTrustOptions().addCertPath(caFile);
    }

    /**
     * What a client port trusts for client certificates (key-value clients, and nodes calling each other): the
     * cluster CA, and the client CA when there is one.
     *
     * @return the PEM options of {@code ca_file} (which must be set) and {@code client_ca_file}
     */
    public PemTrustOptions clientPortTrust() {
        PemTrustOptions trust = trust();
        if (!clientCaFile.isEmpty()) {
            trust.addCertPath(clientCaFile);
        }
        return trust;
    }

    /**
     * The CA files this process trusts for certificates (the cluster CA, then the client CA), those that must have
     * signed the revocation lists.
     *
     * @return the configured ones, possibly none
     */
    public java.util.List<String> certificateAuthorities() {
        return java.util.stream.Stream.of(caFile, clientCaFile).filter(f -> !f.isEmpty()).toList();
    }

    /**
     * Adds the revocation lists to a server's or client's options, wherever certificates are verified.
     *
     * @param options the options
     * @param <T>     their type
     * @return the options
     */
    public <T extends io.vertx.core.net.TCPSSLOptions> T withCrls(T options) {
        for (String crl : crlFiles) {
            options.addCrlPath(crl);
        }
        return options;
    }

    /**
     * The TLS options of a client that calls the other nodes (forwarding, the gRPC transport's peer links), with the
     * files' content read now rather than their paths. A Vert.x 5 client keeps the TLS context it built for options
     * equal to the ones it is given, and options naming the same paths are equal whatever the files hold: a client
     * told to use its path-based options again ({@code updateSSLOptions(options, true)}) keeps presenting the old
     * certificate. Options that carry the content differ as soon as a file does, so the client builds a new context.
     * Reads files: call it on a worker.
     *
     * @param presentCertificate whether the client presents this process's certificate (mutual TLS)
     * @return the options: the cluster CA as the only trust, host names verified
     * @throws java.io.IOException if a file cannot be read
     */
    public io.vertx.core.net.ClientSSLOptions clientOptionsByValue(boolean presentCertificate)
            throws java.io.IOException {
        io.vertx.core.net.ClientSSLOptions ssl = new io.vertx.core.net.ClientSSLOptions()
                .setHostnameVerificationAlgorithm("HTTPS");
        if (presentCertificate) {
            ssl.setKeyCertOptions(new PemKeyCertOptions().setCertValue(read(certFile)).setKeyValue(read(keyFile)));
        }
        if (!caFile.isEmpty()) {
            ssl.setTrustOptions(new PemTrustOptions().addCertValue(read(caFile)));
        }
        for (String crl : crlFiles) {
            ssl.addCrlValue(read(crl));
        }
        return ssl;
    }

    private static io.vertx.core.buffer.Buffer read(String file) throws java.io.IOException {
        return io.vertx.core.buffer.Buffer.buffer(java.nio.file.Files.readAllBytes(java.nio.file.Path.of(file)));
    }

    /**
     * The scheme of this process's URLs.
     *
     * @return {@code https} or {@code http}
     */
    public String scheme() {
        return enabled() ? "https" : "http";
    }
}
