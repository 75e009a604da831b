package io.raftline.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.raftline.config.PeerIdentityPolicy;
import io.raftline.config.RaftlineConfig;
import io.raftline.raft.ConfigException;
import io.raftline.raft.SerializationException;
import io.raftline.raft.message.Heartbeat;
import io.raftline.raft.message.Message;
import io.raftline.transport.FrameAuthenticationException;
import io.raftline.transport.RaftMessageCodec;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rules of the peer-authentication settings, each named in its error (the field and the rule); the node ids
 * {@code bin/tls-ca.sh --node} puts in certificates and {@link PeerIdentity} reads back; {@link PeerGuard}'s
 * decisions; and the event-bus frame tag: a frame written with another secret, or without one, is refused before it is
 * decoded.
 */
class PeerAuthConfigTest {

    @TempDir
    static Path dir;

    @BeforeAll
    static void certificates() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl is needed to make certificates");
        TestCa.make(dir, "--node", "1");
        TestCa.make(dir, "--node", "2");
        TestCa.make(dir, "--node", "1,2,3");
        TestCa.make(dir);
    }

    private static JsonObject tls(String cert, boolean ca) {
        JsonObject t = new JsonObject().put("cert_file", dir.resolve(cert + ".pem").toString())
                .put("key_file", dir.resolve(cert + "-key.pem").toString());
        return ca ? t.put("ca_file", dir.resolve("ca.pem").toString()) : t;
    }

    private static JsonObject grpc(int nodeId, String cert) {
        JsonObject c = ClusterConfigs.cluster(3, 1).put("transport", "grpc").put("tls", tls(cert, true));
        return nodeId == 0 ? c : c.put("node_id", nodeId);
    }

    @Test
    void tlsWithTheGrpcTransportIsAcceptedWithACertificateNamingTheNode() {
        RaftlineConfig c = RaftlineConfig.fromJson(grpc(2, "node-2"));
        assertThat(c.tls().enabled()).isTrue();
        assertThat(c.security().peerIdentity()).isEqualTo(PeerIdentityPolicy.NODE);
        // The local cluster runs every node in one process: its certificate names them all.
        assertThat(RaftlineConfig.fromJson(grpc(0, "node-1-2-3")).tls().enabled()).isTrue();
    }

    @Test
    void onTheClusteredBusWithASecretEachCertificateNamesExactlyItsNode() {
        JsonObject secret = new JsonObject().put("cluster_secret", "0123456789abcdef");
        JsonObject bus = ClusterConfigs.cluster(3, 1).put("node_id", 2).put("tls", tls("node-2", true))
                .put("security", secret);
        assertThat(RaftlineConfig.fromJson(bus).tls().enabled()).isTrue();
        // Frames carry a key of their pair of nodes, derived from the certificates: one naming several nodes, none,
        // or another node cannot serve.
        for (String cert : List.of("node-1-2-3", "node", "node-1")) {
            assertThatThrownBy(() -> RaftlineConfig.fromJson(bus.copy().put("tls", tls(cert, true))))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith("tls.cert_file: must name node 2 and no other")
                    .hasMessageContaining("--node 2").hasMessageContaining("any_member");
        }
        // "any_member" keeps one cluster-wide tag, and without the secret there is no tag at all: no rule then.
        assertThat(RaftlineConfig.fromJson(bus.copy().put("tls", tls("node", true)).put("security",
                secret.copy().put("peer_identity", "any_member"))).tls().enabled()).isTrue();
        assertThat(RaftlineConfig.fromJson(bus.copy().put("tls", tls("node", true)).put("security", new JsonObject()))
                .tls().enabled()).isTrue();
    }

    @Test
    void everyRuleNamesItsField() {
        assertThatThrownBy(() -> RaftlineConfig.fromJson(ClusterConfigs.cluster(3, 1).put("transport", "grpc")
                .put("tls", tls("node-1", false)))).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("tls.ca_file: is required with tls when Raft traffic crosses the network");
        assertThatThrownBy(() -> RaftlineConfig.fromJson(ClusterConfigs.cluster(3, 1).put("node_id", 2)
                .put("tls", tls("node-2", false))))
                .hasMessageStartingWith("tls.ca_file: is required with tls when Raft traffic crosses the network"
                        + " (the clustered event bus of node_id 2)");
        assertThatThrownBy(() -> RaftlineConfig.fromJson(grpc(1, "node-2")))
                .hasMessageStartingWith("tls.cert_file: must name node 1 ").hasMessageContaining("--node 1");
        assertThatThrownBy(() -> RaftlineConfig.fromJson(grpc(0, "node-1")))
                .hasMessageStartingWith("tls.cert_file: must name node 2 ");
        assertThatThrownBy(() -> RaftlineConfig.fromJson(grpc(1, "node")))
                .hasMessageStartingWith("tls.cert_file: must name node 1 ").hasMessageContaining("any_member");
        assertThatThrownBy(() -> RaftlineConfig.fromJson(grpc(1, "node").put("security",
                new JsonObject().put("peer_identity", "anyone"))))
                .hasMessage("security.peer_identity: must be \"node\" (a peer's certificate must name the node it"
                        + " sends for) or \"any_member\" (a certificate naming no node may send for any member), got"
                        + " \"anyone\"");
        assertThatThrownBy(() -> RaftlineConfig.fromJson(ClusterConfigs.cluster(3, 1).put("security",
                new JsonObject().put("cluster_secret", "short"))))
                .hasMessageStartingWith("security.cluster_secret: must be at least 16 characters");
        assertThatThrownBy(() -> RaftlineConfig.fromJson(ClusterConfigs.cluster(3, 1).put("security",
                new JsonObject().put("cluster_secret", 42))))
                .hasMessageStartingWith("security.cluster_secret: ");
    }

    @Test
    void theSharedCertificateServesPeersOnlyWhenTheConfigurationSaysAnyMember() {
        RaftlineConfig c = RaftlineConfig.fromJson(grpc(1, "node").put("security",
                new JsonObject().put("peer_identity", "any_member").put("cluster_secret", "0123456789abcdef")));
        assertThat(c.security().peerIdentity()).isEqualTo(PeerIdentityPolicy.ANY_MEMBER);
        assertThat(c.security().toString()).doesNotContain("0123456789abcdef");
    }

    @Test
    void theSecretAndThePolicyComeFromTheEnvironmentToo() {
        RaftlineConfig c = RaftlineConfig.fromJson(io.raftline.config.ConfigLoader.applyOverrides(
                ClusterConfigs.cluster(3, 1), java.util.Map.of("RAFTLINE_SECURITY_CLUSTER_SECRET",
                        "from-the-environment-0123", "RAFTLINE_SECURITY_PEER_IDENTITY", "any_member"),
                java.util.Map.of()));
        assertThat(c.security().clusterSecret()).isEqualTo("from-the-environment-0123");
        assertThat(c.security().peerIdentity()).isEqualTo(PeerIdentityPolicy.ANY_MEMBER);
    }

    @Test
    void certificatesNameTheirNodes() throws Exception {
        assertThat(PeerIdentity.ofPem(dir.resolve("node-2.pem")).nodeIds()).containsExactly(2);
        assertThat(PeerIdentity.ofPem(dir.resolve("node-1-2-3.pem")).nodeIds()).containsExactly(1, 2, 3);
        assertThat(PeerIdentity.ofPem(dir.resolve("node.pem")).anonymous()).isTrue();
    }

    @Test
    void theGuardAcceptsASenderOnlyFromItsOwnCertificate() {
        PeerGuard strict = new PeerGuard(PeerIdentityPolicy.NODE);
        PeerIdentity node3 = new PeerIdentity(Set.of(3));
        assertThat(strict.checkSenders(node3, List.of(3, 3))).isNull();
        assertThat(strict.checkSenders(node3, List.of(3, 2)).reason()).isEqualTo(PeerGuard.Reason.SENDER_MISMATCH);
        assertThat(strict.checkSenders(null, List.of(3)).reason()).isEqualTo(PeerGuard.Reason.NO_CERTIFICATE);
        assertThat(strict.checkSenders(PeerIdentity.ANONYMOUS, List.of(3)).reason())
                .isEqualTo(PeerGuard.Reason.NO_NODE_ID);
        assertThat(strict.checkServer(node3, 3)).isNull();
        assertThat(strict.checkServer(node3, 2).reason()).isEqualTo(PeerGuard.Reason.SERVER_MISMATCH);
        PeerGuard lenient = new PeerGuard(PeerIdentityPolicy.ANY_MEMBER);
        assertThat(lenient.checkSenders(PeerIdentity.ANONYMOUS, List.of(1, 2))).isNull();
        assertThat(lenient.checkSenders(node3, List.of(2)).reason()).isEqualTo(PeerGuard.Reason.SENDER_MISMATCH);
        strict.refused("10.0.0.1", strict.checkSenders(node3, List.of(2)));
        strict.refused("10.0.0.1", strict.checkSenders(node3, List.of(2)));
        assertThat(strict.refusals(PeerGuard.Reason.SENDER_MISMATCH)).isEqualTo(2);
        // Refusals from ever new addresses: counted, and what the guard remembers for its log stays bounded.
        for (int i = 0; i < 3 * PeerGuard.MAX_REMEMBERED_PEERS; i++) {
            strict.refused("10.1." + (i / 250) + "." + (i % 250), strict.checkSenders(null, List.of(1)));
        }
        assertThat(strict.refusals(PeerGuard.Reason.NO_CERTIFICATE)).isEqualTo(3L * PeerGuard.MAX_REMEMBERED_PEERS);
        assertThat(strict.rememberedPeers()).isLessThanOrEqualTo(PeerGuard.MAX_REMEMBERED_PEERS);
    }

    @Test
    void anEventBusFrameIsDecodedOnlyWithTheClusterSecretsTag() {
        Message m = new Heartbeat(2, 1, 7, 3, 0);
        RaftMessageCodec cluster = new RaftMessageCodec(new FrameAuthenticator("the cluster's secret, 32 chars.."));
        RaftMessageCodec same = new RaftMessageCodec(new FrameAuthenticator("the cluster's secret, 32 chars.."));
        RaftMessageCodec stranger = new RaftMessageCodec(new FrameAuthenticator("another secret of 32 characters"));
        RaftMessageCodec none = new RaftMessageCodec();
        Buffer wire = Buffer.buffer("head");
        cluster.encodeToWire(wire, m);
        assertThat(same.decodeFromWire(4, wire)).isEqualTo(m);
        Buffer forged = Buffer.buffer("head");
        stranger.encodeToWire(forged, m);
        assertThatThrownBy(() -> cluster.decodeFromWire(4, forged)).isInstanceOf(FrameAuthenticationException.class)
                .hasMessageContaining("does not verify");
        Buffer untagged = Buffer.buffer("head");
        none.encodeToWire(untagged, m);
        assertThatThrownBy(() -> cluster.decodeFromWire(4, untagged)).isInstanceOf(FrameAuthenticationException.class);
        // One flipped bit of the frame: refused.
        Buffer altered = wire.copy();
        altered.setByte(10, (byte) (altered.getByte(10) ^ 1));
        assertThatThrownBy(() -> cluster.decodeFromWire(4, altered)).isInstanceOf(FrameAuthenticationException.class);
        // A node without the secret cannot read a tagged frame as a plain one either (trailing bytes).
        assertThatThrownBy(() -> none.decodeFromWire(4, wire)).isInstanceOf(SerializationException.class);
    }

    @Test
    void theHazelcastClusterNameDependsOnTheSecret() {
        assertThat(FrameAuthenticator.hazelcastClusterName("prod", "")).isEqualTo("prod");
        String a = FrameAuthenticator.hazelcastClusterName("prod", "0123456789abcdef0123");
        assertThat(a).matches("prod-[0-9a-f]{16}").isEqualTo(FrameAuthenticator.hazelcastClusterName("prod",
                "0123456789abcdef0123"));
        assertThat(FrameAuthenticator.hazelcastClusterName("prod", "0123456789abcdef0124")).isNotEqualTo(a);
    }
}
