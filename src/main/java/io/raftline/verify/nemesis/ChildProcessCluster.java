package io.raftline.verify.nemesis;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The cluster under test as one child process per node, started from this JVM's own class path
 * ({@code io.raftline.app.Main node --conf ...}) over the clustered event bus, on free loopback ports, with
 * durable storage in a temporary directory (deleted on close). A crash is a SIGKILL of the node's process (no
 * shutdown hook, no flush: what the disk holds is all that survives) and a restart is a new process on the
 * same data. A stall is a {@code SIGSTOP} of the node's process and its end a {@code SIGCONT}: the kernel keeps
 * accepting connections and buffering what peers and clients send, and the process handles it all when it
 * continues, as after a long GC pause. A stopped process is never left behind: healing, {@link #close()} and a
 * shutdown hook (for a harness that is itself interrupted) continue or kill it. Partitions, loss, delay and
 * duplication are applied by each process to the messages it sends, so the harness gives every live process the
 * same network faults (and a relaunched one the faults in force). Process output goes to
 * {@code <out>/processes/node-<id>-run<n>.log}.
 */
public final class ChildProcessCluster implements ClusterUnderTest {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration RESTART_TIMEOUT = Duration.ofSeconds(60);

    private final NemesisOptions options;
    private final Vertx vertx = Vertx.vertx();
    private final AdminHttp http = new AdminHttp(vertx, 10_000);
    private final Path dataDir;
    private final Path procDir;
    private final int[] httpPorts;
    private final int[] busPorts;
    private final int[] adminPorts;
    private final Process[] processes;
    /** Processes under SIGSTOP: alive, but they answer nothing until SIGCONT. Guarded by {@code this}. */
    private final boolean[] stopped;
    private final int[] runs;
    /** Continues and kills the children if this JVM exits before {@link #close()} (Ctrl-C of a run). */
    private final Thread reaper = new Thread(this::killAll, "raftline-verify-reaper");
    private final Map<Integer, URI> nodeUrls = new LinkedHashMap<>();
    private final BridgeRecorder bridge;
    private final Path recording;
    /** The network faults in force, given to relaunched processes; null when healed. */
    private volatile JsonObject network;

    private ChildProcessCluster(NemesisOptions options, Path out, Path recording) throws IOException {
        this.options = options;
        this.recording = recording;
        this.dataDir = Files.createTempDirectory("raftline-verify-");
        this.procDir = Files.createDirectories(out.resolve("processes"));
        int n = options.nodes();
        httpPorts = new int[n + 1];
        busPorts = new int[n + 1];
        adminPorts = new int[n + 1];
        processes = new Process[n + 1];
        stopped = new boolean[n + 1];
        runs = new int[n + 1];
        for (int i = 1; i <= n; i++) {
            httpPorts[i] = freePort();
            busPorts[i] = freePort();
            adminPorts[i] = freePort();
            nodeUrls.put(i, URI.create("http://127.0.0.1:" + httpPorts[i]));
        }
        this.bridge = new BridgeRecorder(vertx, recording, List.copyOf(nodeUrls.keySet()), this::liveAdminPorts);
    }

    /**
     * Launches every node's process and waits (at most 90 s) until the cluster has a leader.
     *
     * @param options   the run (nodes, seed, request timeout)
     * @param out       the run's output directory (process logs and configurations go under it)
     * @param recording the NDJSON file for the event recording
     * @return the running cluster
     * @throws Exception if it does not start; the processes are stopped then
     */
    public static ChildProcessCluster start(NemesisOptions options, Path out, Path recording) throws Exception {
        ChildProcessCluster c = new ChildProcessCluster(options, out, recording);
        Runtime.getRuntime().addShutdownHook(c.reaper);
        try {
            for (int i = 1; i <= options.nodes(); i++) {
                c.launch(i);
            }
            c.awaitLeader(START_TIMEOUT);
            return c;
        } catch (Exception e) {
            c.close();
            throw new IOException("the cluster of processes did not start (logs in " + c.procDir + "): "
                    + e.getMessage(), e);
        }
    }

    private JsonObject config(int id) {
        return ClusterConfigs.placed(ClusterConfigs.forRun(options), dataDir, n -> new JsonObject()
                .put("http_port", httpPorts[n]).put("bus_port", busPorts[n])).put("node_id", id)
                .put("admin", new JsonObject().put("host", "127.0.0.1").put("port", adminPorts[id]));
    }

    private synchronized void launch(int id) throws IOException {
        Path conf = procDir.resolve("node-" + id + ".json");
        Files.writeString(conf, config(id).encodePrettily());
        Path log = procDir.resolve("node-" + id + "-run" + (++runs[id]) + ".log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // C1 only and the serial collector: three node JVMs and the harness share the machine's cores, and a
        // relaunched node should serve again quickly. The --add-* flags are the access Hazelcast asks for.
        processes[id] = new ProcessBuilder(java, "-Xmx512m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-Draftline.log.level=INFO", "--add-modules", "java.se",
                "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
                "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
                "--add-opens", "java.management/sun.management=ALL-UNNAMED",
                "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "io.raftline.app.Main", "node", "--conf", conf.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** The live process of node {@code id}, if there is one (for tests that check what a fault did to it). */
    synchronized java.util.Optional<ProcessHandle> process(int id) {
        return alive(id) ? java.util.Optional.of(processes[id].toHandle()) : java.util.Optional.empty();
    }

    private synchronized boolean alive(int id) {
        return processes[id] != null && processes[id].isAlive();
    }

    /** Alive and not stopped: a process that can answer a call now. */
    private synchronized boolean responsive(int id) {
        return alive(id) && !stopped[id];
    }

    private List<Integer> liveAdminPorts() {
        List<Integer> ports = new ArrayList<>();
        for (int id : nodeUrls.keySet()) {
            if (responsive(id)) {
                ports.add(adminPorts[id]);
            }
        }
        return ports;
    }

    private URI admin(int id) {
        return URI.create("http://127.0.0.1:" + adminPorts[id]);
    }

    @Override
    public Map<Integer, URI> nodeUrls() {
        return Map.copyOf(nodeUrls);
    }

    /**
     * Asks every responsive process about its own node only ({@code scope=local}: no waiting on peers, of which
     * one may be stopped) and takes the leader of the highest term.
     */
    @Override
    public Future<Integer> leader() {
        List<Future<JsonObject>> asks = new ArrayList<>();
        for (int id : nodeUrls.keySet()) {
            if (responsive(id)) {
                asks.add(http.get(nodeUrls.get(id), "/v1/cluster?scope=local"));
            }
        }
        return Future.join(asks).transform(ar -> {
            int leader = 0;
            long leaderTerm = -1;
            for (Future<JsonObject> a : asks) {
                if (a.failed()) {
                    continue;
                }
                JsonArray nodes = a.result().getJsonArray("nodes", new JsonArray());
                for (int i = 0; i < nodes.size(); i++) {
                    JsonObject n = nodes.getJsonObject(i);
                    if (Boolean.TRUE.equals(n.getBoolean("local")) && "Leader".equals(n.getString("role"))
                            && n.getLong("term", 0L) > leaderTerm) {
                        leader = n.getInteger("id", 0);
                        leaderTerm = n.getLong("term", 0L);
                    }
                }
            }
            return Future.succeededFuture(leader);
        });
    }

    @Override
    public Future<Void> crash(int node) {
        return vertx.executeBlocking(() -> {
            Process p;
            synchronized (this) {
                p = processes[node];
            }
            if (p == null || !p.isAlive()) {
                throw new IllegalStateException("the process of node " + node + " is not running");
            }
            p.destroyForcibly();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the process of node " + node + " survived SIGKILL for 10 s");
            }
            synchronized (this) {
                stopped[node] = false;
            }
            bridge.note(nodeEvent(node, "NodeCrashed").put("role", "Down"));
            return null;
        });
    }

    @Override
    public Future<Void> restart(int node) {
        if (alive(node)) {
            return Future.succeededFuture();
        }
        return vertx.executeBlocking(() -> {
            launch(node);
            return null;
        }).compose(v -> Waits.eventually(vertx, "node " + node + " to serve again", RESTART_TIMEOUT,
                () -> http.get(nodeUrls.get(node), "/health").map(h -> true).otherwise(false))).compose(v -> {
                    JsonObject faults = network;
                    return faults == null ? Future.<Void>succeededFuture()
                            : http.json(HttpMethod.PUT, admin(node), "/v1/admin/network", faults).<Void>mapEmpty();
                }).compose(v -> http.get(nodeUrls.get(node), "/v1/state-hash").otherwiseEmpty())
                .map(hash -> {
                    bridge.note(nodeEvent(node, "NodeRestarted").put("role", "Follower")
                            .put("applied", hash == null ? 0L : hash.getLong("appliedIndex", 0L)));
                    return null;
                });
    }

    private static JsonObject nodeEvent(int node, String type) {
        return new JsonObject().put("seq", 0L).put("ts", System.currentTimeMillis()).put("node", node)
                .put("term", 0L).put("role", "").put("type", type).put("harness", true);
    }

    @Override
    public Future<Void> stall(int node) {
        return vertx.executeBlocking(() -> {
            Process p;
            synchronized (this) {
                p = processes[node];
                if (p == null || !p.isAlive()) {
                    throw new IllegalStateException("the process of node " + node + " is not running");
                }
                // Marked before the signal: should the signal be sent but its confirmation lost, healing and
                // close() still continue the process.
                stopped[node] = true;
            }
            signal(p, "STOP");
            bridge.note(nodeEvent(node, "NodeFrozen").put("frozen", true));
            return null;
        });
    }

    @Override
    public Future<Void> unstall(int node) {
        return vertx.executeBlocking(() -> {
            Process p;
            synchronized (this) {
                p = processes[node];
                if (!stopped[node] || p == null || !p.isAlive()) {
                    stopped[node] = false;
                    return null;
                }
            }
            signal(p, "CONT");
            synchronized (this) {
                stopped[node] = false;
            }
            bridge.note(nodeEvent(node, "NodeFrozen").put("frozen", false));
            return null;
        });
    }

    /**
     * Sends a signal to a child with {@code kill -<name> <pid>}: the JDK can send SIGKILL and SIGTERM
     * ({@link Process#destroyForcibly()}, {@link Process#destroy()}) but not SIGSTOP or SIGCONT. Blocking (a short
     * child process): call it off the event loop.
     */
    private static void signal(Process p, String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, String.valueOf(p.pid())).redirectErrorStream(true)
                .start();
        String output = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!kill.waitFor(10, TimeUnit.SECONDS)) {
            kill.destroyForcibly();
            throw new IOException("kill -" + name + " " + p.pid() + " did not finish within 10 s");
        }
        if (kill.exitValue() != 0) {
            throw new IOException("kill -" + name + " " + p.pid() + " failed (exit " + kill.exitValue() + "): " + output);
        }
    }

    /** Continues every stopped process (healing begins with this: a stopped process answers nothing). */
    private Future<Void> continueAll() {
        List<Future<Void>> conts = new ArrayList<>();
        for (int id : nodeUrls.keySet()) {
            boolean isStopped;
            synchronized (this) {
                isStopped = stopped[id];
            }
            if (isStopped) {
                conts.add(unstall(id));
            }
        }
        return Future.all(conts).mapEmpty();
    }

    @Override
    public Future<Void> pause(int node) {
        return http.json(HttpMethod.POST, admin(node), "/v1/admin/nodes/" + node + "/pause", null).mapEmpty();
    }

    @Override
    public Future<Void> resume(int node) {
        return http.json(HttpMethod.POST, admin(node), "/v1/admin/nodes/" + node + "/resume", null).mapEmpty();
    }

    @Override
    public Future<Void> network(JsonObject faults) {
        network = faults.copy();
        return everyLiveAdmin(id -> http.json(HttpMethod.PUT, admin(id), "/v1/admin/network", faults));
    }

    private Future<Void> everyLiveAdmin(java.util.function.IntFunction<Future<JsonObject>> call) {
        List<Future<JsonObject>> calls = new ArrayList<>();
        for (int id : nodeUrls.keySet()) {
            if (responsive(id)) {
                calls.add(call.apply(id));
            }
        }
        if (calls.isEmpty()) {
            return Future.failedFuture("no node process is running");
        }
        return Future.join(calls).transform(ar -> {
            for (Future<JsonObject> c : calls) {
                if (c.succeeded()) {
                    return Future.succeededFuture();
                }
            }
            return Future.failedFuture(calls.get(0).cause());
        });
    }

    @Override
    public Future<Void> healAll() {
        network = null;
        return continueAll().transform(continued -> {
            List<Future<Void>> restarts = new ArrayList<>();
            for (int id : nodeUrls.keySet()) {
                if (!alive(id)) {
                    restarts.add(restart(id));
                }
            }
            return healRest(restarts).compose(v -> continued.succeeded() ? Future.<Void>succeededFuture()
                    : Future.<Void>failedFuture(continued.cause()));
        });
    }

    private Future<Void> healRest(List<Future<Void>> restarts) {
        return Future.join(restarts).transform(r -> everyLiveAdmin(id -> http.json(HttpMethod.DELETE, admin(id),
                "/v1/admin/network", null).compose(x -> http.json(HttpMethod.POST, admin(id),
                "/v1/admin/nodes/" + id + "/resume", null))))
                .compose(v -> {
                    for (Future<Void> r : restarts) {
                        if (r.failed()) {
                            return Future.failedFuture(r.cause());
                        }
                    }
                    return Future.succeededFuture();
                });
    }

    @Override
    public Future<Void> awaitHealthy(Duration timeout) {
        return Waits.eventually(vertx, "every node up and a leader", timeout, () -> {
            List<Future<JsonObject>> checks = new ArrayList<>();
            for (int id : nodeUrls.keySet()) {
                if (!alive(id)) {
                    return Future.succeededFuture(false);
                }
                checks.add(http.get(nodeUrls.get(id), "/health"));
            }
            return Future.all(checks).compose(v -> leader()).map(l -> l != 0);
        });
    }

    @Override
    public Future<Map<Integer, JsonObject>> stateHashes() {
        return http.stateHashes(nodeUrls);
    }

    @Override
    public String liveViewUrl() {
        return admin(nodeUrls.keySet().iterator().next()) + "/";
    }

    @Override
    public String crashMethod() {
        return "SIGKILL of the node's process, then a new process on the same data";
    }

    @Override
    public Future<Path> finishRecording(JsonObject verdict) {
        return bridge.finish(verdict).transform(ar -> {
            try {
                Recordings.ensureVerdict(recording, verdict);
                return Future.succeededFuture(recording);
            } catch (IOException e) {
                return Future.failedFuture(e);
            }
        });
    }

    @Override
    public String recordingNote() {
        return "events as a browser on a live process's admin port received them (" + bridge.events()
                + " events, " + bridge.connections() + " bridge connection" + (bridge.connections() == 1 ? "" : "s")
                + "; each reconnection after a kill misses what was published meanwhile), renumbered in arrival order"
                + " with each process's own number as srcSeq; NodeCrashed/NodeRestarted for kills are added by the"
                + " harness";
    }

    @Override
    public void close() {
        killAll();
        try {
            Runtime.getRuntime().removeShutdownHook(reaper);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs (or ran) killAll again, which is harmless
        }
        try {
            Waits.await(bridge.finish(new JsonObject().put("verdict", "UNKNOWN").put("summary", "the run was aborted"))
                    .otherwiseEmpty(), Duration.ofSeconds(10));
            Waits.await(http.close().otherwiseEmpty(), Duration.ofSeconds(5));
            Waits.await(vertx.close().otherwiseEmpty(), Duration.ofSeconds(20));
        } catch (Exception e) {
            // closing anyway
        }
        deleteTree(dataDir);
    }

    /**
     * Kills every child, continuing a stopped one first: SIGKILL ends a stopped process too, but should the kill
     * fail, a process left under SIGSTOP would hold its ports and files until someone noticed.
     */
    private void killAll() {
        for (int id = 1; id < processes.length; id++) {
            Process p;
            boolean wasStopped;
            synchronized (this) {
                p = processes[id];
                wasStopped = stopped[id];
                stopped[id] = false;
            }
            if (p == null || !p.isAlive()) {
                continue;
            }
            if (wasStopped) {
                try {
                    signal(p, "CONT");
                } catch (IOException e) {
                    // SIGKILL below ends it anyway
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            p.destroyForcibly();
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /**
     * Deletes a directory and everything in it, quietly (a temporary data directory).
     *
     * @param dir the directory, or null
     */
    static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    Files.delete(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            // a temporary directory: the system cleans it eventually
        }
    }
}
