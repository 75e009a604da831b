package io.raftline.verify.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A recording always ends with its verdict, exactly once, even after the recorder hit its size bound. */
class RecordingsTest {

    private static final JsonObject VERDICT = new JsonObject().put("verdict", "LINEARIZABLE").put("operations", 3);

    @Test
    void aTruncatedRecordingGetsTheVerdictAppended(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("events.ndjson");
        Files.writeString(f, "{\"seq\":1,\"ts\":1,\"node\":0,\"type\":\"ClusterInfo\",\"members\":[1]}\n"
                + "{\"seq\":41,\"ts\":2,\"node\":0,\"type\":\"RecordingTruncated\",\"maxBytes\":1024}\n");
        Recordings.ensureVerdict(f, VERDICT);
        Recordings.ensureVerdict(f, VERDICT);
        List<String> lines = Files.readAllLines(f);
        assertThat(lines).hasSize(3);
        JsonObject last = new JsonObject(lines.get(2));
        assertThat(last.getString("type")).isEqualTo("CheckVerdict");
        assertThat(last.getLong("seq")).isEqualTo(42);
        assertThat(last.getString("verdict")).isEqualTo("LINEARIZABLE");
        assertThat(last.getInteger("node")).isZero();
    }

    @Test
    void aMissingRecordingIsCreatedWithTheVerdict(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("none.ndjson");
        Recordings.ensureVerdict(f, VERDICT);
        assertThat(new JsonObject(Files.readAllLines(f).get(0)).getString("type")).isEqualTo("CheckVerdict");
    }
}
