package io.raftline.events;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NdjsonRecorderTest {

    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void close() throws Exception {
        await(vertx.close());
    }

    private static JsonObject event(long seq, String pad) {
        return new JsonObject().put("seq", seq).put("ts", 1000 + seq).put("node", 1).put("type", "Applied").put("pad", pad);
    }

    /** Feeds the recorder from an event loop, as the publisher does, and waits for the lines to be on disk. */
    private void record(NdjsonRecorder r, List<JsonObject> events) throws Exception {
        io.vertx.core.Promise<Void> written = io.vertx.core.Promise.promise();
        vertx.getOrCreateContext().runOnContext(v -> {
            events.forEach(r::accept);
            r.endOfBatch();
            r.flush().onComplete(written);
        });
        await(written.future());
    }

    @Test
    void writesOneJsonObjectPerLine(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("run.ndjson");
        NdjsonRecorder r = new NdjsonRecorder(vertx, file.toString(), 1 << 20);
        record(r, List.of(event(1, ""), event(2, "é"), event(3, "")));
        await(r.close());
        List<String> lines = Files.readAllLines(file);
        assertThat(lines).hasSize(3);
        assertThat(new JsonObject(lines.get(1)).getString("pad")).isEqualTo("é");
    }

    @Test
    void stopsAtItsSizeBoundWithAMarkerLine(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("small.ndjson");
        NdjsonRecorder r = new NdjsonRecorder(vertx, file.toString(), 2048);
        List<JsonObject> many = new java.util.ArrayList<>();
        for (int i = 1; i <= 100; i++) {
            many.add(event(i, "x".repeat(40)));
        }
        record(r, many);
        await(r.close());
        assertThat(Files.size(file)).isLessThanOrEqualTo(2048);
        List<String> lines = Files.readAllLines(file);
        assertThat(new JsonObject(lines.get(lines.size() - 1)).getString("type")).isEqualTo("RecordingTruncated");
        assertThat(lines.size()).isBetween(2, 99);
    }
}
