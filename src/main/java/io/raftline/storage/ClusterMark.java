package io.raftline.storage;

import io.raftline.raft.ConfigException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The file {@code CLUSTER} in a node's data directory, naming the cluster ({@code cluster_name}) whose data the
 * directory holds, so that a node never starts on another cluster's data.
 *
 * <p>Nothing else tells two clusters' data apart: a node started on the directory of another cluster (the local
 * cluster's {@code ./data/node-1} under a process of {@code conf/node-1.json}, a copied directory, a wrong path)
 * would take that cluster's log, terms, votes and membership for its own. At best it campaigns in vain for a
 * membership nobody else has; at worst its log, longer and of later terms than its peers', wins it an election and
 * the peers' committed entries are overwritten with the other cluster's: acknowledged writes lost. etcd guards the
 * same way with a cluster id kept in its data directory.
 *
 * <p>A directory without the file takes the configured name: a new directory, a directory written by a build before
 * this file existed, and one seeded by {@code snapshot restore} (which makes a directory for whatever cluster starts
 * on it). A directory that holds no node data yet also takes the configured name over an old mark, since nothing of
 * the other cluster is in it.
 */
public final class ClusterMark {

    /** The mark's name inside a node's data directory. */
    public static final String FILE = "CLUSTER";

    private ClusterMark() {
    }

    /**
     * Checks that {@code dataDir} holds the data of {@code clusterName}, or none, and records the name if it is not
     * recorded yet. Blocking file I/O: call it on a worker, before the node opens its storage.
     *
     * @param dataDir     the node's data directory (created if missing)
     * @param clusterName the configured {@code cluster_name}
     * @param holdsData   whether the directory holds the node's data already (a log, snapshots, its groups)
     * @throws ConfigException naming {@code cluster_name}, the directory and both names, if it holds another
     *                         cluster's data
     */
    public static void checkOrRecord(Path dataDir, String clusterName, boolean holdsData) {
        Path file = dataDir.resolve(FILE);
        try {
            if (Files.exists(file)) {
                String recorded = read(file);
                if (recorded.equals(clusterName)) {
                    return;
                }
                if (holdsData) {
                    throw new ConfigException("cluster_name", "is \"" + clusterName + "\" but " + dataDir
                            + " holds the data of the cluster \"" + recorded + "\" (named in " + file + "): a data"
                            + " directory belongs to the cluster that made it, and a node started on another"
                            + " cluster's log could be elected with it and overwrite this cluster's writes; give this"
                            + " node an empty data_dir (move " + dataDir + " away), or set \"cluster_name\": \""
                            + recorded + "\" to carry on with that cluster");
                }
            }
            record(dataDir, clusterName);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot check the cluster of " + dataDir + ": " + e.getMessage(), e);
        }
    }

    /** The name recorded in {@code file}: its content without the one line feed that ends it. */
    private static String read(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        return text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
    }

    /** Writes the mark durably (its directory too, if it is new). */
    private static void record(Path dataDir, String clusterName) throws IOException {
        NioDisk.INSTANCE.createDirectoriesDurably(dataDir);
        NioDisk.INSTANCE.replaceDurably(dataDir.resolve(FILE), (clusterName + "\n").getBytes(StandardCharsets.UTF_8));
    }
}
