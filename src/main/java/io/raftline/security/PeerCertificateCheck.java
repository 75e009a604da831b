package io.raftline.security;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CRL;
import java.security.cert.CertPathValidator;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Decides whether a certificate chain that a peer offers on the clustered event bus may speak for a node id, before
 * a pair key is derived from it ({@link PeerFrameKeys}). What arrives over the bus (or sits in a cluster map anyone on
 * Hazelcast's port could write) is untrusted: the chain must lead to the cluster CA ({@code tls.ca_file}, PKIX,
 * validity dates included), none of its certificates may be on a revocation list of {@code tls.crl_files} signed by
 * that CA, its leaf must name exactly that node and no other ({@link PeerIdentity}), and carry an EC key (the key
 * agreement needs one). It exists apart from the TLS handshake's check because the event bus does not tell which
 * connection delivered a message: the chain offered here is checked on its own.
 *
 * <p>Immutable; {@link #load} reads files (call it on a worker), {@link #check} does not.
 */
public final class PeerCertificateCheck {

    private final Set<TrustAnchor> anchors;
    private final List<X509CRL> crls;

    /**
     * Creates the check from certificates already read.
     *
     * @param cas  the cluster CA's certificates, the only trust anchors
     * @param crls the revocation lists; a list no anchor signed is ignored (the configuration refuses those anyway,
     *             {@link RevocationLists})
     */
    public PeerCertificateCheck(Collection<X509Certificate> cas, Collection<X509CRL> crls) {
        if (cas.isEmpty()) {
            throw new IllegalArgumentException("no CA certificate to check peers against");
        }
        Set<TrustAnchor> a = new HashSet<>();
        for (X509Certificate ca : cas) {
            a.add(new TrustAnchor(ca, null));
        }
        this.anchors = Set.copyOf(a);
        List<X509Certificate> authorities = List.copyOf(cas);
        List<X509CRL> signed = new ArrayList<>();
        for (X509CRL crl : crls) {
            if (RevocationLists.signer(crl, authorities) != null) {
                signed.add(crl);
            }
        }
        this.crls = List.copyOf(signed);
    }

    /**
     * Reads the CA file and the revocation lists. Reads files: on a worker, or at start.
     *
     * @param caFile   {@code tls.ca_file}
     * @param crlFiles {@code tls.crl_files}
     * @return the check
     * @throws IOException              if a file cannot be read
     * @throws GeneralSecurityException if a file holds no certificate or list
     */
    public static PeerCertificateCheck load(Path caFile, List<String> crlFiles)
            throws IOException, GeneralSecurityException {
        List<X509Certificate> cas = RevocationLists.authorities(List.of(caFile.toString()));
        if (cas.isEmpty()) {
            throw new CertificateException(caFile + " holds no certificate");
        }
        List<X509CRL> lists = new ArrayList<>();
        for (String file : crlFiles) {
            try (InputStream in = Files.newInputStream(Path.of(file))) {
                for (CRL crl : CertificateFactory.getInstance("X.509").generateCRLs(in)) {
                    lists.add((X509CRL) crl);
                }
            }
        }
        return new PeerCertificateCheck(cas, lists);
    }

    /**
     * Parses a PEM chain, leaf first.
     *
     * @param pem the text
     * @return the certificates
     * @throws CertificateException if it holds none, or something else than X.509 certificates
     */
    public static List<X509Certificate> parse(String pem) throws CertificateException {
        List<X509Certificate> out = new ArrayList<>();
        for (Certificate c : CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
            if (!(c instanceof X509Certificate x)) {
                throw new CertificateException("not an X.509 certificate");
            }
            out.add(x);
        }
        if (out.isEmpty()) {
            throw new CertificateException("no certificate");
        }
        return out;
    }

    /**
     * Checks a chain offered for a node.
     *
     * @param pem    the chain, PEM, leaf first (what {@code tls.cert_file} holds)
     * @param nodeId the node it is offered for
     * @return the leaf, whose public key may be used for that node
     * @throws CertificateException saying why not
     */
    public X509Certificate check(String pem, int nodeId) throws CertificateException {
        return check(parse(pem), nodeId);
    }

    /**
     * Checks a chain offered for a node.
     *
     * @param chain  the chain, leaf first
     * @param nodeId the node it is offered for
     * @return the leaf
     * @throws CertificateException saying why not
     */
    public X509Certificate check(List<X509Certificate> chain, int nodeId) throws CertificateException {
        X509Certificate leaf = chain.get(0);
        // The path without its self-signed root: the anchor stands for it.
        List<X509Certificate> path = new ArrayList<>();
        for (X509Certificate c : chain) {
            if (!path.isEmpty() && c.getSubjectX500Principal().equals(c.getIssuerX500Principal())) {
                break;
            }
            path.add(c);
        }
        try {
            PKIXParameters params = new PKIXParameters(anchors);
            // Revocation is checked below against the configured lists only: the JVM's own checking would look for
            // lists and OCSP responders on the network.
            params.setRevocationEnabled(false);
            CertPathValidator.getInstance("PKIX")
                    .validate(CertificateFactory.getInstance("X.509").generateCertPath(path), params);
        } catch (GeneralSecurityException e) {
            throw new CertificateException("not a valid certificate of the cluster CA (" + e.getMessage() + ")", e);
        }
        for (X509Certificate c : path) {
            for (X509CRL crl : crls) {
                if (crl.getIssuerX500Principal().equals(c.getIssuerX500Principal()) && crl.isRevoked(c)) {
                    throw new CertificateException("revoked (serial " + c.getSerialNumber().toString(16)
                            + ", by a list of tls.crl_files)");
                }
            }
        }
        PeerIdentity identity = PeerIdentity.of(leaf);
        if (!identity.nodeIds().equals(Set.of(nodeId))) {
            throw new CertificateException("offered for node " + nodeId + " but it is " + identity);
        }
        if (!(leaf.getPublicKey() instanceof ECPublicKey)) {
            throw new CertificateException("its key is " + leaf.getPublicKey().getAlgorithm() + ", not EC: no key"
                    + " agreement with it");
        }
        return leaf;
    }
}
