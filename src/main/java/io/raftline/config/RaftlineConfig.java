package io.raftline.config;

import io.raftline.node.NodeOptions;
import io.raftline.raft.ConfigException;
import io.raftline.raft.RaftConfig;
import io.raftline.events.EventValues;
import io.raftline.security.AdminAccess;
import io.raftline.security.ClientAccess;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The whole configuration of a Raftline process, read once at start and validated before anything binds a
 * port. The same file shape serves both modes: the local cluster runs every listed node in one JVM, and a
 * per-process node runs only {@code node_id}.
 *
 * <pre>
 * {
 *   "cluster_name": "raftline-local",
 *   "seed": 42,                      random seed (elections, network faults)
 *   "single_node": false,            explicit one-member bootstrap
 *   "http_host": "127.0.0.1",        interface the node HTTP APIs bind and are reached at
 *   "node_id": 1,                    per-process mode only: the node this process runs
 *   "nodes": [ {"id": 1, "http_port": 8081, "data_dir": "./data/node-1", "host": "127.0.0.1",
 *               "bus_port": 5701, "resp_port": 6381, "join": false}, ... ],
 *                                    bus_port: Hazelcast port when nodes run in separate processes;
 *                                    resp_port: Redis protocol (default 6380 + id, 0 if http_port is 0; -1: none);
 *                                    join: not in the initial membership, waits to be added at runtime
 *   "admin": {"host": "127.0.0.1", "port": 8080, "token": ""},   omit to run no admin listener
 *   "raft": { "tick_ms": 10, "heartbeat_ms": 100, ... },          see {@link RaftSettings}
 *   "service": { "request_timeout_ms": 5000, "max_pending_proposals": 10000,
 *                "max_body_bytes": 1048576, "forward_timeout_ms": 5000, "max_pending_reads": 50000 },
 *   "storage": { "engine": "durable", "segment_bytes": 67108864 },  "memory" keeps nothing on disk
 *   "transport": "eventbus",         or "grpc": how Raft messages travel between nodes ({@link TransportKind})
 *   "groups": 1,                     Raft groups the key space is sharded over, 1..{@value #MAX_GROUPS}; fixed when the
 *                                    cluster is created ({@link io.raftline.shard.KeyGroups})
 *   "event_loops": 0,                Vert.x event loops of the process, 0: Vert.x's default (2 per core)
 *   "security": { "allowed_hosts": [], "allowed_origins": [], "trust_loopback": true,
 *                 "peer_identity": "node", "cluster_secret": "", "client_token": "",
 *                 "event_values": "show", "legacy_raft_credential": false },  see {@link SecurityConfig}
 *   "limits": { "max_connections": 4096, "idle_timeout_ms": 120000, ..., "quota_bytes": 0 }  see {@link LimitsConfig}
 * }
 * </pre>
 *
 * @param clusterName a name for logs
 * @param seed        random seed
 * @param singleNode  one-member bootstrap
 * @param nodeId      the node this process runs, or 0 to run all of them (local mode)
 * @param nodes       every member
 * @param admin       the admin listener, or null for none
 * @param raft        Raft tuning
 * @param service     client-facing policies
 * @param storage     where the log lives
 * @param transport   how Raft messages travel between nodes
 * @param security    host, origin and loopback rules for every listener
 * @param limits      bounds on connections, request heads, time, frames and the key space
 * @param tls         TLS of the client and admin listeners and between nodes ({@link TlsConfig#NONE}: plain HTTP)
 * @param groups      how many Raft groups every node hosts a replica of (1: one group, as before groups existed)
 * @param eventLoops  event loops of the process's Vert.x, 0 for Vert.x's default
 */
public record RaftlineConfig(String clusterName, long seed, boolean singleNode, int nodeId, List<NodeConfig> nodes,
        AdminConfig admin, RaftSettings raft, ServiceConfig service, StorageConfig storage, TransportKind transport,
        SecurityConfig security, LimitsConfig limits, TlsConfig tls, int groups, int eventLoops) {

    static final Set<String> TOP_FIELDS = Set.of("cluster_name", "seed", "single_node", "http_host", "node_id",
            "nodes", "admin", "raft", "service", "storage", "transport", "security", "limits", "tls", "groups",
            "event_loops");
    static final List<String> STORAGE_FIELDS = List.of("engine", "segment_bytes");
    static final List<String> SERVICE_FIELDS = List.of("request_timeout_ms", "max_pending_proposals",
            "max_body_bytes", "forward_timeout_ms", "max_pending_reads", "watch_leaderless_ms");
    static final List<String> ADMIN_FIELDS = List.of("host", "port", "token", "hide_values");
    static final List<String> TLS_FIELDS = List.of("cert_file", "key_file", "ca_file", "client_auth",
            "reload_interval_ms", "client_ca_file", "crl_files");
    static final List<String> SECURITY_FIELDS = List.of("allowed_hosts", "allowed_origins", "trust_loopback",
            "peer_identity", "cluster_secret", "client_token", "event_values", "legacy_raft_credential");
    static final List<String> LIMITS_FIELDS = List.of("max_connections", "idle_timeout_ms", "request_timeout_ms",
            "max_request_line_bytes", "max_header_bytes", "max_ws_frame_bytes", "quota_bytes",
            "request_head_timeout_ms");
    static final List<String> NODE_FIELDS = List.of("id", "host", "http_port", "data_dir", "bus_port", "join",
            "resp_port");

    /** Most event loops a process may be given. */
    public static final int MAX_EVENT_LOOPS = 1024;

    /**
     * The Vert.x options of a process running this configuration: {@code event_loops} when set.
     *
     * @param options the options to adjust (Vert.x's defaults, or the launcher's)
     * @return {@code options}
     */
    public io.vertx.core.VertxOptions vertxOptions(io.vertx.core.VertxOptions options) {
        if (eventLoops > 0) {
            options.setEventLoopPoolSize(eventLoops);
        }
        return options;
    }

    /**
     * Most Raft groups a cluster may have: every group is a replica per node with its own log, timers and heartbeats,
     * so this bounds what one process hosts.
     */
    public static final int MAX_GROUPS = 256;

    /** Largest request body a client can configure: one value may not be larger than this anyway. */
    public static final long MAX_BODY_BYTES_LIMIT = 64L * 1024 * 1024;

    /**
     * Reads and validates a configuration.
     *
     * @param json the configuration (overrides already applied)
     * @return the validated configuration
     * @throws ConfigException naming the first invalid field and its rule
     */
    public static RaftlineConfig fromJson(JsonObject json) {
        JsonReader r = new JsonReader(json, "");
        r.allowOnly(TOP_FIELDS);
        String clusterName = r.string("cluster_name", "raftline");
        long seed = r.longValue("seed", 42);
        boolean singleNode = r.bool("single_node", false);
        String httpHost = r.string("http_host", "127.0.0.1");
        if (httpHost.isBlank()) {
            throw new ConfigException("http_host", "must not be empty");
        }
        int nodeId = r.intValue("node_id", 0);

        JsonArray arr = r.array("nodes");
        if (arr == null || arr.isEmpty()) {
            throw new ConfigException("nodes", "must list at least one node");
        }
        List<NodeConfig> nodes = new ArrayList<>();
        Set<Integer> ids = new HashSet<>();
        Set<String> endpoints = new HashSet<>();
        for (int i = 0; i < arr.size(); i++) {
            Object o = arr.getValue(i);
            String p = "nodes[" + i + "]";
            if (!(o instanceof JsonObject obj)) {
                throw new ConfigException(p, "must be an object like {\"id\":1,\"http_port\":8081}");
            }
            JsonReader n = new JsonReader(obj, p);
            n.allowOnly(Set.copyOf(NODE_FIELDS));
            if (!n.has("id")) {
                throw new ConfigException(n.field("id"), "is required");
            }
            int id = n.intValue("id", 0);
            if (id <= 0) {
                throw new ConfigException(n.field("id"), "must be > 0, got " + id);
            }
            if (!ids.add(id)) {
                throw new ConfigException(n.field("id"), "duplicate node id " + id);
            }
            String host = n.string("host", httpHost);
            if (host.isBlank()) {
                throw new ConfigException(n.field("host"), "must not be empty (an interface or name other nodes reach"
                        + " this one at, or leave it out for http_host)");
            }
            int port = n.port("http_port", 8080 + id);
            if (port != 0 && !endpoints.add(bindKey(host) + ":" + port)) {
                throw new ConfigException(n.field("http_port"), "port " + port + " is used by two nodes");
            }
            int busPort = n.port("bus_port", 5700 + id);
            if (busPort != 0 && !endpoints.add(bindKey(host) + ":" + busPort)) {
                throw new ConfigException(n.field("bus_port"), "port " + busPort + " is already used by another node"
                        + " or HTTP port");
            }
            int respPort = n.intValue("resp_port", port == 0 ? 0 : 6380 + id);
            if (respPort < NodeConfig.NO_RESP || respPort > 65535) {
                throw new ConfigException(n.field("resp_port"), "must be a TCP port in 0..65535 (0 = any free port), or"
                        + " -1 to run no Redis-protocol listener, got " + respPort);
            }
            if (respPort > 0 && !endpoints.add(bindKey(host) + ":" + respPort)) {
                throw new ConfigException(n.field("resp_port"), "port " + respPort + " is already used by another"
                        + " node or port");
            }
            String dataDir = n.string("data_dir", "./data/node-" + id);
            if (dataDir.isBlank()) {
                // "" resolved to the working directory: the node's lock file and WAL landed among whatever was there.
                throw new ConfigException(n.field("data_dir"), "must not be empty (the directory of the node's log and"
                        + " snapshots; leave it out for ./data/node-" + id + ")");
            }
            nodes.add(new NodeConfig(id, host, port, dataDir, busPort, n.bool("join", false), respPort));
        }
        if (nodes.stream().allMatch(NodeConfig::join)) {
            throw new ConfigException("nodes", "must list at least one node of the initial membership (\"join\": "
                    + "false): a joining node needs a cluster to join");
        }
        if (nodeId != 0 && !ids.contains(nodeId)) {
            throw new ConfigException("node_id", "must be one of the ids in nodes " + ids + ", got " + nodeId);
        }
        if (nodeId < 0) {
            throw new ConfigException("node_id", "must be > 0, got " + nodeId);
        }

        AdminConfig admin = null;
        boolean legacyHideValues = false;
        if (r.has("admin")) {
            JsonReader a = r.object("admin");
            a.allowOnly(Set.copyOf(ADMIN_FIELDS));
            admin = new AdminConfig(a.string("host", httpHost), a.port("port", 8080), a.string("token", ""));
            if (admin.host().isBlank()) {
                throw new ConfigException("admin.host", "must not be empty (an interface to bind, or leave it out for"
                        + " http_host)");
            }
            if (!admin.token().isEmpty() && admin.token().length() < 16) {
                // As the client token: a token of a few characters is found by trying (an audit accepted "x").
                throw new ConfigException("admin.token", "must be at least 16 characters when set (make one with:"
                        + " openssl rand -hex 16), got " + admin.token().length());
            }
            if (!admin.token().chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
                // A token with a space, a control character (a trailing newline from a secret file) or a non-ASCII
                // letter can never be presented: the header's value is trimmed and read as ISO-8859-1, Redis AUTH
                // splits at spaces, and a node forwarding with it would write a header that HTTP refuses.
                throw new ConfigException("admin.token", "must be printable ASCII without spaces or line breaks (it"
                        + " travels in an HTTP header and as a Redis AUTH password; make one with: openssl rand -hex"
                        + " 16)");
            }
            // Before security.event_values existed, admin.hide_values hid values on the admin process only; it is
            // still read so that an older file keeps hiding them (everywhere now), never less than before.
            legacyHideValues = a.bool("hide_values", false);
            if (admin.port() != 0) {
                for (NodeConfig n : nodes) {
                    if (n.httpPort() == admin.port()) {
                        throw new ConfigException("admin.port", "port " + admin.port() + " is also node " + n.id()
                                + "'s http_port");
                    }
                    if (n.respPort() == admin.port()) {
                        throw new ConfigException("admin.port", "port " + admin.port() + " is also node " + n.id()
                                + "'s resp_port");
                    }
                    if (n.busPort() == admin.port()) {
                        throw new ConfigException("admin.port", "port " + admin.port() + " is also node " + n.id()
                                + "'s bus_port");
                    }
                }
            }
        }

        RaftSettings raft = RaftSettings.read(r.object("raft"));
        JsonReader s = r.object("service");
        s.allowOnly(Set.copyOf(SERVICE_FIELDS));
        ServiceConfig service = new ServiceConfig(
                s.longValue("request_timeout_ms", NodeOptions.DEFAULT_REQUEST_TIMEOUT_MS),
                s.intValue("max_pending_proposals", NodeOptions.DEFAULT_MAX_PENDING_PROPOSALS),
                s.longValue("max_body_bytes", ServiceConfig.DEFAULT_MAX_BODY_BYTES),
                s.longValue("forward_timeout_ms", NodeOptions.DEFAULT_REQUEST_TIMEOUT_MS),
                s.intValue("max_pending_reads", NodeOptions.DEFAULT_MAX_PENDING_READS),
                s.longValue("watch_leaderless_ms",
                        ServiceConfig.defaultWatchLeaderlessMs(raft.electionTimeoutMaxMs())));
        // Bounded above too: the node counts a request's deadline in nanoseconds, and a timeout beyond about 292 years
        // of them overflowed into the past, so every write and read answered 504 "not committed within -1 ms".
        if (service.requestTimeoutMs() <= 0 || service.requestTimeoutMs() > NodeOptions.MAX_REQUEST_TIMEOUT_MS) {
            throw new ConfigException("service.request_timeout_ms", "must be in 1.."
                    + NodeOptions.MAX_REQUEST_TIMEOUT_MS + ", got " + service.requestTimeoutMs());
        }
        if (service.forwardTimeoutMs() <= 0 || service.forwardTimeoutMs() > NodeOptions.MAX_REQUEST_TIMEOUT_MS) {
            throw new ConfigException("service.forward_timeout_ms", "must be in 1.."
                    + NodeOptions.MAX_REQUEST_TIMEOUT_MS + ", got " + service.forwardTimeoutMs());
        }
        if (service.maxPendingProposals() <= 0) {
            throw new ConfigException("service.max_pending_proposals", "must be > 0, got "
                    + service.maxPendingProposals());
        }
        if (service.maxPendingReads() <= 0) {
            throw new ConfigException("service.max_pending_reads", "must be > 0, got " + service.maxPendingReads());
        }
        // An election timeout beyond the hour is refused below, naming raft's field, not this one.
        long leaderlessFloor = Math.min(raft.electionTimeoutMaxMs(), NodeOptions.MAX_REQUEST_TIMEOUT_MS);
        if (service.watchLeaderlessMs() != 0 && (service.watchLeaderlessMs() < leaderlessFloor
                || service.watchLeaderlessMs() > NodeOptions.MAX_REQUEST_TIMEOUT_MS)) {
            throw new ConfigException("service.watch_leaderless_ms", "must be 0 (watches stay open on a node without a"
                    + " leader) or in " + leaderlessFloor + ".." + NodeOptions.MAX_REQUEST_TIMEOUT_MS
                    + " (at least raft.election_timeout_max_ms, so that an election does not end every watch), got "
                    + service.watchLeaderlessMs());
        }
        if (service.maxBodyBytes() < 1 || service.maxBodyBytes() > MAX_BODY_BYTES_LIMIT) {
            throw new ConfigException("service.max_body_bytes", "must be in 1.." + MAX_BODY_BYTES_LIMIT + ", got "
                    + service.maxBodyBytes());
        }

        JsonReader st = r.object("storage");
        st.allowOnly(Set.copyOf(STORAGE_FIELDS));
        StorageConfig storage = new StorageConfig(st.string("engine", StorageConfig.DEFAULT.engine()),
                st.longValue("segment_bytes", StorageConfig.DEFAULT.segmentBytes()));
        if (!storage.engine().equals("durable") && !storage.engine().equals("memory")) {
            throw new ConfigException("storage.engine", "must be \"durable\" or \"memory\", got \"" + storage.engine()
                    + "\"");
        }
        if (storage.segmentBytes() < 4096) {
            throw new ConfigException("storage.segment_bytes", "must be >= 4096, got " + storage.segmentBytes());
        }
        if (storage.durable() && raft.maxLogSizeBytes() < storage.segmentBytes()) {
            // The log on disk always holds the segment being written, which no compaction deletes (only closed
            // segments go): with a bound below a segment, the node refused every write for good once that segment
            // passed it, since a segment closes only when it is full.
            throw new ConfigException("raft.max_log_size_bytes", "must be >= storage.segment_bytes ("
                    + storage.segmentBytes() + ") with the durable engine, got " + raft.maxLogSizeBytes() + ": the"
                    + " segment being written is never compacted, so a smaller bound would refuse every write for good"
                    + " once that segment passed it");
        }

        TransportKind transport = TransportKind.parse("transport", r.string("transport",
                TransportKind.EVENTBUS.configName()));
        int groups = (int) r.bounded("groups", 1, 1, MAX_GROUPS);
        int eventLoops = (int) r.bounded("event_loops", 0, 0, MAX_EVENT_LOOPS);

        SecurityConfig security = readSecurity(r.object("security"), legacyHideValues);
        if (!security.clientToken().isEmpty() && admin != null && security.clientToken().equals(admin.token())) {
            throw new ConfigException("security.client_token", "must differ from admin.token (a client holding it"
                    + " could then crash nodes and change the membership)");
        }
        LimitsConfig limits = readLimits(r.object("limits"));
        TlsConfig tls = readTls(r.object("tls"));
        if (tls.clientAuth() == ClientCertAuth.REQUEST && security.clientToken().isEmpty()) {
            throw new ConfigException("tls.client_auth", "\"request\" needs security.client_token (a client without a"
                    + " certificate is let in by the token; without one it would be let in anyway): set the token, or"
                    + " use \"required\"");
        }
        checkPeerTls(tls, security, transport, nodeId, nodes);
        if (transport == TransportKind.GRPC && !tls.enabled() && nodeId != 0 && !security.clientToken().isEmpty()
                && security.clusterSecret().isEmpty() && (admin == null || admin.token().isEmpty())) {
            throw new ConfigException("security.cluster_secret", "is required with \"transport\": \"grpc\","
                    + " security.client_token and no tls in a process of its own (node_id " + nodeId + "): Raft"
                    + " calls must carry a credential only nodes hold, and every key-value client holds the client"
                    + " token; set the same long random secret on every node (RAFTLINE_SECURITY_CLUSTER_SECRET, e.g."
                    + " openssl rand -hex 32), or an admin.token, or tls with per-node certificates");
        }

        RaftlineConfig config = new RaftlineConfig(clusterName, seed, singleNode, nodeId, List.copyOf(nodes), admin,
                raft, service, storage, transport, security, limits, tls, groups, eventLoops);
        // Validate every node's Raft configuration now, so that a bad value fails before any port is bound.
        for (NodeConfig n : nodes) {
            config.raftConfig(n.id());
        }
        return config;
    }

    /**
     * The address a node's {@code host} binds, as far as the file alone tells: {@code localhost} (and any
     * {@code *.localhost}) is 127.0.0.1, names are case-blind, an IPv6 literal is the same with or without brackets and
     * in its long form. Two nodes whose ports clash only under different spellings of one address ("localhost" and
     * "127.0.0.1") were accepted, and the second failed to bind at start.
     */
    static String bindKey(String host) {
        String h = host.toLowerCase(java.util.Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        if (h.equals("localhost") || h.endsWith(".localhost")) {
            return "127.0.0.1";
        }
        return h.equals("0:0:0:0:0:0:0:1") ? "::1" : h;
    }

    private static SecurityConfig readSecurity(JsonReader s, boolean legacyHideValues) {
        s.allowOnly(Set.copyOf(SECURITY_FIELDS));
        SecurityConfig d = SecurityConfig.DEFAULT;
        List<String> hosts = s.strings("allowed_hosts", d.allowedHosts());
        for (int i = 0; i < hosts.size(); i++) {
            String h = hosts.get(i);
            if (h.isBlank() || h.contains("/") || h.contains(" ")) {
                throw new ConfigException(s.field("allowed_hosts") + "[" + i + "]", "must be a host name like"
                        + " \"raftline.example.com\" (no scheme, port or path) or \"*\", got \"" + h + "\"");
            }
            // The guard compares the Host header's name, its port removed, with each entry exactly; only "*" alone is
            // a wildcard. An entry with a port or a partial wildcard was accepted and never matched a request.
            if (!h.equals("*") && h.contains("*")) {
                throw new ConfigException(s.field("allowed_hosts") + "[" + i + "]", "must be a host name without"
                        + " wildcards (each name is compared whole; list every name clients use, or \"*\" alone to"
                        + " accept any), got \"" + h + "\"");
            }
            if (hasPort(h)) {
                throw new ConfigException(s.field("allowed_hosts") + "[" + i + "]", "must be a host name without a"
                        + " port (the name is compared without the port clients use: write \""
                        + h.substring(0, h.lastIndexOf(':')) + "\"), got \"" + h + "\"");
            }
        }
        List<String> origins = s.strings("allowed_origins", d.allowedOrigins());
        for (int i = 0; i < origins.size(); i++) {
            if (!origins.get(i).matches("https?://[^/\\s]+")) {
                throw new ConfigException(s.field("allowed_origins") + "[" + i + "]", "must be an origin like"
                        + " \"https://ops.example.com\" or \"http://localhost:5173\" (scheme, host, optional port,"
                        + " no path), got \"" + origins.get(i) + "\"");
            }
        }
        PeerIdentityPolicy peerIdentity = PeerIdentityPolicy.parse(s.field("peer_identity"),
                s.string("peer_identity", d.peerIdentity().configName()));
        String secret = s.string("cluster_secret", d.clusterSecret());
        if (!secret.isEmpty() && (secret.length() < SecurityConfig.MIN_SECRET_CHARS || secret.isBlank())) {
            throw new ConfigException(s.field("cluster_secret"), "must be at least " + SecurityConfig.MIN_SECRET_CHARS
                    + " characters (a long random string, the same on every node, e.g. from openssl rand -hex 32),"
                    + " or empty for none; got " + secret.length() + " characters");
        }
        String clientToken = s.string("client_token", d.clientToken());
        if (!clientToken.isEmpty()) {
            if (clientToken.length() < 16) {
                throw new ConfigException(s.field("client_token"), "must be at least 16 characters when set (make one"
                        + " with: openssl rand -hex 16), got " + clientToken.length());
            }
            if (!clientToken.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
                throw new ConfigException(s.field("client_token"), "must be printable ASCII without spaces (it travels"
                        + " in an HTTP header and as a Redis AUTH password)");
            }
        }
        EventValues eventValues = EventValues.parse(s.field("event_values"),
                s.string("event_values", d.eventValues().configName()));
        if (legacyHideValues) {
            eventValues = eventValues.strictest(EventValues.HIDE);
        }
        boolean legacyRaft = s.bool("legacy_raft_credential", d.legacyRaftCredential());
        if (legacyRaft && secret.isEmpty()) {
            throw new ConfigException(s.field("legacy_raft_credential"), "needs security.cluster_secret (it lets Raft"
                    + " calls carry the earlier release's credential besides the one derived from the secret, during a"
                    + " rolling upgrade); set the secret, or remove this setting");
        }
        return new SecurityConfig(hosts, origins, s.bool("trust_loopback", d.trustLoopback()), peerIdentity, secret,
                clientToken, eventValues, legacyRaft);
    }

    /**
     * Whether an entry of {@code security.allowed_hosts} carries a port: a colon outside an IPv6 literal. An IPv6
     * address, bare ({@code ::1}) or in brackets ({@code [::1]}), has colons of its own (at least two, and hexadecimal
     * digits, dots and a zone after {@code %} only); {@code [::1]:8443} and {@code raftline.example.com:8443} have a
     * port.
     */
    private static boolean hasPort(String host) {
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        int colons = (int) h.chars().filter(c -> c == ':').count();
        if (colons == 0) {
            return false;
        }
        int zone = h.indexOf('%');
        String address = zone >= 0 ? h.substring(0, zone) : h;
        return colons < 2 || !address.matches("[0-9A-Fa-f:.]+");
    }

    private static TlsConfig readTls(JsonReader t) {
        t.allowOnly(Set.copyOf(TLS_FIELDS));
        TlsConfig tls = new TlsConfig(t.string("cert_file", ""), t.string("key_file", ""), t.string("ca_file", ""),
                ClientCertAuth.parse(t.field("client_auth"), t.string("client_auth", "none")),
                t.bounded("reload_interval_ms", TlsConfig.DEFAULT_RELOAD_INTERVAL_MS, 0, 86_400_000L),
                t.string("client_ca_file", ""), t.strings("crl_files", List.of()));
        if (tls.reloadIntervalMs() > 0 && tls.reloadIntervalMs() < 100) {
            throw new ConfigException(t.field("reload_interval_ms"), "must be 0 (never) or at least 100, got "
                    + tls.reloadIntervalMs());
        }
        if (tls.certFile().isEmpty() != tls.keyFile().isEmpty()) {
            throw new ConfigException(t.field(tls.certFile().isEmpty() ? "cert_file" : "key_file"), "is required with "
                    + t.field(tls.certFile().isEmpty() ? "key_file" : "cert_file") + " (both or neither)");
        }
        if (!tls.enabled() && !tls.caFile().isEmpty()) {
            throw new ConfigException(t.field("ca_file"), "needs cert_file and key_file (TLS is off without them)");
        }
        if (tls.clientAuth().enabled() && tls.caFile().isEmpty()) {
            throw new ConfigException(t.field("client_auth"), "\"" + tls.clientAuth().configName() + "\" needs "
                    + t.field("ca_file") + " (the CA whose certificates clients must present)"
                    + (tls.enabled() ? "" : ", and TLS on (cert_file and key_file)"));
        }
        if (!tls.clientCaFile().isEmpty() && !tls.clientAuth().enabled()) {
            throw new ConfigException(t.field("client_ca_file"), "needs " + t.field("client_auth") + " \"request\" or"
                    + " \"required\": the client CA signs key-value clients' certificates, which the client ports ask"
                    + " for only then");
        }
        if (!tls.enabled() && !tls.crlFiles().isEmpty()) {
            throw new ConfigException(t.field("crl_files"), "needs cert_file and key_file (TLS is off without them)");
        }
        checkTlsFiles(t, tls);
        if (!tls.crlFiles().isEmpty()) {
            try {
                io.raftline.security.RevocationLists.check(tls.crlFiles(), tls.certificateAuthorities());
            } catch (io.raftline.security.RevocationLists.Invalid e) {
                throw new ConfigException(t.field("crl_files") + "[" + e.index() + "]", e.getMessage());
            }
        }
        return tls;
    }

    /**
     * Reads the PEM files now, so that a wrong file is refused naming its field before anything starts (Vert.x would
     * read them only when a listener binds, after the storage opened, in a message naming no setting).
     */
    private static void checkTlsFiles(JsonReader t, TlsConfig tls) {
        String field = "cert_file";
        try {
            if (tls.enabled()) {
                java.security.cert.X509Certificate own = io.raftline.security.TlsFiles.certificates(
                        java.nio.file.Path.of(tls.certFile())).get(0);
                field = "key_file";
                io.raftline.security.TlsFiles.checkKey(java.nio.file.Path.of(tls.keyFile()), own,
                        java.nio.file.Path.of(tls.certFile()));
            }
            for (String f : List.of("ca_file", "client_ca_file")) {
                field = f;
                String path = f.equals("ca_file") ? tls.caFile() : tls.clientCaFile();
                if (!path.isEmpty()) {
                    io.raftline.security.TlsFiles.certificates(java.nio.file.Path.of(path));
                }
            }
        } catch (java.io.IOException | java.nio.file.InvalidPathException e) {
            throw new ConfigException(t.field(field), e.getMessage());
        }
    }

    /**
     * With TLS, the nodes authenticate each other by certificate wherever Raft traffic crosses a network (the gRPC
     * transport; the clustered event bus of one node per process): that needs the cluster CA, and with
     * {@code security.peer_identity: "node"} a certificate of this process that names the nodes it runs, or every
     * peer would refuse its messages. Checked here so that the mistake is named before any port is bound.
     */
    private static void checkPeerTls(TlsConfig tls, SecurityConfig security, TransportKind transport, int nodeId,
            List<NodeConfig> nodes) {
        boolean grpc = transport == TransportKind.GRPC;
        boolean clusteredBus = transport == TransportKind.EVENTBUS && nodeId != 0 && nodes.size() > 1;
        if (!tls.enabled() || !(grpc || clusteredBus)) {
            return;
        }
        if (tls.caFile().isEmpty()) {
            throw new ConfigException("tls.ca_file", "is required with tls when Raft traffic crosses the network ("
                    + (grpc ? "\"transport\": \"grpc\"" : "the clustered event bus of node_id " + nodeId) + "):"
                    + " peers' certificates are verified against it (the JVM's trust store would accept a certificate"
                    + " from any public CA)");
        }
        if (clusteredBus && security.peerIdentity() == PeerIdentityPolicy.NODE && !security.clusterSecret().isEmpty()) {
            checkPairKeyCertificate(tls, nodeId);
        }
        if (!grpc || security.peerIdentity() != PeerIdentityPolicy.NODE) {
            return;
        }
        io.raftline.security.PeerIdentity own;
        try {
            own = io.raftline.security.PeerIdentity.ofPem(java.nio.file.Path.of(tls.certFile()));
        } catch (java.io.IOException | java.security.GeneralSecurityException e) {
            throw new ConfigException("tls.cert_file", "is not a PEM certificate (" + e.getMessage() + ")");
        }
        List<Integer> runs = nodeId != 0 ? List.of(nodeId) : nodes.stream().map(NodeConfig::id).toList();
        for (int id : runs) {
            if (!own.names(id)) {
                throw new ConfigException("tls.cert_file", "must name node " + id + " (a subject alternative name"
                        + " URI " + io.raftline.security.PeerIdentity.URI_PREFIX + id + ") with \"transport\":"
                        + " \"grpc\" and security.peer_identity \"node\", since peers accept its Raft messages only"
                        + " from a certificate naming it; it is " + own + " (make one with bin/tls-ca.sh DIR --node "
                        + id + ", or set security.peer_identity to \"any_member\")");
            }
        }
    }

    /**
     * On the clustered event bus with a secret and {@code peer_identity: "node"}, every frame is tagged with a key of
     * its pair of nodes derived from their certificates ({@link io.raftline.security.PeerFrameKeys}): this process's
     * certificate must name exactly its node, with an EC key, or no peer could verify what it sends.
     */
    private static void checkPairKeyCertificate(TlsConfig tls, int nodeId) {
        java.security.cert.X509Certificate leaf;
        try {
            leaf = io.raftline.security.PeerIdentity.firstCertificate(java.nio.file.Path.of(tls.certFile()));
        } catch (java.io.IOException | java.security.GeneralSecurityException e) {
            throw new ConfigException("tls.cert_file", "is not a PEM certificate (" + e.getMessage() + ")");
        }
        io.raftline.security.PeerIdentity own = io.raftline.security.PeerIdentity.of(leaf);
        if (!own.nodeIds().equals(Set.of(nodeId))) {
            throw new ConfigException("tls.cert_file", "must name node " + nodeId + " and no other (a subject"
                    + " alternative name URI " + io.raftline.security.PeerIdentity.URI_PREFIX + nodeId + ") on the"
                    + " clustered event bus with security.cluster_secret and security.peer_identity \"node\": each"
                    + " frame carries a tag of a key only its sender and receiver can derive from their certificates;"
                    + " it is " + own + " (make one with bin/tls-ca.sh DIR --node " + nodeId + ", or set"
                    + " security.peer_identity to \"any_member\" to keep one tag for the whole cluster)");
        }
        if (!(leaf.getPublicKey() instanceof java.security.interfaces.ECPublicKey)) {
            throw new ConfigException("tls.cert_file", "must hold an EC key (P-256, as bin/tls-ca.sh makes) on the"
                    + " clustered event bus with security.cluster_secret and security.peer_identity \"node\": the"
                    + " pair keys of the frames come from an EC key agreement; it holds "
                    + leaf.getPublicKey().getAlgorithm() + " (or set security.peer_identity to \"any_member\")");
        }
    }

    private static LimitsConfig readLimits(JsonReader l) {
        l.allowOnly(Set.copyOf(LIMITS_FIELDS));
        LimitsConfig d = LimitsConfig.DEFAULT;
        LimitsConfig limits = new LimitsConfig(
                (int) l.bounded("max_connections", d.maxConnections(), 0, 1_000_000),
                l.bounded("idle_timeout_ms", d.idleTimeoutMs(), 0, 86_400_000),
                l.bounded("request_timeout_ms", d.requestTimeoutMs(), 100, 3_600_000),
                (int) l.bounded("max_request_line_bytes", d.maxRequestLineBytes(), 256, 1 << 20),
                (int) l.bounded("max_header_bytes", d.maxHeaderBytes(), 1024, 1 << 20),
                (int) l.bounded("max_ws_frame_bytes", d.maxWsFrameBytes(), 1024, 16 << 20),
                l.bounded("quota_bytes", d.quotaBytes(), 0, Long.MAX_VALUE),
                l.bounded("request_head_timeout_ms", d.requestHeadTimeoutMs(), 0, 3_600_000));
        if (limits.requestHeadTimeoutMs() > 0 && limits.requestHeadTimeoutMs() < 100) {
            throw new ConfigException(l.field("request_head_timeout_ms"), "must be 0 (no deadline) or at least 100,"
                    + " got " + limits.requestHeadTimeoutMs());
        }
        return limits;
    }

    /**
     * The key-value API's access policy of this configuration: {@code security.client_token}, and the admin token,
     * which passes it too.
     *
     * @return the policy
     */
    public ClientAccess clientAccess() {
        return new ClientAccess(security.clientToken(), admin == null ? "" : admin.token(), tls.clientAuth().enabled());
    }

    /**
     * What Raft calls over gRPC without TLS must carry, and this process's nodes present on theirs: a credential only
     * nodes hold ({@link io.raftline.security.RaftCallCredential}): one derived from {@code security.cluster_secret};
     * else, in local mode, a random one (a new one on every call: make it once per process); else the admin token.
     * None (null) without a client token or a secret: Raft calls are then as open as the key-value API.
     *
     * @return the credential, or null
     */
    public io.raftline.security.RaftCallCredential newRaftCallCredential() {
        String adminToken = admin == null ? "" : admin.token();
        if (!security.clusterSecret().isEmpty()) {
            return io.raftline.security.RaftCallCredential.fromSecret(security.clusterSecret(),
                    security.legacyRaftCredential() ? clientAccess() : null);
        }
        if (security.clientToken().isEmpty()) {
            return null;
        }
        if (nodeId == 0) {
            return io.raftline.security.RaftCallCredential.inProcess();
        }
        // The configuration refuses a client token without a secret or an admin token here (a process of its own).
        return io.raftline.security.RaftCallCredential.adminToken(adminToken);
    }

    /**
     * Who may inflict faults and change the membership or the leader, on the admin port and on client ports alike:
     * loopback clients while {@code security.trust_loopback}, and holders of the admin token (none without an admin
     * listener).
     *
     * @return the policy
     */
    public AdminAccess adminAccess() {
        return new AdminAccess(admin == null ? "" : admin.token(), security.trustLoopback());
    }

    /**
     * Election time each MiB of {@code service.max_body_bytes} above {@link #LARGE_BODY_BYTES} asks for, so that one
     * entry that large reaching a follower does not read as a dead leader (see {@link #advisories}).
     */
    static final int ELECTION_MS_PER_BODY_MIB = 20;
    /** Above this {@code service.max_body_bytes}, {@link #advisories} compares it with the election timeout. */
    static final long LARGE_BODY_BYTES = 4L * 1024 * 1024;

    /**
     * Settings that are valid but likely to hurt, each as a sentence naming the fields, for the start-up output. A
     * valid file is never refused for them: a machine with more cores or a faster disk may be fine.
     *
     * <p>Today one: a {@code service.max_body_bytes} far above its default beside a short election timeout. One
     * command of that size is one log entry, which the leader's and each follower's event loop copy and the disks
     * write in full; on the 2-core development machine a 64 MiB MSET through a follower of the 3-process cluster cost
     * a leader change in 9 writes of 9 with {@code election_timeout_min_ms} 300 (the write answered TRYAGAIN), and none
     * of 3 with 1280 or 1500 (docs/operations.md, "Large values"). Chunked frames since then lowered the first figure,
     * not to zero.
     *
     * @return the advisories, empty when there is nothing to say
     */
    public List<String> advisories() {
        List<String> out = new java.util.ArrayList<>();
        long mib = service.maxBodyBytes() >> 20;
        long wanted = mib * ELECTION_MS_PER_BODY_MIB;
        if (nodes.size() > 1 && service.maxBodyBytes() > LARGE_BODY_BYTES && raft.electionTimeoutMinMs() < wanted) {
            out.add("service.max_body_bytes is " + mib + " MiB and raft.election_timeout_min_ms " + raft
                    .electionTimeoutMinMs() + ": an entry that large can take longer than an election timeout to"
                    + " reach a follower, which then elects a new leader and the write is answered retryable; give"
                    + " election_timeout_min_ms at least " + wanted + " (" + ELECTION_MS_PER_BODY_MIB + " ms per MiB)"
                    + " and the JVM a fixed heap (docs/operations.md, Large values)");
        }
        return out;
    }

    /**
     * The ids of the initial membership: every listed node but those marked {@code join}.
     *
     * @return ids in file order
     */
    public List<Integer> memberIds() {
        return nodes.stream().filter(n -> !n.join()).map(NodeConfig::id).toList();
    }

    /**
     * The ids of every listed node, joining ones included.
     *
     * @return ids in file order
     */
    public List<Integer> nodeIds() {
        return nodes.stream().map(NodeConfig::id).toList();
    }

    /**
     * A member's settings.
     *
     * @param id the node id
     * @return its settings, if it is a member
     */
    public Optional<NodeConfig> node(int id) {
        return nodes.stream().filter(n -> n.id() == id).findFirst();
    }

    /**
     * The Raft configuration of one member.
     *
     * @param id the node id
     * @return the validated configuration
     */
    public RaftConfig raftConfig(int id) {
        boolean joins = node(id).map(NodeConfig::join).orElse(false);
        return raft.toRaftConfig(id, joins ? List.of() : memberIds(), singleNode && !joins, groups);
    }

    /**
     * The node verticle options of one member.
     *
     * @param id the node id
     * @return options with a per-node seed derived from {@link #seed()}
     */
    public NodeOptions nodeOptions(int id) {
        return new NodeOptions(raftConfig(id), seed * 31 + id, service.maxPendingProposals(),
                service.requestTimeoutMs(), limits.quotaBytes(), service.maxPendingReads())
                .withWatchLeaderlessMs(service.watchLeaderlessMs());
    }

    /**
     * The node verticle options of a node, listed in the configuration or not (a node the local cluster starts at
     * runtime): a joining node starts with no membership.
     *
     * @param n the node
     * @return options with a per-node seed derived from {@link #seed()}
     */
    public NodeOptions nodeOptions(NodeConfig n) {
        RaftConfig rc = n.join() ? raft.toRaftConfig(n.id(), List.of(), false, groups) : raftConfig(n.id());
        return new NodeOptions(rc, seed * 31 + n.id(), service.maxPendingProposals(), service.requestTimeoutMs(),
                limits.quotaBytes(), service.maxPendingReads()).withWatchLeaderlessMs(service.watchLeaderlessMs());
    }
}
