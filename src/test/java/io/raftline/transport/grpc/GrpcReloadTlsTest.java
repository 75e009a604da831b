package io.raftline.transport.grpc;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.raftline.config.PeerIdentityPolicy;
import io.raftline.raft.message.Heartbeat;
import io.raftline.security.PeerGuard;
import io.raftline.transport.NetworkConditioner;
import io.raftline.transport.OnContext;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link GrpcTransport#reloadTls()} always completes: renewed TLS options that cannot be loaded into a peer's client
 * (whatever throws on the peer's context) fail the reload, which the certificate reloader reports, instead of
 * leaving it pending for ever.
 */
class GrpcReloadTlsTest {

    private Vertx vertx;

    @AfterEach
    void stop() throws Exception {
        if (vertx != null) {
            await(vertx.close(), Duration.ofSeconds(30));
        }
    }

    /** Options whose copy fails, as loading them into an HTTP client (which copies them) then does. */
    private static final class Unloadable extends ClientSSLOptions {
        @Override
        public ClientSSLOptions copy() {
            throw new IllegalStateException("these options cannot be loaded");
        }
    }

    @Test
    void aReloadThatThrowsOnThePeersContextFails() throws Exception {
        GrpcTransport transport = transport(Unloadable::new);
        Throwable failure = failureOf(transport.reloadTls());
        assertThat(failure).isInstanceOf(IllegalStateException.class).hasMessageContaining("cannot be loaded");
    }

    @Test
    void aReloadThatReadsNoOptionsFails() throws Exception {
        GrpcTransport transport = transport(() -> null);
        assertThat(failureOf(transport.reloadTls())).isNotNull();
    }

    /** The reload's failure, which must come within the wait (a reload that never completes fails the test). */
    private static Throwable failureOf(Future<Boolean> reload) {
        assertThatThrownBy(() -> await(reload, Duration.ofSeconds(10))).as("the reload failed")
                .isNotInstanceOf(io.raftline.verify.nemesis.Waits.TimedOutException.class);
        return reload.cause();
    }

    /** A transport with mutual TLS whose peer 3 has a client (made by a heartbeat lost for want of an address). */
    private GrpcTransport transport(Callable<ClientSSLOptions> renewed) throws Exception {
        vertx = Vertx.vertx();
        List<String> drops = java.util.Collections.synchronizedList(new ArrayList<>());
        GrpcTransport transport = new GrpcTransport(vertx, new NetworkConditioner(1), (m, reason) -> drops.add(reason),
                id -> Optional.empty(), Set.of(1, 3), GrpcTransport.Options.DEFAULTS, null,
                new GrpcTransport.PeerTls(new PemKeyCertOptions().setCertPath("node-1.pem").setKeyPath("node-1-key.pem"),
                        new PemTrustOptions().addCertPath("ca.pem"), new PeerGuard(PeerIdentityPolicy.NODE), renewed,
                        List.of()));
        OnContext.run(vertx.getOrCreateContext(), () -> transport.send(new Heartbeat(1, 3, 1, 0, 0)));
        assertThat(drops).as("the heartbeat, which made peer 3's client").containsExactly("no address");
        return transport;
    }
}
