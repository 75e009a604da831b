package io.raftline.server;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.raftline.verify.nemesis.Waits;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A node's client for the other nodes' client ports ({@link PeerHttpClient}) keeps connections to the leader alive;
 * when the leader's process dies they read a reset. That is routine for a Raft cluster (members crash by design) and
 * must not come out as an ERROR line that names nothing ("Connection reset", one to three per crash on each survivor
 * before): it is logged at debug level with the peer's address.
 */
class ConnectionResetTest {

    private static final String CONNECTION_BASE = "io.vertx.core.net.impl.ConnectionBase";

    private Vertx vertx;
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    private Level clientLevel;

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
        logged.start();
        ((Logger) LoggerFactory.getLogger(CONNECTION_BASE)).addAppender(logged);
        Logger client = (Logger) LoggerFactory.getLogger(PeerHttpClient.class);
        clientLevel = client.getLevel();
        client.setLevel(Level.DEBUG);
        client.addAppender(logged);
    }

    @AfterEach
    void stop() throws Exception {
        ((Logger) LoggerFactory.getLogger(CONNECTION_BASE)).detachAppender(logged);
        Logger client = (Logger) LoggerFactory.getLogger(PeerHttpClient.class);
        client.detachAppender(logged);
        client.setLevel(clientLevel);
        await(vertx.close(), Duration.ofSeconds(20));
    }

    @Test
    void aPeerWhoseProcessDiesResetsAKeptConnectionWithoutAnErrorLine() throws Exception {
        HttpClientAgent client = PeerHttpClient.create(vertx, new HttpClientOptions().setKeepAlive(true),
                new PoolOptions().setHttp1MaxSize(4));
        CountDownLatch answered = new CountDownLatch(1);
        CountDownLatch reset = new CountDownLatch(1);
        try (ServerSocket peer = new ServerSocket(0)) {
            // The peer: answers one request on a kept-alive connection, then its process "dies": an abortive close,
            // which the client reads as a reset on its idle pooled connection.
            Thread process = new Thread(() -> {
                try (Socket s = peer.accept()) {
                    InputStream in = s.getInputStream();
                    StringBuilder head = new StringBuilder();
                    while (!head.toString().endsWith("\r\n\r\n")) {
                        head.append((char) in.read());
                    }
                    s.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                            .getBytes(StandardCharsets.ISO_8859_1));
                    s.getOutputStream().flush();
                    answered.await(10, TimeUnit.SECONDS);
                    s.setSoLinger(true, 0);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                } finally {
                    reset.countDown();
                }
            }, "dying-peer");
            process.start();
            // From one context, so that body() is asked for before the short answer can end (PortWatchCountTest).
            String body = await(io.raftline.transport.OnContext.call(vertx.getOrCreateContext(), () -> client.request(
                    new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(peer.getLocalPort())
                            .setURI("/v1/cluster")).compose(r -> r.send()).compose(r -> r.body())),
                    Duration.ofSeconds(10)).toString();
            assertThat(body).isEqualTo("ok");
            answered.countDown();
            assertThat(reset.await(10, TimeUnit.SECONDS)).isTrue();
            Waits.eventually("the client saw the reset", () -> !logged.list.isEmpty());
        }
        List<ILoggingEvent> events = List.copyOf(logged.list);
        assertThat(events).as("what the reset logged").noneMatch(e -> e.getLevel().isGreaterOrEqual(Level.WARN));
        assertThat(events).anyMatch(e -> e.getLevel() == Level.DEBUG
                && e.getFormattedMessage().startsWith("connection to 127.0.0.1:")
                && e.getFormattedMessage().contains("Connection reset"));
    }
}
