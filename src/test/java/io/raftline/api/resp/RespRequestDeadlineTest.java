package io.raftline.api.resp;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.raftline.verify.nemesis.Waits;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A request must arrive whole within {@code limits.request_timeout_ms}, as an HTTP body must: a client that sent the
 * head of a large SET and then a byte every few seconds reset the idle timeout with each byte and kept its connection,
 * and the part of the value it had sent (up to a request's limit, 1.25 MiB by default), for as long as it liked; the
 * port's 4,096 connections could hold gigabytes that way. A connection quiet between requests is not cut by it.
 */
class RespRequestDeadlineTest {

    private InJvmCluster cluster;

    @AfterEach
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aRequestTrickledPastTheDeadlineClosesItsConnectionAndAQuietOneStays() throws Exception {
        cluster = InJvmCluster.builder(ClusterConfigs.cluster(3, 48, 4000)
                .put("storage", new JsonObject().put("engine", "memory"))
                .put("limits", new JsonObject().put("request_timeout_ms", 1000).put("idle_timeout_ms", 60_000)))
                .start();
        String[] hostPort = cluster.respAddresses().get(Waits.await(cluster.leader())).split(":");
        try (Socket quiet = new Socket(hostPort[0], Integer.parseInt(hostPort[1]));
                Socket trickle = new Socket(hostPort[0], Integer.parseInt(hostPort[1]))) {
            quiet.setSoTimeout(10_000);
            trickle.setSoTimeout(10_000);
            send(quiet, "*1\r\n$4\r\nPING\r\n");
            assertThat(RawResp.line(quiet.getInputStream())).isEqualTo("+PONG");

            OutputStream out = trickle.getOutputStream();
            send(trickle, "*3\r\n$3\r\nSET\r\n$7\r\ntrickle\r\n$100000\r\n");
            long start = System.nanoTime();
            // A byte every 200 ms, far within the idle timeout, for up to 15 s: the deadline must end it.
            while (trickle.getInputStream().available() == 0 && System.nanoTime() - start < 15_000_000_000L) {
                out.write('v');
                out.flush();
                Thread.sleep(200);
            }
            assertThat(RawResp.line(trickle.getInputStream()))
                    .isEqualTo("-ERR Protocol error: request not complete within 1000 ms (limits.request_timeout_ms)");
            assertThat(trickle.getInputStream().read()).as("closed after the error").isEqualTo(-1);
            assertThat((System.nanoTime() - start) / 1_000_000).as("ms until closed").isGreaterThanOrEqualTo(1000);

            // The quiet connection, idle for longer than the deadline meanwhile (but within the idle timeout), stays.
            send(quiet, "*2\r\n$3\r\nGET\r\n$7\r\ntrickle\r\n");
            assertThat(RawResp.line(quiet.getInputStream())).isEqualTo("$-1");
        }
    }

    private static void send(Socket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
    }
}
