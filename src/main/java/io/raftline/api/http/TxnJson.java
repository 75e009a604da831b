package io.raftline.api.http;

import io.raftline.config.JsonIntegers;
import io.raftline.kv.KvCommand;
import io.raftline.kv.KvResult;
import io.raftline.kv.TxnCompare;
import io.raftline.kv.TxnOp;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The JSON of {@code POST /v1/txn}: reads a transaction, naming the exact field of any mistake
 * ({@code compare[1].op: ...}), and writes its result.
 *
 * <pre>
 * {"compare": [{"key":"a","target":"value","op":"=","value":"x"},           target: value | revision |
 *              {"key":"b","target":"revision","op":"&lt;","value":10},          createRevision | version
 *              {"key":"c","exists":false}],                                 op: = != &lt; &gt;
 *  "success": [{"put":{"key":"a","value":"y"}}, {"delete":{"key":"b"}}, {"get":{"key":"c"}}],
 *  "failure": [{"get":{"key":"a"}}]}
 * </pre>
 * A value is a UTF-8 string ({@code "value"}) or base64 ({@code "valueBase64"}). {@code exists} is shorthand for a
 * version comparison ({@code > 0} or {@code = 0}).
 */
final class TxnJson {

    private static final Set<String> TOP = Set.of("compare", "success", "failure");
    private static final Set<String> COMPARE = Set.of("key", "target", "op", "value", "valueBase64", "exists");
    private static final Set<String> OP_BODY = Set.of("key", "value", "valueBase64");
    private static final Map<String, TxnCompare.Target> TARGETS = Map.of("value", TxnCompare.Target.VALUE,
            "revision", TxnCompare.Target.MOD_REVISION, "createRevision", TxnCompare.Target.CREATE_REVISION,
            "version", TxnCompare.Target.VERSION);
    private static final Map<String, TxnCompare.Op> OPS = Map.of("=", TxnCompare.Op.EQUAL, "!=",
            TxnCompare.Op.NOT_EQUAL, "<", TxnCompare.Op.LESS, ">", TxnCompare.Op.GREATER);

    private TxnJson() {
    }

    /**
     * Reads a transaction.
     *
     * @param body the request body
     * @return the command
     * @throws IllegalArgumentException naming the field and the rule
     */
    static KvCommand.Txn parse(JsonObject body) {
        allowOnly(body, TOP, "");
        List<TxnCompare> compares = new ArrayList<>();
        JsonArray c = array(body, "compare");
        for (int i = 0; i < c.size(); i++) {
            compares.add(compare(object(c.getValue(i), "compare[" + i + "]"), "compare[" + i + "]"));
        }
        List<TxnOp> success = ops(array(body, "success"), "success");
        List<TxnOp> failure = ops(array(body, "failure"), "failure");
        if (compares.size() > KvCommand.MAX_TXN_ITEMS || success.size() > KvCommand.MAX_TXN_ITEMS
                || failure.size() > KvCommand.MAX_TXN_ITEMS) {
            throw new IllegalArgumentException("a transaction has at most " + KvCommand.MAX_TXN_ITEMS
                    + " comparisons and " + KvCommand.MAX_TXN_ITEMS + " operations per branch");
        }
        return new KvCommand.Txn(compares, success, failure);
    }

    private static TxnCompare compare(JsonObject o, String at) {
        allowOnly(o, COMPARE, at);
        String key = key(o, at);
        if (o.containsKey("exists")) {
            if (!(o.getValue("exists") instanceof Boolean exists)) {
                throw new IllegalArgumentException(at + ".exists: must be true or false");
            }
            if (o.containsKey("target") || o.containsKey("op") || o.containsKey("value")
                    || o.containsKey("valueBase64")) {
                throw new IllegalArgumentException(at + ": \"exists\" stands alone (no target, op or value)");
            }
            return TxnCompare.number(key, TxnCompare.Target.VERSION, exists ? TxnCompare.Op.GREATER
                    : TxnCompare.Op.EQUAL, 0);
        }
        TxnCompare.Target target = TARGETS.get(text(o, "target", at));
        if (target == null) {
            throw new IllegalArgumentException(at + ".target: must be one of value, revision, createRevision,"
                    + " version (or use \"exists\")");
        }
        TxnCompare.Op op = OPS.get(text(o, "op", at));
        if (op == null) {
            throw new IllegalArgumentException(at + ".op: must be one of =, !=, <, >");
        }
        if (target == TxnCompare.Target.VALUE) {
            return TxnCompare.value(key, op, value(o, at));
        }
        if (o.containsKey("valueBase64")) {
            throw new IllegalArgumentException(at + ".valueBase64: only a value comparison has one; a "
                    + text(o, "target", at) + " comparison takes an integer \"value\"");
        }
        Object n = o.getValue("value");
        // Exactly: longValue() of a number beyond 64 bits keeps its low bits (2^64 + 5 compared as 5).
        Long operand = JsonIntegers.exact(n);
        if (operand == null || operand < 0) {
            throw new IllegalArgumentException(at + ".value: a " + text(o, "target", at)
                    + " comparison needs an integer in 0.." + Long.MAX_VALUE + " (a JSON number: no quotes, fraction or"
                    + " exponent), got " + io.vertx.core.json.Json.encode(n));
        }
        return TxnCompare.number(key, target, op, operand);
    }

    private static List<TxnOp> ops(JsonArray list, String branch) {
        List<TxnOp> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String at = branch + "[" + i + "]";
            JsonObject o = object(list.getValue(i), at);
            if (o.size() != 1) {
                throw new IllegalArgumentException(at + ": must be exactly one of {\"put\":{...}}, {\"delete\":{...}},"
                        + " {\"get\":{...}}");
            }
            String kind = o.fieldNames().iterator().next();
            String inner = at + "." + kind;
            JsonObject body = object(o.getValue(kind), inner);
            allowOnly(body, kind.equals("put") ? OP_BODY : Set.of("key"), inner);
            String key = key(body, inner);
            try {
                out.add(switch (kind) {
                    case "put" -> TxnOp.Put.taking(key, value(body, inner)); // a fresh array
                    case "delete" -> new TxnOp.Delete(key);
                    case "get" -> new TxnOp.Get(key);
                    default -> throw new IllegalArgumentException("unknown operation \"" + kind
                            + "\" (put, delete or get)");
                });
            } catch (IllegalArgumentException e) {
                throw e.getMessage() != null && e.getMessage().startsWith(at) ? e
                        : new IllegalArgumentException(at + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    /**
     * Writes a transaction's result.
     *
     * @param r the result
     * @return {@code {"succeeded","revision","results":[{"put":{"revision"}}|{"delete":{"deleted"}}|{"get":{...}}]}}
     */
    static JsonObject result(KvResult.TxnResult r) {
        JsonArray results = new JsonArray();
        for (KvResult.OpResult op : r.results()) {
            if (op instanceof KvResult.PutDone) {
                results.add(new JsonObject().put("put", new JsonObject().put("revision", r.revision())));
            } else if (op instanceof KvResult.DeleteDone d) {
                results.add(new JsonObject().put("delete", new JsonObject().put("deleted", d.deleted())));
            } else if (op instanceof KvResult.GetDone g) {
                results.add(new JsonObject().put("get", g.entry().map(entry -> KvApi.item(entry).put("found", true))
                        .orElse(new JsonObject().put("found", false))));
            } else if (op instanceof KvResult.PutIfDone putIf) {
                // Only the Redis port's MULTI builds conditional puts (SET NX/XX); shown all the same.
                results.add(new JsonObject().put("put", putIf.written()
                        ? new JsonObject().put("revision", r.revision()) : new JsonObject().put("written", false)));
            } else if (op instanceof KvResult.IncrementDone inc) {
                // Only the Redis port's MULTI builds increments; shown all the same rather than failing.
                results.add(new JsonObject().put("increment", inc.error() == null
                        ? new JsonObject().put("value", inc.value()) : new JsonObject().put("error", inc.error())));
            } else {
                // Only the Redis port's MULTI builds edits (APPEND, SETRANGE, INCRBYFLOAT); shown all the same.
                KvResult edit = ((KvResult.EditDone) op).result();
                results.add(new JsonObject().put("edit", edit instanceof KvResult.Spliced spliced
                        ? new JsonObject().put("length", spliced.length())
                        : edit instanceof KvResult.FloatIncremented inc ? new JsonObject().put("value", inc.value())
                        : new JsonObject().put("error", ((KvResult.Rejected) edit).reason())));
            }
        }
        return new JsonObject().put("succeeded", r.succeeded()).put("revision", r.revision()).put("results", results);
    }

    private static byte[] value(JsonObject o, String at) {
        boolean text = o.containsKey("value");
        boolean b64 = o.containsKey("valueBase64");
        if (text == b64) {
            throw new IllegalArgumentException(at + ": give exactly one of \"value\" (a UTF-8 string) and"
                    + " \"valueBase64\"");
        }
        if (text) {
            if (!(o.getValue("value") instanceof String s)) {
                throw new IllegalArgumentException(at + ".value: must be a string");
            }
            // JSON may escape a lone surrogate (backslash-u d800), which has no UTF-8 form: getBytes would store a '?'
            // in its place.
            try {
                ByteBuffer bytes = StandardCharsets.UTF_8.newEncoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).encode(CharBuffer.wrap(s));
                byte[] out = new byte[bytes.remaining()];
                bytes.get(out);
                return out;
            } catch (CharacterCodingException e) {
                throw new IllegalArgumentException(at + ".value: contains an unpaired surrogate (\\ud800-\\udfff"
                        + " alone), which is not text; send bytes that are not UTF-8 as \"valueBase64\"", e);
            }
        }
        if (!(o.getValue("valueBase64") instanceof String s)) {
            throw new IllegalArgumentException(at + ".valueBase64: must be a base64 string");
        }
        try {
            return Base64.getDecoder().decode(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(at + ".valueBase64: not base64 (" + e.getMessage() + ")", e);
        }
    }

    private static String key(JsonObject o, String at) {
        if (!(o.getValue("key") instanceof String key)) {
            throw new IllegalArgumentException(at + ".key: required, a string");
        }
        try {
            return KvCommand.validateKey(key);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(at + ".key: " + e.getMessage(), e);
        }
    }

    private static String text(JsonObject o, String field, String at) {
        if (!(o.getValue(field) instanceof String s)) {
            throw new IllegalArgumentException(at + "." + field + ": required, a string");
        }
        return s;
    }

    private static JsonArray array(JsonObject o, String field) {
        Object v = o.getValue(field);
        if (v == null) {
            return new JsonArray();
        }
        if (!(v instanceof JsonArray a)) {
            throw new IllegalArgumentException(field + ": must be an array");
        }
        return a;
    }

    private static JsonObject object(Object v, String at) {
        if (!(v instanceof JsonObject o)) {
            throw new IllegalArgumentException(at + ": must be an object");
        }
        return o;
    }

    private static void allowOnly(JsonObject o, Set<String> allowed, String at) {
        for (String f : o.fieldNames()) {
            if (!allowed.contains(f)) {
                throw new IllegalArgumentException((at.isEmpty() ? "" : at + ".") + f + ": unknown field; allowed are "
                        + new java.util.TreeSet<>(allowed));
            }
        }
    }
}
