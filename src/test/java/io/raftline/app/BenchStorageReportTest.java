package io.raftline.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The bench's per-node storage lines: rates over the run, and a node restarted during the run (its counters began
 * again from zero) reported as restarted, where the difference printed negative rates before.
 */
class BenchStorageReportTest {

    @Test
    void aNodeRestartedDuringTheRunIsReportedAsSuchInsteadOfNegativeRates() {
        JsonObject before = cluster(node(1, "Leader", 1_000, 5_000), node(2, "Follower", 900, 5_000));
        JsonObject after = cluster(node(1, "Leader", 3_000, 25_000), node(2, "Follower", 40, 5_120));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Bench.reportStorage(before, after, 10.0, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertThat(out).contains("storage node 1 (Leader): 200 fsyncs/s, 2000 entries/s, 10.0 entries per fsync")
                .contains("storage node 2 (Follower): restarted during the run").doesNotContain("-");
    }

    private static JsonObject cluster(JsonObject... nodes) {
        JsonArray a = new JsonArray();
        for (JsonObject n : nodes) {
            a.add(n);
        }
        return new JsonObject().put("nodes", a);
    }

    private static JsonObject node(int id, String role, long fsyncs, long entries) {
        return new JsonObject().put("id", id).put("role", role).put("storage", new JsonObject()
                .put("engine", "durable").put("fsyncs", fsyncs).put("entriesWritten", entries));
    }
}
