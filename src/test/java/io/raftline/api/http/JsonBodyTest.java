package io.raftline.api.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.config.JsonErrors;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/**
 * {@link HttpErrors#strictObject}, the one parse of a JSON request body, takes exactly the bodies the two parses it
 * replaced took ({@code Json.decodeValue}, then {@link JsonErrors#fieldGivenTwice}), with the same values.
 */
class JsonBodyTest {

    /** What the two parses made of a body: the object, or null where a 400 was answered. */
    private static JsonObject twoParses(String text) {
        Buffer body = Buffer.buffer(text);
        try {
            Object parsed = text.isEmpty() ? null : Json.decodeValue(body);
            return parsed instanceof JsonObject o && JsonErrors.fieldGivenTwice(body.getBytes()) == null ? o : null;
        } catch (DecodeException e) {
            return null;
        }
    }

    @Test
    void oneParseTakesWhatTwoTookWithTheSameValues() {
        String[] bodies = {"", " ", "{}", "[]", "1", "null", "\"s\"", "{\"id\":4,\"url\":\"http://h:1\"}",
            "{\"id\":18446744073709551619,\"f\":1.5e300,\"g\":-0.0,\"big\":1e400,\"n\":null}",
            "{\"a\":{\"b\":[1,{\"c\":true}],\"c\":2}}", "{\"id\":1,\"id\":2}", "{\"a\":{\"x\":1,\"x\":1}}",
            "[{\"a\":1,\"a\":2}]", "{\"a\":1} {\"b\":2}", "{\"a\":1}x", "{\"a\":", "{\"a\":1,}", "{'a':1}",
            "{\"a\":1 /* comment */}", "{\"s\":\"\\ud800\"}", "{\"a\":1}\n",
            "{\"compare\":[],\"success\":[{\"put\":{\"key\":\"k\",\"value\":\"v\"}}],\"failure\":[]}"};
        for (String b : bodies) {
            JsonObject once = HttpErrors.strictObject(Buffer.buffer(b));
            assertThat(once).as(b).isEqualTo(twoParses(b));
            if (once != null) {
                assertThat(once.encode()).as(b).isEqualTo(twoParses(b).encode());
            }
        }
        assertThat(HttpErrors.strictObject(null)).isNull();
        // The one body the two differ on: a field given twice in a body with a comment, which the duplicate check
        // (a reader without comments) never saw. strictObject refuses it; jsonObject then reads it the old way and
        // takes it, so answers are unchanged.
        String commented = "{\"a\":1, /* c */ \"a\":2}";
        assertThat(HttpErrors.strictObject(Buffer.buffer(commented))).isNull();
        assertThat(twoParses(commented)).isEqualTo(new JsonObject().put("a", 2));
    }
}
