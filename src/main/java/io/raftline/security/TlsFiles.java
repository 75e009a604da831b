package io.raftline.security;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks the PEM files of the {@code tls} section when the configuration is read. Vert.x reads them only when the
 * first listener binds, after the node has opened its storage (and, alone, elected itself), and its refusal names
 * neither the setting nor the fault in terms an operator can act on ("Missing -----BEGIN PRIVATE KEY----- ...
 * delimiter" for a certificate given as the key). Here a directory, a file without a certificate, a damaged block, a
 * key file without a key, an encrypted key and a key that is not the certificate's are each refused before anything
 * starts, in a message that the configuration prefixes with the field's name.
 *
 * <p>What is accepted is what Vert.x's PEM options load: certificates in {@code BEGIN CERTIFICATE} blocks (anything
 * between them is ignored, as Vert.x ignores it), keys in PKCS#8 ({@code BEGIN PRIVATE KEY}), PKCS#1
 * ({@code BEGIN RSA PRIVATE KEY}) or SEC 1 ({@code BEGIN EC PRIVATE KEY}). Whether the key is the certificate's is
 * checked for PKCS#8 keys (what bin/tls-ca.sh writes); the two older formats are only checked to be there.
 */
public final class TlsFiles {

    private static final Pattern CERTIFICATE =
            Pattern.compile("-----BEGIN CERTIFICATE-----([^-]*)-----END CERTIFICATE-----");
    private static final Pattern KEY = Pattern.compile("-----BEGIN ((?:RSA |EC |ENCRYPTED )?PRIVATE KEY)-----");

    private TlsFiles() {
    }

    /**
     * Reads the certificates of a PEM file: {@code cert_file} (this process's certificate, then its chain),
     * {@code ca_file} or {@code client_ca_file}.
     *
     * @param file the file
     * @return its certificates, at least one, in the file's order
     * @throws IOException if it is not a readable file or holds no usable certificate; the message says which and why
     */
    public static List<X509Certificate> certificates(Path file) throws IOException {
        String pem = text(file);
        List<X509Certificate> out = new ArrayList<>();
        Matcher m = CERTIFICATE.matcher(pem);
        CertificateFactory factory;
        try {
            factory = CertificateFactory.getInstance("X.509");
        } catch (CertificateException e) {
            throw new IllegalStateException("the JVM has no X.509 certificate factory", e);
        }
        while (m.find()) {
            try {
                byte[] der = Base64.getMimeDecoder().decode(m.group(1).trim());
                out.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der)));
            } catch (IllegalArgumentException | CertificateException e) {
                throw new IOException(file + ": certificate " + (out.size() + 1) + " is damaged (" + e.getMessage()
                        + ")", e);
            }
        }
        if (out.isEmpty()) {
            throw new IOException(file + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
                    + (KEY.matcher(pem).find() ? ", only a private key: is it the key file?" : ""));
        }
        return out;
    }

    /**
     * Checks {@code key_file}: a private key Vert.x can load, and, in PKCS#8, the key of the certificate.
     *
     * @param file        the key file
     * @param certificate this process's certificate (the first of {@code cert_file})
     * @param certFile    the certificate's file, for the message
     * @throws IOException if the file is not a readable file, holds no usable key, or holds another certificate's;
     *                     the message says which and why
     */
    public static void checkKey(Path file, X509Certificate certificate, Path certFile) throws IOException {
        String pem = text(file);
        Matcher m = KEY.matcher(pem);
        if (!m.find()) {
            throw new IOException(file + " holds no PEM private key (-----BEGIN PRIVATE KEY-----, or RSA PRIVATE KEY"
                    + " or EC PRIVATE KEY)" + (CERTIFICATE.matcher(pem).find() ? ", only certificates: is it the"
                    + " certificate file?" : ""));
        }
        switch (m.group(1)) {
            case "ENCRYPTED PRIVATE KEY" -> throw new IOException(file + " holds an encrypted private key, which a node"
                    + " cannot read without a passphrase; write it unencrypted (openssl pkcs8 -topk8 -nocrypt -in "
                    + file + ") and protect the file instead (chmod 600)");
            case "PRIVATE KEY" -> {
                PrivateKey key;
                try {
                    key = PemKeys.read(file);
                } catch (GeneralSecurityException e) {
                    throw new IOException(file + ": " + e.getMessage(), e);
                }
                boolean matches;
                try {
                    matches = CertificateReloader.matches(key, certificate.getPublicKey());
                } catch (Exception e) {
                    matches = false; // a key of another algorithm than the certificate's: cannot sign for it
                }
                if (!matches) {
                    throw new IOException(file + " is not the private key of the certificate in " + certFile + " ("
                            + certificate.getSubjectX500Principal().getName() + ")");
                }
            }
            default -> {
                // PKCS#1 or SEC 1: Vert.x loads them; there is no reader of these in the JDK to compare the key with
            }
        }
    }

    private static String text(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new IOException(file + " is a directory, not a PEM file");
        }
        if (!Files.isReadable(file)) {
            throw new IOException("cannot read " + file + " (a PEM file; bin/tls-ca.sh makes some for trials)");
        }
        return new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
    }
}
