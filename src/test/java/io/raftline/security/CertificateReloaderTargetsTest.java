package io.raftline.security;

import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.config.ClientCertAuth;
import io.raftline.config.TlsConfig;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reload target that misbehaves costs one check, never the reloader: one whose future never completes and one that
 * throws instead of returning a future are counted as failed, the other targets are still asked, and the next check
 * asks them all again, so that the renewal is loaded once they answer. Before targets had a deadline, the first
 * never-completed future left the reloader "checking" for good: no renewal was picked up again, and nothing said so.
 */
class CertificateReloaderTargetsTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;
    private Vertx vertx;

    @BeforeEach
    void start() {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl is needed to make certificates");
        vertx = Vertx.vertx();
    }

    @AfterEach
    void stop() throws Exception {
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aTargetThatNeverAnswersDoesNotStopLaterReloads() throws Exception {
        CertificateReloader reloader = reloader();
        AtomicInteger stuckAsked = new AtomicInteger();
        AtomicInteger sound = new AtomicInteger();
        // The first time asked, it never answers: its future is left incomplete.
        reloader.register("stuck the first time", () -> stuckAsked.incrementAndGet() == 1
                ? Promise.<Boolean>promise().future() : Future.succeededFuture(true));
        reloader.register("sound", () -> {
            sound.incrementAndGet();
            return Future.succeededFuture(true);
        });
        start(reloader);
        renew();
        eventually("the renewal is loaded once every target answered", WAIT, () -> reloader.reloads() == 1);
        assertThat(stuckAsked.get()).as("the target that never answered was asked again").isGreaterThanOrEqualTo(2);
        assertThat(sound.get()).as("the sound target was asked by the failed check too").isGreaterThanOrEqualTo(2);
        assertThat(reloader.failures()).isPositive();
        reloader.stop();
    }

    @Test
    void aTargetThatThrowsCostsOneCheckAndTheOthersAreStillAsked() throws Exception {
        CertificateReloader reloader = reloader();
        AtomicInteger throwerAsked = new AtomicInteger();
        AtomicInteger sound = new AtomicInteger();
        reloader.register("throws the first time", () -> {
            if (throwerAsked.incrementAndGet() == 1) {
                throw new IllegalStateException("thrown before any future");
            }
            return Future.succeededFuture(true);
        });
        reloader.register("sound", () -> {
            sound.incrementAndGet();
            return Future.succeededFuture(true);
        });
        start(reloader);
        renew();
        eventually("the renewal is loaded once every target answered", WAIT, () -> reloader.reloads() == 1);
        assertThat(throwerAsked.get()).as("the target that threw was asked again").isGreaterThanOrEqualTo(2);
        assertThat(sound.get()).as("the sound target was asked by the failed check too").isGreaterThanOrEqualTo(2);
        reloader.stop();
    }

    /** A reloader of a node certificate copied aside (as deployed), checking often, giving targets 300 ms. */
    private CertificateReloader reloader() throws Exception {
        TestCa.make(dir, "--node", "1");
        copy("node-1.pem", "live.pem");
        copy("node-1-key.pem", "live-key.pem");
        TlsConfig tls = new TlsConfig(dir.resolve("live.pem").toString(), dir.resolve("live-key.pem").toString(),
                dir.resolve("ca.pem").toString(), ClientCertAuth.NONE, 50, "", List.of());
        return new CertificateReloader(vertx, tls, 50, 300);
    }

    private static void start(CertificateReloader reloader) throws Exception {
        reloader.start().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    /** A renewal: a new key and certificate of the same CA (the key first, as a renewal tool would rename them). */
    private void renew() throws Exception {
        TestCa.make(dir, "--node", "1");
        copy("node-1-key.pem", "live-key.pem");
        copy("node-1.pem", "live.pem");
    }

    private void copy(String from, String to) throws Exception {
        Path tmp = dir.resolve(to + ".tmp");
        Files.copy(dir.resolve(from), tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, dir.resolve(to), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
