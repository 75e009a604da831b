package io.raftline.security;

import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.config.ClientCertAuth;
import io.raftline.config.PeerIdentityPolicy;
import io.raftline.config.TlsConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How nodes learn each other's certificates ({@link PeerKeyExchange}), on one Vert.x instance whose event bus stands
 * for the clustered one (the exchange only uses addresses): the first contact teaches both sides, a renewed
 * certificate is announced and taken, a certificate revoked by a reloaded list is forgotten, and a chain offered for
 * a node it does not name, or of another CA, is refused and counted while the key in use stays.
 */
class PeerKeyExchangeTest {

    private static final String SECRET = "exchange-secret-of-the-test";
    private static final byte[] FRAME = "frame".getBytes(StandardCharsets.UTF_8);
    /** What the event bus reads in clear before a frame (a group count of 1). */
    private static final byte[] HEADER = {0, 1};
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;
    private Vertx vertx;
    private final PeerGuard guard1 = new PeerGuard(PeerIdentityPolicy.NODE);
    private final PeerGuard guard2 = new PeerGuard(PeerIdentityPolicy.NODE);
    private PeerKeyExchange one;
    private PeerKeyExchange two;
    private PeerKeyExchange three;

    @BeforeEach
    void start() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl is needed to make certificates");
        for (String id : List.of("1", "2", "3")) {
            TestCa.make(dir, "--node", id);
        }
        TestCa.make(dir.resolve("other"), "--node", "2");
        TestCa.make(dir, "--crl");
        // What node 1 and node 2 are configured with: copies that the test replaces as a renewal would.
        copy("crl.pem", "node-1-crl.pem");
        copy("node-2.pem", "live-2.pem");
        copy("node-2-key.pem", "live-2-key.pem");
        vertx = Vertx.vertx();
        one = new PeerKeyExchange(vertx, 1, SECRET, tls("node-1", List.of("node-1-crl.pem")), guard1);
        two = new PeerKeyExchange(vertx, 2, SECRET, tls("live-2", List.of()), guard2);
        three = new PeerKeyExchange(vertx, 3, SECRET, tls("node-3", List.of()), new PeerGuard(PeerIdentityPolicy.NODE));
        get(Future.all(one.start(), two.start(), three.start()));
    }

    @AfterEach
    void stop() throws Exception {
        if (vertx != null) {
            get(vertx.close());
        }
    }

    @Test
    void theFirstContactTeachesBothSidesAndTheirKeysAgree() throws Exception {
        assertThat(one.keys().knows(2)).isFalse();
        one.want(2);
        eventually("nodes 1 and 2 know each other", WAIT, () -> one.keys().knows(2) && two.keys().knows(1));
        assertThat(two.keys().verify(1, 2, HEADER, FRAME, one.keys().tag(2, HEADER, FRAME))).isSameAs(PeerFrameKeys.Check.OK);
        assertThat(one.keys().verify(2, 1, HEADER, FRAME, two.keys().tag(1, HEADER, FRAME))).isSameAs(PeerFrameKeys.Check.OK);
        // Asking again at once is held back (once per interval per peer); nothing breaks.
        one.want(2);
        one.want(2);
        assertThat(guard1.refusals(PeerGuard.Reason.BAD_CERTIFICATE)).isZero();
    }

    @Test
    void aRenewedCertificateIsAnnouncedAndTaken() throws Exception {
        one.want(2);
        eventually("nodes 1 and 2 know each other", WAIT, () -> one.keys().knows(2) && two.keys().knows(1));
        byte[] before = two.keys().tag(1, HEADER, FRAME);
        // Node 2's certificate and key are renewed (a new key pair from the same CA).
        TestCa.make(dir, "--node", "2");
        copy("node-2.pem", "live-2.pem");
        copy("node-2-key.pem", "live-2-key.pem");
        assertThat(get(two.reload())).isTrue();
        byte[] after = two.keys().tag(1, HEADER, FRAME);
        assertThat(after).isNotEqualTo(before);
        eventually("node 1 takes node 2's announced certificate", WAIT,
                () -> one.keys().verify(2, 1, HEADER, FRAME, after) == PeerFrameKeys.Check.OK);
        assertThat(two.keys().verify(1, 2, HEADER, FRAME, one.keys().tag(2, HEADER, FRAME))).isSameAs(PeerFrameKeys.Check.OK);
        // Nothing changed: nothing announced.
        assertThat(get(two.reload())).isFalse();
    }

    @Test
    void aRenewedCertificateReachesAPeerThatNeverHeldTheOldOne() throws Exception {
        // Node 1 asked both (a candidate, then the leader); nodes 2 and 3 never sent each other anything (two followers
        // that never campaigned), so node 2 has no key of node 3 when node 3 renews its certificate.
        one.want(2);
        one.want(3);
        eventually("node 1 and its peers know each other", WAIT, () -> one.keys().knows(2) && one.keys().knows(3)
                && two.keys().knows(1) && three.keys().knows(1));
        assertThat(two.keys().knows(3)).isFalse();
        TestCa.make(dir, "--node", "3");
        java.security.PublicKey renewed = TestCa.certificate(dir.resolve("node-3.pem")).getPublicKey();
        assertThat(get(three.reload())).isTrue();
        // The announcement teaches node 2 the renewed certificate as its first one (logged "verified", not "renewed
        // keys with": there was no old key to renew), and node 1 switches from the old one.
        eventually("nodes 1 and 2 use node 3's renewed key", WAIT,
                () -> one.keys().uses(3, renewed) && two.keys().uses(3, renewed));
        assertThat(one.keys().verify(3, 1, HEADER, FRAME, three.keys().tag(1, HEADER, FRAME))).isSameAs(PeerFrameKeys.Check.OK);
        // The announcement goes one way: node 3 learns node 2 when it first sends to it (it asks, as any node does).
        assertThat(three.keys().knows(2)).isFalse();
        three.want(2);
        eventually("node 3 knows node 2", WAIT, () -> three.keys().knows(2));
        assertThat(two.keys().verify(3, 2, HEADER, FRAME, three.keys().tag(2, HEADER, FRAME))).isSameAs(PeerFrameKeys.Check.OK);
        assertThat(three.keys().verify(2, 3, HEADER, FRAME, two.keys().tag(3, HEADER, FRAME))).isSameAs(PeerFrameKeys.Check.OK);
        assertThat(guard2.refusals(PeerGuard.Reason.BAD_CERTIFICATE)).isZero();
    }

    @Test
    void aCertificateRevokedByAReloadedListIsForgotten() throws Exception {
        one.want(3);
        eventually("node 1 knows node 3", WAIT, () -> one.keys().knows(3));
        TestCa.make(dir, "--revoke", dir.resolve("node-3.pem").toString());
        copy("crl.pem", "node-1-crl.pem");
        get(one.reload());
        assertThat(one.keys().knows(3)).isFalse();
        assertThat(guard1.refusals(PeerGuard.Reason.BAD_CERTIFICATE)).isEqualTo(1);
        // Asked again, node 3 offers the same revoked certificate: refused.
        Thread.sleep(PeerKeyExchange.ASK_INTERVAL_MS + 50);
        one.want(3);
        eventually("node 3's offer refused", WAIT, () -> guard1.refusals(PeerGuard.Reason.BAD_CERTIFICATE) == 2);
        assertThat(one.keys().knows(3)).isFalse();
    }

    @Test
    void aChainThatDoesNotSpeakForTheNodeIsRefusedAndTheKeyInUseStays() throws Exception {
        one.want(2);
        eventually("node 1 knows node 2", WAIT, () -> one.keys().knows(2));
        java.security.PublicKey two2 = TestCa.certificate(dir.resolve("live-2.pem")).getPublicKey();
        for (JsonObject offer : List.of(
                new JsonObject().put("id", 2).put("pem", Files.readString(dir.resolve("other/node-2.pem"))),
                new JsonObject().put("id", 2).put("pem", Files.readString(dir.resolve("node-3.pem"))),
                new JsonObject().put("id", 2).put("pem", "junk"),
                new JsonObject().put("id", "2"))) {
            get(vertx.eventBus().request(PeerKeyExchange.ADDRESS_PREFIX + 1, offer));
        }
        assertThat(guard1.refusals(PeerGuard.Reason.BAD_CERTIFICATE)).isEqualTo(4);
        assertThat(one.keys().uses(2, two2)).isTrue();
    }

    // ---------------------------------------------------------------- helpers

    private TlsConfig tls(String cert, List<String> crls) {
        return new TlsConfig(dir.resolve(cert + ".pem").toString(), dir.resolve(cert + "-key.pem").toString(),
                dir.resolve("ca.pem").toString(), ClientCertAuth.NONE, TlsConfig.DEFAULT_RELOAD_INTERVAL_MS, "",
                crls.stream().map(f -> dir.resolve(f).toString()).toList());
    }

    private void copy(String from, String to) throws Exception {
        Files.copy(dir.resolve(from), dir.resolve(to), StandardCopyOption.REPLACE_EXISTING);
    }

    private static <T> T get(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
}
