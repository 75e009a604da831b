package io.raftline.security;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CRL;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * Checks the certificate revocation lists of {@code tls.crl_files} before they are applied, because Vert.x does not:
 * it matches the issuer name and serial number of each certificate against every list it is given, whoever signed the
 * list and however old it is. So a list of the wrong CA (a copy-paste between environments) revokes nothing and says
 * nothing, and a list nobody renewed keeps being applied, silently missing every revocation made since.
 *
 * <p>Here a list must be signed by a CA the node trusts for certificates ({@code tls.ca_file} or
 * {@code tls.client_ca_file}; the JVM's trusted CAs when neither is set): one that is not is refused at start (a
 * configuration error naming the list) and at a reload (the lists loaded before stay). A list past its next update is
 * <em>reported, not refused</em>: every node of a cluster reads the same list, so refusing certificates once it is out
 * of date would cut every peer link and client at the same moment over a missed renewal, while the revocations it
 * holds stay true (a revoked certificate never comes back). What it misses are the revocations made after it; the log
 * says so, and {@code raftline_tls_crl_next_update_seconds} lets monitoring warn before it happens.
 */
public final class RevocationLists {

    /**
     * A list that is not usable: not a revocation list, or signed by no trusted CA.
     */
    public static final class Invalid extends Exception {
        private static final long serialVersionUID = 1L;
        private final int index;

        Invalid(int index, String message) {
            super(message);
            this.index = index;
        }

        /**
         * Which file of {@code tls.crl_files}.
         *
         * @return its index
         */
        public int index() {
            return index;
        }
    }

    /**
     * The lists read and checked.
     *
     * @param files      the files, as configured
     * @param nextUpdate the earliest next update of all of them, or null if none gives one
     */
    public record Checked(List<String> files, Instant nextUpdate) {

        /**
         * Whether a list is past its next update.
         *
         * @param now the time
         * @return true if stale
         */
        public boolean stale(Instant now) {
            return nextUpdate != null && now.isAfter(nextUpdate);
        }

        /**
         * What to tell the operator of a stale list.
         *
         * @return the message
         */
        public String staleMessage() {
            return "the certificate revocation list " + files + " is out of date (next update was " + nextUpdate
                    + "): it is still applied, but revocations made since are not; write a new one (bin/tls-ca.sh DIR"
                    + " --crl, or fetch it from your CA) and the nodes read it within tls.reload_interval_ms";
        }
    }

    private RevocationLists() {
    }

    /**
     * Reads every list and checks that a trusted CA signed it. Reads files: call it on a worker or at start.
     *
     * @param crlFiles the lists (PEM or DER; a file may hold several)
     * @param caFiles  the CAs' PEM files (empty: the JVM's trusted CAs)
     * @return the lists' earliest next update
     * @throws Invalid if a list cannot be read, holds none, or no trusted CA signed it
     */
    public static Checked check(List<String> crlFiles, List<String> caFiles) throws Invalid {
        List<X509Certificate> cas;
        try {
            cas = authorities(caFiles);
        } catch (IOException | GeneralSecurityException e) {
            throw new Invalid(0, "cannot read the CA certificates " + caFiles + " that sign the lists: "
                    + e.getMessage());
        }
        Instant earliest = null;
        for (int i = 0; i < crlFiles.size(); i++) {
            String file = crlFiles.get(i);
            for (X509CRL crl : read(i, file)) {
                if (signer(crl, cas) == null) {
                    throw new Invalid(i, file + " is signed by no CA this node trusts ("
                            + (caFiles.isEmpty() ? "the JVM's" : String.join(", ", caFiles)) + "); its issuer is "
                            + crl.getIssuerX500Principal().getName() + ": a list of another CA would revoke nothing");
                }
                if (crl.getNextUpdate() != null) {
                    Instant next = crl.getNextUpdate().toInstant();
                    earliest = earliest == null || next.isBefore(earliest) ? next : earliest;
                }
            }
        }
        return new Checked(List.copyOf(crlFiles), earliest);
    }

    private static List<X509CRL> read(int index, String file) throws Invalid {
        Collection<? extends CRL> crls;
        try (InputStream in = Files.newInputStream(Path.of(file))) {
            crls = CertificateFactory.getInstance("X.509").generateCRLs(in);
        } catch (IOException e) {
            throw new Invalid(index, "cannot read " + file + " (" + e.getMessage() + ")");
        } catch (GeneralSecurityException e) {
            throw new Invalid(index, file + " is not a certificate revocation list (PEM or DER): " + e.getMessage());
        }
        if (crls.isEmpty()) {
            throw new Invalid(index, file + " holds no certificate revocation list (PEM or DER; bin/tls-ca.sh DIR"
                    + " --revoke CERT.pem writes one)");
        }
        List<X509CRL> out = new ArrayList<>();
        for (CRL c : crls) {
            out.add((X509CRL) c);
        }
        return out;
    }

    /** The CA whose name is the list's issuer and whose key verifies its signature, or null. */
    static X509Certificate signer(X509CRL crl, List<X509Certificate> cas) {
        for (X509Certificate ca : cas) {
            if (!ca.getSubjectX500Principal().equals(crl.getIssuerX500Principal())) {
                continue;
            }
            try {
                crl.verify(ca.getPublicKey());
                return ca;
            } catch (GeneralSecurityException e) {
                // Same name, another key (a CA re-keyed, or one that only claims the name): try the next.
            }
        }
        return null;
    }

    /** The CA certificates of {@code caFiles} (every certificate of each), or the JVM's trusted CAs if none. */
    static List<X509Certificate> authorities(List<String> caFiles)
            throws IOException, GeneralSecurityException {
        List<X509Certificate> out = new ArrayList<>();
        if (caFiles.isEmpty()) {
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init((java.security.KeyStore) null);
            for (TrustManager m : factory.getTrustManagers()) {
                if (m instanceof X509TrustManager x) {
                    out.addAll(Arrays.asList(x.getAcceptedIssuers()));
                }
            }
            return out;
        }
        for (String file : caFiles) {
            // The reader the configuration's check uses: the lists are checked against the certificates it accepted.
            out.addAll(TlsFiles.certificates(Path.of(file)));
        }
        return out;
    }
}
