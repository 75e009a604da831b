package io.raftline.config;

import io.raftline.raft.ConfigException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Set;

/**
 * Typed, strict access to one JSON object of the configuration. Every failure names the full path of the
 * field ({@code raft.tick_ms}, {@code nodes[2].http_port}) and the rule it broke, so an operator can fix the
 * file without reading code. Unknown fields are refused: a typo must not silently fall back to a default. Numbers
 * and booleans must be JSON numbers and booleans: {@code "100"} is refused (overrides from the environment and system
 * properties are typed by {@link ConfigLoader} before they get here). A JSON {@code null} is refused like any other
 * value of the wrong type: it read as absent, so {@code "trust_loopback": null} took the default (true),
 * {@code "admin": null} ran no admin listener and {@code "node_id": null} the local cluster, without a word.
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

    /** Whether the field is written, even as {@code null} (which every accessor then refuses). */
    boolean has(String name) {
        return json.containsKey(name);
    }

    /**
     * The field's value, or null when it is absent.
     *
     * @param name the field
     * @param what what the field must be, for the message ({@code "an integer"})
     * @throws ConfigException if the field is written as {@code null}
     */
    private Object value(String name, String what) {
        Object v = json.getValue(name);
        if (v == null && json.containsKey(name)) {
            throw new ConfigException(field(name), "must be " + what + ", got null");
        }
        return v;
    }

    long longValue(String name, long dflt) {
        return longValue(name, dflt, Long.MIN_VALUE, Long.MAX_VALUE);
    }

    /** {@link #longValue(String, long)}; a number that is no 64-bit integer is told the field's own range. */
    private long longValue(String name, long dflt, long min, long max) {
        Object v = value(name, "an integer");
        if (v == null) {
            return dflt;
        }
        Long n = JsonIntegers.integral(v);
        if (n != null) {
            return n;
        }
        throw new ConfigException(field(name), "must be an integer" + (v instanceof Number number
                ? integerRule(number, min, max) : quotedNumber(v)) + ", got " + describe(v));
    }

    /**
     * Which rule a number that is no 64-bit integer broke: a fraction ({@code 10.5}) is not an integer at all, and
     * saying it must be in the range of a long (which it is in) sent the reader looking for the wrong fault.
     */
    private static String integerRule(Number v, long min, long max) {
        java.math.BigDecimal exact;
        if (v instanceof java.math.BigDecimal d) {
            exact = d;
        } else if ((v instanceof Double || v instanceof Float) && Double.isFinite(v.doubleValue())) {
            exact = new java.math.BigDecimal(v.doubleValue());
        } else {
            exact = null;
        }
        if (exact != null && exact.stripTrailingZeros().scale() > 0) {
            return " (a whole number, without a fraction)";
        }
        // Beyond the field's range (limits.idle_timeout_ms: 1e20), that is the rule to tell, not the long's.
        boolean inRange = exact != null && exact.compareTo(java.math.BigDecimal.valueOf(min)) >= 0
                && exact.compareTo(java.math.BigDecimal.valueOf(max)) <= 0;
        if (inRange) {
            // A whole number that JsonIntegers.integral refused as a double above 2^53: its digits were not all kept.
            return " written without a fraction or an exponent when above 2^53 (a double does not hold it exactly)";
        }
        return " in " + min + ".." + max;
    }

    double doubleValue(String name, double dflt) {
        Object v = value(name, "a number");
        if (v == null) {
            return dflt;
        }
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        throw new ConfigException(field(name), "must be a number" + quotedNumber(v) + ", got " + describe(v));
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
        Object v = value(name, "true or false");
        if (v == null) {
            return dflt;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        throw new ConfigException(field(name), "must be true or false" + (v instanceof String t
                && (t.trim().equalsIgnoreCase("true") || t.trim().equalsIgnoreCase("false"))
                ? " (a JSON boolean: write " + t.trim().toLowerCase(java.util.Locale.ROOT) + " without quotes)" : "")
                + ", got " + describe(v));
    }

    String string(String name, String dflt) {
        Object v = value(name, "a string");
        if (v == null) {
            return dflt;
        }
        if (v instanceof String s) {
            return s;
        }
        throw new ConfigException(field(name), "must be a string, got " + describe(v));
    }

    long bounded(String name, long dflt, long min, long max) {
        long v = longValue(name, dflt, min, max);
        if (v < min || v > max) {
            throw new ConfigException(field(name), "must be in " + min + ".." + max + ", got " + v);
        }
        return v;
    }

    java.util.List<String> strings(String name, java.util.List<String> dflt) {
        JsonArray a = array(name);
        if (a == null) {
            return dflt;
        }
        java.util.List<String> out = new java.util.ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            if (!(a.getValue(i) instanceof String s)) {
                throw new ConfigException(field(name) + "[" + i + "]", "must be a string, got " + describe(a.getValue(i)));
            }
            out.add(s);
        }
        return out;
    }

    JsonReader object(String name) {
        Object v = value(name, "an object");
        if (v == null) {
            return new JsonReader(new JsonObject(), field(name));
        }
        if (v instanceof JsonObject o) {
            return new JsonReader(o, field(name));
        }
        throw new ConfigException(field(name), "must be an object, got " + describe(v));
    }

    JsonArray array(String name) {
        Object v = value(name, "an array");
        if (v == null) {
            return null;
        }
        if (v instanceof JsonArray a) {
            return a;
        }
        throw new ConfigException(field(name), "must be an array, got " + describe(v));
    }

    /** A hint when a number was written as a JSON string. */
    private static String quotedNumber(Object v) {
        if (v instanceof String s) {
            try {
                Double.parseDouble(s.trim());
                return " (a JSON number: write " + s.trim() + " without quotes)";
            } catch (NumberFormatException e) {
                return "";
            }
        }
        return "";
    }

    private static String describe(Object v) {
        return v instanceof String s ? "\"" + s + "\"" : String.valueOf(v);
    }
}
