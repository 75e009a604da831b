package io.raftline.config;

import io.raftline.raft.ConfigException;
import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads the configuration once, with Vert.x Config: the JSON file first, then environment variables, then
 * system properties (the last one wins), and validates the result into a {@link RaftlineConfig}.
 *
 * <h2>Overrides</h2>
 * Each overridable field has a system property {@code raftline.<path>} and an environment variable
 * {@code RAFTLINE_<PATH>} (upper case, dots replaced by underscores):
 * <ul>
 *   <li>{@code raftline.node_id} / {@code RAFTLINE_NODE_ID}, {@code raftline.seed} / {@code RAFTLINE_SEED},
 *       {@code raftline.http_host} / {@code RAFTLINE_HTTP_HOST}, {@code raftline.single_node} /
 *       {@code RAFTLINE_SINGLE_NODE}, {@code raftline.cluster_name} / {@code RAFTLINE_CLUSTER_NAME},
 *       {@code raftline.transport} / {@code RAFTLINE_TRANSPORT}, {@code raftline.groups} / {@code RAFTLINE_GROUPS}</li>
 *   <li>{@code raftline.admin.port|host|token} / {@code RAFTLINE_ADMIN_PORT|HOST|TOKEN}</li>
 *   <li>{@code raftline.raft.<field>} / {@code RAFTLINE_RAFT_<FIELD>} for every field of {@link RaftSettings},
 *       e.g. {@code -Draftline.raft.heartbeat_ms=50}</li>
 *   <li>{@code raftline.service.<field>} / {@code RAFTLINE_SERVICE_<FIELD>}, e.g.
 *       {@code RAFTLINE_SERVICE_REQUEST_TIMEOUT_MS=2000}</li>
 *   <li>{@code raftline.storage.engine|segment_bytes} / {@code RAFTLINE_STORAGE_ENGINE|SEGMENT_BYTES}, e.g.
 *       {@code -Draftline.storage.engine=memory}</li>
 *   <li>{@code raftline.security.trust_loopback|peer_identity|cluster_secret|client_token|event_values} /
 *       {@code RAFTLINE_SECURITY_TRUST_LOOPBACK|PEER_IDENTITY|CLUSTER_SECRET|CLIENT_TOKEN|EVENT_VALUES}, and
 *       {@code raftline.limits.<field>} / {@code RAFTLINE_LIMITS_<FIELD>} for every field of {@link LimitsConfig},
 *       {@code raftline.tls.<field>} / {@code RAFTLINE_TLS_<FIELD>} for every field of {@link TlsConfig}
 *       ({@code crl_files} as paths separated by commas)</li>
 *   <li>{@code raftline.nodes.<id>.http_port|host|data_dir|bus_port} /
 *       {@code RAFTLINE_NODES_<ID>_HTTP_PORT|HOST|DATA_DIR|BUS_PORT}</li>
 * </ul>
 */
public final class ConfigLoader {

    private ConfigLoader() {
    }

    /**
     * Reads a file with Vert.x Config and applies the overrides from the environment and system properties.
     *
     * @param vertx the Vert.x instance that runs the retriever
     * @param file  the JSON file
     * @return the validated configuration; fails with {@link ConfigException} if invalid
     */
    public static Future<RaftlineConfig> load(Vertx vertx, Path file) {
        // Vert.x resolves a path missing on disk from the classpath, so the jar's own conf/ files work anywhere.
        return vertx.fileSystem().exists(file.toString()).compose(exists -> exists ? retrieve(vertx, file)
                : Future.failedFuture(new ConfigException("--conf", "file not found: " + file)));
    }

    private static Future<RaftlineConfig> retrieve(Vertx vertx, Path file) {
        // The file alone first: its unknown top-level fields must be refused, which the merged view (where the
        // environment's and system properties' flat keys sit beside the file's) cannot tell apart.
        ConfigRetriever fileRetriever = ConfigRetriever.create(vertx, new ConfigRetrieverOptions().setScanPeriod(0)
                .setIncludeDefaultStores(false)
                .addStore(new ConfigStoreOptions().setType("file").setFormat("json")
                        .setConfig(new JsonObject().put("path", file.toString()))));
        ConfigRetriever overrides = ConfigRetriever.create(vertx, new ConfigRetrieverOptions().setScanPeriod(0)
                .setIncludeDefaultStores(false)
                .addStore(new ConfigStoreOptions().setType("env").setConfig(new JsonObject().put("raw-data", true)))
                .addStore(new ConfigStoreOptions().setType("sys").setConfig(new JsonObject().put("raw-data", true))));
        return fileRetriever.getConfig()
                .recover(e -> Future.failedFuture(new ConfigException("--conf", "cannot read " + file + ": "
                        + rootMessage(e))))
                .eventually(fileRetriever::close)
                .compose(json -> {
                    checkTopFields(json);
                    return overrides.getConfig().eventually(overrides::close)
                            .map(flat -> RaftlineConfig.fromJson(applyOverrides(json.copy().mergeIn(flat))));
                });
    }

    /**
     * Refuses a field of the file's top level that the configuration does not know.
     *
     * @param file the file's JSON, before overrides
     * @throws ConfigException naming the field
     */
    static void checkTopFields(JsonObject file) {
        new JsonReader(file, "").allowOnly(RaftlineConfig.TOP_FIELDS);
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage();
    }

    /**
     * Folds the flat override keys that the {@code env} and {@code sys} stores merged into the file's JSON
     * into their places, and removes every other flat key those stores brought (PATH, java.version, ...).
     * Environment variables are applied before system properties, so a {@code -D} wins.
     *
     * @param merged the file's JSON plus the flat keys of the environment and system properties
     * @return the configuration JSON alone, with overrides applied
     */
    public static JsonObject applyOverrides(JsonObject merged) {
        JsonObject config = new JsonObject();
        for (String key : RaftlineConfig.TOP_FIELDS) {
            if (merged.containsKey(key)) {
                config.put(key, copy(merged.getValue(key)));
            }
        }
        List<List<String>> paths = overridablePaths(config);
        for (String source : List.of("env", "sys")) {
            for (List<String> path : paths) {
                String name = source.equals("env") ? envName(path) : sysName(path);
                Object v = merged.getValue(name);
                if (v != null) {
                    put(config, path, typed(path, v instanceof String s ? s : String.valueOf(v)));
                }
            }
        }
        return config;
    }

    /**
     * Applies overrides given as maps (for tests and tools): environment variables first, then properties.
     *
     * @param file the file's JSON
     * @param env  environment variables
     * @param sys  system properties
     * @return the configuration JSON with overrides applied
     */
    public static JsonObject applyOverrides(JsonObject file, Map<String, String> env, Map<String, String> sys) {
        JsonObject merged = file.copy();
        env.forEach(merged::put);
        sys.forEach(merged::put);
        return applyOverrides(merged);
    }

    /** The system property name of a path. */
    static String sysName(List<String> path) {
        return "raftline." + String.join(".", path);
    }

    /** The environment variable name of a path. */
    static String envName(List<String> path) {
        return "RAFTLINE_" + String.join("_", path).toUpperCase(Locale.ROOT);
    }

    private static List<List<String>> overridablePaths(JsonObject config) {
        List<List<String>> paths = new ArrayList<>();
        for (String f : List.of("node_id", "seed", "http_host", "single_node", "cluster_name", "transport",
                "groups", "event_loops")) {
            paths.add(List.of(f));
        }
        for (String f : RaftlineConfig.ADMIN_FIELDS) {
            paths.add(List.of("admin", f));
        }
        for (String f : RaftSettings.FIELDS) {
            paths.add(List.of("raft", f));
        }
        for (String f : RaftlineConfig.SERVICE_FIELDS) {
            paths.add(List.of("service", f));
        }
        for (String f : RaftlineConfig.STORAGE_FIELDS) {
            paths.add(List.of("storage", f));
        }
        paths.add(List.of("security", "trust_loopback"));
        // The cluster secret belongs in the environment (RAFTLINE_SECURITY_CLUSTER_SECRET), not in a file others read.
        paths.add(List.of("security", "peer_identity"));
        paths.add(List.of("security", "cluster_secret"));
        paths.add(List.of("security", "client_token"));
        paths.add(List.of("security", "event_values"));
        for (String f : RaftlineConfig.TLS_FIELDS) {
            paths.add(List.of("tls", f));
        }
        for (String f : RaftlineConfig.LIMITS_FIELDS) {
            paths.add(List.of("limits", f));
        }
        JsonArray nodes = config.getValue("nodes") instanceof JsonArray a ? a : new JsonArray();
        for (Object o : nodes) {
            if (o instanceof JsonObject n && n.getValue("id") instanceof Number id) {
                for (String f : RaftlineConfig.NODE_FIELDS.subList(1, RaftlineConfig.NODE_FIELDS.size())) {
                    paths.add(List.of("nodes", String.valueOf(id.intValue()), f));
                }
            }
        }
        return paths;
    }

    /** Fields whose value is text: an override of any other field is a number or a boolean written as text. */
    private static final java.util.Set<String> TEXT_FIELDS = java.util.Set.of("cluster_name", "http_host",
            "transport", "host", "token", "engine", "data_dir", "cert_file", "key_file", "ca_file", "client_ca_file",
            "peer_identity", "cluster_secret", "client_token", "event_values", "client_auth");

    /**
     * An override as the JSON type its field has: environment variables and system properties are text, the file's
     * numbers and booleans are not, and the reader refuses {@code "100"} where a number belongs. Text that does not
     * parse stays text, so the reader's message names the field and shows the value.
     */
    static Object typed(List<String> path, String value) {
        if (TEXT_FIELDS.contains(path.get(path.size() - 1))) {
            return value;
        }
        if (path.get(path.size() - 1).equals("crl_files")) {
            // A list of paths: comma-separated in the environment (RAFTLINE_TLS_CRL_FILES=a.pem,b.pem).
            JsonArray files = new JsonArray();
            for (String f : value.split(",")) {
                if (!f.isBlank()) {
                    files.add(f.trim());
                }
            }
            return files;
        }
        String v = value.trim();
        if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(v);
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            // not an integer
        }
        try {
            double d = Double.parseDouble(v);
            return Double.isFinite(d) ? (Object) d : value;
        } catch (NumberFormatException e) {
            return value;
        }
    }

    private static void put(JsonObject config, List<String> path, Object value) {
        if (path.get(0).equals("nodes")) {
            int id = Integer.parseInt(path.get(1));
            for (Object o : config.getJsonArray("nodes")) {
                JsonObject n = (JsonObject) o;
                if (n.getValue("id") instanceof Number nid && nid.intValue() == id) {
                    n.put(path.get(2), value);
                }
            }
            return;
        }
        JsonObject target = config;
        for (int i = 0; i < path.size() - 1; i++) {
            Object child = target.getValue(path.get(i));
            if (!(child instanceof JsonObject)) {
                child = new JsonObject();
                target.put(path.get(i), child);
            }
            target = (JsonObject) child;
        }
        target.put(path.get(path.size() - 1), value);
    }

    private static Object copy(Object v) {
        if (v instanceof JsonObject o) {
            return o.copy();
        }
        if (v instanceof JsonArray a) {
            return a.copy();
        }
        return v;
    }
}
