package io.raftline.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line refuses bad usage and bad configuration with exit code 2 and a message that helps. */
class MainTest {

    private record Result(int code, String out, String err) {
    }

    private static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void unknownCommandsAndFlagsPrintUsageAndExit2() {
        Result r = run("frobnicate");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("unknown command 'frobnicate'").contains("Usage:");
        assertThat(run("local", "--verbose").code()).isEqualTo(2);
        Result node = run("node");
        assertThat(node.code()).isEqualTo(2);
        assertThat(node.err()).contains("missing --conf");
        Result bench = run("bench", "--clients", "16");
        assertThat(bench.code()).isEqualTo(2);
        assertThat(bench.err()).contains("--url is required");
        assertThat(run("bench", "--url", "http://localhost:1", "--duration", "soon").err())
                .contains("--duration must be a duration");
        Result help = run("help");
        assertThat(help.code()).isZero();
        assertThat(help.out()).contains("node --conf FILE").contains("bench --url URL");
    }

    @Test
    void invalidConfigurationExits2NamingTheField(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"node_id\":1,\"nodes\":[{\"id\":1,\"http_port\":0}],\"single_node\":true,"
                + "\"raft\":{\"heartbeat_ms\":1}}");
        Result r = run("node", "--conf", bad.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("invalid configuration").contains("raft.heartbeat_ms: must be >= tick_ms");
        Result missing = run("local", "--conf", dir.resolve("absent.json").toString());
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("file not found");
        Result perNode = run("local", "--conf", "conf/node-1.json");
        assertThat(perNode.code()).isEqualTo(2);
        assertThat(perNode.err()).contains("node_id").contains("node --conf");
    }

    @Test
    void benchOptionsParseDurationsAndBounds() {
        Bench.Options o = Bench.parse(List.of("--url", "http://localhost:8081", "--clients", "64", "--duration", "1.5s",
                "--value-size", "10", "--keys", "5", "--warmup", "200ms"));
        assertThat(o.clients()).isEqualTo(64);
        assertThat(o.durationMs()).isEqualTo(1500);
        assertThat(o.warmupMs()).isEqualTo(200);
        assertThat(Bench.durationMs("--duration", "2m")).isEqualTo(120_000);
        assertThatThrownBy(() -> Bench.parse(List.of("--url", "http://x:1", "--clients", "0")))
                .hasMessageContaining("--clients must be an integer in 1..");
        assertThatThrownBy(() -> Bench.parse(List.of("--url", "ftp://x"))).hasMessageContaining("http://host:port");
    }
}
