package io.raftline.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pair keys of the clustered event bus ({@link PeerFrameKeys}) and the check of the certificates they come from
 * ({@link PeerCertificateCheck}), on certificates made by {@code bin/tls-ca.sh}: both ends of a pair derive the same
 * key and no third member can; a frame tagged by one member but claiming another is refused and its writer named;
 * certificates of another CA, of another node, of several nodes, of a client, or revoked, are refused.
 */
class PeerFrameKeysTest {

    private static final String SECRET = "pair-key-secret-of-the-test";
    private static final byte[] FRAME = "a raft frame".getBytes(StandardCharsets.UTF_8);
    /** What the event bus reads in clear before a frame (a group count of 1): under the tag too. */
    private static final byte[] HEADER = {0, 1};

    @TempDir
    static Path dir;

    @BeforeAll
    static void certificates() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl is needed to make certificates");
        for (String id : List.of("1", "2", "3", "4")) {
            TestCa.make(dir, "--node", id);
        }
        TestCa.make(dir, "--node", "1,2,3");
        TestCa.make(dir, "--client", "app");
        TestCa.make(dir.resolve("other"), "--node", "2");
        TestCa.make(dir, "--revoke", dir.resolve("node-4.pem").toString());
    }

    @Test
    void bothEndsOfAPairDeriveTheSameKeyAndAThirdMemberCannot() throws Exception {
        byte[] oneToTwo = PeerFrameKeys.pairKey(key(1), pub(2), SECRET, 1, 2);
        assertThat(PeerFrameKeys.pairKey(key(2), pub(1), SECRET, 1, 2)).isEqualTo(oneToTwo);
        // Directional: the other way is another key.
        assertThat(PeerFrameKeys.pairKey(key(1), pub(2), SECRET, 2, 1)).isNotEqualTo(oneToTwo);
        // Node 3 has the secret and both public keys, but only its own private key.
        assertThat(PeerFrameKeys.pairKey(key(3), pub(2), SECRET, 1, 2)).isNotEqualTo(oneToTwo);
        assertThat(PeerFrameKeys.pairKey(key(3), pub(1), SECRET, 1, 2)).isNotEqualTo(oneToTwo);
        // The secret is needed too.
        assertThat(PeerFrameKeys.pairKey(key(1), pub(2), SECRET + "x", 1, 2)).isNotEqualTo(oneToTwo);
    }

    @Test
    void aFrameIsAcceptedWithItsSendersTagOnly() throws Exception {
        PeerFrameKeys one = node(1, 2, 3);
        PeerFrameKeys two = node(2, 1, 3);
        PeerFrameKeys three = node(3, 1, 2);
        byte[] tag = one.tag(2, HEADER, FRAME);
        assertThat(two.verify(1, 2, HEADER, FRAME, tag)).isSameAs(PeerFrameKeys.Check.OK);
        // The tag is the documented one: HMAC-SHA256 under K(1 -> 2) of sender, receiver and frame.
        assertThat(tag).isEqualTo(tagWith(PeerFrameKeys.pairKey(key(1), pub(2), SECRET, 1, 2), 1, 2, HEADER, FRAME));
        assertThat(one.verify(2, 1, HEADER, FRAME, two.tag(1, HEADER, FRAME))).isSameAs(PeerFrameKeys.Check.OK);
        // Altered, or reflected back to its writer as if the receiver had sent it.
        byte[] altered = FRAME.clone();
        altered[0] ^= 1;
        assertThat(two.verify(1, 2, HEADER, altered, tag).verdict()).isEqualTo(PeerFrameKeys.Verdict.BAD_TAG);
        assertThat(two.verify(1, 2, new byte[] {0, 2}, FRAME, tag).verdict()).isEqualTo(PeerFrameKeys.Verdict.BAD_TAG);
        assertThat(one.verify(2, 1, HEADER, FRAME, tag).verdict()).isEqualTo(PeerFrameKeys.Verdict.BAD_TAG);
        // For another receiver.
        assertThat(three.verify(1, 2, HEADER, FRAME, tag).verdict()).isEqualTo(PeerFrameKeys.Verdict.NOT_FOR_ME);
    }

    @Test
    void aThirdMemberClaimingTheSenderIsRefusedAndNamed() throws Exception {
        PeerFrameKeys two = node(2, 1, 3);
        PeerFrameKeys three = node(3, 1, 2);
        // Node 3 tags with its own key for node 2 and claims to be node 1 in the header.
        byte[] forged = tagWith(PeerFrameKeys.pairKey(key(3), pub(2), SECRET, 3, 2), 1, 2, HEADER, FRAME);
        assertThat(two.verify(1, 2, HEADER, FRAME, forged)).isEqualTo(new PeerFrameKeys.Check(
                PeerFrameKeys.Verdict.OTHER_WRITER, 3));
        // Its best guesses at node 1's key are nobody's.
        for (byte[] guess : List.of(PeerFrameKeys.pairKey(key(3), pub(2), SECRET, 1, 2),
                PeerFrameKeys.pairKey(key(3), pub(1), SECRET, 1, 2))) {
            assertThat(two.verify(1, 2, HEADER, FRAME, tagWith(guess, 1, 2, HEADER, FRAME)).verdict())
                    .isEqualTo(PeerFrameKeys.Verdict.BAD_TAG);
        }
        // What node 3 sends as itself passes.
        assertThat(two.verify(3, 2, HEADER, FRAME, three.tag(2, HEADER, FRAME))).isSameAs(PeerFrameKeys.Check.OK);
        assertThat(three.verify(3, 2, HEADER, FRAME, three.tag(2, HEADER, FRAME)).verdict())
                .isEqualTo(PeerFrameKeys.Verdict.NOT_FOR_ME);
    }

    @Test
    void anUnknownSenderIsRefusedUntilItsCertificateIsAccepted() throws Exception {
        PeerFrameKeys one = node(1, 2);
        PeerFrameKeys two = new PeerFrameKeys(2, SECRET, key(2));
        byte[] tag = one.tag(2, HEADER, FRAME);
        assertThat(two.knows(1)).isFalse();
        assertThat(two.verify(1, 2, HEADER, FRAME, tag).verdict()).isEqualTo(PeerFrameKeys.Verdict.UNKNOWN_SENDER);
        assertThat(two.tag(1, HEADER, FRAME)).isNull();
        two.accept(1, pub(1));
        assertThat(two.verify(1, 2, HEADER, FRAME, tag)).isSameAs(PeerFrameKeys.Check.OK);
        // No key of its own yet: nothing can be accepted.
        assertThatThrownBy(() -> new PeerFrameKeys(2, SECRET, null).accept(1, pub(1)))
                .hasMessageContaining("own key");
    }

    @Test
    void aRenewedKeyChangesThePairKeys() throws Exception {
        PeerFrameKeys one = node(1, 2);
        PeerFrameKeys two = node(2, 1);
        byte[] before = two.tag(1, HEADER, FRAME);
        // Node 2 renews its key (node 4's stands in for the new one); node 1 still has the old certificate.
        two.own(key(4));
        byte[] after = two.tag(1, HEADER, FRAME);
        assertThat(after).isNotEqualTo(before);
        assertThat(one.verify(2, 1, HEADER, FRAME, after).verdict()).isEqualTo(PeerFrameKeys.Verdict.BAD_TAG);
        one.accept(2, pub(4));
        assertThat(one.verify(2, 1, HEADER, FRAME, after)).isSameAs(PeerFrameKeys.Check.OK);
        assertThat(one.uses(2, pub(4))).isTrue();
    }

    @Test
    void onlyACertificateOfTheClusterCaNamingExactlyThatNodePasses() throws Exception {
        PeerCertificateCheck check = PeerCertificateCheck.load(dir.resolve("ca.pem"),
                List.of(dir.resolve("crl.pem").toString()));
        assertThat(check.check(pem("node-2.pem"), 2).getPublicKey()).isEqualTo(pub(2));
        assertThatThrownBy(() -> check.check(pem("node-3.pem"), 2)).isInstanceOf(CertificateException.class)
                .hasMessageContaining("offered for node 2").hasMessageContaining("node 3");
        assertThatThrownBy(() -> check.check(pem("other/node-2.pem"), 2)).isInstanceOf(CertificateException.class)
                .hasMessageContaining("not a valid certificate of the cluster CA");
        assertThatThrownBy(() -> check.check(pem("node-1-2-3.pem"), 2)).isInstanceOf(CertificateException.class)
                .hasMessageContaining("node 1, 2, 3");
        assertThatThrownBy(() -> check.check(pem("client-app.pem"), 2)).isInstanceOf(CertificateException.class)
                .hasMessageContaining("client");
        assertThatThrownBy(() -> check.check(pem("node-4.pem"), 4)).isInstanceOf(CertificateException.class)
                .hasMessageContaining("revoked");
        assertThatThrownBy(() -> check.check("not a certificate", 2)).isInstanceOf(CertificateException.class);
        // Without the list, node 4's certificate was good: the list is what refuses it.
        assertThat(PeerCertificateCheck.load(dir.resolve("ca.pem"), List.of()).check(pem("node-4.pem"), 4))
                .isNotNull();
        // A list of another CA revokes nothing here (and the configuration refuses it anyway).
        TestCa.make(dir.resolve("other"), "--crl");
        assertThat(PeerCertificateCheck.load(dir.resolve("ca.pem"), List.of(dir.resolve("other/crl.pem").toString()))
                .check(pem("node-2.pem"), 2)).isNotNull();
    }

    // ---------------------------------------------------------------- helpers

    /**
     * The tag of a frame under a given key, written from the wire format's description (HMAC-SHA256 of the sender,
     * the receiver, each 4 bytes big-endian, the rest of the header and the frame) rather than with the production
     * code: what a forger with that key would send.
     */
    static byte[] tagWith(byte[] key, int from, int to, byte[] header, byte[] frame) throws Exception {
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec(key, "HmacSHA256"));
        mac.update(java.nio.ByteBuffer.allocate(8).putInt(from).putInt(to).array());
        mac.update(header);
        return mac.doFinal(frame);
    }

    /** Node {@code self}'s keys, having accepted the peers' certificates. */
    private static PeerFrameKeys node(int self, int... peers) throws Exception {
        PeerFrameKeys keys = new PeerFrameKeys(self, SECRET, key(self));
        for (int p : peers) {
            keys.accept(p, pub(p));
        }
        return keys;
    }

    private static String pem(String file) throws Exception {
        return Files.readString(dir.resolve(file));
    }

    private static PublicKey pub(int id) throws Exception {
        return TestCa.certificate(dir.resolve("node-" + id + ".pem")).getPublicKey();
    }

    private static PrivateKey key(int id) throws Exception {
        String pem = Files.readString(dir.resolve("node-" + id + "-key.pem"));
        String body = pem.replaceAll("-----[A-Z ]+-----", "");
        return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(Base64.getMimeDecoder()
                .decode(body)));
    }
}
