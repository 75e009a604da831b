package io.raftline.shard;

import io.raftline.raft.ConfigException;
import io.raftline.storage.NioDisk;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Where a node keeps each group's files, and the guard that a data directory is never opened with another number of
 * groups than it was made with.
 *
 * <p>Group 0 lives in the node's {@code data_dir} itself, exactly where a cluster of one group keeps its files, and
 * group {@code g > 0} in {@code data_dir/group-<g>}, each with its own WAL, snapshots and lock. A sharded node writes
 * {@code data_dir/groups} holding its number of groups; a node that finds another number there, or finds a cluster of
 * one group's data while configured for several, refuses to start: the key-to-group map depends on the number, so the
 * data would be in the wrong groups (keys would vanish from reads and come back as stale duplicates).
 */
public final class GroupLayout {

    /** The file that records the number of groups. */
    public static final String MARKER = "groups";

    private GroupLayout() {
    }

    /**
     * A group's data directory.
     *
     * @param dataDir the node's {@code data_dir}
     * @param group   the group
     * @return {@code dataDir} for group 0, {@code dataDir/group-<group>} otherwise
     */
    public static Path groupDir(Path dataDir, int group) {
        return group == 0 ? dataDir : dataDir.resolve("group-" + group);
    }

    /**
     * Checks that a data directory holds data of {@code groups} groups, or none yet, and records the number for a
     * sharded node. Blocking file I/O: call it on a worker.
     *
     * @param dataDir the node's data directory (created if missing)
     * @param groups  the configured number of groups
     * @throws ConfigException if the directory was made with another number of groups
     */
    public static void checkOrRecord(Path dataDir, int groups) {
        try {
            Path marker = dataDir.resolve(MARKER);
            if (Files.exists(marker)) {
                int recorded = parse(marker);
                if (recorded != groups) {
                    throw mismatch(dataDir, recorded, groups);
                }
                return;
            }
            if (groups == 1) {
                return;
            }
            if (holdsData(dataDir)) {
                throw mismatch(dataDir, 1, groups);
            }
            Files.createDirectories(dataDir);
            NioDisk.INSTANCE.replaceDurably(marker, (groups + "\n").getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot check the groups of " + dataDir + ": " + e.getMessage(), e);
        }
    }

    private static int parse(Path marker) throws IOException {
        String text = Files.readString(marker, StandardCharsets.US_ASCII).trim();
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new ConfigException("groups", marker + " should hold the number of groups this data was made with,"
                    + " but holds \"" + text + "\": restore it or move the directory away");
        }
    }

    /**
     * Checks that no group of a sharded node has a write-ahead log of its own: the groups of a node share one log, in
     * the node's {@code data_dir/wal}. Group directories with their own {@code wal/} were made by a build of
     * 2026-12-01 (before the shared log), never released; their logs are not read, so the node refuses to start rather
     * than come up without them. Blocking file I/O.
     *
     * @throws ConfigException naming the first such directory
     */
    public static void checkNoGroupLogs(Path dataDir, int groups) {
        try {
            for (int g = 1; g < groups; g++) {
                Path wal = groupDir(dataDir, g).resolve("wal");
                if (holdsFiles(wal, ".wal")) {
                    throw new ConfigException("groups", wal + " holds a write-ahead log of group " + g + " alone, as a"
                            + " development build of 2026-12-01 wrote them; the groups of a node now share the log in "
                            + dataDir.resolve("wal") + " and that layout is not read: start this node with an empty"
                            + " data_dir (the cluster's other nodes send it their data)");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot check the groups of " + dataDir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Whether a data directory holds a node's data already, so that its number of groups is fixed: its marker, or a
     * cluster of one group's log or snapshots. {@link #checkOrRecord} then compares the configured number with it and
     * refuses another; only a directory without data takes the configured one. Blocking file I/O.
     *
     * @param dataDir the node's data directory
     * @return whether it holds data
     */
    public static boolean holdsNodeData(Path dataDir) {
        try {
            return Files.exists(dataDir.resolve(MARKER)) || holdsData(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot check the groups of " + dataDir + ": " + e.getMessage(), e);
        }
    }

    /** Whether the directory holds a cluster of one group's files (a WAL segment or a snapshot). */
    private static boolean holdsData(Path dataDir) throws IOException {
        return holdsFiles(dataDir.resolve("wal"), ".wal") || holdsFiles(dataDir.resolve("snap"), ".snap");
    }

    private static boolean holdsFiles(Path dir, String suffix) throws IOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.anyMatch(p -> p.getFileName().toString().endsWith(suffix));
        }
    }

    private static ConfigException mismatch(Path dataDir, int recorded, int groups) {
        return new ConfigException("groups", "is " + groups + " but " + dataDir + " holds data of " + recorded
                + (recorded == 1 ? " group" : " groups") + ": the number of groups is fixed when a cluster is created"
                + " (keys map to groups by it); start with \"groups\": " + recorded + ", or with an empty data_dir"
                + " and load a backup into the new cluster");
    }
}
