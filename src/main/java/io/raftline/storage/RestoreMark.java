package io.raftline.storage;

import io.raftline.raft.StorageException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The file {@code RESTORING} that a restore keeps in each node's data directory while it seeds them, so that a restore
 * stopped part way ({@code kill -9}, a power cut) never leaves a cluster that starts on half its data.
 *
 * <p>A restore seeds several directories, on several file systems perhaps, and no rename makes that one step. So it
 * marks every directory {@link Phase#WRITING} before it writes any state, writes and moves every node's state into
 * place, then marks every directory {@link Phase#WRITTEN}, and only then removes the marks. Whatever point a crash
 * stops it at, the marks say what is safe:
 * <ul>
 *   <li>a directory marked {@code writing} may hold part of its state, or none while another directory holds all of
 *       it: a node refuses to start on it, and running the same restore again redoes every directory so marked;</li>
 *   <li>a directory marked {@code written} holds all of its state, and so does every other directory of the restore
 *       (none is marked {@code written} before all are written): the node removes the mark and starts;</li>
 *   <li>an unmarked directory was never touched by a restore, or holds a finished one.</li>
 * </ul>
 */
public final class RestoreMark {

    /** The mark's name inside a node's data directory. */
    public static final String FILE = "RESTORING";

    /** How far the restore that left a mark had come. */
    public enum Phase {
        /** Writing or moving states into place: the directory's state may be incomplete. */
        WRITING("writing"),
        /** Every directory of the restore holds its whole state; only the marks were still to be removed. */
        WRITTEN("written");

        private final String text;

        Phase(String text) {
            this.text = text;
        }
    }

    private RestoreMark() {
    }

    /**
     * Marks {@code dataDir} durably (the file written and synced, replacing any mark by a rename, the directory synced).
     *
     * @param dataDir a node's data directory, which exists
     * @param phase   how far the restore has come
     * @throws IOException if it cannot be written
     */
    public static void mark(Path dataDir, Phase phase) throws IOException {
        String text = phase.text + "\n# left by `raftline snapshot restore` (docs/operations.md, \"Backup and restore\")\n";
        NioDisk.INSTANCE.replaceDurably(dataDir.resolve(FILE), text.getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * Removes the mark, durably.
     *
     * @param dataDir a node's data directory
     * @throws IOException if it cannot be removed
     */
    public static void clear(Path dataDir) throws IOException {
        if (Files.deleteIfExists(dataDir.resolve(FILE))) {
            NioDisk.INSTANCE.syncDirectory(dataDir);
        }
    }

    /**
     * The phase of the mark in {@code dataDir}.
     *
     * @param dataDir a node's data directory
     * @return the phase, empty if unmarked; a mark that cannot be read as {@code written} counts as {@code writing}
     * @throws IOException if the mark cannot be read
     */
    public static Optional<Phase> of(Path dataDir) throws IOException {
        Path file = dataDir.resolve(FILE);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        String first = Files.readString(file, StandardCharsets.US_ASCII).lines().findFirst().orElse("").trim();
        return Optional.of(first.equals(Phase.WRITTEN.text) ? Phase.WRITTEN : Phase.WRITING);
    }

    /**
     * What a node does with a mark before it opens its data directory: starts on an unmarked directory, removes a
     * {@code written} mark (the restore was done but for its marks), and refuses a {@code writing} one. Blocking file
     * I/O.
     *
     * @param nodeId  the node, for the message
     * @param dataDir its data directory
     * @return true if a {@code written} mark was removed
     * @throws StorageException naming the directory and what to do, if a restore was stopped while writing it
     */
    public static boolean settleAtStart(int nodeId, Path dataDir) {
        try {
            Optional<Phase> phase = of(dataDir);
            if (phase.isEmpty()) {
                return false;
            }
            if (phase.get() == Phase.WRITTEN) {
                clear(dataDir);
                return true;
            }
        } catch (IOException e) {
            throw new StorageException("cannot read " + dataDir.resolve(FILE) + ": " + e.getMessage(), e);
        }
        throw new StorageException("node " + nodeId + " cannot start: " + dataDir.resolve(FILE) + " says a restore"
                + " into " + dataDir + " was stopped before it had written every node's state, so this directory may"
                + " hold part of it; run the same `snapshot restore` again (it redoes every directory so marked) and"
                + " then start the nodes");
    }
}
