package io.raftline.verify.nemesis;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A cluster under test as child processes of this JVM, each started from this JVM's own class path
 * ({@code io.raftline.app.Main node|local --conf ...}) on free loopback ports, with durable storage in a temporary
 * directory (deleted on close): one process per node over the clustered event bus or gRPC (the nemesis's
 * {@code --mode processes}, and the tests that kill one node's process), or every node in one process in local
 * mode (the tests that kill the whole cluster at once). Each process serves an admin API.
 *
 * <p>A crash is a SIGKILL of the node's process (no shutdown hook, no flush: what the disk holds is all that
 * survives; with every node in one process, all of them go) and a restart is a new process on the same data. A
 * stall is a {@code SIGSTOP} of the node's process and its end a {@code SIGCONT}: the kernel keeps accepting
 * connections and buffering what peers and clients send, and the process handles it all when it continues, as
 * after a long GC pause. A stopped process is never left behind: healing, {@link #close()} and a shutdown hook (for
 * a harness that is itself interrupted) continue or kill it. Partitions, loss, delay and duplication are applied
 * by each process to the messages it sends, so the harness gives every live process the same network faults (and
 * a relaunched one the faults in force). Process configurations and output go to the log directory given,
 * {@code <name>.json} and {@code <name>-run<n>.log} per process ({@code node-<id>}, or {@code local}).
 */
public final class ChildProcessCluster implements ClusterUnderTest {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration RESTART_TIMEOUT = Duration.ofSeconds(60);

    /** One child process and the nodes it runs. Its mutable fields are guarded by the cluster's monitor. */
    private static final class Child {
        final String name;
        /** {@code node} (one node, {@code node_id} set) or {@code local} (every node). */
        final String command;
        final int nodeId;
        final List<Integer> nodes;
        final int adminPort;
        /** The configuration its process runs with (the cluster's, or a joining node's own). */
        final JsonObject config;
        Process process;
        /** Under SIGSTOP: alive, but it answers nothing until SIGCONT. */
        boolean stopped;
        int runs;
        /** The output of its latest run. */
        Path log;

        Child(String name, String command, int nodeId, List<Integer> nodes, int adminPort, JsonObject config) {
            this.name = name;
            this.command = command;
            this.nodeId = nodeId;
            this.nodes = nodes;
            this.adminPort = adminPort;
            this.config = config;
        }
    }

    private final JsonObject config;
    private final Vertx vertx = Vertx.vertx();
    private final AdminHttp http = new AdminHttp(vertx, 10_000);
    private final Path dataDir;
    private final Path logDir;
    /** The processes, those of joining nodes started later included (a node that was forgotten is gone). */
    private final List<Child> children = new CopyOnWriteArrayList<>();
    private final Map<Integer, Child> childOf = new ConcurrentSkipListMap<>();
    /** Continues and kills the children if this JVM exits before {@link #close()} (Ctrl-C of a run). */
    private final Thread reaper = new Thread(this::killAll, "raftline-cluster-reaper");
    private final Map<Integer, URI> nodeUrls = new ConcurrentSkipListMap<>();
    private final MembershipClient membership;
    private final BridgeRecorder bridge;
    private final Path recording;
    /** The network faults in force, given to relaunched processes; null when healed. */
    private volatile JsonObject network;

    private ChildProcessCluster(Builder b) throws IOException {
        this.recording = b.recording;
        this.logDir = Files.createDirectories(b.logDir);
        this.dataDir = Files.createTempDirectory("raftline-cluster-");
        int[] ids = ClusterConfigs.nodeIds(b.config);
        Map<Integer, JsonObject> ports = new LinkedHashMap<>();
        for (int id : ids) {
            ports.put(id, new JsonObject().put("http_port", FreePorts.next()).put("bus_port", FreePorts.next())
                    .put("resp_port", FreePorts.next()));
            nodeUrls.put(id, URI.create("http://127.0.0.1:" + ports.get(id).getInteger("http_port")));
        }
        this.config = ClusterConfigs.placed(b.config, dataDir, ports::get);
        if (b.oneProcess) {
            children.add(new Child("local", "local", 0, List.copyOf(nodeUrls.keySet()), FreePorts.next(), config));
        } else {
            for (int id : ids) {
                children.add(new Child("node-" + id, "node", id, List.of(id), FreePorts.next(), config));
            }
        }
        for (Child c : children) {
            c.nodes.forEach(id -> childOf.put(id, c));
        }
        this.membership = new MembershipClient(vertx, http, this::nodeUrls);
        this.bridge = recording == null ? null
                : new BridgeRecorder(vertx, recording, List.copyOf(nodeUrls.keySet()), this::liveAdminPorts);
    }

    /**
     * The cluster of a nemesis run ({@link ClusterConfigs}' run configuration), one process per node, recording
     * what a browser on a live process's admin port sees.
     *
     * @param options   the run (nodes, seed, request timeout)
     * @param out       the run's output directory (process logs and configurations go to its {@code processes})
     * @param recording the NDJSON file for the event recording
     * @return the running cluster, with a leader
     * @throws Exception if it does not start; the processes are stopped then
     */
    public static ChildProcessCluster start(NemesisOptions options, Path out, Path recording) throws Exception {
        return builder(ClusterConfigs.forRun(options), out.resolve("processes")).recording(recording).start();
    }

    /**
     * Prepares a cluster of processes.
     *
     * @param config the cluster's configuration, as {@link ClusterConfigs} makes it; the harness gives each node
     *               its ports and data directory, and each process an admin API
     * @param logDir where the processes' configurations and output go (kept after close)
     * @return a builder
     */
    public static Builder builder(JsonObject config, Path logDir) {
        return new Builder(config, logDir);
    }

    /** What to start: the configuration, and how its nodes are spread over processes. */
    public static final class Builder {
        private final JsonObject config;
        private final Path logDir;
        private boolean oneProcess;
        private Path recording;

        private Builder(JsonObject config, Path logDir) {
            this.config = config.copy();
            this.logDir = logDir;
        }

        /**
         * Runs every node in one process in local mode (as {@code java -jar raftline.jar} does) instead of one
         * process per node: a crash or a stall then hits them all at once.
         *
         * @return this builder
         */
        public Builder oneProcess() {
            this.oneProcess = true;
            return this;
        }

        /**
         * Records what a browser on a live process's admin port sees (see {@link BridgeRecorder}).
         *
         * @param file the NDJSON recording
         * @return this builder
         */
        public Builder recording(Path file) {
            this.recording = file;
            return this;
        }

        /**
         * Launches every process and waits (at most 90 s) until the cluster has a leader.
         *
         * @return the running cluster
         * @throws Exception if it does not start; the processes are stopped then
         */
        public ChildProcessCluster start() throws Exception {
            ChildProcessCluster c = new ChildProcessCluster(this);
            Runtime.getRuntime().addShutdownHook(c.reaper);
            try {
                for (Child child : c.children) {
                    c.launch(child);
                }
                c.awaitStarted(START_TIMEOUT);
                return c;
            } catch (Exception e) {
                c.close();
                throw new IOException("the cluster of processes did not start (logs in " + c.logDir + "): "
                        + e.getMessage(), e);
            }
        }
    }

    /**
     * Waits until there is a leader and every process's admin API answers, with every launched process still running:
     * a process that exits meanwhile (a refused configuration, a port it could not bind) fails the start at once, with
     * its last words, rather than after the whole timeout or, worse, with a leader elected by the others and a test
     * that fails later for a reason it cannot see. The admin listener is deployed after the nodes, so a leader alone
     * does not mean a test may open the live view's bridge yet.
     */
    private void awaitStarted(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            for (Child child : children) {
                Process p = child.process;
                if (p != null && !p.isAlive()) {
                    throw new IOException(child.name + " exited with status " + p.exitValue() + " while starting: "
                            + lastLine(child.log));
                }
            }
            try {
                if (Waits.await(leader(), Duration.ofSeconds(15)) != 0 && adminsAnswer()) {
                    return;
                }
            } catch (RuntimeException e) {
                // no answer yet: asked again below
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("no leader within " + timeout.toSeconds() + " s");
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
    }

    /** Whether the admin API of every running process answers (plain HTTP only: the harness's own configurations). */
    private boolean adminsAnswer() throws InterruptedException {
        if (config.containsKey("tls")) {
            return true;
        }
        List<Future<JsonObject>> asks = new ArrayList<>();
        for (Child child : children) {
            if (child.process != null && child.process.isAlive()) {
                asks.add(http.get(URI.create("http://127.0.0.1:" + child.adminPort), "/v1/cluster"));
            }
        }
        try {
            Waits.await(Future.all(asks), Duration.ofSeconds(5));
            return true;
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            return false; // not listening yet (Waits.await rethrows the cause as it is: connection refused)
        }
    }

    private static String lastLine(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            for (int i = lines.size() - 1; i >= 0; i--) {
                String line = lines.get(i).strip();
                if (line.startsWith("raftline:")) {
                    return line;
                }
            }
            return lines.isEmpty() ? "(no output)" : lines.get(lines.size() - 1);
        } catch (IOException e) {
            return "(its log " + log + " cannot be read: " + e.getMessage() + ")";
        }
    }

    private synchronized void launch(Child child) throws IOException {
        JsonObject conf = child.config.copy()
                .put("admin", new JsonObject().put("host", "127.0.0.1").put("port", child.adminPort));
        if (child.nodeId != 0) {
            conf.put("node_id", child.nodeId);
        }
        Path confFile = logDir.resolve(child.name + ".json");
        Files.writeString(confFile, conf.encodePrettily());
        Path log = logDir.resolve(child.name + "-run" + (++child.runs) + ".log");
        child.log = log;
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // C1 only and the serial collector: three node JVMs and the harness share the machine's cores, and a
        // relaunched node should serve again quickly. The --add-* flags are the access Hazelcast asks for.
        child.process = new ProcessBuilder(java, "-Xmx512m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-Draftline.log.level=INFO", "--add-modules", "java.se",
                "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
                "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
                "--add-opens", "java.management/sun.management=ALL-UNNAMED",
                "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "io.raftline.app.Main", child.command,
                "--conf", confFile.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /**
     * The live process that runs a node, if there is one (for tests that check what a fault did to it).
     *
     * @param node the node
     * @return its process, unless it is dead
     */
    public synchronized Optional<ProcessHandle> process(int node) {
        Child c = childOf.get(node);
        return alive(c) ? Optional.of(c.process.toHandle()) : Optional.empty();
    }

    /**
     * Where a node keeps its files.
     *
     * @param node the node
     * @return its data directory
     */
    public Path dataDir(int node) {
        return dataDir.resolve("node-" + node);
    }

    /**
     * Starts more nodes, each in a process of its own, as an operator starts {@code conf/node-4.json}: nodes of the
     * same cluster, on free loopback ports, with empty data directories, marked {@code "join": true} so that they
     * start with no membership and only serve their status until a leader adds them ({@link #membership()}). The
     * processes are launched together and waited for together (a cold start is seconds of one core: two of them one
     * after the other doubled a test's wait). Each one's configuration lists the nodes of the cluster's configuration
     * and those launched before it (over the clustered event bus it finds the others' Hazelcast ports there). From
     * then on they are among {@link #nodeUrls()}, crashed, restarted and healed like the others. Blocks the calling
     * thread (never an event loop).
     *
     * @param ids node ids not used before in this cluster
     * @return their client APIs' URLs, in the order of {@code ids}, once every one answers
     * @throws Exception if one does not answer within 60 s (the processes launched here are killed then)
     */
    public List<URI> startJoining(int... ids) throws Exception {
        return startJoining(true, ids);
    }

    /**
     * As {@link #startJoining(int...)}, but each configuration lists the nodes of the cluster's configuration and the
     * node itself only, as {@code conf/node-4.json} does: what an operator following docs/membership.md writes.
     *
     * @param ids node ids not used before in this cluster
     * @return their client APIs' URLs, in the order of {@code ids}, once every one answers
     * @throws Exception if one does not answer within 60 s (the processes launched here are killed then)
     */
    public List<URI> startJoiningAsConfigured(int... ids) throws Exception {
        return startJoining(false, ids);
    }

    private List<URI> startJoining(boolean listJoined, int... ids) throws Exception {
        List<Child> launched = new ArrayList<>();
        synchronized (this) {
            Set<Integer> fresh = new HashSet<>();
            for (int id : ids) {
                if (!fresh.add(id) || childOf.containsKey(id)
                        || Arrays.stream(ClusterConfigs.nodeIds(config)).anyMatch(n -> n == id)
                        || Files.exists(dataDir(id))) {
                    throw new IllegalArgumentException("node id " + id + " was already used in this cluster");
                }
            }
            for (int id : ids) {
                JsonObject conf = config.copy();
                JsonArray listed = conf.getJsonArray("nodes");
                for (Child c : children) {
                    if (listJoined && c.config != config) {
                        listed.add(nodeEntry(c).copy().put("join", true));
                    }
                }
                listed.add(new JsonObject().put("id", id).put("http_port", FreePorts.next())
                        .put("bus_port", FreePorts.next()).put("resp_port", FreePorts.next())
                        .put("data_dir", dataDir(id).toString()).put("join", true));
                Child child = new Child("node-" + id, "node", id, List.of(id), FreePorts.next(), conf);
                launch(child);
                children.add(child);
                launched.add(child);
            }
        }
        List<URI> urls = new ArrayList<>();
        for (Child child : launched) {
            URI url = URI.create("http://127.0.0.1:" + nodeEntry(child).getInteger("http_port"));
            try {
                Waits.eventually("joining node " + child.nodeId + " to answer", RESTART_TIMEOUT,
                        () -> http.get(url, "/v1/members?local=true").map(j -> true));
            } catch (Waits.TimedOutException e) {
                launched.forEach(c -> forget(c.nodeId, c));
                throw new IOException("joining node " + child.nodeId + " did not start (log in " + logDir + "): "
                        + e.getMessage(), e);
            }
            urls.add(url);
        }
        for (int i = 0; i < launched.size(); i++) {
            childOf.put(launched.get(i).nodeId, launched.get(i));
            nodeUrls.put(launched.get(i).nodeId, urls.get(i));
        }
        return urls;
    }

    /**
     * Stops a node's process for good (after it was removed from the membership: the last step of replacing a node)
     * and forgets it: it is no longer one of {@link #nodeUrls()}, and healing does not restart it. Its data directory
     * stays until {@link #close()}. Blocks the calling thread (never an event loop).
     *
     * @param id the node (in one-node-per-process mode)
     */
    public void stopAndForget(int id) {
        Child c = childOf.get(id);
        if (c == null || c.nodes.size() != 1) {
            throw new IllegalArgumentException("node " + id + " does not run in a process of its own here");
        }
        nodeUrls.remove(id);
        childOf.remove(id);
        forget(id, c);
    }

    private void forget(int id, Child c) {
        children.remove(c);
        kill(c);
        c.nodes.forEach(n -> note(n, "NodeCrashed", new JsonObject().put("role", "Down")));
    }

    /** The entry of a one-node process's node in its configuration's {@code nodes}. */
    private static JsonObject nodeEntry(Child c) {
        JsonArray nodes = c.config.getJsonArray("nodes");
        for (int i = 0; i < nodes.size(); i++) {
            if (nodes.getJsonObject(i).getInteger("id") == c.nodeId) {
                return nodes.getJsonObject(i);
            }
        }
        throw new IllegalStateException("node " + c.nodeId + " is not in its own configuration");
    }

    @Override
    public MembershipClient membership() {
        return membership;
    }

    /**
     * Where the processes' configurations and output are.
     *
     * @return the log directory
     */
    public Path logDir() {
        return logDir;
    }

    /**
     * The admin API of the process that runs a node.
     *
     * @param node the node
     * @return {@code http://127.0.0.1:port}
     */
    public URI adminUrl(int node) {
        return URI.create("http://127.0.0.1:" + childOf.get(node).adminPort);
    }

    private synchronized Process running(Child c, int node) {
        if (!alive(c)) {
            throw new IllegalStateException("the process of node " + node + " is not running");
        }
        return c.process;
    }

    private synchronized boolean alive(Child c) {
        return c != null && c.process != null && c.process.isAlive();
    }

    /** Alive and not stopped: a process that can answer a call now. */
    private synchronized boolean responsive(Child c) {
        return alive(c) && !c.stopped;
    }

    private List<Integer> liveAdminPorts() {
        List<Integer> ports = new ArrayList<>();
        for (Child c : children) {
            if (responsive(c)) {
                ports.add(c.adminPort);
            }
        }
        return ports;
    }

    private void note(int node, String type, JsonObject fields) {
        if (bridge != null) {
            bridge.note(new JsonObject().put("seq", 0L).put("ts", System.currentTimeMillis()).put("node", node)
                    .put("term", 0L).put("role", "").put("type", type).put("harness", true).mergeIn(fields));
        }
    }

    @Override
    public Map<Integer, URI> nodeUrls() {
        return Map.copyOf(nodeUrls);
    }

    /** Every child's configuration lists its node's {@code resp_port}; a node added later is in its own. */
    @Override
    public Map<Integer, String> respAddresses() {
        Map<Integer, String> out = new java.util.TreeMap<>();
        for (Child c : children) {
            JsonArray nodes = c.config.getJsonArray("nodes");
            for (int i = 0; i < nodes.size(); i++) {
                JsonObject n = nodes.getJsonObject(i);
                Integer port = n.getInteger("resp_port");
                if (port != null && port > 0 && nodeUrls.containsKey(n.getInteger("id"))) {
                    out.putIfAbsent(n.getInteger("id"), "127.0.0.1:" + port);
                }
            }
        }
        return out;
    }

    /**
     * Asks every responsive process about its own nodes only ({@code scope=local}: no waiting on peers, of which
     * one may be stopped) and takes the leader of the highest term; on a sharded cluster, 0 until every group has a
     * leader (group 0's is the one returned).
     */
    @Override
    public Future<Integer> leader() {
        List<Future<JsonObject>> asks = new ArrayList<>();
        for (int id : nodeUrls.keySet()) {
            if (responsive(childOf.get(id))) {
                asks.add(http.get(nodeUrls.get(id), "/v1/cluster?scope=local"));
            }
        }
        return Future.join(asks).transform(ar -> {
            int leader = 0;
            long leaderTerm = -1;
            int groups = config.getInteger("groups", 1);
            boolean[] led = new boolean[groups];
            for (Future<JsonObject> a : asks) {
                if (a.failed()) {
                    continue;
                }
                JsonArray nodes = a.result().getJsonArray("nodes", new JsonArray());
                for (int i = 0; i < nodes.size(); i++) {
                    JsonObject n = nodes.getJsonObject(i);
                    if (!Boolean.TRUE.equals(n.getBoolean("local"))) {
                        continue;
                    }
                    if ("Leader".equals(n.getString("role")) && n.getLong("term", 0L) > leaderTerm) {
                        leader = n.getInteger("id", 0);
                        leaderTerm = n.getLong("term", 0L);
                    }
                    JsonArray replicas = n.getJsonArray("groups", new JsonArray());
                    for (int g = 0; g < replicas.size() && g < groups; g++) {
                        led[g] |= "Leader".equals(replicas.getJsonObject(g).getString("role"));
                    }
                }
            }
            // A sharded cluster has a leader once every group has one: a client may ask any key.
            for (int g = 1; g < groups; g++) {
                if (!led[g]) {
                    return Future.succeededFuture(0);
                }
            }
            return Future.succeededFuture(leader);
        });
    }

    @Override
    public Future<Void> crash(int node) {
        Child c = childOf.get(node);
        return vertx.executeBlocking(() -> {
            Process p = running(c, node);
            p.destroyForcibly();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the process of node " + node + " survived SIGKILL for 10 s");
            }
            synchronized (this) {
                c.stopped = false;
            }
            c.nodes.forEach(id -> note(id, "NodeCrashed", new JsonObject().put("role", "Down")));
            return null;
        });
    }

    /** Relaunches the node's process (unless it runs) and waits until each of its nodes serves again. */
    @Override
    public Future<Void> restart(int node) {
        Child c = childOf.get(node);
        if (alive(c)) {
            return Future.succeededFuture();
        }
        return vertx.executeBlocking(() -> {
            launch(c);
            return null;
        }).compose(v -> Waits.eventually(vertx, c.name + " to serve again", RESTART_TIMEOUT, () -> {
            List<Future<JsonObject>> checks = new ArrayList<>();
            c.nodes.forEach(id -> checks.add(http.get(nodeUrls.get(id), "/health")));
            return Future.all(checks).map(h -> true).otherwise(false);
        })).compose(v -> {
            JsonObject faults = network;
            return faults == null ? Future.<Void>succeededFuture()
                    : http.json(HttpMethod.PUT, adminUrl(node), "/v1/admin/network", faults).<Void>mapEmpty();
        }).compose(v -> {
            List<Future<JsonObject>> hashes = new ArrayList<>();
            c.nodes.forEach(id -> hashes.add(http.get(nodeUrls.get(id), "/v1/state-hash")
                    .otherwiseEmpty().onSuccess(hash -> note(id, "NodeRestarted", new JsonObject()
                            .put("role", "Follower")
                            .put("applied", hash == null ? 0L : hash.getLong("appliedIndex", 0L))))));
            return Future.join(hashes).mapEmpty();
        });
    }

    @Override
    public Future<Void> stall(int node) {
        Child c = childOf.get(node);
        return vertx.executeBlocking(() -> {
            Process p;
            synchronized (this) {
                p = running(c, node);
                // Marked before the signal: should the signal be sent but its confirmation lost, healing and
                // close() still continue the process.
                c.stopped = true;
            }
            signal(p, "STOP");
            c.nodes.forEach(id -> note(id, "NodeFrozen", new JsonObject().put("frozen", true)));
            return null;
        });
    }

    @Override
    public Future<Void> unstall(int node) {
        Child c = childOf.get(node);
        return vertx.executeBlocking(() -> {
            Process p;
            synchronized (this) {
                p = c.process;
                if (!c.stopped || p == null || !p.isAlive()) {
                    c.stopped = false;
                    return null;
                }
            }
            signal(p, "CONT");
            synchronized (this) {
                c.stopped = false;
            }
            c.nodes.forEach(id -> note(id, "NodeFrozen", new JsonObject().put("frozen", false)));
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
        for (Child c : children) {
            boolean isStopped;
            synchronized (this) {
                isStopped = c.stopped;
            }
            if (isStopped) {
                conts.add(unstall(c.nodes.get(0)));
            }
        }
        return Future.all(conts).mapEmpty();
    }

    @Override
    public Future<Void> pause(int node) {
        return http.json(HttpMethod.POST, adminUrl(node), "/v1/admin/nodes/" + node + "/pause", null).mapEmpty();
    }

    @Override
    public Future<Void> resume(int node) {
        return http.json(HttpMethod.POST, adminUrl(node), "/v1/admin/nodes/" + node + "/resume", null).mapEmpty();
    }

    @Override
    public Future<Void> network(JsonObject faults) {
        network = faults.copy();
        return everyLiveAdmin(c -> http.json(HttpMethod.PUT, adminUrl(c.nodes.get(0)), "/v1/admin/network", faults));
    }

    /** A call to the admin API of every responsive process; succeeds if one of them does. */
    private Future<Void> everyLiveAdmin(Function<Child, Future<JsonObject>> call) {
        List<Future<JsonObject>> calls = new ArrayList<>();
        for (Child c : children) {
            if (responsive(c)) {
                calls.add(call.apply(c));
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
            for (Child c : children) {
                if (!alive(c)) {
                    restarts.add(restart(c.nodes.get(0)));
                }
            }
            return healRest(restarts).compose(v -> continued.succeeded() ? Future.<Void>succeededFuture()
                    : Future.<Void>failedFuture(continued.cause()));
        });
    }

    /** Once the relaunches are over: no network faults and no paused node in any live process. */
    private Future<Void> healRest(List<Future<Void>> restarts) {
        return Future.join(restarts).transform(r -> everyLiveAdmin(c -> {
            URI admin = adminUrl(c.nodes.get(0));
            Future<JsonObject> healed = http.json(HttpMethod.DELETE, admin, "/v1/admin/network", null);
            for (int id : c.nodes) {
                healed = healed.compose(x -> http.json(HttpMethod.POST, admin, "/v1/admin/nodes/" + id + "/resume",
                        null));
            }
            return healed;
        })).compose(v -> {
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
                if (!alive(childOf.get(id))) {
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
        return adminUrl(nodeUrls.keySet().iterator().next()) + "/";
    }

    @Override
    public String crashMethod() {
        return "SIGKILL of the node's process, then a new process on the same data";
    }

    @Override
    public Future<Path> finishRecording(JsonObject verdict) {
        if (bridge == null) {
            return Future.failedFuture(new IllegalStateException("this cluster records no events"));
        }
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
        if (bridge == null) {
            return "nothing recorded";
        }
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
            if (bridge != null) {
                Waits.await(bridge.finish(new JsonObject().put("verdict", "UNKNOWN")
                        .put("summary", "the run was aborted")).otherwiseEmpty(), Duration.ofSeconds(10));
            }
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
        for (Child c : children) {
            kill(c);
        }
    }

    /** Kills one child, continuing it first if it is stopped. */
    private void kill(Child c) {
        Process p;
        boolean wasStopped;
        synchronized (this) {
            p = c.process;
            wasStopped = c.stopped;
            c.stopped = false;
        }
        if (p == null || !p.isAlive()) {
            return;
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
