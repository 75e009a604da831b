package io.raftline.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Raftline as real operating-system processes, for the tests that must kill them with SIGKILL: either the
 * whole local cluster in one process ({@link #startLocal}) or one node per process over the clustered event
 * bus or gRPC ({@link #startNode}). Every process runs the test class path's {@code io.raftline.app.Main} with a
 * configuration on free loopback ports and durable storage in {@code target/test-data}. Waits are bounded;
 * process output goes to a log file per process in that directory, named in every failure message.
 */
public final class ProcessCluster implements AutoCloseable {

    /** Upper bound of any single wait. */
    public static final Duration WAIT = Duration.ofSeconds(45);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Path dir;
    private final int size;
    private final int adminPort;
    private final int[] httpPorts;
    private final int[] busPorts;
    private final Process[] processes;
    private final JsonObject raft;
    private final String transport;
    private int runs;

    /**
     * Prepares ports and directories for {@code size} nodes whose Raft traffic uses the event bus.
     *
     * @param size nodes
     * @param raft Raft settings to merge into the test defaults (may be empty)
     */
    public ProcessCluster(int size, JsonObject raft) throws IOException {
        this(size, raft, "eventbus");
    }

    /**
     * Prepares ports and directories for {@code size} nodes.
     *
     * @param size      nodes
     * @param raft      Raft settings to merge into the test defaults (may be empty)
     * @param transport {@code eventbus} (clustered event bus between processes) or {@code grpc}
     */
    public ProcessCluster(int size, JsonObject raft, String transport) throws IOException {
        this.size = size;
        this.transport = transport;
        this.dir = Path.of("target", "test-data", "proc-" + UUID.randomUUID()).toAbsolutePath();
        Files.createDirectories(dir);
        this.adminPort = freePort();
        this.httpPorts = new int[size + 1];
        this.busPorts = new int[size + 1];
        this.processes = new Process[size + 1];
        for (int i = 1; i <= size; i++) {
            httpPorts[i] = freePort();
            busPorts[i] = freePort();
        }
        this.raft = new JsonObject().put("tick_ms", 10).put("heartbeat_ms", 50).put("election_timeout_min_ms", 300)
                .put("election_timeout_max_ms", 600).mergeIn(raft);
    }

    /** The directory holding data, configs and process logs. */
    public Path dir() {
        return dir;
    }

    /** Port of node {@code id}'s HTTP API. */
    public int httpPort(int id) {
        return httpPorts[id];
    }

    /** Port of the local-mode admin API. */
    public int adminPort() {
        return adminPort;
    }

    private JsonObject config(int nodeId) {
        JsonArray nodes = new JsonArray();
        for (int i = 1; i <= size; i++) {
            nodes.add(new JsonObject().put("id", i).put("http_port", httpPorts[i]).put("bus_port", busPorts[i])
                    .put("data_dir", dir.resolve("node-" + i).toString()));
        }
        JsonObject c = new JsonObject().put("cluster_name", "proc-" + dir.getFileName()).put("seed", 11)
                .put("transport", transport).put("nodes", nodes).put("raft", raft.copy())
                .put("storage", new JsonObject().put("engine", "durable").put("segment_bytes", 64 * 1024));
        if (nodeId == 0) {
            c.put("admin", new JsonObject().put("port", adminPort));
        } else {
            c.put("node_id", nodeId);
        }
        return c;
    }

    /** Starts the whole cluster as one process (local mode) and waits for a leader. */
    public void startLocal() throws Exception {
        processes[0] = launch("local", config(0), "local");
        awaitLeader(adminPort);
    }

    /** Starts node {@code id} as its own process (it joins the others over the clustered event bus or gRPC). */
    public void startNode(int id) throws Exception {
        processes[id] = launch("node", config(id), "node-" + id);
    }

    private Process launch(String command, JsonObject conf, String name) throws IOException {
        Path confFile = dir.resolve(name + ".json");
        Files.writeString(confFile, conf.encodePrettily());
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path log = dir.resolve(name + "-run" + (++runs) + ".log");
        return new ProcessBuilder(java, "-Draftline.log.level=INFO", "--add-opens", "java.base/java.lang=ALL-UNNAMED",
                "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "io.raftline.app.Main", command, "--conf", confFile.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** SIGKILL: no shutdown hook, no flush. Waits until the process is gone. */
    public void kill9(int id) throws InterruptedException {
        Process p = processes[id];
        p.destroyForcibly();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).as("process %d died", id).isTrue();
    }

    /** Waits until the node on {@code port} reports a leader; returns its id. */
    public int awaitLeader(int port) throws Exception {
        return awaitLeader(port, 0);
    }

    /** Waits until the node on {@code port} reports a leader other than {@code not}; returns its id. */
    public int awaitLeader(int port, int not) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                int leader = getJson(port, "/v1/cluster").getInteger("leader", 0);
                if (leader > 0 && leader != not) {
                    return leader;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no leader (other than " + not + ") seen on port " + port + " within " + WAIT
                + "; logs in " + dir);
    }

    /**
     * Concurrent writers (8 threads, unique keys) against the given ports until {@code stop} is set; acknowledged
     * writes go into {@code acked}. A failed or timed-out write has an unknown outcome and is not recorded.
     */
    public ExecutorService writers(String prefix, int[] ports, Map<String, String> acked, AtomicBoolean stop) {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        for (int t = 0; t < 8; t++) {
            int thread = t;
            pool.submit(() -> {
                for (int n = 0; !stop.get(); n++) {
                    String key = prefix + "-" + thread + "-" + n;
                    String value = "value-" + key;
                    int port = ports[(thread + n) % ports.length];
                    try {
                        HttpResponse<String> r = http.send(HttpRequest.newBuilder(url(port, "/v1/kv/" + key))
                                .timeout(Duration.ofSeconds(2)).PUT(HttpRequest.BodyPublishers.ofString(value))
                                .build(), HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() == 200) {
                            acked.put(key, value);
                        }
                    } catch (IOException e) {
                        // outcome unknown: not acknowledged, not checked
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }
        return pool;
    }

    /** Waits (at most {@link #WAIT}) until at least {@code n} writes were acknowledged. */
    public static void awaitAtLeast(Map<String, String> acked, int n) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (acked.size() < n) {
            assertThat(System.nanoTime()).as("%d writes acknowledged within %s (wanted %d)", acked.size(), WAIT, n)
                    .isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    /** Stops writers started by {@link #writers}. */
    public static void stopWriters(ExecutorService pool, AtomicBoolean stop) throws InterruptedException {
        stop.set(true);
        pool.shutdown();
        assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).as("writers stopped").isTrue();
    }

    /** Every acknowledged write is readable (linearizable) through the given ports with its value. */
    public void verifyAcked(Map<String, String> acked, int[] ports) throws Exception {
        List<String> wrong = new ArrayList<>();
        int i = 0;
        long deadline = System.nanoTime() + WAIT.toNanos();
        for (Map.Entry<String, String> e : acked.entrySet()) {
            int port = ports[i++ % ports.length];
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(url(port, "/v1/kv/" + e.getKey()))
                    .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
            // A read the cluster cannot serve right now (503/504: an election under way) says nothing about
            // the data: ask again until the deadline. Only an answer (200 with another value, or 404) is a loss.
            while ((r.statusCode() == 503 || r.statusCode() == 504) && System.nanoTime() < deadline) {
                Thread.sleep(50);
                port = ports[i++ % ports.length];
                r = http.send(HttpRequest.newBuilder(url(port, "/v1/kv/" + e.getKey())).timeout(Duration.ofSeconds(5))
                        .GET().build(), HttpResponse.BodyHandlers.ofString());
            }
            if (r.statusCode() != 200 || !r.body().equals(e.getValue())) {
                wrong.add(e.getKey() + " -> " + r.statusCode() + " " + r.body());
            }
        }
        assertThat(wrong).as("acknowledged writes lost (of %d); logs in %s", acked.size(), dir).isEmpty();
    }

    /** Waits until the given nodes applied the same index, then requires identical state hashes. */
    public void verifyReplicasAgree(int[] ports) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        Set<Long> indexes = new HashSet<>();
        while (System.nanoTime() < deadline) {
            indexes.clear();
            Set<String> hashes = new HashSet<>();
            for (int port : ports) {
                try {
                    JsonObject d = getJson(port, "/v1/state-hash");
                    indexes.add(d.getLong("appliedIndex", -1L));
                    hashes.add(d.getString("stateHash"));
                } catch (IOException e) {
                    indexes.add(-1L);
                }
            }
            if (indexes.size() == 1 && !indexes.contains(-1L)) {
                assertThat(hashes).as("state hashes at applied index %s", indexes).hasSize(1);
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("replicas did not converge to one applied index: " + indexes + "; logs in " + dir);
    }

    /** GET a JSON document. */
    public JsonObject getJson(int port, String path) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(url(port, path)).timeout(Duration.ofSeconds(5))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        return new JsonObject(r.body());
    }

    /** POST with no body. */
    public int post(int port, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(url(port, path)).timeout(Duration.ofSeconds(5))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static URI url(int port, String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        for (Process p : processes) {
            if (p != null && p.isAlive()) {
                try {
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }
}
