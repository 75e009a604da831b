package io.raftline.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HistoryNdjsonTest {

    /** The example in HistoryNdjson's Javadoc and docs/verify.md. */
    private static final String EXAMPLE = """
            {"id":1,"client":0,"kind":"put","key":"k1","value":"v1","invoke":1000,"complete":2500,"outcome":"ok","revision":7}
            {"id":2,"client":1,"kind":"get","key":"k1","invoke":1200,"complete":2600,"outcome":"ok","found":true,"value":"v1","revision":7}
            {"id":3,"client":2,"kind":"cas","key":"k1","value":"v2","expectedRevision":6,"invoke":3000,"complete":3900,"outcome":"precondition_failed","actualRevision":7}
            {"id":4,"client":0,"kind":"delete","key":"k1","invoke":4000,"complete":4700,"outcome":"ok","deleted":1,"revision":9}
            {"id":5,"client":1,"kind":"put","key":"k1","value":"v3","invoke":5000,"outcome":"unknown"}
            """;

    private static final Value V1 = Value.of("v1");

    private static List<Operation> read(String text) throws IOException {
        return HistoryNdjson.read(new StringReader(text));
    }

    private static Operation roundTrip(Operation op) {
        return HistoryNdjson.fromLine(HistoryNdjson.toLine(op));
    }

    @Test
    void theDocumentedExampleReadsAsExpected() throws IOException {
        assertThat(read(EXAMPLE)).containsExactly(
                Operation.put(1, 0, "k1", V1, 1000, 2500, Outcome.written(7)),
                Operation.get(2, 1, "k1", 1200, 2600, Outcome.found(V1, 7)),
                Operation.cas(3, 2, "k1", Value.of("v2"), 6, 3000, 3900, Outcome.preconditionFailed(7)),
                Operation.delete(4, 0, "k1", 4000, 4700, Outcome.deleted(1, 9)),
                Operation.put(5, 1, "k1", Value.of("v3"), 5000, Operation.NEVER, Outcome.unknown()));
    }

    @Test
    void writingTheExampleGivesItBack() throws IOException {
        StringWriter out = new StringWriter();
        HistoryNdjson.write(read(EXAMPLE), out);
        assertThat(out).hasToString(EXAMPLE);
    }

    @Test
    void everyKindAndOutcomeSurvivesARoundTrip() {
        List<Operation> ops = List.of(
                Operation.put(1, 0, "k", V1, 0, 5, Outcome.written(Outcome.UNREPORTED)),
                Operation.put(2, 0, "k", V1, 0, 5, Outcome.rejected()),
                Operation.put(3, 0, "k", V1, 0, 5, Outcome.preconditionFailed()),
                Operation.cas(4, 0, "k", V1, Operation.MUST_NOT_EXIST, 0, 5, Outcome.written(3)),
                Operation.cas(5, 0, "k", V1, -1, 0, 5, Outcome.preconditionFailed(0)),
                Operation.cas(6, 0, "k", V1, 9, 0, Operation.NEVER, Outcome.unknown()),
                Operation.get(7, 0, "k", 0, 5, Outcome.notFound()),
                Operation.get(8, 0, "k", 0, 5, Outcome.found(V1, Outcome.UNREPORTED)),
                Operation.get(9, 0, "k", 0, Operation.NEVER, Outcome.unknown()),
                Operation.delete(10, 0, "k", 0, 5, Outcome.deleted(0, Outcome.UNREPORTED)),
                Operation.delete(11, -3, "k", -20, -10, Outcome.rejected()),
                Operation.delete(Long.MAX_VALUE, Integer.MAX_VALUE, "k", Long.MIN_VALUE, 0, Outcome.deleted(1, 4)));
        for (Operation op : ops) {
            assertThat(roundTrip(op)).as(HistoryNdjson.toLine(op)).isEqualTo(op);
        }
    }

    @Test
    void binaryValuesAreWrittenAsBase64() {
        Operation op = Operation.put(1, 0, "k", Value.of(new byte[] {(byte) 0xff, 0, 1}), 0, 5, Outcome.written(2));
        assertThat(HistoryNdjson.toLine(op)).contains("\"valueBase64\":\"/wAB\"");
        assertThat(roundTrip(op)).isEqualTo(op);
    }

    @Test
    void awkwardKeysAndValuesSurviveARoundTrip() {
        String awkward = "quote\" backslash\\ newline\n tab\t nul\u0000 é 雪 🦀 lone\uD800";
        Operation op = Operation.get(1, 0, awkward, 0, 5, Outcome.found(Value.of("🦀\"\\\r"), 3));
        String line = HistoryNdjson.toLine(op);
        assertThat(line).doesNotContain("\n").contains("\\ud800").contains("🦀");
        assertThat(roundTrip(op)).isEqualTo(op);
    }

    @Test
    void blankLinesAreSkippedAndNullCompletionMeansUnknown() throws IOException {
        List<Operation> ops = read("\n  \n{\"id\":1,\"client\":0,\"kind\":\"delete\",\"key\":\"k\",\"invoke\":3,"
                + "\"complete\":null,\"outcome\":\"unknown\"}\n\n");
        assertThat(ops).containsExactly(Operation.delete(1, 0, "k", 3, Operation.NEVER, Outcome.unknown()));
    }

    @Test
    void filesRoundTrip(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("history.ndjson");
        List<Operation> ops = read(EXAMPLE);
        HistoryNdjson.write(ops, file);
        assertThat(Files.readString(file)).isEqualTo(EXAMPLE);
        assertThat(HistoryNdjson.read(file)).isEqualTo(ops);
    }

    private static void assertLineError(String text, int line, String message) {
        assertThatThrownBy(() -> read(text))
                .isInstanceOf(HistoryFormatException.class)
                .hasMessage("line " + line + ": " + message)
                .satisfies(e -> assertThat(((HistoryFormatException) e).lineNumber()).isEqualTo(line));
    }

    @Test
    void aMisspelledMemberIsAnErrorNotAnOmission() {
        String good = "{\"id\":1,\"client\":0,\"kind\":\"put\",\"key\":\"k\",\"value\":\"v\",\"invoke\":1,"
                + "\"complete\":2,\"outcome\":\"ok\",\"revision\":3}";
        assertLineError(good + "\n" + good.replace("revision", "revison"), 2, "unknown member \"revison\"");
    }

    @Test
    void membersThatDoNotBelongToTheLinesKindAreErrors() {
        assertLineError("{\"id\":1,\"client\":0,\"kind\":\"put\",\"key\":\"k\",\"value\":\"v\",\"invoke\":1,"
                + "\"complete\":2,\"outcome\":\"ok\",\"found\":true}", 1, "\"found\" does not belong to a put with outcome ok");
        assertLineError("{\"id\":1,\"client\":0,\"kind\":\"put\",\"key\":\"k\",\"value\":\"v\",\"expectedRevision\":3,"
                + "\"invoke\":1,\"complete\":2,\"outcome\":\"ok\"}", 1,
                "\"expectedRevision\" does not belong to a put with outcome ok");
        assertLineError("{\"id\":1,\"client\":0,\"kind\":\"get\",\"key\":\"k\",\"invoke\":1,\"complete\":2,"
                + "\"outcome\":\"ok\",\"found\":false,\"value\":\"v\"}", 1, "\"value\" does not belong to a get with outcome ok");
    }

    @Test
    void missingOrMistypedMembersAreErrors() {
        assertLineError("{\"id\":1,\"client\":0,\"kind\":\"get\",\"key\":\"k\",\"complete\":2,\"outcome\":\"ok\","
                + "\"found\":false}", 1, "missing \"invoke\"");
        assertLineError("{\"id\":\"1\",\"client\":0}", 1, "\"id\" must be an integer");
        assertLineError("{\"id\":1,\"client\":0,\"kind\":\"cas\",\"key\":\"k\",\"value\":\"v\",\"invoke\":1,"
                + "\"complete\":2,\"outcome\":\"ok\"}", 1, "missing \"expectedRevision\"");
        assertLineError("{\"id\":1,\"client\":0,\"kind\":\"put\",\"key\":\"k\",\"value\":\"v\",\"valueBase64\":\"dg==\","
                + "\"invoke\":1,\"complete\":2,\"outcome\":\"ok\"}", 1, "needs exactly one of \"value\" and \"valueBase64\"");
        assertLineError("{\"id\":1,\"client\":0,\"kind\":\"delete\",\"key\":\"k\",\"invoke\":1,\"complete\":2,"
                + "\"outcome\":\"ok\",\"deleted\":2}", 1, "\"deleted\" must be 0 or 1, not 2");
        assertLineError("{\"id\":1,\"client\":0,\"kind\":\"get\",\"key\":\"k\",\"invoke\":1,\"complete\":2,"
                + "\"outcome\":\"maybe\"}", 1, "unknown outcome \"maybe\" (expected ok, precondition_failed, rejected or unknown)");
    }

    @Test
    void anUnknownOutcomeWithACompletionTimeIsAnError() {
        assertLineError("{\"id\":1,\"client\":0,\"kind\":\"delete\",\"key\":\"k\",\"invoke\":1,\"complete\":2,"
                + "\"outcome\":\"unknown\"}", 1, "an operation with an unknown outcome has no \"complete\"");
    }

    @Test
    void theOperationsOwnRulesApplyToo() {
        assertLineError("{\"id\":1,\"client\":0,\"kind\":\"put\",\"key\":\"k\",\"value\":\"v\",\"invoke\":5,"
                + "\"complete\":2,\"outcome\":\"ok\"}", 1,
                "operation 1 (put k): completeNanos (2) must be a time at or after invokeNanos (5)");
        assertLineError("{\"id\":1,\"client\":0,\"kind\":\"put\",\"key\":\"k\",\"value\":\"v\",\"invoke\":1,"
                + "\"complete\":2,\"outcome\":\"ok\",\"revision\":0}", 1,
                "revision must be at least 1, or UNREPORTED (-1), not 0");
    }

    @Test
    void malformedJsonIsAnErrorWithAColumn() {
        assertLineError("{\"id\":1,}", 1,
                "Unexpected character ('}' (code 125)): was expecting double-quote to start field name at column 9");
        assertLineError("{\"id\":1} x", 1, "unexpected text after the object at column 10");
        assertLineError("{\"id\":1.5}", 1, "\"id\": must be an integer at column 7");
        assertLineError("{\"id\":1e3}", 1, "\"id\": must be an integer at column 7");
        assertLineError("{\"id\":01}", 1, "\"id\": Invalid numeric value: Leading zeroes not allowed at column 8");
        assertLineError("{\"id\":{}}", 1,
                "\"id\": nested objects and arrays are not part of the history schema at column 7");
        assertLineError("{\"id\":[1]}", 1,
                "\"id\": nested objects and arrays are not part of the history schema at column 7");
        assertLineError("{\"id\":1,\"id\":2}", 1, "duplicate member \"id\" at column 9");
        assertLineError("{\"key\":\"a\\qb\"}", 1, "\"key\": Unrecognized character escape 'q' (code 113) at column 11");
        assertLineError("{\"key\":\"a\tb\"}", 1, "\"key\": Illegal unquoted character ((CTRL-CHAR, code 9)):"
                + " has to be escaped using backslash to be included in string value at column 10");
        assertLineError("{\"id\":99999999999999999999}", 1, "\"id\": integer out of range at column 7");
        assertLineError("{\"id\":tru}", 1, "\"id\": Unrecognized token 'tru': was expecting"
                + " (JSON String, Number, Array, Object or token 'null', 'true' or 'false') at column 10");
        assertLineError("{\"id\":1", 1, "Unexpected end-of-input: expected close marker for Object"
                + " (start marker at column 1) at column 8");
        assertLineError("{\"id\":1]", 1, "Unexpected close marker ']': expected '}' (for Object starting at column 1)"
                + " at column 8");
        assertLineError("[1]", 1, "a line must be one JSON object at column 1");
        assertLineError("{'id':1}", 1, "Unexpected character (''' (code 39)): was expecting double-quote to start"
                + " field name at column 2");
    }

    @Test
    void theLineNumberCountsBlankLines() {
        String good = "{\"id\":1,\"client\":0,\"kind\":\"get\",\"key\":\"k\",\"invoke\":1,\"complete\":2,"
                + "\"outcome\":\"ok\",\"found\":false}";
        assertLineError(good + "\n\n" + good.replace("\"id\":1", "\"id\":2") + "\n   \n{\"id\":3,", 5,
                "Unexpected end-of-input within/between Object entries at column 9");
    }
}
