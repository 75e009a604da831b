package io.raftline.verify;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Histories as NDJSON: one operation per line, so that a nemesis run can append operations as
 * they complete, a failing run can be kept next to its report, and {@code verify} can re-check it
 * later or on another machine.
 *
 * <p>Each line is one flat JSON object (UTF-8; blank lines are skipped):
 * <pre>
 * {"id":1,"client":0,"kind":"put","key":"k1","value":"v1","invoke":1000,"complete":2500,"outcome":"ok","revision":7}
 * {"id":2,"client":1,"kind":"get","key":"k1","invoke":1200,"complete":2600,"outcome":"ok","found":true,"value":"v1","revision":7}
 * {"id":3,"client":2,"kind":"cas","key":"k1","value":"v2","expectedRevision":6,"invoke":3000,"complete":3900,"outcome":"precondition_failed","actualRevision":7}
 * {"id":4,"client":0,"kind":"delete","key":"k1","invoke":4000,"complete":4700,"outcome":"ok","deleted":1,"revision":9}
 * {"id":5,"client":1,"kind":"put","key":"k1","value":"v3","invoke":5000,"outcome":"unknown"}
 * </pre>
 * <table>
 *   <caption>Members</caption>
 *   <tr><th>member</th><th>type</th><th>meaning</th></tr>
 *   <tr><td>{@code id}</td><td>integer</td><td>unique in the history</td></tr>
 *   <tr><td>{@code client}</td><td>integer</td><td>the issuing client</td></tr>
 *   <tr><td>{@code kind}</td><td>string</td><td>{@code put}, {@code get}, {@code delete} or {@code cas}</td></tr>
 *   <tr><td>{@code key}</td><td>string</td><td>the key</td></tr>
 *   <tr><td>{@code value} or {@code valueBase64}</td><td>string</td><td>put, cas: the value written;
 *       get with {@code found: true}: the value read. {@code value} holds UTF-8 text, {@code valueBase64}
 *       any bytes (the writer uses it for values that are not UTF-8)</td></tr>
 *   <tr><td>{@code expectedRevision}</td><td>integer</td><td>cas only, required: -1 none, 0 must not exist,
 *       R must be at revision R</td></tr>
 *   <tr><td>{@code invoke}</td><td>integer</td><td>nanoseconds, when the request was sent</td></tr>
 *   <tr><td>{@code complete}</td><td>integer</td><td>nanoseconds, when the answer came; absent or
 *       {@code null} exactly when the outcome is unknown</td></tr>
 *   <tr><td>{@code outcome}</td><td>string</td><td>{@code ok}, {@code precondition_failed} (412),
 *       {@code rejected} (400, 413) or {@code unknown} (timeout, 503 or 504 after sending)</td></tr>
 *   <tr><td>{@code found}</td><td>boolean</td><td>get with outcome ok only, required: 200 or 404</td></tr>
 *   <tr><td>{@code revision}</td><td>integer</td><td>outcome ok, optional: the revision a put, cas or delete
 *       was given, or the modRevision a get read</td></tr>
 *   <tr><td>{@code deleted}</td><td>integer</td><td>delete with outcome ok only, required: 0 or 1</td></tr>
 *   <tr><td>{@code actualRevision}</td><td>integer</td><td>precondition_failed only, optional: the key's
 *       revision the 412 reported, 0 if it did not exist</td></tr>
 * </table>
 * Any other member, a missing required one, or one that does not belong to the line's kind and
 * outcome is an error, reported with its line number: a typo must not silently weaken a check.
 * The same rules, and the full schema, are in {@code docs/verify.md}.
 *
 * <p>The JSON itself is read and written with Jackson's streaming API (jackson-core, the engine under
 * Vert.x's {@code JsonObject}), token by token rather than through a tree: a {@code JsonObject} keeps
 * the last of two members with the same name without a word and no longer knows where in the line a
 * value stood, while the tokens let a duplicate be refused and every error name its column. It also
 * keeps this package free of Vert.x, like the rest of the checker.
 */
public final class HistoryNdjson {

    /**
     * Shared, as Jackson intends: a factory is thread-safe once built. Hexadecimal escapes stay lower
     * case, as history files have always been written.
     */
    private static final JsonFactory JSON = JsonFactory.builder()
            .disable(JsonWriteFeature.WRITE_HEX_UPPER_CASE)
            .build();

    /** How Jackson refers to the text it read inside some of its messages, e.g. an object's start. */
    private static final Pattern SOURCE_REFERENCE = Pattern.compile("\\[Source: .*?; line: \\d+, column: (\\d+)]");

    private static final Set<String> MEMBERS = Set.of("id", "client", "kind", "key", "value", "valueBase64",
            "expectedRevision", "invoke", "complete", "outcome", "found", "revision", "deleted", "actualRevision");

    private HistoryNdjson() {
    }

    /**
     * Renders one operation as a line, without the newline.
     *
     * @param op the operation
     * @return the JSON object
     */
    public static String toLine(Operation op) {
        StringWriter line = new StringWriter(160);
        try (JsonGenerator g = JSON.createGenerator(line)) {
            g.writeStartObject();
            g.writeNumberField("id", op.id());
            g.writeNumberField("client", op.client());
            g.writeStringField("kind", op.kind().wireName());
            g.writeStringField("key", op.key());
            if (op.value() != null) {
                writeValue(g, op.value());
            }
            if (op.kind() == OpKind.CAS) {
                g.writeNumberField("expectedRevision", op.expectedRevision());
            }
            g.writeNumberField("invoke", op.invokeNanos());
            if (!op.outcomeUnknown()) {
                g.writeNumberField("complete", op.completeNanos());
            }
            writeOutcome(g, op);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("writing to a string cannot fail", e);
        }
        return escapeLoneSurrogates(line.toString());
    }

    private static void writeOutcome(JsonGenerator g, Operation op) throws IOException {
        Outcome outcome = op.outcome();
        if (outcome instanceof Outcome.Ok ok) {
            g.writeStringField("outcome", "ok");
            if (op.kind() == OpKind.GET) {
                g.writeBooleanField("found", ok.found());
                if (ok.found()) {
                    writeValue(g, ok.value());
                }
            }
            if (op.kind() == OpKind.DELETE) {
                g.writeNumberField("deleted", ok.deleted());
            }
            if (ok.revisionReported()) {
                g.writeNumberField("revision", ok.revision());
            }
        } else if (outcome instanceof Outcome.Failed failed) {
            if (failed.cause() == Outcome.Cause.REJECTED) {
                g.writeStringField("outcome", "rejected");
            } else {
                g.writeStringField("outcome", "precondition_failed");
                if (failed.actualRevisionReported()) {
                    g.writeNumberField("actualRevision", failed.actualRevision());
                }
            }
        } else {
            g.writeStringField("outcome", "unknown");
        }
    }

    private static void writeValue(JsonGenerator g, Value value) throws IOException {
        if (value.text().isPresent()) {
            g.writeStringField("value", value.text().get());
        } else {
            g.writeStringField("valueBase64", Base64.getEncoder().encodeToString(value.bytes()));
        }
    }

    /**
     * Escapes the surrogates that are not half of a pair. Jackson's character writer copies them as
     * they are, and a UTF-8 file cannot hold them: written raw, a key ending in a lone high surrogate
     * would come back ending in {@code ?}, another key. Outside strings JSON text has no surrogates at
     * all, so every one found here is inside a string, where its six-character hexadecimal escape
     * means the same character.
     */
    private static String escapeLoneSurrogates(String json) {
        StringBuilder sb = null;
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            if (!Character.isSurrogate(c)) {
                if (sb != null) {
                    sb.append(c);
                }
                continue;
            }
            boolean pair = Character.isHighSurrogate(c) && i + 1 < json.length()
                    && Character.isLowSurrogate(json.charAt(i + 1));
            if (sb == null) {
                sb = new StringBuilder(json.length() + 16).append(json, 0, i);
            }
            if (pair) {
                sb.append(c).append(json.charAt(++i));
            } else {
                sb.append(String.format("\\u%04x", (int) c));
            }
        }
        return sb == null ? json : sb.toString();
    }

    /**
     * Parses one line.
     *
     * @param line a JSON object following the schema
     * @return the operation
     * @throws IllegalArgumentException if the line does not follow the schema; the message says how
     */
    public static Operation fromLine(String line) {
        Map<String, Object> m = members(line);
        for (String name : m.keySet()) {
            if (!MEMBERS.contains(name)) {
                throw new IllegalArgumentException("unknown member \"" + name + "\"");
            }
        }
        Fields f = new Fields(m);
        long id = f.integer("id");
        long client = f.integer("client");
        if (client < Integer.MIN_VALUE || client > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("\"client\" must fit in 32 bits");
        }
        OpKind kind = OpKind.fromWireName(f.string("kind"));
        String key = f.string("key");
        boolean writes = kind == OpKind.PUT || kind == OpKind.CAS;
        Value written = writes ? f.value() : null;
        long expected = kind == OpKind.CAS ? f.integer("expectedRevision") : Operation.UNCONDITIONAL;
        long invoke = f.integer("invoke");
        String outcomeName = f.string("outcome");
        Outcome outcome = switch (outcomeName) {
            case "ok" -> ok(kind, f);
            case "precondition_failed" -> f.has("actualRevision")
                    ? Outcome.preconditionFailed(f.integer("actualRevision"))
                    : Outcome.preconditionFailed();
            case "rejected" -> Outcome.rejected();
            case "unknown" -> Outcome.unknown();
            default -> throw new IllegalArgumentException("unknown outcome \"" + outcomeName
                    + "\" (expected ok, precondition_failed, rejected or unknown)");
        };
        long complete;
        if (outcome instanceof Outcome.Unknown) {
            if (m.get("complete") != null) {
                throw new IllegalArgumentException("an operation with an unknown outcome has no \"complete\"");
            }
            f.used("complete");
            complete = Operation.NEVER;
        } else {
            complete = f.integer("complete");
        }
        f.requireAllUsed(kind, outcomeName);
        return new Operation(id, (int) client, kind, key, written, expected, invoke, complete, outcome);
    }

    /**
     * Reads one line into member name to {@code String}, {@code Long}, {@code Boolean} or
     * {@code null}, in line order. Anything else, a duplicate member or text after the object is an
     * error naming the column, so a corrupt history is never half-read.
     */
    private static Map<String, Object> members(String line) {
        try (JsonParser p = JSON.createParser(line)) {
            try {
                return members(p, line);
            } catch (JsonProcessingException e) {
                // Jackson reads a number or a literal along with the member name before it: an error
                // there belongs to that member.
                String member = p.currentToken() == JsonToken.FIELD_NAME ? "\"" + p.currentName() + "\": " : "";
                throw new IllegalArgumentException(member + describe(e), e);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading from a string cannot fail", e);
        }
    }

    private static Map<String, Object> members(JsonParser p, String line) throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            throw error(p, "a line must be one JSON object");
        }
        Map<String, Object> members = new LinkedHashMap<>();
        for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
            String name = p.currentName();
            if (members.containsKey(name)) {
                throw error(p, "duplicate member \"" + name + "\"");
            }
            members.put(name, memberValue(p, name));
        }
        int rest = (int) p.currentLocation().getCharOffset();
        while (rest < line.length() && " \t\r\n".indexOf(line.charAt(rest)) >= 0) {
            rest++;
        }
        if (rest < line.length()) {
            throw new IllegalArgumentException("unexpected text after the object at column " + (rest + 1));
        }
        return members;
    }

    /** Reads the value of member {@code name}; a JSON error in it is reported as the member's. */
    private static Object memberValue(JsonParser p, String name) throws IOException {
        try {
            return switch (p.nextToken()) {
                case VALUE_STRING -> p.getText();
                case VALUE_NUMBER_INT -> {
                    if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                        throw error(p, "\"" + name + "\": integer out of range");
                    }
                    yield p.getLongValue();
                }
                case VALUE_NUMBER_FLOAT -> throw error(p, "\"" + name + "\": must be an integer");
                case VALUE_TRUE -> Boolean.TRUE;
                case VALUE_FALSE -> Boolean.FALSE;
                case VALUE_NULL -> null;
                case START_OBJECT, START_ARRAY -> throw error(p,
                        "\"" + name + "\": nested objects and arrays are not part of the history schema");
                default -> throw error(p, "\"" + name + "\": expected a string, an integer, true, false or null");
            };
        } catch (JsonProcessingException e) {
            // Jackson reads a string's escapes only when asked for its text: their errors come here.
            throw new IllegalArgumentException("\"" + name + "\": " + describe(e), e);
        }
    }

    /** An error at the start of the parser's current token. */
    private static IllegalArgumentException error(JsonParser p, String message) {
        return new IllegalArgumentException(message + " at column " + p.currentTokenLocation().getColumnNr());
    }

    /** Jackson's own message, with the column where it stopped, and without its source placeholders. */
    private static String describe(JsonProcessingException e) {
        int column = e.getLocation() == null ? -1 : e.getLocation().getColumnNr();
        String message = SOURCE_REFERENCE.matcher(e.getOriginalMessage()).replaceAll("column $1");
        return column > 0 ? message + " at column " + column : message;
    }

    private static Outcome ok(OpKind kind, Fields f) {
        long revision = f.has("revision") ? f.integer("revision") : Outcome.UNREPORTED;
        return switch (kind) {
            case PUT, CAS -> Outcome.written(revision);
            case GET -> f.bool("found") ? Outcome.found(f.value(), revision) : Outcome.notFound();
            case DELETE -> {
                long deleted = f.integer("deleted");
                if (deleted != 0 && deleted != 1) {
                    throw new IllegalArgumentException("\"deleted\" must be 0 or 1, not " + deleted);
                }
                yield Outcome.deleted((int) deleted, revision);
            }
        };
    }

    /** Typed access to the members of one line, remembering which were used. */
    private static final class Fields {
        private final Map<String, Object> members;
        private final Set<String> used = new HashSet<>();

        Fields(Map<String, Object> members) {
            this.members = members;
        }

        boolean has(String name) {
            return members.get(name) != null;
        }

        void used(String name) {
            used.add(name);
        }

        Object require(String name) {
            used.add(name);
            Object v = members.get(name);
            if (v == null) {
                throw new IllegalArgumentException("missing \"" + name + "\"");
            }
            return v;
        }

        long integer(String name) {
            if (require(name) instanceof Long l) {
                return l;
            }
            throw new IllegalArgumentException("\"" + name + "\" must be an integer");
        }

        String string(String name) {
            if (require(name) instanceof String s) {
                return s;
            }
            throw new IllegalArgumentException("\"" + name + "\" must be a string");
        }

        boolean bool(String name) {
            if (require(name) instanceof Boolean b) {
                return b;
            }
            throw new IllegalArgumentException("\"" + name + "\" must be true or false");
        }

        Value value() {
            boolean text = has("value");
            boolean base64 = has("valueBase64");
            if (text == base64) {
                throw new IllegalArgumentException("needs exactly one of \"value\" and \"valueBase64\"");
            }
            if (text) {
                return Value.of(string("value"));
            }
            try {
                return Value.of(Base64.getDecoder().decode(string("valueBase64")));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("\"valueBase64\" is not base64: " + e.getMessage(), e);
            }
        }

        void requireAllUsed(OpKind kind, String outcome) {
            for (Map.Entry<String, Object> member : members.entrySet()) {
                String name = member.getKey();
                if (member.getValue() != null && !used.contains(name)) {
                    throw new IllegalArgumentException("\"" + name + "\" does not belong to a " + kind.wireName()
                            + " with outcome " + outcome);
                }
            }
        }
    }

    /**
     * Writes {@code ops}, one line each, in the given order.
     *
     * @param ops the operations
     * @param out where to write; flushed, not closed
     * @throws IOException if writing fails
     */
    public static void write(Collection<Operation> ops, Writer out) throws IOException {
        for (Operation op : ops) {
            out.write(toLine(op));
            out.write('\n');
        }
        out.flush();
    }

    /**
     * Writes {@code ops} to {@code file} in UTF-8, replacing it.
     *
     * @param ops  the operations
     * @param file the file
     * @throws IOException if writing fails
     */
    public static void write(Collection<Operation> ops, Path file) throws IOException {
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            write(ops, out);
        }
    }

    /**
     * Reads a history to its end.
     *
     * @param in the NDJSON text; read to the end, not closed
     * @return the operations, in file order
     * @throws HistoryFormatException if a line does not follow the schema
     * @throws IOException            if reading fails
     */
    public static List<Operation> read(Reader in) throws IOException {
        Objects.requireNonNull(in, "in");
        BufferedReader lines = in instanceof BufferedReader b ? b : new BufferedReader(in);
        List<Operation> ops = new ArrayList<>();
        int number = 0;
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
            number++;
            if (line.isBlank()) {
                continue;
            }
            try {
                ops.add(fromLine(line));
            } catch (IllegalArgumentException e) {
                throw new HistoryFormatException(number, e.getMessage(), e);
            }
        }
        return ops;
    }

    /**
     * Reads a UTF-8 history file.
     *
     * @param file the file
     * @return the operations, in file order
     * @throws HistoryFormatException if a line does not follow the schema
     * @throws IOException            if reading fails
     */
    public static List<Operation> read(Path file) throws IOException {
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return read(in);
        }
    }
}
