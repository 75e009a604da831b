package io.raftline.api.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How {@code GET /v1/snapshot} writes a backup aside before sending it ({@link BackupApi#writeAside}). */
class BackupApiTest {

    private static long filesIn(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.count();
        }
    }

    @Test
    void aBackupIsWrittenWholeIntoANewFile(@TempDir Path dir) throws IOException {
        Path file = BackupApi.writeAside(dir, out -> out.write(new byte[] {1, 2, 3}));
        assertThat(file.getParent()).isEqualTo(dir);
        assertThat(Files.readAllBytes(file)).containsExactly(1, 2, 3);
    }

    /**
     * A write that fails half way (a full disk: ENOSPC from a write) leaves no partial file behind: nobody would ever
     * delete it, and on a full disk each retry of the backup would leave one more.
     */
    @Test
    void aBackupWhoseWriteFailsLeavesNoFileBehind(@TempDir Path dir) throws IOException {
        assertThatThrownBy(() -> BackupApi.writeAside(dir, out -> {
            out.write(new byte[1000]);
            throw new IOException("No space left on device");
        })).isInstanceOf(IOException.class).hasMessage("No space left on device");
        assertThat(filesIn(dir)).as("files left in the directory").isZero();
    }
}
