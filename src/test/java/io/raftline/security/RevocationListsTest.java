package io.raftline.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.raftline.config.RaftlineConfig;
import io.raftline.raft.ConfigException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Revocation lists are checked before they are applied ({@link RevocationLists}): a list that the node's CA did not
 * sign is refused, at start as a configuration error naming the list and at a reload, where the lists loaded before
 * stay; a list's next update is kept for the out-of-date report and the metric. The CAs come from
 * {@code bin/tls-ca.sh}, as a user makes them; every CA it makes has the same name, so a list of another CA is told
 * apart by its signature, not by its issuer's name.
 */
class RevocationListsTest {

    @TempDir
    static Path dir;
    private static Path ours;
    private static Path theirs;

    @BeforeAll
    static void cas() throws Exception {
        ours = dir.resolve("ours");
        theirs = dir.resolve("theirs");
        TestCa.make(ours, "--node", "1");
        TestCa.make(ours, "--crl");
        TestCa.make(theirs);
        TestCa.make(theirs, "--crl");
    }

    @Test
    void aListOfTheNodesCaPassesWithItsNextUpdate() throws Exception {
        RevocationLists.Checked c = RevocationLists.check(List.of(ours.resolve("crl.pem").toString()),
                List.of(ours.resolve("ca.pem").toString()));
        // bin/tls-ca.sh writes lists valid for 30 days.
        assertThat(c.nextUpdate()).isBetween(Instant.now().plus(Duration.ofDays(29)),
                Instant.now().plus(Duration.ofDays(31)));
        assertThat(c.stale(Instant.now())).isFalse();
        assertThat(c.stale(Instant.now().plus(Duration.ofDays(31)))).isTrue();
        assertThat(c.staleMessage()).contains("crl.pem").contains("out of date").contains("still applied");
    }

    @Test
    void aListOfAnotherCaWithTheSameNameIsRefusedByItsSignature() throws Exception {
        String foreign = theirs.resolve("crl.pem").toString();
        assertThatThrownBy(() -> RevocationLists.check(List.of(ours.resolve("crl.pem").toString(), foreign),
                List.of(ours.resolve("ca.pem").toString())))
                .isInstanceOfSatisfying(RevocationLists.Invalid.class, e -> assertThat(e.index()).isEqualTo(1))
                .hasMessageContaining(foreign).hasMessageContaining("signed by no CA this node trusts")
                .hasMessageContaining("CN=Raftline trial CA");
        // Trusted as a second CA (a client CA), its list passes.
        assertThat(RevocationLists.check(List.of(foreign), List.of(ours.resolve("ca.pem").toString(),
                theirs.resolve("ca.pem").toString())).nextUpdate()).isNotNull();
    }

    @Test
    void aFileThatIsNoListIsRefused() throws Exception {
        Path notAList = dir.resolve("not-a-list.pem");
        Files.copy(ours.resolve("ca.pem"), notAList, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThatThrownBy(() -> RevocationLists.check(List.of(notAList.toString()),
                List.of(ours.resolve("ca.pem").toString())))
                .isInstanceOf(RevocationLists.Invalid.class).hasMessageContaining(notAList.toString());
    }

    private static JsonObject cluster() {
        return new JsonObject().put("nodes", new JsonArray().add(new JsonObject().put("id", 1).put("http_port", 8081))
                .add(new JsonObject().put("id", 2).put("http_port", 8082))
                .add(new JsonObject().put("id", 3).put("http_port", 8083)));
    }

    @Test
    void theConfigurationNamesTheListThatIsNotTheCas() {
        JsonObject tls = new JsonObject().put("cert_file", ours.resolve("node-1.pem").toString())
                .put("key_file", ours.resolve("node-1-key.pem").toString())
                .put("ca_file", ours.resolve("ca.pem").toString())
                .put("crl_files", new JsonArray().add(ours.resolve("crl.pem").toString())
                        .add(theirs.resolve("crl.pem").toString()));
        assertThatThrownBy(() -> RaftlineConfig.fromJson(cluster().put("tls", tls)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("tls.crl_files[1]")
                .hasMessageContaining("signed by no CA this node trusts");
        tls.put("crl_files", new JsonArray().add(ours.resolve("crl.pem").toString()));
        assertThat(RaftlineConfig.fromJson(cluster().put("tls", tls)).tls().crlFiles()).hasSize(1);
    }
}
