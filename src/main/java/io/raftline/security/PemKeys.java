package io.raftline.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;

/**
 * Reads a private key from a PKCS#8 PEM file ({@code BEGIN PRIVATE KEY}, what bin/tls-ca.sh writes), for the code
 * that needs the key itself rather than a TLS context: the command line's client certificate and the event bus's
 * pair keys. One reader, so that both accept the same files and say the same about the others.
 */
public final class PemKeys {

    private PemKeys() {
    }

    /**
     * Reads the key.
     *
     * @param file the PEM file
     * @return the key: EC, RSA or EdDSA
     * @throws IOException if the file cannot be read
     * @throws GeneralSecurityException if it holds no such key; the message says why, without the file's name first
     */
    public static PrivateKey read(Path file) throws IOException, GeneralSecurityException {
        String pem = Files.readString(file, StandardCharsets.US_ASCII);
        String beginMarker = "-----BEGIN PRIVATE KEY-----";
        int begin = pem.indexOf(beginMarker);
        int end = pem.indexOf("-----END PRIVATE KEY-----");
        if (begin < 0 || end < begin) {
            throw new GeneralSecurityException("not a PKCS#8 PEM private key (BEGIN PRIVATE KEY); convert it with:"
                    + " openssl pkcs8 -topk8 -nocrypt -in " + file);
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(pem.substring(begin + beginMarker.length(), end));
        } catch (IllegalArgumentException e) {
            throw new GeneralSecurityException("damaged PEM (" + e.getMessage() + ")", e);
        }
        for (String algorithm : new String[] {"EC", "RSA", "Ed25519", "Ed448"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // not this algorithm: try the next one
            }
        }
        throw new GeneralSecurityException("not an EC, RSA or EdDSA private key");
    }
}
