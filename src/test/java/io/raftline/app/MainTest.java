package io.raftline.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.TypeConversionException;

/**
 * The command line: every command's help, the version, both option spellings, and bad usage and bad configuration
 * refused with exit code 2 and a message that names the option or field and the rule.
 */
class MainTest {

    record Result(int code, String out, String err) {
    }

    static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Parses {@code args} as {@code main} would, without running anything; returns the subcommand's object. */
    static <T> T parse(Class<T> command, String... args) {
        PrintStream discard = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        CommandLine cl = Main.commandLine(discard, discard);
        return command.cast(cl.parseArgs(args).subcommand().commandSpec().userObject());
    }

    /**
     * A client command pointed at a port nothing listens on says so: the JDK's HTTP client throws a ConnectException
     * without a message, and every such command printed {@code cannot reach http://127.0.0.1:1: null}.
     */
    @Test
    void aNodeThatCannotBeReachedIsNamedWithTheReason(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        for (String[] args : new String[][] {{"kv", "get", "k"}, {"kv", "list"}, {"members", "list"}, {"cluster", "status"},
            {"snapshot", "save", dir.resolve("unused.snap").toString()}}) {
            String[] withUrl = java.util.Arrays.copyOf(args, args.length + 2);
            withUrl[args.length] = "--url";
            withUrl[args.length + 1] = "http://127.0.0.1:1";
            Result r = run(withUrl);
            assertThat(r.code()).as(String.join(" ", args)).isEqualTo(1);
            assertThat(r.err()).as(String.join(" ", args)).contains("cannot reach http://127.0.0.1:1")
                    .contains("connection refused (is a node listening there?)").doesNotContain("null");
        }
    }

    @Test
    void helpListsTheCommandsWithExamplesAndExitCodes() {
        Result help = run("help");
        assertThat(help.code()).isZero();
        assertThat(help.err()).isEmpty();
        assertThat(help.out()).startsWith("Usage: java -jar raftline.jar [-hV] [COMMAND]")
                .contains("runs a local 3-node cluster in this JVM (conf/local-3.json)")
                .contains("http://localhost:8080").contains("8081..8083")
                .containsPattern("(?m)^  local +Run a local cluster in this JVM \\(the default command\\)\\.$")
                .containsPattern("(?m)^  node +Run one node of a cluster, one node per process\\.$")
                .containsPattern("(?m)^  bench +Load against a running cluster")
                .containsPattern("(?m)^  verify +Start a cluster, inject faults")
                .contains("java -jar raftline.jar node --conf conf/node-1.json")
                .contains("java -jar raftline.jar bench --url http://localhost:8081")
                .contains("--opt value or --opt=value")
                .contains("-Draftline.raft.heartbeat_ms=50")
                .contains("Exit codes: 0 ok, 1 runtime failure (e.g. a port in use), 2 bad usage or configuration.");
        assertThat(run("--help")).isEqualTo(help);
        assertThat(run("-h")).isEqualTo(help);
    }

    /**
     * Every example in every command's help is printed on one line, as written, so that it can be copied into a shell.
     * {@code kv}'s transaction example was longer than the help's width and was wrapped inside its JSON: the copy had a
     * newline within a string and the node refused it.
     */
    @Test
    void everyExampleInTheHelpIsPrintedWhole() {
        PrintStream discard = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        java.util.Deque<CommandLine> todo = new java.util.ArrayDeque<>(java.util.List.of(Main.commandLine(discard, discard)));
        int examples = 0;
        while (!todo.isEmpty()) {
            CommandLine cl = todo.pop();
            todo.addAll(cl.getSubcommands().values());
            String help = cl.getUsageMessage();
            for (String printed : help.split("\\R")) {
                assertThat(wholeQuotes(printed)).as(cl.getCommandName() + "'s help splits a quoted example or JSON"
                        + " across lines, at: " + printed).isTrue();
            }
            var usage = cl.getCommandSpec().usageMessage();
            for (String[] texts : java.util.List.of(usage.header(), usage.description(), usage.footer())) {
                for (String text : texts) {
                    // The help formats these texts: an unescaped % (printf %s) printed "[picocli WARN] Could not
                    // format ..." to the standard error with every kv put --help.
                    assertThatCode(() -> String.format(text)).as(cl.getCommandName() + "'s help text " + text)
                            .doesNotThrowAnyException();
                }
            }
            boolean continued = false;
            java.util.Set<Integer> columns = new java.util.TreeSet<>();
            for (String line : usage.footer()) {
                java.util.regex.Matcher described = EXAMPLE_WITH_WORDS.matcher(line);
                if (described.matches()) {
                    columns.add(described.end(2));
                }
                if (line.trim().startsWith("java -jar") || continued) {
                    examples++;
                    assertThat(help).as(cl.getCommandName() + "'s example").contains(line.replace("%%", "%") + System.lineSeparator());
                }
                continued = line.endsWith("\\");
            }
            assertThat(columns).as(cl.getCommandName() + "'s examples start their words at one column")
                    .hasSizeLessThan(2);
        }
        assertThat(examples).isGreaterThan(10);
        assertThat(wholeQuotes("  kv watch  one JSON object per line ({\"type\":\"put\"|\"delete\",")).isFalse();
        assertThat(wholeQuotes("    '{\"compare\":[{\"key\":\"lock\",")).isFalse();
        assertThat(wholeQuotes("  the node's log ('a b' and \"c d\", {\"x\":[1]})")).isTrue();
    }

    /**
     * The configuration overrides the help's examples set ({@code RAFTLINE_<PATH>=V}, {@code -Draftline.<path>=V}) are
     * accepted with the file the command reads by default, one example line at a time, as a copy into a shell would
     * run it: the top-level help set {@code RAFTLINE_ADMIN_TOKEN=secret}, which the configuration refuses (a token has
     * at least 16 characters). {@code $(openssl rand -hex 16)} stands for the 32 hexadecimal digits it prints.
     */
    @Test
    void theOverridesTheHelpsExamplesSetAreAccepted() throws Exception {
        PrintStream discard = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        java.util.Deque<CommandLine> todo = new java.util.ArrayDeque<>(java.util.List.of(
                Main.commandLine(discard, discard)));
        io.vertx.core.json.JsonObject file = new io.vertx.core.json.JsonObject(Files.readString(
                Path.of(Main.DEFAULT_LOCAL_CONF)));
        java.util.regex.Pattern assignment = java.util.regex.Pattern.compile(
                "(?:^|\\s)(RAFTLINE_[A-Z0-9_]+|-Draftline\\.[a-z0-9_.]+)=(\\$\\(openssl rand -hex 16\\)|\\S+)");
        int overrides = 0;
        while (!todo.isEmpty()) {
            CommandLine cl = todo.pop();
            todo.addAll(cl.getSubcommands().values());
            for (String line : cl.getUsageMessage().split("\\R")) {
                java.util.Map<String, String> env = new java.util.HashMap<>();
                java.util.Map<String, String> sys = new java.util.HashMap<>();
                java.util.regex.Matcher m = assignment.matcher(line);
                while (m.find()) {
                    String value = m.group(2).startsWith("$(") ? "0123456789abcdef0123456789abcdef" : m.group(2);
                    if (m.group(1).startsWith("-D")) {
                        sys.put(m.group(1).substring(2), value);
                    } else {
                        env.put(m.group(1), value);
                    }
                    overrides++;
                }
                if (!env.isEmpty() || !sys.isEmpty()) {
                    assertThatCode(() -> io.raftline.config.ConfigLoader.fromSources(file, env, sys))
                            .as(cl.getCommandName() + "'s example: " + line).doesNotThrowAnyException();
                }
            }
        }
        assertThat(overrides).as("the examples set overrides").isGreaterThanOrEqualTo(3);
    }

    /** An example followed by words about it: the command, two spaces or more, the words. */
    private static final java.util.regex.Pattern EXAMPLE_WITH_WORDS =
            java.util.regex.Pattern.compile("(  java -jar .*?\\S)( {2,})([^ ].*)");

    /**
     * Whether a printed line of help holds every quoted text and JSON object it starts whole: an even number of double
     * quotes, a closing single quote for each opening one (an apostrophe, as in "node's", follows a letter and opens
     * nothing), and as many closing braces and brackets as opening ones. The text wrapper breaks lines at spaces, so a
     * line that fails this was wrapped inside an example, which a copy then carries into the shell broken.
     */
    private static boolean wholeQuotes(String line) {
        int doubles = 0;
        int braces = 0;
        int brackets = 0;
        boolean inSingle = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            boolean wordBefore = i > 0 && Character.isLetterOrDigit(line.charAt(i - 1));
            switch (c) {
                case '"' -> doubles++;
                case '{' -> braces++;
                case '}' -> braces--;
                case '[' -> brackets++;
                case ']' -> brackets--;
                case '\'' -> {
                    if (inSingle) {
                        inSingle = false;
                    } else if (!wordBefore) {
                        inSingle = true;
                    }
                }
                default -> { }
            }
        }
        return doubles % 2 == 0 && braces == 0 && brackets == 0 && !inSingle;
    }

    @Test
    void everyCommandHasItsOwnHelp() {
        Result local = run("local", "--help");
        assertThat(local.code()).isZero();
        assertThat(local.out()).startsWith("Usage: java -jar raftline.jar local [-hV] [--conf=FILE]")
                .contains("without --conf, conf/local-3.json.");
        Result node = run("node", "--help");
        assertThat(node.code()).isZero();
        assertThat(node.out()).startsWith("Usage: java -jar raftline.jar node [-hV] --conf=FILE")
                .contains("The configuration (--conf, required) names the node").contains("conf/single-node.json");
        // Hazelcast binds each member's host (Clustering), which need not be loopback: the help said "loopback only".
        assertThat(node.out().replaceAll("\\s+", " ")).contains("Hazelcast bound to each member's host and bus_port")
                .doesNotContain("loopback");
        Result bench = run("bench", "-h");
        assertThat(bench.code()).isZero();
        assertThat(bench.out()).startsWith("Usage: java -jar raftline.jar bench")
                .contains("--url=URL").contains("--clients=N").contains("Concurrent clients, 1..10000. Default: 16.")
                .contains("--duration=DURATION").contains("Default: 10s.")
                .contains("--warmup=DURATION").contains("--value-size=BYTES").contains("--keys=N");
        assertThat(run("help", "bench")).isEqualTo(bench);
        assertThat(run("help", "node")).isEqualTo(node);
        Result unknown = run("help", "frobnicate");
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.err()).contains("Unknown subcommand 'frobnicate'");
        // A subcommand's help by its path: picocli's help command took one name and showed kv's help for kv put.
        Result put = run("kv", "put", "--help");
        assertThat(put.out()).startsWith("Usage: java -jar raftline.jar kv put");
        assertThat(run("help", "kv", "put")).isEqualTo(put);
        assertThat(run("help", "kv")).isEqualTo(run("kv", "--help"));
        Result unknownLeaf = run("help", "kv", "putt");
        assertThat(unknownLeaf.code()).isEqualTo(2);
        assertThat(unknownLeaf.err()).contains("Unknown subcommand 'putt' of 'java -jar raftline.jar kv' (its commands:"
                + " put, get, del, list, txn, watch)");
        // A subcommand without examples of its own shows its parent's, not the top-level ones (a local cluster,
        // local-5.json, a heartbeat override), which it used to inherit with the root's other settings.
        for (String[] leaf : java.util.List.of(new String[] {"kv", "get"}, new String[] {"members", "add"},
                new String[] {"snapshot", "restore"}, new String[] {"cluster", "status"})) {
            Result help = run(leaf[0], leaf[1], "--help");
            assertThat(help.code()).isZero();
            assertThat(help.out()).as(String.join(" ", leaf)).contains("java -jar raftline.jar " + leaf[0] + " ")
                    .doesNotContain("conf/local-5.json").doesNotContain("heartbeat_ms=50");
        }
    }

    @Test
    void versionIsTheProjectsFromTheBuild() {
        Result v = run("--version");
        assertThat(v.code()).isZero();
        assertThat(v.out()).containsPattern("^raftline \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?\\R")
                .containsPattern("(?m)^Vert\\.x \\d+\\.\\d+\\.\\d+, Java ")
                .doesNotContain("${").doesNotContain("unknown");
        assertThat(run("-V")).isEqualTo(v);
        assertThat(run("verify", "--version")).as("global: every command answers it").isEqualTo(v);
    }

    @Test
    void unknownCommandsAndOptionsExit2NamingThem() {
        Result r = run("frobnicate");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).startsWith("raftline: unknown command 'frobnicate' (commands: local, node, bench, verify,"
                + " kv, members, cluster, snapshot, help)").contains("Usage: java -jar raftline.jar [-hV] [COMMAND]")
                .contains("Try 'java -jar raftline.jar --help' for more information.");
        assertThat(run("verfy").err()).contains("Did you mean: java -jar raftline.jar verify");
        Result local = run("local", "--verbose");
        assertThat(local.code()).isEqualTo(2);
        assertThat(local.err()).startsWith("raftline local: Unknown option: '--verbose'")
                .contains("Usage: java -jar raftline.jar local");
        Result option = run("--conf", "conf/local-3.json");
        assertThat(option.code()).as("--conf belongs to a command").isEqualTo(2);
        assertThat(option.err()).contains("Unknown options: '--conf', 'conf/local-3.json'");
        Result extra = run("local", "conf/local-5.json");
        assertThat(extra.code()).isEqualTo(2);
        assertThat(extra.err()).contains("Unmatched argument at index 1: 'conf/local-5.json'");
    }

    @Test
    void missingAndInvalidValuesExit2NamingTheOptionAndTheRule() {
        Result node = run("node");
        assertThat(node.code()).isEqualTo(2);
        assertThat(node.err()).startsWith("raftline node: Missing required option: '--conf=FILE'")
                .contains("Usage: java -jar raftline.jar node [-hV] --conf=FILE");
        Result noValue = run("node", "--conf");
        assertThat(noValue.code()).isEqualTo(2);
        assertThat(noValue.err()).contains("Missing required parameter for option '--conf' (FILE)");
        Result bench = run("bench", "--clients", "16");
        assertThat(bench.code()).isEqualTo(2);
        assertThat(bench.err()).startsWith("raftline bench: Missing required option: '--url=URL'");
        Result duration = run("bench", "--url", "http://localhost:1", "--duration", "soon");
        assertThat(duration.code()).isEqualTo(2);
        assertThat(duration.err()).startsWith("raftline bench: Invalid value for option '--duration': must be a"
                + " duration like 10s, 500ms or 1m, got 'soon'");
        Result clients = run("bench", "--url=http://localhost:1", "--clients=0");
        assertThat(clients.code()).isEqualTo(2);
        assertThat(clients.err()).startsWith("raftline bench: Invalid value for option '--clients': must be an integer"
                + " in 1..10000, got 0");
        assertThat(run("bench", "--url", "http://localhost:1", "--keys", "many").err())
                .contains("Invalid value for option '--keys': 'many' is not an int");
        assertThat(run("bench", "--url", "ftp://x").err())
                .contains("Invalid value for option '--url': must look like http://host:port, got 'ftp://x'");
    }

    @Test
    void aNestedCommandsUsageErrorNamesTheWholeCommand() {
        Result both = run("kv", "put", "logo", "value", "--file", "logo.png");
        assertThat(both.code()).isEqualTo(2);
        assertThat(both.err()).startsWith("raftline kv put: Invalid value for option '--file': give the value either"
                + " as VALUE or with --file PATH, not both").contains("Usage: java -jar raftline.jar kv put");
        Result add = run("members", "add", "4");
        assertThat(add.code()).isEqualTo(2);
        assertThat(add.err()).startsWith("raftline members add: Missing required parameter");
        Result restore = run("snapshot", "restore", "--conf", "conf/local-3.json");
        assertThat(restore.code()).isEqualTo(2);
        assertThat(restore.err()).startsWith("raftline snapshot restore: Missing required parameter: 'FILE'");
    }

    @Test
    void aMemberIdOrUrlTheApiRefusesIsAUsageError() {
        // Checked before anything is sent: they went to the node, which answered 400 (exit 1), or, with no node there,
        // the command said it could not reach one, about a request that was wrong whatever the cluster.
        for (String[] args : new String[][] {{"members", "add", "0", "http://127.0.0.1:8084"},
                {"members", "remove", "0"}, {"members", "promote", "0"}}) {
            Result r = run(args);
            assertThat(r.code()).as(String.join(" ", args)).isEqualTo(2);
            assertThat(r.err()).as(String.join(" ", args)).startsWith("raftline members " + args[1]
                    + ": Invalid value for parameter ID: a node id is an integer in 1..2147483647, got 0");
        }
        Result url = run("members", "add", "4", "127.0.0.1:8084");
        assertThat(url.code()).isEqualTo(2);
        assertThat(url.err()).startsWith("raftline members add: Invalid value for parameter URL: not a URL");
        Result scheme = run("members", "add", "4", "ftp://127.0.0.1:8084");
        assertThat(scheme.code()).isEqualTo(2);
        assertThat(scheme.err()).startsWith("raftline members add: Invalid value for parameter URL: must start with"
                + " http:// or https://, got \"ftp://127.0.0.1:8084\"");
        Result path = run("members", "add", "4", "http://127.0.0.1:8084/v1");
        assertThat(path.code()).isEqualTo(2);
        assertThat(path.err()).contains("parameter URL: must be only scheme://host:port");
    }

    @Test
    void invalidConfigurationExits2NamingTheField(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"node_id\":1,\"nodes\":[{\"id\":1,\"http_port\":0}],\"single_node\":true,"
                + "\"raft\":{\"heartbeat_ms\":1}}");
        Result r = run("node", "--conf", bad.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("invalid configuration").contains("raft.heartbeat_ms: must be >= tick_ms");
        assertThat(run("node", "--conf=" + bad).err()).as("--opt=value").contains("raft.heartbeat_ms");
        assertThat(run("node", "-conf", bad.toString()).err()).as("the launcher's spelling")
                .contains("raft.heartbeat_ms");
        Result missing = run("local", "--conf", dir.resolve("absent.json").toString());
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("file not found");
        Result perNode = run("local", "--conf", "conf/node-1.json");
        assertThat(perNode.code()).isEqualTo(2);
        assertThat(perNode.err()).contains("node_id").contains("node --conf");
    }

    @Test
    void aClusterThatCannotStartExits1(@TempDir Path dir) throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Path conf = dir.resolve("taken.json");
            Files.writeString(conf, "{\"nodes\":[{\"id\":1,\"http_port\":" + taken.getLocalPort() + ",\"data_dir\":\""
                    + dir.resolve("node-1") + "\"}],\"single_node\":true,\"storage\":{\"engine\":\"memory\"}}");
            Result r = run("local", "--conf", conf.toString());
            assertThat(r.code()).as(r.err()).isEqualTo(1);
            assertThat(r.err()).startsWith("raftline: cannot start the local cluster: ")
                    .contains(String.valueOf(taken.getLocalPort()));
        }
    }

    private static Bench.Options bench(String... args) {
        return parse(BenchCommand.class, args).options();
    }

    @Test
    void benchOptionsTakeEitherSpellingAndKeepTheirDefaults() {
        Bench.Options o = bench("bench", "--url", "http://localhost:8081", "--clients=64", "--duration", "1.5s",
                "--value-size=10", "--keys", "5", "--warmup=200ms");
        assertThat(o.url()).hasToString("http://localhost:8081");
        assertThat(o.clients()).isEqualTo(64);
        assertThat(o.durationMs()).isEqualTo(1500);
        assertThat(o.warmupMs()).isEqualTo(200);
        assertThat(o.valueSize()).isEqualTo(10);
        assertThat(o.keys()).isEqualTo(5);
        Bench.Options d = bench("bench", "--url=http://localhost:8081");
        assertThat(d).isEqualTo(new Bench.Options(d.url(), 16, 10_000, 1_000, 100, 1000, 5_000, 0, "linearizable",
                Bench.Target.LEADER, ""));
        Bench.Options mix = bench("bench", "--url=http://x:1", "--reads", "90", "--consistency=lease", "--target", "all");
        assertThat(mix.readPercent()).isEqualTo(90);
        assertThat(mix.consistency()).isEqualTo("lease");
        assertThat(mix.target()).isEqualTo(Bench.Target.ALL);
        assertThatThrownBy(() -> bench("bench", "--url", "http://x:1", "--reads", "101"))
                .hasMessage("Invalid value for option '--reads': must be a percentage in 0..100, got 101");
        assertThatThrownBy(() -> bench("bench", "--url", "http://x:1", "--target", "somewhere"))
                .hasMessage("Invalid value for option '--target': must be leader, all or url, got 'somewhere'");
        assertThat(bench("bench", "--url=http://x:1", "--clients", "2", "--clients=3").clients())
                .as("a repeated option takes its last value").isEqualTo(3);
        assertThatThrownBy(() -> bench("bench", "--url", "http://x:1", "--duration", "0s"))
                .isInstanceOf(ParameterException.class)
                .hasMessage("Invalid value for option '--duration': must be > 0, got '0ms'");
        assertThatThrownBy(() -> bench("bench", "--url", "http://x:1", "--value-size", "2000000"))
                .hasMessage("Invalid value for option '--value-size': must be an integer in 1..1048576, got 2000000");
    }

    @Test
    void durationsAndSharesReadTheirUsualSpellings() {
        Converters.DurationConverter d = new Converters.DurationConverter();
        assertThat(d.convert("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(d.convert("10s")).isEqualTo(Duration.ofSeconds(10));
        assertThat(d.convert("1.5s")).isEqualTo(Duration.ofMillis(1500));
        assertThat(d.convert("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(d.convert("10")).as("a bare number is seconds").isEqualTo(Duration.ofSeconds(10));
        assertThat(d.convert(" 3S ")).isEqualTo(Duration.ofSeconds(3));
        assertThatThrownBy(() -> d.convert("1h")).isInstanceOf(TypeConversionException.class)
                .hasMessage("must be a duration like 10s, 500ms or 1m, got '1h'");
        Converters.ShareConverter s = new Converters.ShareConverter();
        assertThat(s.convert("33%")).isEqualTo(0.33);
        assertThat(s.convert("0.25")).isEqualTo(0.25);
        assertThat(s.convert("0")).isZero();
        assertThat(s.convert("100%")).isEqualTo(1.0);
        assertThatThrownBy(() -> s.convert("101%")).hasMessage("must be a share in 0..1 or 0%..100%, got '101%'");
        assertThatThrownBy(() -> s.convert("-0.1")).hasMessageContaining("must be a share");
        Converters.HttpUrlConverter u = new Converters.HttpUrlConverter();
        assertThat(u.convert("http://127.0.0.1:8081")).hasToString("http://127.0.0.1:8081");
        assertThatThrownBy(() -> u.convert("localhost:8081")).hasMessageContaining("must look like http://host:port");
        assertThatThrownBy(() -> u.convert("http://[x")).hasMessageContaining("must look like http://host:port");
    }
}
