package io.raftline.config;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.raftline.events.EventValues;
import io.raftline.node.NodeOptions;
import io.raftline.raft.ConfigException;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Configuration is validated field by field with messages that name the field and the rule. */
class RaftlineConfigTest {

    private static JsonObject base() {
        return new JsonObject("""
                {"nodes":[{"id":1,"http_port":8081},{"id":2,"http_port":8082},{"id":3,"http_port":8083}],
                 "admin":{"port":8080},
                 "raft":{"tick_ms":10,"heartbeat_ms":100,"election_timeout_min_ms":500,"election_timeout_max_ms":1000}}
                """);
    }

    private static String failure(JsonObject json) {
        try {
            RaftlineConfig.fromJson(json);
        } catch (ConfigException e) {
            return e.getMessage();
        }
        throw new AssertionError("expected a ConfigException for " + json.encode());
    }

    @Test
    void theShippedConfigsAreValid() throws Exception {
        for (String name : new String[] {"local-3", "local-5", "node-1", "node-2", "node-3", "single-node",
                "grpc-node-1", "grpc-node-2", "grpc-node-3"}) {
            RaftlineConfig c = RaftlineConfig.fromJson(new JsonObject(Files.readString(Path.of("conf", name + ".json"))));
            assertThat(c.nodes()).isNotEmpty();
        }
        RaftlineConfig local = RaftlineConfig.fromJson(new JsonObject(Files.readString(Path.of("conf/local-3.json"))));
        assertThat(local.nodeId()).isZero();
        assertThat(local.admin().port()).isEqualTo(8080);
        assertThat(local.nodes()).extracting(NodeConfig::httpPort).containsExactly(8081, 8082, 8083);
        assertThat(local.nodes()).extracting(NodeConfig::respPort).containsExactly(6381, 6382, 6383);
        assertThat(local.nodes()).extracting(NodeConfig::dataDir).containsExactly("./data/node-1", "./data/node-2",
                "./data/node-3");
        RaftlineConfig single = RaftlineConfig.fromJson(new JsonObject(Files.readString(Path.of("conf/single-node.json"))));
        assertThat(single.singleNode()).isTrue();
        assertThat(single.raftConfig(1).quorum()).isEqualTo(1);
        assertThat(local.transport()).isEqualTo(TransportKind.EVENTBUS);
        RaftlineConfig grpc = RaftlineConfig.fromJson(new JsonObject(Files.readString(Path.of("conf/grpc-node-2.json"))));
        assertThat(grpc.transport()).isEqualTo(TransportKind.GRPC);
        assertThat(grpc.nodeId()).isEqualTo(2);
        assertThat(local.advisories()).as("the shipped configurations need no advice").isEmpty();
        assertThat(grpc.advisories()).isEmpty();
    }

    /**
     * The example of docs/configuration.md's "File" section, read by the loader as a file: it was refused ("a cluster
     * needs at least 3 voting members", one node listed without {@code single_node}), so a reader who started from it
     * had an error first. It also names every field a section has (but the legacy {@code admin.hide_values}), as it
     * sets out to show them all.
     */
    @Test
    void theFileExampleOfTheConfigurationDocsIsValid(@TempDir Path dir) throws Exception {
        String doc = Files.readString(Path.of("docs", "configuration.md"));
        int section = doc.indexOf("\n## File\n");
        assertThat(section).as("docs/configuration.md has a File section").isPositive();
        int start = doc.indexOf("```json\n", section) + "```json\n".length();
        String example = doc.substring(start, doc.indexOf("\n```", start));
        Path file = dir.resolve("example.json");
        Files.writeString(file, example);
        RaftlineConfig c = ConfigLoader.read(file);
        assertThat(c.nodeId()).isEqualTo(1);
        assertThat(c.memberIds()).containsExactly(1, 2, 3);
        JsonObject json = new JsonObject(example);
        assertThat(json.fieldNames()).containsExactlyInAnyOrderElementsOf(RaftlineConfig.TOP_FIELDS);
        assertThat(json.getJsonArray("nodes").getJsonObject(0).fieldNames())
                .containsExactlyInAnyOrderElementsOf(RaftlineConfig.NODE_FIELDS);
        assertThat(json.getJsonObject("admin").fieldNames()).containsExactlyInAnyOrder("host", "port", "token");
        assertThat(json.getJsonObject("raft").fieldNames()).containsExactlyInAnyOrderElementsOf(RaftSettings.FIELDS);
        assertThat(json.getJsonObject("service").fieldNames())
                .containsExactlyInAnyOrderElementsOf(RaftlineConfig.SERVICE_FIELDS);
        assertThat(json.getJsonObject("storage").fieldNames())
                .containsExactlyInAnyOrderElementsOf(RaftlineConfig.STORAGE_FIELDS);
        assertThat(json.getJsonObject("security").fieldNames())
                .containsExactlyInAnyOrderElementsOf(RaftlineConfig.SECURITY_FIELDS);
        assertThat(json.getJsonObject("limits").fieldNames())
                .containsExactlyInAnyOrderElementsOf(RaftlineConfig.LIMITS_FIELDS);
        assertThat(json.getJsonObject("tls").fieldNames())
                .containsExactlyInAnyOrderElementsOf(RaftlineConfig.TLS_FIELDS);
    }

    /**
     * Two shipped configurations that name the same data directory must describe the same cluster there: the same
     * initial voters and the same number of groups. A node's directory holds its votes and its log, promises made to
     * the members it had; README has a new user start {@code local-3}, then {@code local --conf conf/local-5.json}
     * and {@code node --conf conf/single-node.json} in the same working directory, and a node that opened another
     * cluster's log under another initial membership (five voters, or one that elects itself alone) could elect a
     * leader without writes the old majority committed. The per-process files and the local file of the same
     * cluster may share (they are one cluster run two ways).
     */
    @Test
    void shippedConfigsThatShareADataDirectoryDescribeTheSameCluster() throws Exception {
        Map<String, String> clusterOfDir = new java.util.TreeMap<>();
        Map<String, String> fileOfDir = new java.util.TreeMap<>();
        java.util.List<String> clashes = new java.util.ArrayList<>();
        try (java.util.stream.Stream<Path> files = Files.list(Path.of("conf"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
                RaftlineConfig c = RaftlineConfig.fromJson(new JsonObject(Files.readString(file)));
                String cluster = "voters " + c.nodes().stream().filter(n -> !n.join()).map(NodeConfig::id).sorted()
                        .toList() + ", groups " + c.groups();
                for (NodeConfig n : c.nodes()) {
                    String dir = Path.of(n.dataDir()).normalize().toString();
                    String before = clusterOfDir.putIfAbsent(dir, cluster);
                    fileOfDir.putIfAbsent(dir, file.getFileName().toString());
                    if (before != null && !before.equals(cluster)) {
                        clashes.add(dir + ": " + fileOfDir.get(dir) + " (" + before + ") and " + file.getFileName()
                                + " (" + cluster + ")");
                    }
                }
            }
        }
        assertThat(clusterOfDir).isNotEmpty();
        assertThat(clashes).as("data directories shared by different clusters").isEmpty();
    }

    /**
     * A body limit far above the default beside a short election timeout is valid, but the start-up output says
     * what it costs and what to set, naming both fields; a long enough timeout, or a single node, has nothing to say.
     */
    @Test
    void aLargeBodyLimitBesideAShortElectionTimeoutIsAdvisedAgainst() {
        JsonObject large = base().put("service", new JsonObject().put("max_body_bytes", 64 << 20));
        assertThat(RaftlineConfig.fromJson(large).advisories()).singleElement().asString()
                .contains("service.max_body_bytes is 64 MiB", "raft.election_timeout_min_ms 500",
                        "at least 1280");
        large.getJsonObject("raft").put("election_timeout_min_ms", 1280).put("election_timeout_max_ms", 2560);
        assertThat(RaftlineConfig.fromJson(large).advisories()).isEmpty();
        assertThat(RaftlineConfig.fromJson(base().put("service", new JsonObject().put("max_body_bytes", 4 << 20)))
                .advisories()).as("up to 4 MiB").isEmpty();
        JsonObject single = new JsonObject().put("single_node", true)
                .put("nodes", new JsonArray().add(new JsonObject().put("id", 1).put("http_port", 8081)))
                .put("service", new JsonObject().put("max_body_bytes", 64 << 20));
        assertThat(RaftlineConfig.fromJson(single).advisories()).as("no follower to miss a heartbeat").isEmpty();
    }

    @Test
    void theJoiningConfigsListTheFirstThreeNodesAndJoinThem() throws Exception {
        for (String kind : new String[] {"node", "grpc-node"}) {
            for (int id = 4; id <= 5; id++) {
                RaftlineConfig c = RaftlineConfig.fromJson(new JsonObject(Files.readString(
                        Path.of("conf", kind + "-" + id + ".json"))));
                RaftlineConfig first = RaftlineConfig.fromJson(new JsonObject(Files.readString(
                        Path.of("conf", kind + "-1.json"))));
                assertThat(c.nodeId()).isEqualTo(id);
                assertThat(c.clusterName()).isEqualTo(first.clusterName());
                assertThat(c.transport()).isEqualTo(first.transport());
                assertThat(c.memberIds()).as("the initial membership it joins").containsExactly(1, 2, 3);
                assertThat(c.nodes().subList(0, 3)).isEqualTo(first.nodes());
                NodeConfig self = c.node(id).orElseThrow();
                assertThat(self.join()).isTrue();
                assertThat(self.httpPort()).isEqualTo(8080 + id);
                assertThat(self.busPort()).isEqualTo(5700 + id);
                assertThat(self.dataDir()).isEqualTo("./data/" + kind + "-" + id);
                assertThat(c.raftConfig(id).members()).as("a joining node starts with no membership").isEmpty();
                assertThat(c.admin().port()).isEqualTo(8090 + id);
            }
        }
    }

    @Test
    void eventLoopsDefaultToVertxsAndAreBounded() throws Exception {
        assertThat(RaftlineConfig.fromJson(base()).eventLoops()).isZero();
        assertThat(RaftlineConfig.fromJson(base()).vertxOptions(new io.vertx.core.VertxOptions()).getEventLoopPoolSize())
                .isEqualTo(io.vertx.core.VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE);
        RaftlineConfig one = RaftlineConfig.fromJson(base().put("event_loops", 1));
        assertThat(one.vertxOptions(new io.vertx.core.VertxOptions()).getEventLoopPoolSize()).isEqualTo(1);
        assertThat(failure(base().put("event_loops", -1))).isEqualTo("event_loops: must be in 0..1024, got -1");
        assertThat(failure(base().put("event_loops", "2"))).startsWith("event_loops:");
    }

    /**
     * The log on disk always holds the WAL segment being written, which compaction never deletes: with
     * {@code max_log_size_bytes} below {@code segment_bytes} a node refused every write for good once its first
     * segment passed the bound (seen: 256 KiB bound, 1 MiB segments, a single node took 236 writes of 1 KiB, then
     * answered 503 "writes resume once a snapshot compacts it" forever, its snapshot at the last applied index). Such a
     * configuration is refused, naming both fields; the memory engine, which has no segments, is not concerned.
     */
    @Test
    void aLogBoundBelowOneWalSegmentIsRefused() {
        JsonObject small = base().put("storage", new JsonObject().put("segment_bytes", 1 << 20));
        small.getJsonObject("raft").put("snapshot_interval_bytes", 256 << 10).put("max_log_size_bytes", 256 << 10);
        assertThat(failure(small)).startsWith("raft.max_log_size_bytes: must be >= storage.segment_bytes (1048576)"
                + " with the durable engine, got 262144");
        small.getJsonObject("raft").put("max_log_size_bytes", 1 << 20);
        assertThat(RaftlineConfig.fromJson(small).raft().maxLogSizeBytes()).isEqualTo(1 << 20);
        JsonObject memory = base().put("storage", new JsonObject().put("engine", "memory"));
        memory.getJsonObject("raft").put("snapshot_interval_bytes", 256 << 10).put("max_log_size_bytes", 256 << 10);
        assertThat(RaftlineConfig.fromJson(memory).raft().maxLogSizeBytes()).isEqualTo(256 << 10);
    }

    @Test
    void groupsQuiesceByDefaultOnlyWhenThereAreSeveral() {
        assertThat(RaftlineConfig.fromJson(base()).raftConfig(1).quiesceMs()).isZero();
        assertThat(RaftlineConfig.fromJson(base().put("groups", 16)).raftConfig(1).quiesceMs()).isEqualTo(2000);
        JsonObject never = base().put("groups", 16);
        never.getJsonObject("raft").put("quiesce_ms", 0);
        assertThat(RaftlineConfig.fromJson(never).raftConfig(2).quiesceMs()).isZero();
        JsonObject chosen = base();
        chosen.getJsonObject("raft").put("quiesce_ms", 5000);
        assertThat(RaftlineConfig.fromJson(chosen).raftConfig(3).quiesceTicks()).isEqualTo(500);
        JsonObject tooShort = base().put("groups", 4);
        tooShort.getJsonObject("raft").put("quiesce_ms", 300);
        assertThat(failure(tooShort)).isEqualTo(
                "raft.quiesce_ms: must be 0 (never) or at least election_timeout_max_ms (1000), got 300");
        JsonObject negative = base();
        negative.getJsonObject("raft").put("quiesce_ms", -5);
        assertThat(failure(negative)).isEqualTo("raft.quiesce_ms: must be 0 (never) or a time in ms, got -5");
    }

    /**
     * Raft's timing fields are at most an hour, as a request's timeout is: their ticks are counted in an int, and a
     * value near 2^31 overflowed (an election timeout of 2147483647 ms was accepted and became the minimum, and with
     * several groups twice 1.5e9 ms made the automatic quiesce_ms negative, refused as a quiesce_ms nobody set).
     */
    @Test
    void raftTimingsAreAtMostAnHour() {
        java.util.function.BiFunction<String, Integer, JsonObject> raft = (f, v) -> {
            JsonObject c = base().put("groups", 16);
            c.getJsonObject("raft").put(f, v);
            return c;
        };
        assertThat(failure(raft.apply("tick_ms", Integer.MAX_VALUE)))
                .isEqualTo("raft.tick_ms: must be at most 3600000 (an hour), got 2147483647");
        assertThat(failure(raft.apply("heartbeat_ms", 3_600_001)))
                .isEqualTo("raft.heartbeat_ms: must be at most 3600000 (an hour), got 3600001");
        assertThat(failure(raft.apply("election_timeout_min_ms", 3_600_001)))
                .isEqualTo("raft.election_timeout_min_ms: must be at most 3600000 (an hour), got 3600001");
        assertThat(failure(raft.apply("election_timeout_max_ms", Integer.MAX_VALUE)))
                .isEqualTo("raft.election_timeout_max_ms: must be at most 3600000 (an hour), got 2147483647");
        assertThat(failure(raft.apply("election_timeout_max_ms", 1_500_000_000)))
                .isEqualTo("raft.election_timeout_max_ms: must be at most 3600000 (an hour), got 1500000000");
        assertThat(failure(raft.apply("quiesce_ms", 3_600_001)))
                .isEqualTo("raft.quiesce_ms: must be 0 (never) or at most 3600000 (an hour), got 3600001");
        assertThatThrownBy(() -> ConfigLoader.fromSources(base(), Map.of("RAFTLINE_RAFT_ELECTION_TIMEOUT_MAX_MS",
                "2147483647"), Map.of())).hasMessage("RAFTLINE_RAFT_ELECTION_TIMEOUT_MAX_MS"
                + " (raft.election_timeout_max_ms): must be at most 3600000 (an hour), got 2147483647");
        // An hour itself is fine, and the automatic quiesce_ms (twice the maximum election timeout) stops there too.
        JsonObject hour = raft.apply("election_timeout_min_ms", 3_500_000);
        hour.getJsonObject("raft").put("election_timeout_max_ms", 3_600_000);
        io.raftline.raft.RaftConfig c = RaftlineConfig.fromJson(hour).raftConfig(1);
        assertThat(c.electionTicksMax()).isEqualTo(360_000);
        assertThat(c.quiesceMs()).isEqualTo(3_600_000);
        assertThat(c.quiesceTicks()).isEqualTo(360_000);
    }

    @Test
    void groupsDefaultToOneAndAreBounded() throws Exception {
        assertThat(RaftlineConfig.fromJson(base()).groups()).isEqualTo(1);
        assertThat(RaftlineConfig.fromJson(base().put("groups", 16)).groups()).isEqualTo(16);
        assertThat(failure(base().put("groups", 0))).isEqualTo("groups: must be in 1..256, got 0");
        assertThat(failure(base().put("groups", 257))).isEqualTo("groups: must be in 1..256, got 257");
        // 2^64 + 16 is not 16 (its low bits), nor is 1e30 the largest long: numbers beyond 64 bits are refused.
        assertThat(failure(base().put("groups", new java.math.BigInteger("18446744073709551632"))))
                .isEqualTo("groups: must be an integer in 1..256, got 18446744073709551632");
        assertThat(failure(base().put("groups", 1e30))).startsWith("groups: must be an integer in ");
        assertThat(RaftlineConfig.fromJson(base().put("groups", 16.0)).groups()).as("an integral double")
                .isEqualTo(16);
        assertThat(failure(base().put("groups", "16"))).isEqualTo("groups: must be an integer (a JSON number: write 16 without quotes), got \"16\"");
        JsonObject overridden = ConfigLoader.applyOverrides(base(), Map.of("RAFTLINE_GROUPS", "8"), Map.of());
        assertThat(RaftlineConfig.fromJson(overridden).groups()).isEqualTo(8);
        for (String name : new String[] {"local-sharded", "sharded-node-1", "sharded-node-2", "sharded-node-3"}) {
            RaftlineConfig c = RaftlineConfig.fromJson(new JsonObject(Files.readString(Path.of("conf", name
                    + ".json"))));
            assertThat(c.groups()).as(name).isEqualTo(16);
            assertThat(c.nodes()).as(name).allMatch(n -> n.dataDir().contains("sharded"));
        }
    }

    @Test
    void theTransportIsEventbusOrGrpc() {
        assertThat(RaftlineConfig.fromJson(base()).transport()).isEqualTo(TransportKind.EVENTBUS);
        assertThat(RaftlineConfig.fromJson(base().put("transport", "grpc")).transport()).isEqualTo(TransportKind.GRPC);
        assertThat(failure(base().put("transport", "http"))).isEqualTo("transport: must be \"eventbus\" or \"grpc\", got \"http\"");
        assertThat(failure(base().put("transport", 1))).isEqualTo("transport: must be a string, got 1");
        JsonObject overridden = ConfigLoader.applyOverrides(base(), Map.of("RAFTLINE_TRANSPORT", "grpc"), Map.of());
        assertThat(RaftlineConfig.fromJson(overridden).transport()).isEqualTo(TransportKind.GRPC);
        assertThat(RaftlineConfig.fromJson(ConfigLoader.applyOverrides(base().put("transport", "grpc"), Map.of(),
                Map.of("raftline.transport", "eventbus"))).transport()).isEqualTo(TransportKind.EVENTBUS);
    }

    @Test
    void messagesNameTheFieldAndTheRule() {
        assertThat(failure(base().put("raft", new JsonObject().put("tick_ms", 10).put("heartbeat_ms", 5))))
                .isEqualTo("raft.heartbeat_ms: must be >= tick_ms (10), got 5");
        assertThat(failure(base().put("raft", new JsonObject().put("election_timeout_min_ms", 150))))
                .startsWith("raft.election_timeout_min_ms: must be at least 2 × heartbeat_ms");
        assertThat(failure(base().put("raft", new JsonObject().put("election_timeout_min_ms", 500)
                .put("election_timeout_max_ms", 505)))).isEqualTo("raft.election_timeout_max_ms: must exceed"
                + " election_timeout_min_ms (500) by at least tick_ms (10), so that the nodes draw different election"
                + " timeouts and a split vote ends, got 505");
        assertThat(RaftlineConfig.fromJson(base().put("raft", new JsonObject().put("election_timeout_min_ms", 500)
                .put("election_timeout_max_ms", 510))).raftConfig(1).electionTicksMax()).isEqualTo(51);
        assertThat(failure(base().put("raft", new JsonObject().put("tick_ms", "fast"))))
                .isEqualTo("raft.tick_ms: must be an integer, got \"fast\"");
        assertThat(failure(base().put("raft", new JsonObject().put("tick", 10))))
                .startsWith("raft.tick: unknown field");
        JsonObject badPort = base();
        badPort.getJsonArray("nodes").getJsonObject(1).put("http_port", 70000);
        assertThat(failure(badPort)).startsWith("nodes[1].http_port: must be a TCP port in 0..65535");
        JsonObject dupPort = base();
        dupPort.getJsonArray("nodes").getJsonObject(2).put("http_port", 8081);
        assertThat(failure(dupPort)).isEqualTo("nodes[2].http_port: port 8081 is used by two nodes");
        JsonObject spelledApart = base();
        spelledApart.getJsonArray("nodes").getJsonObject(0).put("host", "127.0.0.1");
        spelledApart.getJsonArray("nodes").getJsonObject(2).put("host", "LocalHost").put("http_port", 8081);
        assertThat(failure(spelledApart)).as("one address, two spellings").isEqualTo("nodes[2].http_port: port 8081"
                + " is used by two nodes");
        JsonObject twoAddresses = base();
        twoAddresses.getJsonArray("nodes").getJsonObject(2).put("host", "127.0.0.3").put("http_port", 8081);
        assertThat(RaftlineConfig.fromJson(twoAddresses).nodes().get(2).httpPort()).as("two loopback addresses")
                .isEqualTo(8081);
        JsonObject badResp = base();
        badResp.getJsonArray("nodes").getJsonObject(0).put("resp_port", -2);
        assertThat(failure(badResp)).isEqualTo("nodes[0].resp_port: must be a TCP port in 0..65535 (0 = any free port),"
                + " or -1 to run no Redis-protocol listener, got -2");
        JsonObject respOnHttp = base();
        respOnHttp.getJsonArray("nodes").getJsonObject(0).put("resp_port", 8082);
        assertThat(failure(respOnHttp)).isEqualTo("nodes[1].http_port: port 8082 is used by two nodes");
        JsonObject httpOnResp = base();
        httpOnResp.getJsonArray("nodes").getJsonObject(2).put("resp_port", 6381);
        assertThat(failure(httpOnResp)).isEqualTo("nodes[2].resp_port: port 6381 is already used by another node or"
                + " port");
        assertThat(failure(base().put("admin", new JsonObject().put("port", 6382))))
                .isEqualTo("admin.port: port 6382 is also node 2's resp_port");
        JsonObject dupId = base();
        dupId.getJsonArray("nodes").getJsonObject(2).put("id", 1);
        assertThat(failure(dupId)).isEqualTo("nodes[2].id: duplicate node id 1");
        assertThat(failure(base().put("admin", new JsonObject().put("port", 8082))))
                .isEqualTo("admin.port: port 8082 is also node 2's http_port");
        assertThat(failure(base().put("admin", new JsonObject().put("port", 5703))))
                .isEqualTo("admin.port: port 5703 is also node 3's bus_port");
        assertThat(failure(base().put("node_id", 4))).startsWith("node_id: must be one of the ids in nodes");
        assertThat(failure(base().put("service", new JsonObject().put("request_timeout_ms", 0))))
                .isEqualTo("service.request_timeout_ms: must be in 1..3600000, got 0");
        // A timeout in milliseconds beyond a long's nanoseconds made every request's deadline lie in the past.
        assertThat(failure(base().put("service", new JsonObject().put("request_timeout_ms", Long.MAX_VALUE))))
                .isEqualTo("service.request_timeout_ms: must be in 1..3600000, got 9223372036854775807");
        assertThat(failure(base().put("service", new JsonObject().put("forward_timeout_ms", 3_600_001))))
                .isEqualTo("service.forward_timeout_ms: must be in 1..3600000, got 3600001");
        assertThat(failure(base().put("service", new JsonObject().put("forward_timeout_ms", 0))))
                .isEqualTo("service.forward_timeout_ms: must be in 1..3600000, got 0");
        assertThat(RaftlineConfig.fromJson(base().put("service", new JsonObject().put("request_timeout_ms", 3_600_000)
                .put("forward_timeout_ms", 3_600_000))).service().requestTimeoutMs()).isEqualTo(3_600_000);
        assertThat(failure(base().put("service", new JsonObject().put("max_body_bytes", -1))))
                .startsWith("service.max_body_bytes: must be in 1..");
        // Watches end on a node that has known no leader for three election timeouts, unless told otherwise.
        assertThat(RaftlineConfig.fromJson(base()).service().watchLeaderlessMs()).isEqualTo(3000);
        assertThat(RaftlineConfig.fromJson(base()).nodeOptions(2).watchLeaderlessMs()).isEqualTo(3000);
        assertThat(RaftlineConfig.fromJson(base().put("service", new JsonObject().put("watch_leaderless_ms", 0)))
                .nodeOptions(2).watchLeaderlessMs()).isZero();
        assertThat(failure(base().put("service", new JsonObject().put("watch_leaderless_ms", 999))))
                .isEqualTo("service.watch_leaderless_ms: must be 0 (watches stay open on a node without a leader) or"
                        + " in 1000..3600000 (at least raft.election_timeout_max_ms, so that an election does not end"
                        + " every watch), got 999");
        assertThat(failure(base().put("service", new JsonObject().put("watch_leaderless_ms", 3_600_001))))
                .startsWith("service.watch_leaderless_ms: must be 0 (watches stay open");
        assertThat(failure(base().put("single_node", true))).startsWith("single_node: a single-node bootstrap");
        JsonObject two = base();
        two.getJsonArray("nodes").remove(2);
        assertThat(failure(two)).startsWith("nodes: a cluster needs at least 3 voting members");
        assertThat(failure(new JsonObject())).isEqualTo("nodes: must list at least one node");
        assertThat(failure(base().put("colour", "blue"))).startsWith("colour: unknown field");
    }

    @Test
    void valuesCanBeHiddenFromTheEventStream() {
        assertThat(RaftlineConfig.fromJson(base()).security().eventValues()).isEqualTo(EventValues.SHOW);
        for (EventValues v : EventValues.values()) {
            JsonObject set = base().put("security", new JsonObject().put("event_values", v.configName()));
            assertThat(RaftlineConfig.fromJson(set).security().eventValues()).isEqualTo(v);
        }
        assertThat(failure(base().put("security", new JsonObject().put("event_values", "secret")))).isEqualTo(
                "security.event_values: must be \"show\" (events carry keys and values), \"hide\" (keys and value sizes"
                        + " only) or \"hide_keys\" (value sizes only), got \"secret\"");
        assertThat(failure(base().put("security", new JsonObject().put("event_values", true))))
                .startsWith("security.event_values: must be a string");
        // The older admin.hide_values still hides values, and never weakens a stricter setting.
        JsonObject legacy = base();
        legacy.getJsonObject("admin").put("hide_values", true);
        assertThat(RaftlineConfig.fromJson(legacy).security().eventValues()).isEqualTo(EventValues.HIDE);
        legacy.put("security", new JsonObject().put("event_values", "hide_keys"));
        assertThat(RaftlineConfig.fromJson(legacy).security().eventValues()).isEqualTo(EventValues.HIDE_KEYS);
        JsonObject bad = base();
        bad.getJsonObject("admin").put("hide_values", "yes");
        assertThat(failure(bad)).startsWith("admin.hide_values");
        // From the environment and system properties like every security field.
        JsonObject env = ConfigLoader.applyOverrides(base(), Map.of("RAFTLINE_SECURITY_EVENT_VALUES", "hide"), Map.of());
        assertThat(RaftlineConfig.fromJson(env).security().eventValues()).isEqualTo(EventValues.HIDE);
        JsonObject prop = ConfigLoader.applyOverrides(base(), Map.of("RAFTLINE_SECURITY_EVENT_VALUES", "hide"),
                Map.of("raftline.security.event_values", "hide_keys"));
        assertThat(RaftlineConfig.fromJson(prop).security().eventValues()).isEqualTo(EventValues.HIDE_KEYS);
    }

    @Test
    void secretsThatLookLikeNumbersStayText() {
        JsonObject env = ConfigLoader.applyOverrides(base(), Map.of("RAFTLINE_SECURITY_CLIENT_TOKEN",
                "12345678901234567890123456789012"), Map.of());
        assertThat(RaftlineConfig.fromJson(env).security().clientToken()).isEqualTo("12345678901234567890123456789012");
    }

    @Test
    void aConfigurationPrintedWholeShowsNoSecret() {
        JsonObject json = ConfigLoader.applyOverrides(base(), Map.of("RAFTLINE_ADMIN_TOKEN", "admin-secret-0123456789",
                "RAFTLINE_SECURITY_CLIENT_TOKEN", "client-secret-0123456789"), Map.of());
        RaftlineConfig c = RaftlineConfig.fromJson(json);
        assertThat(c.admin().token()).isEqualTo("admin-secret-0123456789");
        assertThat(c.toString()).doesNotContain("admin-secret").doesNotContain("client-secret")
                .contains("AdminConfig[host=", "token=set]");
    }

    @Test
    void environmentThenSystemPropertiesOverrideTheFile() {
        JsonObject json = ConfigLoader.applyOverrides(base(),
                Map.of("RAFTLINE_RAFT_HEARTBEAT_MS", "50", "RAFTLINE_NODES_2_HTTP_PORT", "9082",
                        "RAFTLINE_ADMIN_TOKEN", "s3cret-0123456789", "PATH", "/usr/bin"),
                Map.of("raftline.raft.heartbeat_ms", "60", "raftline.node_id", "2", "java.version", "17"));
        RaftlineConfig c = RaftlineConfig.fromJson(json);
        assertThat(c.raft().heartbeatMs()).isEqualTo(60);
        assertThat(c.nodeId()).isEqualTo(2);
        assertThat(c.node(2).orElseThrow().httpPort()).isEqualTo(9082);
        assertThat(c.admin().token()).isEqualTo("s3cret-0123456789");
        assertThat(json.containsKey("PATH")).isFalse();
        assertThatThrownBy(() -> RaftlineConfig.fromJson(ConfigLoader.applyOverrides(base(),
                Map.of("RAFTLINE_RAFT_TICK_MS", "often"), Map.of())))
                .hasMessage("raft.tick_ms: must be an integer, got \"often\"");
    }

    /**
     * Without an {@code admin} section a process runs no admin listener. An {@code admin.*} override created the
     * section, so a token set in the environment for every process of a host opened a listener on 8080 in each, and
     * all but the first failed to bind: it is refused, naming the override and the rule.
     */
    @Test
    void anAdminOverrideOnAFileWithoutAnAdminSectionIsRefusedRatherThanOpeningAListener() {
        JsonObject noAdmin = base();
        noAdmin.remove("admin");
        assertThat(ConfigLoader.fromSources(noAdmin, Map.of("RAFTLINE_SECURITY_TRUST_LOOPBACK", "false"), Map.of())
                .admin()).as("other overrides open nothing").isNull();
        String rule = "the configuration has no admin section, so no admin listener: add \"admin\": {} to the file to"
                + " open one, or do not set it for this process";
        assertThatThrownBy(() -> ConfigLoader.fromSources(noAdmin, Map.of("RAFTLINE_ADMIN_TOKEN", "s3cret-0123456789"),
                Map.of())).isInstanceOf(ConfigException.class)
                .hasMessage("RAFTLINE_ADMIN_TOKEN (admin.token): " + rule);
        assertThatThrownBy(() -> ConfigLoader.fromSources(noAdmin, Map.of(), Map.of("raftline.admin.token",
                "s3cret-0123456789"))).hasMessage("raftline.admin.token (admin.token): " + rule);
        assertThatThrownBy(() -> ConfigLoader.fromSources(noAdmin, Map.of("RAFTLINE_ADMIN_HIDE_VALUES", "true"),
                Map.of())).hasMessage("RAFTLINE_ADMIN_HIDE_VALUES (admin.hide_values): " + rule);
        // The property wins over the variable, so it is the one named.
        assertThatThrownBy(() -> ConfigLoader.fromSources(noAdmin, Map.of("RAFTLINE_ADMIN_PORT", "9090"),
                Map.of("raftline.admin.port", "0"))).hasMessage("raftline.admin.port (admin.port): " + rule);
        // With a section, even an empty one, the overrides set its fields.
        RaftlineConfig withSection = ConfigLoader.fromSources(noAdmin.copy().put("admin", new JsonObject()),
                Map.of("RAFTLINE_ADMIN_TOKEN", "s3cret-0123456789", "RAFTLINE_ADMIN_PORT", "9090"), Map.of());
        assertThat(withSection.admin().token()).isEqualTo("s3cret-0123456789");
        assertThat(withSection.admin().port()).isEqualTo(9090);
    }

    /**
     * docs/configuration.md's table of overrides said "Only the names below are looked at" and left out six the loader
     * reads (storage.engine, storage.segment_bytes, admin.hide_values, and a node's bus_port, resp_port and join): the
     * first column of its rows names exactly the fields of the loader's own list, a node's as {@code nodes[id=N].<f>}.
     */
    @Test
    void theOverrideTableOfTheConfigurationDocsNamesEveryFieldTheLoaderOverrides() throws Exception {
        java.util.Set<String> code = new java.util.TreeSet<>();
        JsonObject oneNode = new JsonObject().put("nodes", new JsonArray().add(new JsonObject().put("id", 7)));
        for (java.util.List<String> path : ConfigLoader.overridablePaths(oneNode)) {
            code.add(path.get(0).equals("nodes") ? "nodes[id=N]." + path.get(2) : String.join(".", path));
        }
        String doc = Files.readString(Path.of("docs", "configuration.md"));
        int start = doc.indexOf("\n## Overrides\n");
        assertThat(start).as("docs/configuration.md has an Overrides section").isPositive();
        String section = doc.substring(start, doc.indexOf("\n## ", start + 1));
        java.util.Set<String> documented = new java.util.TreeSet<>();
        java.util.regex.Pattern name = java.util.regex.Pattern.compile("`([^`]+)`");
        for (String row : section.split("\n")) {
            if (!row.startsWith("| `")) {
                continue;
            }
            String fields = row.split("\\|")[1];
            // What follows the names in brackets is a remark about them.
            java.util.regex.Matcher m = name.matcher(fields.contains(" (") ? fields.substring(0, fields.indexOf(" ("))
                    : fields);
            while (m.find()) {
                documented.add(m.group(1));
            }
        }
        assertThat(documented).containsExactlyInAnyOrderElementsOf(code);
        assertThat(code).contains("storage.engine", "storage.segment_bytes", "admin.hide_values",
                "nodes[id=N].bus_port", "nodes[id=N].resp_port", "nodes[id=N].join");
    }

    @Test
    void aRefusedOverrideIsNamedAsTheOperatorWroteIt() {
        // NODES_<N> is the node's id; the validation's own name is its position in the list, which differs.
        JsonObject shuffled = base();
        shuffled.put("nodes", new JsonArray().add(new JsonObject().put("id", 3).put("http_port", 8083))
                .add(new JsonObject().put("id", 1).put("http_port", 8081))
                .add(new JsonObject().put("id", 2).put("http_port", 8082)));
        assertThatThrownBy(() -> ConfigLoader.fromSources(shuffled, Map.of("RAFTLINE_NODES_1_HTTP_PORT", "abc"),
                Map.of())).isInstanceOf(ConfigException.class)
                .hasMessage("RAFTLINE_NODES_1_HTTP_PORT (nodes[1].http_port): must be an integer, got \"abc\"");
        assertThatThrownBy(() -> ConfigLoader.fromSources(base(), Map.of("RAFTLINE_NODES_1_HTTP_PORT", "abc"),
                Map.of())).hasMessage("RAFTLINE_NODES_1_HTTP_PORT (nodes[0].http_port): must be an integer, got \"abc\"");
        // The system property wins over the variable, so it is the one named.
        assertThatThrownBy(() -> ConfigLoader.fromSources(base(), Map.of("RAFTLINE_NODES_3_BUS_PORT", "5703"),
                Map.of("raftline.nodes.3.bus_port", "70000")))
                .hasMessage("raftline.nodes.3.bus_port (nodes[2].bus_port): must be a TCP port in 0..65535"
                        + " (0 = any free port), got 70000");
        assertThatThrownBy(() -> ConfigLoader.fromSources(base(), Map.of("RAFTLINE_RAFT_TICK_MS", "often"), Map.of()))
                .hasMessage("RAFTLINE_RAFT_TICK_MS (raft.tick_ms): must be an integer, got \"often\"");
        // A field of the file refused while another was overridden keeps its own name alone.
        JsonObject file = base();
        file.getJsonArray("nodes").getJsonObject(1).put("http_port", "8082");
        assertThatThrownBy(() -> ConfigLoader.fromSources(file, Map.of("RAFTLINE_NODES_1_HTTP_PORT", "9081"),
                Map.of())).hasMessageStartingWith("nodes[1].http_port: must be an integer (a JSON number");
        assertThat(ConfigLoader.fromSources(base(), Map.of("RAFTLINE_NODES_1_HTTP_PORT", "9081"), Map.of())
                .node(1).orElseThrow().httpPort()).isEqualTo(9081);
    }

    @Test
    void numbersAndBooleansWrittenAsStringsAreRefusedInTheFile(@TempDir Path dir) throws Exception {
        assertThat(failure(base().put("seed", "42")))
                .isEqualTo("seed: must be an integer (a JSON number: write 42 without quotes), got \"42\"");
        JsonObject raft = base();
        raft.getJsonObject("raft").put("heartbeat_ms", "100");
        assertThat(failure(raft)).startsWith("raft.heartbeat_ms: must be an integer (a JSON number");
        assertThat(failure(base().put("single_node", "true")))
                .isEqualTo("single_node: must be true or false (a JSON boolean: write true without quotes), got \"true\"");
        JsonObject node = base();
        node.getJsonArray("nodes").getJsonObject(0).put("http_port", "8081");
        assertThat(failure(node)).startsWith("nodes[0].http_port: must be an integer (a JSON number");
        // Overrides are text by nature: they are typed by their field, so they still work.
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl is needed to make certificates");
        io.raftline.security.TestCa.make(dir);
        String ca = dir.resolve("ca.pem").toString();
        RaftlineConfig c = RaftlineConfig.fromJson(ConfigLoader.applyOverrides(base(),
                Map.of("RAFTLINE_SECURITY_TRUST_LOOPBACK", "false", "RAFTLINE_ADMIN_TOKEN", "1234567890123456",
                        "RAFTLINE_TLS_CA_FILE", ca, "RAFTLINE_TLS_CERT_FILE", dir.resolve("node.pem").toString(),
                        "RAFTLINE_TLS_KEY_FILE", dir.resolve("node-key.pem").toString()),
                Map.of("raftline.limits.quota_bytes", "1048576", "raftline.nodes.1.data_dir", "7")));
        assertThat(c.security().trustLoopback()).isFalse();
        assertThat(c.admin().token()).isEqualTo("1234567890123456");
        assertThat(c.limits().quotaBytes()).isEqualTo(1048576);
        assertThat(c.node(1).orElseThrow().dataDir()).isEqualTo("7");
        assertThat(c.tls().enabled()).isTrue();
        assertThat(c.tls().caFile()).isEqualTo(ca);
    }

    @Test
    void unknownTopLevelFieldsOfTheFileAreRefusedByTheLoader(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("c.json");
        Files.writeString(file, base().put("nodez", 3).encode());
        Throwable t = catchThrowable(() -> ConfigLoader.read(file));
        assertThat(t).isInstanceOf(ConfigException.class).hasMessageStartingWith("nodez: unknown field (known: ");
    }

    @Test
    void securityAndLimitsAreReadAndChecked() {
        RaftlineConfig d = RaftlineConfig.fromJson(base());
        assertThat(d.security()).isEqualTo(SecurityConfig.DEFAULT);
        assertThat(d.limits()).isEqualTo(LimitsConfig.DEFAULT);
        RaftlineConfig c = RaftlineConfig.fromJson(base().put("security", new JsonObject("""
                {"allowed_hosts":["kv.example.com"],"allowed_origins":["https://ops.example.com"],"trust_loopback":false}
                """)).put("limits", new JsonObject("{\"max_connections\":10,\"quota_bytes\":4096}")));
        assertThat(c.security().allowedHosts()).containsExactly("kv.example.com");
        assertThat(c.security().allowedOrigins()).containsExactly("https://ops.example.com");
        assertThat(c.limits().maxConnections()).isEqualTo(10);
        assertThat(c.limits().quotaBytes()).isEqualTo(4096);
        assertThat(failure(base().put("security", new JsonObject().put("allowed_origins", new io.vertx.core.json.JsonArray()
                .add("https://ops.example.com/ui"))))).startsWith("security.allowed_origins[0]: must be an origin like");
        assertThat(failure(base().put("security", new JsonObject().put("allowed_hosts", new io.vertx.core.json.JsonArray()
                .add("http://x"))))).startsWith("security.allowed_hosts[0]: must be a host name");
        assertThat(failure(base().put("limits", new JsonObject().put("max_header_bytes", 10))))
                .isEqualTo("limits.max_header_bytes: must be in 1024..1048576, got 10");
        assertThat(failure(base().put("limits", new JsonObject().put("max_conections", 10))))
                .startsWith("limits.max_conections: unknown field");
    }

    /**
     * The guard compares a request's {@code Host} name, its port removed, with each entry of
     * {@code security.allowed_hosts} exactly; only {@code "*"} alone is special. An entry with a port or a partial
     * wildcard was accepted and never let a request in: it is refused naming the entry and the rule. IPv6 literals,
     * bare or in brackets, have colons without a port.
     */
    @Test
    void anAllowedHostWithAPortOrAPartialWildcardIsRefused() {
        java.util.function.Function<String, JsonObject> hosts = h -> base().put("security", new JsonObject()
                .put("allowed_hosts", new JsonArray().add("kv.example.com").add(h)));
        assertThat(failure(hosts.apply("raftline.example.com:8443"))).isEqualTo("security.allowed_hosts[1]: must be a"
                + " host name without a port (the name is compared without the port clients use: write"
                + " \"raftline.example.com\"), got \"raftline.example.com:8443\"");
        assertThat(failure(hosts.apply("[::1]:8443"))).startsWith("security.allowed_hosts[1]: must be a host name"
                + " without a port").contains("write \"[::1]\"");
        assertThat(failure(hosts.apply("*.example.com"))).isEqualTo("security.allowed_hosts[1]: must be a host name"
                + " without wildcards (each name is compared whole; list every name clients use, or \"*\" alone to"
                + " accept any), got \"*.example.com\"");
        assertThat(failure(hosts.apply("kv*.example.com"))).startsWith("security.allowed_hosts[1]: must be a host"
                + " name without wildcards");
        for (String fine : new String[] {"*", "::1", "[::1]", "fe80::1%eth0", "2001:db8::7", "10.0.0.7",
            "raftline.example.com."}) {
            assertThat(RaftlineConfig.fromJson(hosts.apply(fine)).security().allowedHosts()).as(fine).contains(fine);
        }
        // What the guard does with them: the port-less name matches whatever port the client used.
        io.raftline.security.RequestGuard guard = new io.raftline.security.RequestGuard(
                java.util.List.of("raftline.example.com"), java.util.List.of());
        assertThat(guard.hostAllowed("raftline.example.com")).isTrue();
        assertThat(new io.raftline.security.RequestGuard(java.util.List.of("*.example.com"), java.util.List.of())
                .hostAllowed("kv.example.com")).as("a partial wildcard matched nothing").isFalse();
    }

    @Test
    void pendingReadsAreBoundedPerNode() {
        assertThat(RaftlineConfig.fromJson(base()).nodeOptions(1).maxPendingReads())
                .isEqualTo(NodeOptions.DEFAULT_MAX_PENDING_READS);
        assertThat(RaftlineConfig.fromJson(base().put("service", new JsonObject().put("max_pending_reads", 7)))
                .nodeOptions(1).maxPendingReads()).isEqualTo(7);
        assertThat(failure(base().put("service", new JsonObject().put("max_pending_reads", 0))))
                .isEqualTo("service.max_pending_reads: must be > 0, got 0");
    }

    @Test
    void theClientTokenIsLongPrintableAndNotTheAdminToken() {
        String token = "0123456789abcdef";
        RaftlineConfig c = RaftlineConfig.fromJson(base().put("security", new JsonObject().put("client_token", token)));
        assertThat(c.security().clientToken()).isEqualTo(token);
        assertThat(c.clientAccess().required()).isTrue();
        assertThat(RaftlineConfig.fromJson(base()).clientAccess().required()).isFalse();
        assertThat(failure(base().put("security", new JsonObject().put("client_token", "short"))))
                .isEqualTo("security.client_token: must be at least 16 characters when set (make one with: openssl"
                        + " rand -hex 16), got 5");
        assertThat(failure(base().put("security", new JsonObject().put("client_token", "0123456789 abcdef"))))
                .startsWith("security.client_token: must be printable ASCII without spaces");
        assertThat(failure(base().put("admin", new JsonObject().put("token", token))
                .put("security", new JsonObject().put("client_token", token))))
                .startsWith("security.client_token: must differ from admin.token");
    }

    /**
     * Raft over gRPC without TLS in a process of its own, with a client token: the client token cannot be the nodes'
     * credential (every key-value client holds it), so a secret or an admin token must be; the rolling upgrade's
     * setting needs the secret.
     */
    @Test
    void aGrpcNodeWithAClientTokenAndNoTlsNeedsACredentialOnlyNodesHold() {
        String token = "0123456789abcdef";
        JsonObject process = base().put("node_id", 2).put("transport", "grpc")
                .put("security", new JsonObject().put("client_token", token));
        assertThat(failure(process.copy())).startsWith("security.cluster_secret: is required with \"transport\":"
                + " \"grpc\", security.client_token and no tls in a process of its own (node_id 2)");
        RaftlineConfig withSecret = RaftlineConfig.fromJson(process.copy().put("security", new JsonObject()
                .put("client_token", token).put("cluster_secret", "secret-0123456789abcdef")));
        assertThat(withSecret.newRaftCallCredential()).isNotNull();
        RaftlineConfig withAdmin = RaftlineConfig.fromJson(process.copy().put("admin", new JsonObject()
                .put("port", 8080).put("token", "admin-0123456789abcdef")));
        assertThat(withAdmin.newRaftCallCredential().refusal(java.util.Map.of("authorization", "Bearer " + token)::get))
                .isNotNull();
        // The local cluster (node_id 0) makes a random one; the event-bus transport needs none.
        assertThat(RaftlineConfig.fromJson(process.copy().put("node_id", 0)).newRaftCallCredential()).isNotNull();
        RaftlineConfig.fromJson(process.copy().put("transport", "eventbus"));
        assertThat(RaftlineConfig.fromJson(base()).newRaftCallCredential()).isNull();
        assertThat(failure(base().put("security", new JsonObject().put("legacy_raft_credential", true))))
                .startsWith("security.legacy_raft_credential: needs security.cluster_secret");
        assertThat(RaftlineConfig.fromJson(base().put("security", new JsonObject().put("legacy_raft_credential", true)
                .put("cluster_secret", "secret-0123456789abcdef"))).security().legacyRaftCredential()).isTrue();
        // Set from the environment for the upgrade, as a boolean.
        assertThat(RaftlineConfig.fromJson(ConfigLoader.applyOverrides(base().put("security", new JsonObject()
                .put("cluster_secret", "secret-0123456789abcdef")), Map.of("RAFTLINE_SECURITY_LEGACY_RAFT_CREDENTIAL",
                "true"), Map.of())).security().legacyRaftCredential()).isTrue();
    }

    @Test
    void hostsMustNotBeEmpty() {
        // http_host was checked, but a node's host and admin.host were not: "" made URLs like http://:8081 that the
        // nodes forward to, and a listener bound to whatever "" resolves to.
        JsonObject emptyNodeHost = base();
        emptyNodeHost.getJsonArray("nodes").getJsonObject(1).put("host", " ");
        assertThat(failure(emptyNodeHost)).startsWith("nodes[1].host: must not be empty");
        assertThat(failure(base().put("admin", new JsonObject().put("host", "")))).startsWith("admin.host: must not be"
                + " empty");
        assertThat(failure(base().put("http_host", ""))).isEqualTo("http_host: must not be empty");
    }

    @Test
    void aNodesDataDirMustNotBeEmpty() {
        // "" was accepted and resolved to the working directory: the node's LOCK file and wal/ landed among whatever
        // was there (found by starting a node on such a file).
        JsonObject json = base();
        json.getJsonArray("nodes").getJsonObject(2).put("data_dir", " ");
        assertThat(failure(json)).isEqualTo("nodes[2].data_dir: must not be empty (the directory of the node's log"
                + " and snapshots; leave it out for ./data/node-3)");
        json.getJsonArray("nodes").getJsonObject(2).put("data_dir", "/var/lib/raftline/3");
        assertThat(RaftlineConfig.fromJson(json).nodes().get(2).dataDir()).isEqualTo("/var/lib/raftline/3");
    }

    @Test
    void aFieldWrittenTwiceInOneObjectIsRefusedByTheLoader(@TempDir Path dir) throws Exception {
        // The reader kept the last of the two silently: a second "node_id" (or "tick_ms") overrode the first unnoticed.
        Path twice = dir.resolve("twice.json");
        Files.writeString(twice, "{\"nodes\":[{\"id\":1,\"http_port\":8081},{\"id\":2,\"http_port\":8082},"
                + "{\"id\":3,\"http_port\":8083}],\n \"raft\":{\"tick_ms\":10,\"tick_ms\":20}}");
        assertThat(catchThrowable(() -> ConfigLoader.read(twice))).isInstanceOf(ConfigException.class)
                .hasMessage("--conf: cannot read " + twice + ": Duplicate field 'tick_ms' (line 2, column 32): a field"
                        + " may appear once in an object");
        // The same name in two objects is no duplicate, and what is not JSON is still reported by the reader.
        Path apart = dir.resolve("apart.json");
        Files.writeString(apart, base().put("admin", new JsonObject().put("port", 8080).put("host", "127.0.0.1"))
                .put("http_host", "127.0.0.1").encode());
        assertThat(ConfigLoader.read(apart).memberIds()).containsExactly(1, 2, 3);
        Path broken = dir.resolve("broken.json");
        Files.writeString(broken, "{\"nodes\": [");
        assertThat(catchThrowable(() -> ConfigLoader.read(broken))).hasMessageContaining("Unexpected end-of-input");
    }

    @Test
    void aCommentInTheFileIsRefusedNamingWhereItIs(@TempDir Path dir) throws Exception {
        // The JSON reader Vert.x configures reads // and /* */ comments: a file with them was accepted, although JSON
        // has none and every other tool (jq, an editor's JSON mode, a schema check) refuses that file.
        Path commented = dir.resolve("commented.json");
        Files.writeString(commented, "{\"nodes\":[{\"id\":1,\"http_port\":8081}],\n  // the only node\n"
                + "  \"single_node\": true}");
        assertThat(catchThrowable(() -> ConfigLoader.read(commented))).isInstanceOf(ConfigException.class)
                .hasMessage("--conf: cannot read " + commented + ": a comment at line 2, column 3: JSON has no"
                        + " comments (remove it)");
        Path block = dir.resolve("block.json");
        Files.writeString(block, "{\"nodes\":[{\"id\":1,\"http_port\":8081}], /* one */ \"single_node\": true}");
        assertThat(catchThrowable(() -> ConfigLoader.read(block))).isInstanceOf(ConfigException.class)
                .hasMessage("--conf: cannot read " + block + ": a comment at line 1, column 39: JSON has no"
                        + " comments (remove it)");
        // A // inside a string is text, not a comment.
        Path url = dir.resolve("url.json");
        Files.writeString(url, "{\"nodes\":[{\"id\":1,\"http_port\":8081,\"data_dir\":\"//srv/raft\"}],"
                + "\"single_node\": true}");
        assertThat(ConfigLoader.read(url).nodes().get(0).dataDir()).isEqualTo("//srv/raft");
    }

    @Test
    void aByteOrderMarkAtTheStartOfTheFileIsSkipped(@TempDir Path dir) throws Exception {
        // What Windows editors write at the start of a UTF-8 file; it was refused as "Unexpected character" at
        // column 1, which a person cannot see in the file. RFC 8259 lets a reader ignore it.
        Path bom = dir.resolve("bom.json");
        Files.writeString(bom, "\uFEFF" + base().encode());
        assertThat(ConfigLoader.read(bom).memberIds()).containsExactly(1, 2, 3);
        // Only at the start: anywhere else it is a character where JSON allows none.
        Path inside = dir.resolve("inside.json");
        Files.writeString(inside, "{\uFEFF\"nodes\":[]}");
        assertThat(catchThrowable(() -> ConfigLoader.read(inside))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("line 1, column");
    }

    /**
     * A JSON {@code null} read as absent and took the default without a word: {@code "trust_loopback": null} trusted
     * loopback, {@code "admin": null} ran no admin listener, {@code "node_id": null} ran the local cluster. Every field
     * refuses it, naming itself and what it must be; an override does not replace a section written as null.
     */
    @Test
    void aNullIsRefusedNamingTheFieldAndWhatItMustBe(@TempDir Path dir) throws Exception {
        assertThat(failure(base().put("security", new JsonObject().putNull("trust_loopback"))))
                .isEqualTo("security.trust_loopback: must be true or false, got null");
        assertThat(failure(base().putNull("admin"))).isEqualTo("admin: must be an object, got null");
        assertThat(failure(base().putNull("node_id"))).isEqualTo("node_id: must be an integer, got null");
        assertThat(failure(base().putNull("cluster_name"))).isEqualTo("cluster_name: must be a string, got null");
        assertThat(failure(base().putNull("nodes"))).isEqualTo("nodes: must be an array, got null");
        assertThat(failure(base().putNull("raft"))).isEqualTo("raft: must be an object, got null");
        assertThat(failure(base().putNull("groups"))).isEqualTo("groups: must be an integer, got null");
        JsonObject drift = base();
        drift.getJsonObject("raft").putNull("max_clock_drift");
        assertThat(failure(drift)).isEqualTo("raft.max_clock_drift: must be a number, got null");
        JsonObject port = base();
        port.getJsonArray("nodes").getJsonObject(1).putNull("http_port");
        assertThat(failure(port)).isEqualTo("nodes[1].http_port: must be an integer, got null");
        JsonObject id = base();
        id.getJsonArray("nodes").getJsonObject(0).putNull("id");
        assertThat(failure(id)).isEqualTo("nodes[0].id: must be an integer, got null");
        assertThat(failure(base().put("security", new JsonObject().putNull("allowed_hosts"))))
                .isEqualTo("security.allowed_hosts: must be an array, got null");
        assertThat(failure(base().put("tls", new JsonObject().putNull("cert_file"))))
                .isEqualTo("tls.cert_file: must be a string, got null");
        // Through the loader: the file's null stays, and an override of its section does not replace it.
        Path file = dir.resolve("null.json");
        Files.writeString(file, base().putNull("admin").encode());
        assertThat(catchThrowable(() -> ConfigLoader.read(file))).isInstanceOf(ConfigException.class)
                .hasMessage("admin: must be an object, got null");
        assertThatThrownBy(() -> ConfigLoader.fromSources(base().putNull("admin"), Map.of("RAFTLINE_ADMIN_TOKEN",
                "s3cret-0123456789"), Map.of())).hasMessage("admin: must be an object, got null");
        assertThatThrownBy(() -> ConfigLoader.fromSources(base().putNull("raft"), Map.of("RAFTLINE_RAFT_TICK_MS",
                "20"), Map.of())).hasMessage("raft: must be an object, got null");
        assertThatThrownBy(() -> ConfigLoader.fromSources(base().put("raft", 5), Map.of("RAFTLINE_RAFT_TICK_MS",
                "20"), Map.of())).hasMessage("raft: must be an object, got 5");
        // Absent is still the default.
        assertThat(RaftlineConfig.fromJson(base().put("security", new JsonObject())).security().trustLoopback())
                .isTrue();
    }

    @Test
    void aFractionWhereAnIntegerBelongsIsNamedAsSuch() {
        // 1.5 was refused as "must be an integer in -9223372036854775808..9223372036854775807": a range it is in.
        JsonObject raft = base();
        raft.getJsonObject("raft").put("tick_ms", 10.5);
        assertThat(failure(raft)).isEqualTo("raft.tick_ms: must be an integer (a whole number, without a fraction),"
                + " got 10.5");
        assertThat(failure(base().put("groups", new java.math.BigDecimal("2.25"))))
                .isEqualTo("groups: must be an integer (a whole number, without a fraction), got 2.25");
        JsonObject node = base();
        node.getJsonArray("nodes").getJsonObject(0).put("http_port", 8081.5);
        assertThat(failure(node)).isEqualTo("nodes[0].http_port: must be an integer (a whole number, without a"
                + " fraction), got 8081.5");
        // A whole number too large for a double to hold exactly says so, and one beyond 64 bits names the range.
        assertThat(failure(base().put("seed", 1e17))).isEqualTo("seed: must be an integer written without a fraction"
                + " or an exponent when above 2^53 (a double does not hold it exactly), got 1.0E17");
        assertThat(failure(base().put("seed", 1e30))).isEqualTo("seed: must be an integer in " + Long.MIN_VALUE + ".."
                + Long.MAX_VALUE + ", got 1.0E30");
        assertThat(RaftlineConfig.fromJson(base().put("seed", 1e3)).seed()).isEqualTo(1000);
        // A field with a range of its own names that range, not the long's (it said -9223372036854775808..).
        assertThat(failure(base().put("limits", new JsonObject().put("idle_timeout_ms", 1e20))))
                .isEqualTo("limits.idle_timeout_ms: must be an integer in 0..86400000, got 1.0E20");
        assertThat(failure(base().put("limits", new JsonObject().put("idle_timeout_ms", 1e17))))
                .isEqualTo("limits.idle_timeout_ms: must be an integer in 0..86400000, got 1.0E17");
    }

    @Test
    void theAdminTokenIsPrintableAsciiWithoutSpaces() {
        // A token with a trailing newline (a Kubernetes secret made with echo), a space or a non-ASCII letter can never
        // be presented: the Authorization header's value is trimmed and read as ISO-8859-1, a Redis AUTH splits at the
        // space, and a node forwarding with it writes a header Netty refuses. It used to be accepted silently.
        assertThat(new io.raftline.security.AdminAccess("s3cret\n", false)
                .refusal(io.vertx.core.net.SocketAddress.inetSocketAddress(1, "10.0.0.1"), "Bearer s3cret\n"))
                .as("no header lets in a token that ends with a newline").isNotNull();
        for (String bad : new String[] {"s3cret-0123456789\n", " s3cret-0123456789", "s3 cret-0123456789",
            "s3cr\u00e9t-0123456789", "s3\tcret-0123456789"}) {
            assertThat(failure(base().put("admin", new JsonObject().put("token", bad))))
                    .as(bad).startsWith("admin.token: must be printable ASCII without spaces");
        }
        // As the client token: a token of a few characters is found by trying.
        assertThat(failure(base().put("admin", new JsonObject().put("token", "x"))))
                .isEqualTo("admin.token: must be at least 16 characters when set (make one with: openssl rand -hex"
                        + " 16), got 1");
        assertThat(RaftlineConfig.fromJson(base().put("admin", new JsonObject().put("token", "s3cret-0123456789")))
                .admin().token()).isEqualTo("s3cret-0123456789");
        assertThat(RaftlineConfig.fromJson(base()).admin().token()).isEmpty();
    }

    @Test
    void theLoaderRefusesAFileLargerThanAConfigurationCanBe(@TempDir Path dir) throws Exception {
        // Valid JSON, padded: it used to be read whole (and parsed), however large, so a wrong --conf (a WAL segment,
        // a device like /dev/zero) filled the heap before anything said what was wrong.
        Path padded = dir.resolve("padded.json");
        Files.writeString(padded, base().encode() + " ".repeat(ConfigLoader.MAX_FILE_BYTES));
        assertThat(catchThrowable(() -> ConfigLoader.read(padded))).isInstanceOf(ConfigException.class)
                .hasMessage("--conf: " + padded + " is larger than " + ConfigLoader.MAX_FILE_BYTES + " bytes: a"
                        + " configuration is a few kilobytes (is it the right file?)");
        Path justRight = dir.resolve("fits.json");
        String text = base().encode();
        Files.writeString(justRight, text + " ".repeat(ConfigLoader.MAX_FILE_BYTES - text.length()));
        assertThat(ConfigLoader.read(justRight).memberIds()).containsExactly(1, 2, 3);
    }

    @Test
    void theLoaderReadsAFileAndReportsMissingOrBrokenFiles(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("c.json");
        Files.writeString(file, base().encode());
        assertThat(ConfigLoader.read(file).memberIds()).containsExactly(1, 2, 3);

        Throwable missing = catchThrowable(() -> ConfigLoader.read(dir.resolve("nope.json")));
        assertThat(missing).isInstanceOf(ConfigException.class)
                .hasMessage("--conf: file not found: " + dir.resolve("nope.json"));

        Path broken = dir.resolve("broken.json");
        Files.writeString(broken, "{\"nodes\": [");
        Throwable bad = catchThrowable(() -> ConfigLoader.read(broken));
        assertThat(bad).isInstanceOf(ConfigException.class).hasMessageStartingWith("--conf: cannot read " + broken
                + ": Unexpected end-of-input")
                .hasMessageEndingWith("expected close marker for Array (line 1, column 12)")
                .hasMessageNotContaining("Source");

        Path array = dir.resolve("array.json");
        Files.writeString(array, "[1, 2]");
        assertThat(catchThrowable(() -> ConfigLoader.read(array))).isInstanceOf(ConfigException.class)
                .hasMessage("--conf: cannot read " + array + ": it must hold one JSON object, not an array");

        Path empty = dir.resolve("empty.json");
        Files.writeString(empty, "\n");
        assertThat(catchThrowable(() -> ConfigLoader.read(empty))).isInstanceOf(ConfigException.class)
                .hasMessage("--conf: " + empty + " is empty: it must hold one JSON object");

        Path unreadable = dir.resolve("dir.json");
        Files.createDirectory(unreadable);
        assertThat(catchThrowable(() -> ConfigLoader.read(unreadable))).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("--conf: cannot read " + unreadable + ": ");
    }

    @Test
    void aRelativePathMissingOnDiskIsReadFromTheClassPath() {
        // The jar carries conf/: `java -jar raftline.jar local --conf conf/local-5.json` works from any directory.
        Path relative = Path.of("conf", "raftline-test-classpath-only.json");
        assertThat(Files.exists(relative)).isFalse();
        assertThat(ConfigLoader.read(relative).memberIds()).containsExactly(1, 2, 3);
    }

    @Test
    void overridesComeFromTheirOwnNamesOnlyAndAPropertyWinsOverTheEnvironment() {
        JsonObject file = base();
        // Variables that happen to share a section's name replace nothing.
        JsonObject same = ConfigLoader.applyOverrides(file, Map.of("nodes", "x", "raft", "y", "PATH", "/bin"),
                Map.of("java.version", "17"));
        assertThat(same).isEqualTo(file);
        JsonObject both = ConfigLoader.applyOverrides(file, Map.of("RAFTLINE_RAFT_HEARTBEAT_MS", "70"),
                Map.of("raftline.raft.heartbeat_ms", "80"));
        assertThat(both.getJsonObject("raft").getInteger("heartbeat_ms")).isEqualTo(80);
    }

    @Test
    void newLimitsAndTlsFieldsAreReadAndOverriddenFromTheEnvironment() {
        assertThat(RaftlineConfig.fromJson(base()).limits().requestHeadTimeoutMs()).isEqualTo(10_000);
        assertThat(RaftlineConfig.fromJson(base().put("limits", new JsonObject()
                .put("request_head_timeout_ms", 0))).limits().requestHeadTimeoutMs()).isZero();
        assertThatThrownBy(() -> RaftlineConfig.fromJson(base().put("limits", new JsonObject()
                .put("request_head_timeout_ms", 50)))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("limits.request_head_timeout_ms").hasMessageContaining("at least 100");
        assertThat(ConfigLoader.typed(java.util.List.of("tls", "crl_files"), "a.pem, b.pem"))
                .isEqualTo(new io.vertx.core.json.JsonArray().add("a.pem").add("b.pem"));
        assertThat(ConfigLoader.typed(java.util.List.of("tls", "client_ca_file"), "123")).isEqualTo("123");
        // Overrides are numbers only as JSON writes them: what Java's parsers also take stays text, and the field's
        // reader refuses it naming the field, as it would refuse the same in the file.
        for (String notJson : new String[] {"10d", "0x1p3", "+5", "08080", "1.", ".5", "Infinity", "NaN", "1_000"}) {
            assertThat(ConfigLoader.typed(java.util.List.of("raft", "tick_ms"), notJson)).as(notJson).isEqualTo(notJson);
        }
        assertThat(ConfigLoader.typed(java.util.List.of("raft", "tick_ms"), " 10 ")).isEqualTo(10L);
        assertThat(ConfigLoader.typed(java.util.List.of("raft", "max_clock_drift"), "5e-2")).isEqualTo(0.05);
        assertThat(ConfigLoader.typed(java.util.List.of("raft", "tick_ms"), "-3")).isEqualTo(-3L);
        assertThatThrownBy(() -> ConfigLoader.fromSources(base(), Map.of("RAFTLINE_RAFT_TICK_MS", "10d"), Map.of()))
                .hasMessageStartingWith("RAFTLINE_RAFT_TICK_MS (raft.tick_ms): must be an integer");
        assertThatThrownBy(() -> RaftlineConfig.fromJson(base().put("tls", new JsonObject()
                .put("crl_files", new io.vertx.core.json.JsonArray().add("x.pem"))))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("tls.crl_files").hasMessageContaining("cert_file");
    }
}
