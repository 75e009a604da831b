package io.raftline.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.raftline.config.RaftlineConfig;
import io.raftline.raft.ConfigException;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code tls} section's files are read when the configuration is: each wrong file is refused naming its field and
 * what is wrong with it, before a node opens its storage or binds a port, and every form Vert.x loads is accepted.
 */
class TlsFilesTest {

    @TempDir
    static Path dir;

    @BeforeAll
    static void certificates() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl is needed to make certificates");
        TestCa.make(dir, "--node", "1");
        TestCa.make(dir, "--node", "2");
        Files.createDirectory(dir.resolve("a-directory.pem"));
        Files.writeString(dir.resolve("text.pem"), "not a certificate\n");
        String cert = Files.readString(dir.resolve("node-1.pem"));
        int middle = cert.indexOf('\n', cert.indexOf("-----BEGIN CERTIFICATE-----")) + 40;
        Files.writeString(dir.resolve("damaged.pem"), cert.substring(0, middle) + "@@@@" + cert.substring(middle + 4));
        openssl("pkcs8", "-topk8", "-v2", "aes-256-cbc", "-passout", "pass:secret", "-in",
                dir.resolve("node-1-key.pem").toString(), "-out", dir.resolve("encrypted-key.pem").toString());
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=rsa", "-days", "1", "-keyout",
                dir.resolve("rsa-pkcs8-key.pem").toString(), "-out", dir.resolve("rsa.pem").toString());
        openssl("rsa", "-traditional", "-in", dir.resolve("rsa-pkcs8-key.pem").toString(), "-out",
                dir.resolve("rsa-key.pem").toString());
    }

    private static void openssl(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
    }

    private static RaftlineConfig load(String cert, String key, String ca) {
        JsonObject tls = new JsonObject().put("cert_file", dir.resolve(cert).toString())
                .put("key_file", dir.resolve(key).toString());
        if (ca != null) {
            tls.put("ca_file", dir.resolve(ca).toString());
        }
        return RaftlineConfig.fromJson(ClusterConfigs.cluster(1, 1, 3000).put("tls", tls));
    }

    private static void refused(String cert, String key, String ca, String field, String... message) {
        assertThatThrownBy(() -> load(cert, key, ca)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(field).hasMessageContainingAll(message);
    }

    @Test
    void theFilesBinTlsCaMakesAndATraditionalRsaKeyAreAccepted() {
        assertThat(load("node-1.pem", "node-1-key.pem", "ca.pem").tls().enabled()).isTrue();
        assertThat(load("rsa.pem", "rsa-pkcs8-key.pem", null).tls().enabled()).isTrue();
        assertThat(load("rsa.pem", "rsa-key.pem", null).tls().enabled()).isTrue();
    }

    @Test
    void aCertificateFileThatHoldsNoCertificateIsRefusedNamingCertFile() {
        refused("a-directory.pem", "node-1-key.pem", null, "tls.cert_file", "is a directory");
        refused("text.pem", "node-1-key.pem", null, "tls.cert_file", "holds no PEM certificate");
        refused("node-1-key.pem", "node-1-key.pem", null, "tls.cert_file", "only a private key: is it the key file?");
        refused("damaged.pem", "node-1-key.pem", null, "tls.cert_file", "certificate 1 is damaged");
        refused("missing.pem", "node-1-key.pem", null, "tls.cert_file", "cannot read");
    }

    @Test
    void aKeyFileThatIsNotTheCertificatesUsableKeyIsRefusedNamingKeyFile() {
        refused("node-1.pem", "node-1.pem", null, "tls.key_file", "holds no PEM private key",
                "only certificates: is it the certificate file?");
        refused("node-1.pem", "node-2-key.pem", null, "tls.key_file", "is not the private key of the certificate in",
                "node-1.pem");
        refused("rsa.pem", "node-1-key.pem", null, "tls.key_file", "is not the private key of the certificate");
        refused("node-1.pem", "encrypted-key.pem", null, "tls.key_file", "holds an encrypted private key",
                "openssl pkcs8 -topk8 -nocrypt");
        refused("node-1.pem", "text.pem", null, "tls.key_file", "holds no PEM private key");
    }

    @Test
    void aCaFileWithoutACertificateIsRefusedNamingCaFile() {
        refused("node-1.pem", "node-1-key.pem", "node-1-key.pem", "tls.ca_file", "holds no PEM certificate");
        refused("node-1.pem", "node-1-key.pem", "a-directory.pem", "tls.ca_file", "is a directory");
    }
}
