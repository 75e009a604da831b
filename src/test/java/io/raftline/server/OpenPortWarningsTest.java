package io.raftline.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.config.RaftlineConfig;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

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
    }
}
