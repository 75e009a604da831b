package io.raftline.app;

import io.raftline.config.RaftlineConfig;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A restore run in a child process that stops, as if killed, once it has written the state of node {@code args[2]}:
 * it says {@code staged N} on its output and waits to be killed ({@link BackupRestoreAllOrNothingTest}).
 */
final class RestoreUntilKilled {

    private RestoreUntilKilled() {
    }

    public static void main(String[] args) throws Exception {
        Path backup = Path.of(args[0]);
        RaftlineConfig config = RaftlineConfig.fromJson(new JsonObject(Files.readString(Path.of(args[1]))));
        int stopAt = Integer.parseInt(args[2]);
        Backups.restore(backup, config, (node, staged) -> {
            if (node == stopAt) {
                System.out.println("staged " + node);
                System.out.flush();
                while (true) {
                    java.util.concurrent.locks.LockSupport.park();
                }
            }
        });
        System.out.println("restored: the child should have been killed first");
    }
}
