package io.raftline.app;

import io.raftline.config.ConfigLoader;
import io.raftline.config.RaftlineConfig;
import io.raftline.raft.ConfigException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code raftline.jar snapshot save|restore}: backups of the whole key-value state ({@link Backups}), as operators
 * take them from a running cluster and seed a new one with them.
 */
@Command(name = "snapshot",
        description = {"Back up the key-value state of a running cluster, or seed a new cluster from a backup.", ""},
        subcommands = {SnapshotCommand.Save.class, SnapshotCommand.Restore.class},
        footerHeading = "%nExamples:%n",
        footer = {
            "  java -jar raftline.jar snapshot save --url http://localhost:8081 backup.snap",
            "  java -jar raftline.jar snapshot restore backup.snap --conf conf/local-3.json"})
final class SnapshotCommand implements Callable<Integer> {

    @ParentCommand
    private RaftlineCommand root;

    @Override
    public Integer call() {
        root.err().println("raftline snapshot: say save or restore (java -jar raftline.jar snapshot --help)");
        return Main.USAGE;
    }

    /** {@code snapshot save}. */
    @Command(name = "save", description = {"Download a consistent backup (GET /v1/snapshot, linearizable) from any"
            + " node into FILE; checks it before keeping it.", ""})
    static final class Save implements Callable<Integer> {

        @ParentCommand
        private SnapshotCommand parent;

        @Mixin
        private KvClientCommand.Target target;

        @Parameters(index = "0", paramLabel = "FILE", description = "Where to write the backup.")
        private Path file;

        @Override
        public Integer call() {
            try {
                Backups.Info info = Backups.save(target, file);
                parent.root.out().println("saved " + info.describe() + " to " + file);
                return 0;
            } catch (IOException e) {
                // A refusal or a damaged file says what it is; a failed connection has no message of its own.
                parent.root.err().println("raftline snapshot save: " + (e.getMessage() != null ? e.getMessage()
                        : "cannot reach " + target.base() + ": " + ApiCall.reason(e)));
                return Main.FAILURE;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Main.FAILURE;
            }
        }
    }

    /** {@code snapshot restore}. */
    @Command(name = "restore", description = {"Seed the data directory of every node of a new cluster's"
            + " configuration with a backup (with node_id, of that node only: run it for each node, on its machine);"
            + " start the cluster afterwards as usual. Refuses non-empty directories. All or nothing: if it fails for"
            + " one node, no node's directory is changed.", ""})
    static final class Restore implements Callable<Integer> {

        @ParentCommand
        private SnapshotCommand parent;

        @Parameters(index = "0", paramLabel = "FILE", description = "The backup (from snapshot save).")
        private Path file;

        @Option(names = "--conf", required = true, paramLabel = "CONF",
                description = "The new cluster's configuration: every node of its initial membership is seeded,"
                        + " or its node_id's only.")
        private Path conf;

        @Override
        public Integer call() {
            RaftlineConfig config;
            try {
                config = ConfigLoader.read(conf);
            } catch (ConfigException e) {
                parent.root.err().println("raftline: invalid configuration " + conf + ": " + e.getMessage());
                return Main.USAGE;
            }
            try {
                Backups.Restored r = Backups.restore(file, config);
                parent.root.out().println("restored " + r.backup().describe() + " into " + r.seeded() + "; "
                        + next(config));
                return 0;
            } catch (Backups.UnsuitableConfig e) {
                // A configuration the restore cannot use is a configuration error (exit 2), as an invalid one is.
                parent.root.err().println("raftline snapshot restore: " + e.getMessage());
                return Main.USAGE;
            } catch (IOException e) {
                parent.root.err().println("raftline snapshot restore: " + e.getMessage());
                return Main.FAILURE;
            }
        }

        /**
         * What to do after a restore: start the cluster (local mode), or, with {@code node_id}, restore the other
         * members first, each with its own configuration (a lone node just starts).
         */
        private String next(RaftlineConfig config) {
            if (config.nodeId() == 0) {
                return "start the cluster with --conf " + conf;
            }
            java.util.List<Integer> others = config.memberIds().stream().filter(id -> id != config.nodeId()).toList();
            if (others.isEmpty()) {
                return "start the node with --conf " + conf;
            }
            return "restore node" + (others.size() == 1 ? " " : "s ") + others + " too, each with its own"
                    + " configuration, before starting any node; then start node " + config.nodeId() + " with --conf "
                    + conf + " and the others with theirs, one process each";
        }
    }
}
