package io.raftline.config;

import io.raftline.raft.ConfigException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Set;

/**
 * Typed, strict access to one JSON object of the configuration. Every failure names the full path of the
 * field ({@code raft.tick_ms}, {@code nodes[2].http_port}) and the rule it broke, so an operator can fix the
 * file without reading code. Unknown fields are refused: a typo must not silently fall back to a default.
 */
final class JsonReader {

    private final JsonObject json;
    private final String path;

    JsonReader(JsonObject json, String path) {
        this.json = json == null ? new JsonObject() : json;
        this.path = path;
    }

    String field(String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    void allowOnly(Set<String> names) {
        for (String name : json.fieldNames()) {
            if (!names.contains(name)) {
                throw new ConfigException(field(name), "unknown field (known: " + String.join(", ",
                        new java.util.TreeSet<>(names)) + ")");
            }
        }
    }

    boolean has(String name) {
        return json.getValue(name) != null;
    }

    long longValue(String name, long dflt) {
        Object v = json.getValue(name);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
            return n.longValue();
        }
        if (v instanceof String s) {
            try {
                return Long.parseLong(s.trim());
            } catch (NumberFormatException e) {
                // reported below
            }
        }
        throw new ConfigException(field(name), "must be an integer, got " + describe(v));
    }

    double doubleValue(String name, double dflt) {
        Object v = json.getValue(name);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        if (v instanceof String s) {
            try {
                return Double.parseDouble(s.trim());
            } catch (NumberFormatException e) {
                // reported below
            }
        }
        throw new ConfigException(field(name), "must be a number, got " + describe(v));
    }

    int intValue(String name, int dflt) {
        long v = longValue(name, dflt);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new ConfigException(field(name), "must fit in 32 bits, got " + v);
        }
        return (int) v;
    }

    int port(String name, int dflt) {
        int v = intValue(name, dflt);
        if (v < 0 || v > 65535) {
            throw new ConfigException(field(name), "must be a TCP port in 0..65535 (0 = any free port), got " + v);
        }
        return v;
    }

    boolean bool(String name, boolean dflt) {
        Object v = json.getValue(name);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        if (v instanceof String s && (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false"))) {
            return Boolean.parseBoolean(s);
        }
        throw new ConfigException(field(name), "must be true or false, got " + describe(v));
    }

    String string(String name, String dflt) {
        Object v = json.getValue(name);
        if (v == null) {
            return dflt;
        }
        if (v instanceof String s) {
            return s;
        }
        throw new ConfigException(field(name), "must be a string, got " + describe(v));
    }

    JsonReader object(String name) {
        Object v = json.getValue(name);
        if (v == null) {
            return new JsonReader(new JsonObject(), field(name));
        }
        if (v instanceof JsonObject o) {
            return new JsonReader(o, field(name));
        }
        throw new ConfigException(field(name), "must be an object, got " + describe(v));
    }

    JsonArray array(String name) {
        Object v = json.getValue(name);
        if (v == null) {
            return null;
        }
        if (v instanceof JsonArray a) {
            return a;
        }
        throw new ConfigException(field(name), "must be an array, got " + describe(v));
    }

    private static String describe(Object v) {
        return v instanceof String s ? "\"" + s + "\"" : String.valueOf(v);
    }
}
