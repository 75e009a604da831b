package io.raftline.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.exc.StreamReadException;
import io.raftline.raft.ConfigException;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * Reads the configuration once: the JSON file first, then environment variables, then system properties (the last
 * one wins), and validates the result into a {@link RaftlineConfig}.
 *
 * <h2>Overrides</h2>
 * Each overridable field has a system property {@code raftline.<path>} and an environment variable
 * {@code RAFTLINE_<PATH>} (upper case, dots replaced by underscores):
 * <ul>
 *   <li>{@code raftline.node_id} / {@code RAFTLINE_NODE_ID}, {@code raftline.seed} / {@code RAFTLINE_SEED},
 *       {@code raftline.http_host} / {@code RAFTLINE_HTTP_HOST}, {@code raftline.single_node} /
 *       {@code RAFTLINE_SINGLE_NODE}, {@code raftline.cluster_name} / {@code RAFTLINE_CLUSTER_NAME},
 *       {@code raftline.transport} / {@code RAFTLINE_TRANSPORT}, {@code raftline.groups} / {@code RAFTLINE_GROUPS}</li>
 *   <li>{@code raftline.admin.port|host|token|hide_values} / {@code RAFTLINE_ADMIN_PORT|HOST|TOKEN|HIDE_VALUES}:
 *       only with an {@code admin} section in the file (they change the listener it asks for and never open one)</li>
 *   <li>{@code raftline.raft.<field>} / {@code RAFTLINE_RAFT_<FIELD>} for every field of {@link RaftSettings},
 *       e.g. {@code -Draftline.raft.heartbeat_ms=50}</li>
 *   <li>{@code raftline.service.<field>} / {@code RAFTLINE_SERVICE_<FIELD>}, e.g.
 *       {@code RAFTLINE_SERVICE_REQUEST_TIMEOUT_MS=2000}</li>
 *   <li>{@code raftline.storage.engine|segment_bytes} / {@code RAFTLINE_STORAGE_ENGINE|SEGMENT_BYTES}, e.g.
 *       {@code -Draftline.storage.engine=memory}</li>
 *   <li>{@code raftline.security.trust_loopback|peer_identity|cluster_secret|client_token|event_values|}
 *       {@code legacy_raft_credential} / {@code RAFTLINE_SECURITY_TRUST_LOOPBACK|PEER_IDENTITY|CLUSTER_SECRET|}
 *       {@code CLIENT_TOKEN|EVENT_VALUES|LEGACY_RAFT_CREDENTIAL}, and
 *       {@code raftline.limits.<field>} / {@code RAFTLINE_LIMITS_<FIELD>} for every field of {@link LimitsConfig},
 *       {@code raftline.tls.<field>} / {@code RAFTLINE_TLS_<FIELD>} for every field of {@link TlsConfig}
 *       ({@code crl_files} as paths separated by commas)</li>
 *   <li>{@code raftline.nodes.<id>.host|http_port|data_dir|bus_port|join|resp_port} /
 *       {@code RAFTLINE_NODES_<ID>_HOST|HTTP_PORT|DATA_DIR|BUS_PORT|JOIN|RESP_PORT}, where {@code <ID>} is the node's
 *       {@code id} (not its position in {@code nodes})</li>
 * </ul>
 * A value an override set that the validation refuses is named as the override, then as the field
 * ({@link #fromSources}).
 */
public final class ConfigLoader {

    private ConfigLoader() {
    }

    /**
     * Reads a file and applies the overrides from the environment and system properties.
     *
     * <p>Synchronous and without Vert.x, on purpose: a node reads its configuration before anything else, and the
     * Vert.x instance it then starts is the only one the process creates (a first one, only to read a file, cost a
     * third of a second and 0.45 s of CPU on the way to the node's start; see docs/decisions.md).
     *
     * @param file the JSON file; a relative path missing on disk is looked up on the class path, so the jar's own
     *             {@code conf/} files work from any directory
     * @return the validated configuration
     * @throws ConfigException if the file is missing, unreadable, not a JSON object, or invalid
     */
    public static RaftlineConfig read(Path file) {
        JsonObject json = parse(file, text(file));
        // The file alone first: its unknown top-level fields must be refused before overrides are folded in.
        checkTopFields(json);
        return fromSources(json, System.getenv(), properties());
    }

    /**
     * Applies the overrides to the file's fields and validates the result. A field refused whose value came from an
     * override is named the way the operator wrote it, then as the configuration names it:
     * {@code RAFTLINE_NODES_1_HTTP_PORT (nodes[0].http_port): must be an integer, got "abc"}. The number in an override
     * of a node is the node's id, and the configuration's own name holds the node's position in {@code nodes}: alone,
     * {@code nodes[0]} sent the operator who wrote {@code NODES_1} looking for a node that was not the one at fault.
     *
     * @param file the file's JSON
     * @param env  environment variables
     * @param sys  system properties
     * @return the validated configuration
     * @throws ConfigException naming the first invalid field (and the override it came from, if any) and its rule
     */
    public static RaftlineConfig fromSources(JsonObject file, Map<String, String> env, Map<String, String> sys) {
        JsonObject config = applyOverrides(file, env, sys);
        try {
            return RaftlineConfig.fromJson(config);
        } catch (ConfigException e) {
            String source = overrideOf(config, e.field(), env, sys);
            if (source == null) {
                throw e;
            }
            throw new ConfigException(source + " (" + e.field() + ")",
                    e.getMessage().substring(e.field().length() + 2));
        }
    }

    /**
     * The name of the override (system property or environment variable, whichever won) that set a field the
     * validation refused, or null if the file's own value was refused.
     */
    private static String overrideOf(JsonObject config, String field, Map<String, String> env,
            Map<String, String> sys) {
        for (List<String> path : overridablePaths(config)) {
            String source = sys.get(sysName(path)) != null ? sysName(path)
                    : env.get(envName(path)) != null ? envName(path) : null;
            if (source == null) {
                continue;
            }
            for (String name : configNames(config, path)) {
                // tls.crl_files[1] is a part of the field tls.crl_files.
                if (field.equals(name) || field.startsWith(name + "[") || field.startsWith(name + ".")) {
                    return source;
                }
            }
        }
        return null;
    }

    /** How the validation names the field of an override's path: a node by its position in the list, not its id. */
    private static List<String> configNames(JsonObject config, List<String> path) {
        if (!path.get(0).equals("nodes")) {
            return List.of(String.join(".", path));
        }
        int id = Integer.parseInt(path.get(1));
        List<String> names = new ArrayList<>();
        JsonArray nodes = config.getJsonArray("nodes");
        for (int i = 0; i < nodes.size(); i++) {
            if (nodes.getValue(i) instanceof JsonObject n && n.getValue("id") instanceof Number nid
                    && nid.intValue() == id) {
                names.add("nodes[" + i + "]." + path.get(2));
            }
        }
        return names;
    }

    /**
     * Largest configuration file read, in bytes. A configuration is a few kilobytes (a thousand nodes would be about
     * 100 KiB); the bound keeps a wrong {@code --conf} (a WAL segment, {@code /dev/zero}) from filling the heap
     * before anything says what is wrong.
     */
    static final int MAX_FILE_BYTES = 1024 * 1024;

    private static String text(Path file) {
        try {
            if (Files.exists(file)) {
                try (InputStream in = Files.newInputStream(file)) {
                    return bounded(file, in);
                }
            }
            if (!file.isAbsolute()) {
                String resource = file.normalize().toString().replace(java.io.File.separatorChar, '/');
                try (InputStream in = ConfigLoader.class.getClassLoader().getResourceAsStream(resource)) {
                    if (in != null) {
                        return bounded(file, in);
                    }
                }
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new ConfigException("--conf", "cannot read " + file + ": " + rootMessage(e));
        }
        throw new ConfigException("--conf", "file not found: " + file);
    }

    /** The stream's text, read up to one byte beyond {@link #MAX_FILE_BYTES} (so an endless one ends too). */
    private static String bounded(Path file, InputStream in) throws IOException {
        byte[] bytes = in.readNBytes(MAX_FILE_BYTES + 1);
        if (bytes.length > MAX_FILE_BYTES) {
            throw new ConfigException("--conf", file + " is larger than " + MAX_FILE_BYTES + " bytes: a configuration"
                    + " is a few kilobytes (is it the right file?)");
        }
        // Strict, as Files.readString is: bytes that are not UTF-8 are an error, not replacement characters.
        return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
    }

    private static JsonObject parse(Path file, String read) {
        // A byte order mark (what Windows editors put at the start of a UTF-8 file) is skipped, as RFC 8259 lets a
        // reader do: refused, it was an "Unexpected character" at column 1 that nobody can see in the file.
        String text = read.startsWith("\uFEFF") ? read.substring(1) : read;
        if (text.isBlank()) {
            throw new ConfigException("--conf", file + " is empty: it must hold one JSON object");
        }
        checkStrictly(file, text);
        Object value;
        try {
            value = Json.decodeValue(text);
        } catch (DecodeException e) {
            throw new ConfigException("--conf", "cannot read " + file + ": " + JsonErrors.describe(e));
        }
        if (value instanceof JsonObject json) {
            return json;
        }
        throw new ConfigException("--conf", "cannot read " + file + ": it must hold one JSON object, not "
                + (value instanceof JsonArray ? "an array" : value == null ? "null" : "a single value"));
    }

    /**
     * Reads the text as strict JSON first, which the JSON reader Vert.x configures is not: it takes {@code //} and
     * {@code /* *}{@code /} comments, which JSON has none of (so jq, an editor's JSON mode and a schema check all refuse
     * the file a node ran with), and it keeps the last of a field written twice in one object silently, so a second
     * {@code "node_id"} further down (a copy-and-paste of another node's file) overrode the first unnoticed, as an
     * unknown field would fall back to a default unnoticed. Both are refused here naming line and column.
     */
    private static void checkStrictly(Path file, String text) {
        try (JsonParser parser = JsonErrors.STRICT.createParser(text)) {
            while (parser.nextToken() != null) {
                // every field name is checked against the others of its object as it is read
            }
        } catch (StreamReadException e) {
            String reason = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
            if (reason.startsWith("Duplicate field")) {
                throw new ConfigException("--conf", "cannot read " + file + ": " + JsonErrors.describe(e)
                        + ": a field may appear once in an object");
            }
            if (reason.contains("comment") && e.getLocation() != null) {
                throw new ConfigException("--conf", "cannot read " + file + ": a comment at line "
                        + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr()
                        + ": JSON has no comments (remove it)");
            }
            throw new ConfigException("--conf", "cannot read " + file + ": " + JsonErrors.describe(e));
        } catch (IOException e) {
            throw new ConfigException("--conf", "cannot read " + file + ": " + rootMessage(e));
        }
    }

    /** The system properties as text (a property set to a non-text value is left out). */
    private static Map<String, String> properties() {
        Map<String, String> sys = new HashMap<>();
        Properties props = System.getProperties();
        for (String name : props.stringPropertyNames()) {
            sys.put(name, props.getProperty(name));
        }
        return sys;
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
     * Applies the overrides to the file's fields: environment variables first, then system properties, so a
     * {@code -D} wins. Only the names listed in the class comment are looked at; every other variable or property
     * (PATH, java.version, ...) is ignored, and none can replace a section of the file.
     *
     * @param file the file's JSON
     * @param env  environment variables
     * @param sys  system properties
     * @return the configuration JSON with overrides applied
     * @throws ConfigException naming an {@code admin.*} override set for a file without an {@code admin} section
     */
    public static JsonObject applyOverrides(JsonObject file, Map<String, String> env, Map<String, String> sys) {
        JsonObject config = new JsonObject();
        for (String key : RaftlineConfig.TOP_FIELDS) {
            if (file.containsKey(key)) {
                config.put(key, copy(file.getValue(key)));
            }
        }
        List<List<String>> paths = overridablePaths(config);
        refuseAdminWithoutSection(config, paths, env, sys);
        for (List<String> path : paths) {
            String v = env.get(envName(path));
            if (v != null) {
                put(config, path, typed(path, v));
            }
        }
        for (List<String> path : paths) {
            String v = sys.get(sysName(path));
            if (v != null) {
                put(config, path, typed(path, v));
            }
        }
        return config;
    }

    /**
     * Refuses an {@code admin.*} override when the file has no {@code admin} section. Without one the process runs no
     * admin listener ({@code admin} absent), and an override set for every process of a host (a token through the
     * environment) made each of them open one on 8080, so all but the first failed to bind; an override changes the
     * listener the file asks for and never opens one. The system property is named when both are set, as it wins.
     */
    private static void refuseAdminWithoutSection(JsonObject config, List<List<String>> paths,
            Map<String, String> env, Map<String, String> sys) {
        if (config.containsKey("admin")) {
            return;
        }
        for (List<String> path : paths) {
            if (!path.get(0).equals("admin")) {
                continue;
            }
            String source = sys.get(sysName(path)) != null ? sysName(path)
                    : env.get(envName(path)) != null ? envName(path) : null;
            if (source != null) {
                throw new ConfigException(source + " (" + String.join(".", path) + ")", "the configuration has no"
                        + " admin section, so no admin listener: add \"admin\": {} to the file to open one, or do not"
                        + " set it for this process");
            }
        }
    }

    /** The system property name of a path. */
    static String sysName(List<String> path) {
        return "raftline." + String.join(".", path);
    }

    /** The environment variable name of a path. */
    static String envName(List<String> path) {
        return "RAFTLINE_" + String.join("_", path).toUpperCase(Locale.ROOT);
    }

    /**
     * Every field an override may set, as paths ({@code [raft, tick_ms]}, {@code [nodes, 2, http_port]}): the table
     * docs/configuration.md lists (RaftlineConfigTest compares the two).
     *
     * @param config the configuration, whose nodes' ids name the node overrides
     * @return the paths, in the order overrides are applied
     */
    static List<List<String>> overridablePaths(JsonObject config) {
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
        paths.add(List.of("security", "legacy_raft_credential"));
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

    /** A number as JSON writes it (RFC 8259, section 6). */
    private static final java.util.regex.Pattern JSON_NUMBER =
            java.util.regex.Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?");

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
        // Only what the file could hold as a JSON number: Java's parsers also take "+5", "10d" and "0x1p3", which the
        // file itself would refuse.
        if (!JSON_NUMBER.matcher(v).matches()) {
            return value;
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            // not an integer, or beyond a long: a double, as the file's reader would see it
        }
        double d = Double.parseDouble(v);
        return Double.isFinite(d) ? (Object) d : value;
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
            if (target.containsKey(path.get(i)) && !(child instanceof JsonObject)) {
                // A section written as null or as no object ("raft": null) is left for the validation to refuse: it
                // was replaced by one holding the override alone, which hid the file's mistake.
                return;
            }
            if (child == null) {
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
