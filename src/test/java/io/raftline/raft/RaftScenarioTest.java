package io.raftline.raft;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.raft.sim.ScenarioRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs every scenario file under {@code src/test/resources/raft/testdata/}: commands in, observed
 * transitions, messages and states out, compared line by line with the expected text in the file.
 * Run with {@code -Draft.rewrite=true} to rewrite the expectations from the actual output (then review the
 * diff before committing: the diff is the behaviour change).
 */
class RaftScenarioTest {

    static Path testdata() {
        String dir = System.getProperty("raft.testdata", "src/test/resources/raft/testdata");
        return Path.of(dir);
    }

    @TestFactory
    Stream<DynamicTest> scenarios() throws IOException {
        boolean rewrite = Boolean.getBoolean("raft.rewrite");
        List<Path> files;
        try (Stream<Path> s = Files.list(testdata())) {
            files = s.filter(p -> p.toString().endsWith(".txt")).sorted().toList();
        }
        assertThat(files).as("scenario files in " + testdata()).hasSizeGreaterThanOrEqualTo(15);
        return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> {
            String original = Files.readString(f);
            ScenarioRunner.Result r = ScenarioRunner.run(original);
            if (rewrite) {
                if (!r.rewritten().equals(original)) {
                    Files.writeString(f, r.rewritten());
                }
                return;
            }
            assertThat(r.rewritten()).as("scenario %s (rerun with -Draft.rewrite=true to accept)", f.getFileName())
                    .isEqualTo(original);
        }));
    }
}
