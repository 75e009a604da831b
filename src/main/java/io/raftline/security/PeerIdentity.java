package io.raftline.security;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.security.auth.x500.X500Principal;

/**
 * The Raft node ids a TLS certificate speaks for. It exists because a peer must not be trusted by the id it claims in
 * a message: the id has to come from something the cluster CA signed. A node certificate names its node in a subject
 * alternative name URI {@code urn:raftline:node:<id>} (what {@code bin/tls-ca.sh DIR --node <id>} writes), or, for
 * certificates made by other tools, a subject common name {@code raftline-node-<id>}. A certificate may name several
 * ids (a process that runs several nodes); one that names none (the shared certificate {@code bin/tls-ca.sh} makes
 * without {@code --node}) is {@linkplain #anonymous() anonymous}: it proves membership of the CA, not a node. A
 * key-value client's certificate ({@code bin/tls-ca.sh DIR --client <name>}) is signed by the same CA but names a
 * client ({@code urn:raftline:client:<name>}, or the subject {@code CN=raftline-client-<name>}): it is
 * {@linkplain #client() a client's} and never speaks for a node, whatever {@code security.peer_identity} says.
 *
 * @param nodeIds the ids named, in increasing order (empty: anonymous)
 * @param client  whether the certificate names a key-value client (then it names no node)
 */
public record PeerIdentity(Set<Integer> nodeIds, boolean client) {

    /** The prefix of the subject alternative name URI that names a node. */
    public static final String URI_PREFIX = "urn:raftline:node:";

    /** The prefix of the subject alternative name URI that names a key-value client. */
    public static final String CLIENT_URI_PREFIX = "urn:raftline:client:";

    /** A certificate that names no node. */
    public static final PeerIdentity ANONYMOUS = new PeerIdentity(Set.of());

    /**
     * A certificate of the client CA ({@code tls.client_ca_file}): a key-value client's, whatever it names, since only
     * the cluster CA vouches for nodes.
     */
    public static final PeerIdentity CLIENT_CA = new PeerIdentity(Set.of(), true);

    /** The subject common name prefix of a key-value client's certificate made by other tools. */
    private static final Pattern CLIENT_COMMON_NAME = Pattern.compile("(?:^|,)\\s*CN=raftline-client-");

    /**
     * A node certificate's identity (or an anonymous one).
     *
     * @param nodeIds the ids named
     */
    public PeerIdentity(Set<Integer> nodeIds) {
        this(nodeIds, false);
    }

    private static final int SAN_URI = 6;
    private static final Pattern COMMON_NAME = Pattern.compile("(?:^|,)\\s*CN=raftline-node-([0-9]{1,9})\\s*(?:,|$)");

    /**
     * Freezes the ids.
     *
     * @param nodeIds the ids, each {@code > 0}
     */
    public PeerIdentity {
        nodeIds = java.util.Collections.unmodifiableSet(new TreeSet<>(nodeIds));
        if (client && !nodeIds.isEmpty()) {
            throw new IllegalArgumentException("a client's certificate names no node, got " + nodeIds);
        }
        for (int id : nodeIds) {
            if (id <= 0) {
                throw new IllegalArgumentException("a node id is > 0, got " + id);
            }
        }
    }

    /**
     * The identity of a certificate.
     *
     * @param cert the (already verified) certificate
     * @return the node ids it names
     */
    public static PeerIdentity of(X509Certificate cert) {
        Set<Integer> ids = new TreeSet<>();
        boolean client = false;
        Collection<List<?>> names;
        try {
            names = cert.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            names = null;
        }
        if (names != null) {
            for (List<?> name : names) {
                if (name.size() >= 2 && Integer.valueOf(SAN_URI).equals(name.get(0)) && name.get(1) instanceof String s
                        && s.startsWith(URI_PREFIX)) {
                    parseId(s.substring(URI_PREFIX.length())).ifPresent(ids::add);
                } else if (name.size() >= 2 && Integer.valueOf(SAN_URI).equals(name.get(0))
                        && name.get(1) instanceof String s && s.startsWith(CLIENT_URI_PREFIX)) {
                    client = true;
                }
            }
        }
        String subject = cert.getSubjectX500Principal().getName(X500Principal.RFC2253);
        Matcher m = COMMON_NAME.matcher(subject);
        if (m.find()) {
            parseId(m.group(1)).ifPresent(ids::add);
        }
        client |= CLIENT_COMMON_NAME.matcher(subject).find();
        // A certificate naming both a client and nodes is ambiguous: it is taken as a client's, which speaks for none.
        return client ? new PeerIdentity(Set.of(), true) : new PeerIdentity(ids);
    }

    /**
     * The identity of a peer's certificate chain, as TLS gives it (leaf first).
     *
     * @param chain the verified chain
     * @return the identity of its first certificate, anonymous if it is not X.509
     */
    public static PeerIdentity of(List<Certificate> chain) {
        return !chain.isEmpty() && chain.get(0) instanceof X509Certificate x ? of(x) : ANONYMOUS;
    }

    /**
     * The identity of the first certificate of a PEM file (the configuration's {@code tls.cert_file}).
     *
     * @param pem the file
     * @return the ids it names
     * @throws IOException if the file cannot be read
     * @throws GeneralSecurityException if it holds no X.509 certificate
     */
    public static PeerIdentity ofPem(Path pem) throws IOException, GeneralSecurityException {
        return of(firstCertificate(pem));
    }

    /**
     * The first certificate of a PEM file (the configuration's {@code tls.cert_file}).
     *
     * @param pem the file
     * @return the certificate
     * @throws IOException if the file cannot be read
     * @throws GeneralSecurityException if it holds no X.509 certificate
     */
    public static X509Certificate firstCertificate(Path pem) throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(pem)) {
            Certificate c = CertificateFactory.getInstance("X.509").generateCertificate(in);
            if (!(c instanceof X509Certificate x)) {
                throw new GeneralSecurityException("not an X.509 certificate");
            }
            return x;
        }
    }

    private static java.util.Optional<Integer> parseId(String text) {
        if (!text.matches("[0-9]{1,9}")) {
            return java.util.Optional.empty();
        }
        int id = Integer.parseInt(text);
        return id > 0 ? java.util.Optional.of(id) : java.util.Optional.empty();
    }

    /**
     * Whether the certificate names no node.
     *
     * @return true for a shared cluster certificate
     */
    public boolean anonymous() {
        return nodeIds.isEmpty();
    }

    /**
     * Whether the certificate speaks for a node.
     *
     * @param id the node
     * @return true if it names it
     */
    public boolean names(int id) {
        return nodeIds.contains(id);
    }

    @Override
    public String toString() {
        return client ? "a key-value client's certificate" : anonymous() ? "a certificate naming no node" : "the certificate of node " + nodeIds.stream()
                .map(String::valueOf).collect(java.util.stream.Collectors.joining(", "));
    }
}
