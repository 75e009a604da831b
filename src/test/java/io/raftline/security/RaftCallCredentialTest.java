package io.raftline.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The nodes' credential on Raft calls over gRPC without TLS ({@link RaftCallCredential}): what each kind presents, what
 * it accepts, and that the client token is never among what it accepts except during a rolling upgrade that asks for
 * it ({@code security.legacy_raft_credential}).
 */
class RaftCallCredentialTest {

    private static final String CLIENT = "client-0123456789abcdef";
    private static final String ADMIN = "admin-0123456789abcdef";
    private static final String SECRET = "secret-0123456789abcdef0123456789";

    private static Map<String, String> presented(RaftCallCredential c) {
        Map<String, String> headers = new HashMap<>();
        c.present(headers::put);
        return headers;
    }

    private static String refusal(RaftCallCredential c, Map<String, String> headers) {
        return c.refusal(headers::get);
    }

    @Test
    void aSecretsTokenIsDerivedAndTheTokensOfClientsAndOperatorsAreRefused() {
        RaftCallCredential c = RaftCallCredential.fromSecret(SECRET, null);
        Map<String, String> own = presented(c);
        assertThat(own).containsOnlyKeys(RaftCallCredential.HEADER);
        assertThat(own.get(RaftCallCredential.HEADER)).doesNotContain(SECRET).hasSize(64);
        assertThat(refusal(c, own)).isNull();
        // Another process with the same secret presents what this one accepts; another secret does not.
        assertThat(refusal(c, presented(RaftCallCredential.fromSecret(SECRET, null)))).isNull();
        assertThat(refusal(c, presented(RaftCallCredential.fromSecret(SECRET + "x", null)))).isNotNull();
        assertThat(refusal(c, Map.of("authorization", "Bearer " + CLIENT))).contains("cluster_secret");
        assertThat(refusal(c, Map.of("authorization", "Bearer " + ADMIN))).isNotNull();
        assertThat(refusal(c, Map.of(RaftCallCredential.HEADER, SECRET))).isNotNull();
        assertThat(refusal(c, Map.of())).isNotNull();
    }

    @Test
    void duringARollingUpgradeTheEarlierCredentialIsPresentedAndAcceptedToo() {
        ClientAccess earlier = new ClientAccess(CLIENT, "");
        RaftCallCredential c = RaftCallCredential.fromSecret(SECRET, earlier);
        Map<String, String> own = presented(c);
        // An earlier release's node checks authorization only: it finds the client token it expects.
        assertThat(own).containsEntry("authorization", "Bearer " + CLIENT).containsKey(RaftCallCredential.HEADER);
        assertThat(earlier.refusal(own.get("authorization"))).isNull();
        // What an earlier release's node presents passes, and so does what a node out of the transition presents.
        assertThat(refusal(c, Map.of("authorization", "Bearer " + CLIENT))).isNull();
        assertThat(refusal(c, presented(RaftCallCredential.fromSecret(SECRET, null)))).isNull();
        assertThat(refusal(c, Map.of("authorization", "Bearer wrong-0123456789abcdef"))).isNotNull();
    }

    @Test
    void theAdminTokenPassesAloneWhereItIsTheCredential() {
        RaftCallCredential c = RaftCallCredential.adminToken(ADMIN);
        assertThat(presented(c)).isEqualTo(Map.of("authorization", "Bearer " + ADMIN));
        assertThat(refusal(c, presented(c))).isNull();
        assertThat(refusal(c, Map.of("authorization", "Bearer " + CLIENT))).contains("admin.token");
        assertThat(refusal(c, Map.of())).isNotNull();
    }

    @Test
    void anInProcessTokenIsKnownToNothingElse() {
        RaftCallCredential c = RaftCallCredential.inProcess();
        assertThat(refusal(c, presented(c))).isNull();
        assertThat(refusal(c, presented(RaftCallCredential.inProcess()))).isNotNull();
        assertThat(refusal(c, Map.of("authorization", "Bearer " + CLIENT))).isNotNull();
    }
}
