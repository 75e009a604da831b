package io.raftline.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.config.ClientCertAuth;
import io.raftline.config.RaftlineConfig;
import io.raftline.security.TestCa;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A process says at start which of its ports listen beyond loopback without TLS or a client token. */
class OpenPortWarningsTest {

    @Test
    void portsBeyondLoopbackWithoutTlsOrTokenAreNamed() {
        JsonObject local = ClusterConfigs.cluster(3, 1, 3000);
        assertThat(ClusterVerticle.openPortWarnings(RaftlineConfig.fromJson(local))).isEmpty();

        JsonObject open = ClusterConfigs.cluster(3, 1, 3000).put("node_id", 2);
        open.getJsonArray("nodes").getJsonObject(1).put("host", "10.0.0.2");
        assertThat(ClusterVerticle.openPortWarnings(RaftlineConfig.fromJson(open))).satisfiesExactly(
                tls -> assertThat(tls).startsWith("node 2 at 10.0.0.2: listening beyond loopback without TLS"),
                token -> assertThat(token).contains("without security.client_token"));

        open.put("security", new JsonObject().put("client_token", "client-0123456789abcdef"));
        assertThat(ClusterVerticle.openPortWarnings(RaftlineConfig.fromJson(open))).singleElement().asString()
                .contains("without TLS");
        // Another process's node beyond loopback is not this process's port.
        open.put("node_id", 1);
        assertThat(ClusterVerticle.openPortWarnings(RaftlineConfig.fromJson(open))).isEmpty();

        // The admin port serves no key-value API: beyond loopback it lacks TLS, not a client token.
        JsonObject admin = ClusterConfigs.cluster(3, 1, 3000).put("node_id", 2)
                .put("admin", new JsonObject().put("host", "10.0.0.9").put("port", 8092));
        assertThat(ClusterVerticle.openPortWarnings(RaftlineConfig.fromJson(admin))).singleElement().asString()
                .startsWith("the admin port at 10.0.0.9: listening beyond loopback without TLS");
    }

    /**
     * The client-access warning says what is true of each combination of a client token and {@code tls.client_auth}:
     * without either anyone reads and writes every key; a token, client certificates required, or both, let in only
     * clients that prove themselves, so nothing is said. Regression: the warning looked at the token alone and told an
     * operator who required client certificates that anyone read and wrote every key.
     */
    @Test
    void theClientAccessWarningFollowsTheTokenAndClientCertificates() {
        assertThat(ClusterVerticle.clientAccessWarning(false, ClientCertAuth.NONE))
                .startsWith("without security.client_token or tls.client_auth \"required\"")
                .contains("anyone who reaches a client port reads and writes every key");
        assertThat(ClusterVerticle.clientAccessWarning(true, ClientCertAuth.NONE)).isNull();
        assertThat(ClusterVerticle.clientAccessWarning(false, ClientCertAuth.REQUIRED)).isNull();
        assertThat(ClusterVerticle.clientAccessWarning(true, ClientCertAuth.REQUIRED)).isNull();
        assertThat(ClusterVerticle.clientAccessWarning(true, ClientCertAuth.REQUEST)).isNull();
        // Refused by the configuration, yet not a reason to say something untrue: no token lets the uncertified in.
        assertThat(ClusterVerticle.clientAccessWarning(false, ClientCertAuth.REQUEST))
                .contains("a client without a certificate is let in")
                .contains("anyone who reaches a client port reads and writes every key");
    }

    /**
     * A process whose node listens beyond loopback with TLS and client certificates required, and no client token,
     * gets no warning at all: TLS is on, and no one without a certificate the CA signed passes the handshake.
     */
    @Test
    void clientCertificatesRequiredWithoutATokenAreNotCalledOpen(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl is needed to make certificates");
        TestCa.make(dir, "--node", "2");
        JsonObject tls = new JsonObject().put("cert_file", dir.resolve("node-2.pem").toString())
                .put("key_file", dir.resolve("node-2-key.pem").toString())
                .put("ca_file", dir.resolve("ca.pem").toString());
        JsonObject open = ClusterConfigs.cluster(3, 1, 3000).put("node_id", 2).put("tls", tls.copy()
                .put("client_auth", "required"));
        open.getJsonArray("nodes").getJsonObject(1).put("host", "10.0.0.2");
        assertThat(ClusterVerticle.openPortWarnings(RaftlineConfig.fromJson(open))).isEmpty();
        open.put("security", new JsonObject().put("client_token", "client-0123456789abcdef"));
        assertThat(ClusterVerticle.openPortWarnings(RaftlineConfig.fromJson(open))).isEmpty();

        // The same without client certificates nor a token: open to anyone, and said so.
        open.put("tls", tls).remove("security");
        assertThat(ClusterVerticle.openPortWarnings(RaftlineConfig.fromJson(open))).singleElement().asString()
                .isEqualTo("node 2 at 10.0.0.2: listening beyond loopback without security.client_token or"
                        + " tls.client_auth \"required\": anyone who reaches a client port reads and writes every key"
                        + " (docs/security.md)");
    }
}
