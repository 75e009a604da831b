package io.raftline.app;

import io.raftline.config.NodeConfig;
import io.raftline.config.RaftlineConfig;
import io.raftline.kv.KvFormatException;
import io.raftline.kv.KvSnapshot;
import io.raftline.raft.HardState;
import io.raftline.raft.Membership;
import io.raftline.raft.Snapshot;
import io.raftline.raft.SnapshotMetadata;
import io.raftline.storage.DataDirLock;
import io.raftline.shard.GroupBackup;
import io.raftline.shard.GroupLayout;
import io.raftline.storage.DurableStorage;
import io.raftline.storage.NioDisk;
import io.raftline.storage.RestoreMark;
import io.raftline.storage.SharedWal;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Backup and restore of the whole key-value state, for {@code raftline.jar snapshot save|restore}. A backup is what
 * {@code GET /v1/snapshot} streams (the state machine's snapshot format, checksummed); a restore seeds the data
 * directory of every node of a new cluster's configuration with it as a Raft snapshot, so that the cluster starts
 * with every key at the revision it had, and goes on from there.
 */
final class Backups {

    /**
     * How much of an error answer {@code snapshot save} reads: enough for any error Raftline sends (a JSON object of a
     * few hundred bytes) or a proxy's error page, and a bound on what a server answering an error with an endless or
     * huge body (a misconfigured proxy, a wrong URL pointing at a large file) costs it in memory. Until 2026-12-07 the
     * whole answer was written to the part file and then read into memory at once.
     */
    static final int MAX_ERROR_BYTES = 64 * 1024;

    private Backups() {
    }

    /**
     * What a backup holds.
     *
     * @param revision       the log index the state reflects; of a sharded cluster, the sum of its groups' (as its
     *                       nodes' {@code /v1/state-hash} reports it)
     * @param keys           how many keys
     * @param hash           its state hash
     * @param groupRevisions of a sharded cluster, each group's revision in group order; empty for one group
     */
    record Info(long revision, int keys, String hash, List<Long> groupRevisions) {
        static Info of(KvSnapshot s) {
            return new Info(s.lastApplied(), s.size(), s.stateHashHex(), List.of());
        }

        static Info of(List<KvSnapshot> groups) {
            long sum = 0;
            int keys = 0;
            List<Long> revisions = new ArrayList<>();
            for (KvSnapshot s : groups) {
                sum += s.lastApplied();
                keys += s.size();
                revisions.add(s.lastApplied());
            }
            return new Info(sum, keys, GroupBackup.stateHash(groups), List.copyOf(revisions));
        }

        /** The revision as the node's {@code Raft-Revision} header gives it. */
        String header() {
            return groupRevisions.isEmpty() ? String.valueOf(revision) : GroupBackup.revisionHeader(groupRevisions);
        }

        /** One line for the command line: the revision(s), the keys, the hash. */
        String describe() {
            String rev = groupRevisions.isEmpty() ? "revision " + revision
                    : groupRevisions.size() + " groups at revisions " + header();
            return rev + ", " + keys + " keys, state hash " + hash;
        }
    }

    /**
     * A configuration a restore cannot use, whatever the disks hold (nodes that keep nothing on disk, a {@code node_id}
     * that joins, two nodes naming one directory): the command exits 2, as for an invalid configuration.
     */
    static final class UnsuitableConfig extends IOException {
        private static final long serialVersionUID = 1L;

        UnsuitableConfig(String message) {
            super(message);
        }
    }

    /**
     * What a restore did.
     *
     * @param backup what the backup held
     * @param seeded the data directories it seeded
     */
    record Restored(Info backup, List<Path> seeded) {
    }

    /**
     * Downloads a consistent backup from any node into {@code file} (written aside, checked, then moved in place).
     *
     * @param target a node's HTTP API and the token
     * @param file   where to write
     * @return what it holds
     * @throws IOException if the node cannot be reached, answers an error, or sends a damaged file (one that does not
     *                     check, or whose revision or state hash is not the one the node announced)
     */
    static Info save(KvClientCommand.Target target, Path file) throws IOException, InterruptedException {
        return save(target, file, NioDisk.INSTANCE);
    }

    /**
     * {@link #save(KvClientCommand.Target, Path)}, making the file durable through {@code disk}: the download is
     * synced before it is renamed over {@code file}, and the directory after, so that a backup reported saved survives
     * a power cut (without it, a crash soon after could leave {@code FILE} empty or cut short, or the old one).
     *
     * @param target a node's HTTP API and the token
     * @param file   where to write
     * @param disk   the file system calls that make it durable
     * @return what it holds
     * @throws IOException if the node cannot be reached, answers an error, sends a damaged file, or it cannot be made
     *                     durable
     */
    static Info save(KvClientCommand.Target target, Path file, io.raftline.storage.Disk disk)
            throws IOException, InterruptedException {
        HttpClient http = target.http();
        Path part = file.resolveSibling(file.getFileName() + ".part");
        URI url = target.base();
        try {
            // Made (or emptied) before the request: a file that cannot be written is said so at once, in its own
            // words, rather than as a cancelled download.
            Files.newByteChannel(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING).close();
        } catch (java.nio.file.FileSystemException f) {
            throw new IOException("cannot write the backup to " + part + ": " + fileReason(f), f);
        }
        HttpResponse<Object> resp;
        try {
            // Truncated: a part file an interrupted save left behind must not keep its tail after a shorter backup.
            // Only a 200 is written to the file; an error answer is read as a stream, of which at most
            // MAX_ERROR_BYTES are read (below), however much the server sends.
            resp = http.send(target.request("/v1/snapshot").timeout(Duration.ofMinutes(10)).GET().build(),
                    head -> head.statusCode() == 200
                            ? HttpResponse.BodySubscribers.mapping(HttpResponse.BodySubscribers.ofFile(part,
                                    StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                                    StandardOpenOption.TRUNCATE_EXISTING), path -> (Object) path)
                            : HttpResponse.BodySubscribers.mapping(HttpResponse.BodySubscribers.ofInputStream(),
                                    in -> (Object) in));
        } catch (IOException | InterruptedException e) {
            // The download failed (node down, connection cut, timeout): what arrived of it is of no use.
            Files.deleteIfExists(part);
            // Or the file could not be opened (a missing directory, no permission): its exception names only the
            // path, which the command line printed alone ("raftline snapshot save: /backups/b.snap.part").
            for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
                if (t instanceof java.nio.file.FileSystemException f) {
                    throw new IOException("cannot write the backup to " + part + ": " + fileReason(f), e);
                }
            }
            throw e;
        }
        if (resp.statusCode() != 200) {
            String body = errorText((InputStream) resp.body());
            // Nothing of an error is written to it, but a part file an interrupted save left behind goes too.
            Files.deleteIfExists(part);
            throw new IOException(url + " answered " + resp.statusCode() + ": " + body);
        }
        Info info;
        try {
            info = check(part);
        } catch (IOException e) {
            Files.deleteIfExists(part);
            throw new IOException("the backup from " + url + " is damaged: " + e.getMessage(), e);
        }
        String revision = resp.headers().firstValue("Raft-Revision").orElse("");
        if (!revision.equals(info.header())) {
            Files.deleteIfExists(part);
            throw new IOException("the backup says revision " + info.header() + " but the node announced " + revision);
        }
        // The checksum shows that the file is whole as it was written; the state hash, which the node computed from the
        // state it read, shows that the file holds that state (hashed here by the same code: Info.of). Before, save did
        // not look at it, so a backup that differed from the node's state (damaged before its checksum was computed,
        // or with a CRC-32C that matched by chance) was saved as good and found out at restore time, if ever.
        String hash = resp.headers().firstValue("Raft-State-Hash").orElse("");
        if (!hash.equals(info.hash())) {
            Files.deleteIfExists(part);
            throw new IOException("the backup from " + url + " is damaged: the node announced state hash "
                    + (hash.isEmpty() ? "(none)" : hash) + " but the backup's state hash is " + info.hash());
        }
        try {
            try (io.raftline.storage.Disk.AppendFile f = disk.open(part, io.raftline.storage.Disk.OpenMode.EXISTING)) {
                f.force(true);
            }
            disk.rename(part, file);
        } catch (IOException e) {
            Files.deleteIfExists(part);
            throw new IOException("cannot write the backup to " + file + ": " + fileReason(e), e);
        }
        disk.syncDirectory(file.toAbsolutePath().getParent());
        return info;
    }

    /**
     * The text of an error answer, read up to {@link #MAX_ERROR_BYTES}: what is beyond is not read (closing the stream
     * cancels the download and drops the connection), and the text says it was cut.
     *
     * @param body the answer's body
     * @return its first {@link #MAX_ERROR_BYTES} bytes as text, marked if there was more
     */
    static String errorText(InputStream body) {
        try (InputStream in = body) {
            byte[] head = in.readNBytes(MAX_ERROR_BYTES);
            boolean more = in.read() != -1;
            String text = new String(head, java.nio.charset.StandardCharsets.UTF_8);
            return more ? text + " ... (the answer was longer: only its first " + (MAX_ERROR_BYTES / 1024)
                    + " KiB were read)" : text;
        } catch (IOException e) {
            return "(its body could not be read: " + e.getMessage() + ")";
        }
    }

    /**
     * Reads a backup file and checks it whole (format, order, checksum).
     *
     * @param file the file
     * @return what it holds
     * @throws IOException if it cannot be read or is not a valid backup
     */
    static Info check(Path file) throws IOException {
        try (InputStream in = new java.io.BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            in.mark(4);
            boolean sharded = GroupBackup.isGroupBackup(in.readNBytes(4));
            in.reset();
            return sharded ? Info.of(GroupBackup.readFrom(in)) : Info.of(KvSnapshot.readFrom(in));
        } catch (KvFormatException e) {
            throw notABackup(file, e);
        }
    }

    private static IOException notABackup(Path file, KvFormatException e) {
        // A flipped bit or a cut-off copy is the usual cause, which "not a Raftline backup" alone did not suggest.
        return new IOException(file + " is damaged or not a Raftline backup: " + e.getMessage(), e);
    }

    /**
     * Seeds the data directory of every node of the initial membership of {@code config} (of its {@code node_id} only,
     * if it has one: see {@link #toSeed}) with the backup, as a Raft snapshot at its revision (term 1) under that
     * membership. Every directory must be missing or empty: a restore never overwrites a node's data. All or nothing:
     * see {@link #restore(Path, RaftlineConfig, StagedCheck)}.
     *
     * @param file   the backup
     * @param config the new cluster's configuration
     * @return what the backup held and the directories seeded
     * @throws IOException if the backup is damaged, a directory is not empty, or a write fails (then no directory was
     *                     changed)
     */
    static Restored restore(Path file, RaftlineConfig config) throws IOException {
        return restore(file, config, (node, staged) -> { });
    }

    /**
     * A check of one node's prepared state before any node's directory is filled; tests fail a restore half way with
     * it.
     */
    @FunctionalInterface
    interface StagedCheck {
        /**
         * Called once a node's state is written in its staging directory.
         *
         * @param node   the node's id
         * @param staged where its state was written
         * @throws IOException to fail the restore
         */
        void check(int node, Path staged) throws IOException;
    }

    /**
     * The restore, all or nothing: every node's directory is locked (as a node locks it, so none can start on it
     * meanwhile) and its state written in a staging directory inside it ({@code .restore-*}, same file system, so a
     * mount point works); only once every node is prepared are the staged files moved into place, each by a rename. A
     * failure anywhere (a directory that cannot be created or locked, a write that fails, a full disk, a failed check)
     * removes everything the restore created, in every node's directory, so that each is as it was before (empty or
     * missing), and names the node and the cause.
     */
    static Restored restore(Path file, RaftlineConfig config, StagedCheck check) throws IOException {
        return restore(file, config, () -> { }, check);
    }

    /**
     * A step between the check that every directory is empty and their locking, where a node can still start and
     * stop on one of them; tests put a node's data in a directory there.
     */
    @FunctionalInterface
    interface BeforeLocking {
        /**
         * Called once, after every directory was checked and before the first is locked.
         *
         * @throws IOException to fail the restore
         */
        void run() throws IOException;
    }

    /**
     * {@link #restore(Path, RaftlineConfig, StagedCheck)}, calling {@code beforeLocking} between the first check of the
     * directories and their locking (each is checked again under its lock).
     */
    static Restored restore(Path file, RaftlineConfig config, BeforeLocking beforeLocking, StagedCheck check)
            throws IOException {
        return restore(file, config, beforeLocking, check, NioDisk.INSTANCE);
    }

    /**
     * {@link #restore(Path, RaftlineConfig, BeforeLocking, StagedCheck)}, syncing through {@code disk} the parent of
     * each data directory (or parent of one) that it creates: tests watch those syncs.
     */
    static Restored restore(Path file, RaftlineConfig config, BeforeLocking beforeLocking, StagedCheck check,
            io.raftline.storage.Disk disk) throws IOException {
        // Read once: the same bytes are checked here and become the Raft snapshot's data.
        byte[] data;
        try {
            data = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IOException("cannot read the backup " + file + ": " + fileReason(e), e);
        }
        List<KvSnapshot> groups;
        try {
            groups = GroupBackup.isGroupBackup(data)
                    ? GroupBackup.readFrom(new java.io.ByteArrayInputStream(data)) : List.of(KvSnapshot.readFrom(data));
        } catch (KvFormatException e) {
            throw notABackup(file, e);
        }
        if (groups.size() != config.groups()) {
            // The configuration's number, not what is on disk, is what the operator changes: exit 2 (it exited 1).
            throw new UnsuitableConfig(file + " is a backup of " + groups.size()
                    + (groups.size() == 1 ? " Raft group" : " Raft groups") + " but the configuration has \"groups\": " + config.groups() + ": keys map to groups"
                    + " by their number, so a backup restores into a cluster of as many groups");
        }
        if (groups.stream().allMatch(g -> g.lastApplied() == 0)) {
            throw new IOException(file + " holds an empty state (revision 0): start the cluster without restoring");
        }
        if (!config.storage().durable()) {
            // Such nodes never read their data directory: seeded, they would start empty all the same.
            throw new UnsuitableConfig("the configuration's nodes keep nothing on disk (\"storage\": {\"engine\": \""
                    + config.storage().engine() + "\"}): a restore seeds data directories, which they never read;"
                    + " restore into a configuration with \"engine\": \"durable\"");
        }
        List<NodeConfig> nodes = toSeed(config);
        List<Integer> marked = new ArrayList<>();
        List<Integer> markedWithoutState = new ArrayList<>();
        List<NodeConfig> withData = new ArrayList<>();
        for (NodeConfig n : nodes) {
            Path dir = Path.of(n.dataDir());
            if (!Files.exists(dir)) {
                continue;
            }
            // Listed below, a regular file was refused with its path alone as the message (NotDirectoryException's).
            if (!Files.isDirectory(dir)) {
                throw new IOException("the data directory of node " + n.id() + " (" + dir + ") is not a directory:"
                        + " give data_dir a directory, or a path where one can be created");
            }
            try {
                // A directory a restore was stopped in (still marked as being written) is done again.
                if (RestoreMark.of(dir).isPresent()) {
                    marked.add(n.id());
                    if (!holdsMovedInState(dir, groups.size())) {
                        markedWithoutState.add(n.id());
                    }
                    continue;
                }
                // Lock files alone are no data: a restore stopped while it locked the directories (before its mark
                // was in) leaves them, and so does a node stopped before it wrote anything.
                if (!holdsOnlyLocks(dir)) {
                    withData.add(n);
                }
            } catch (java.nio.file.FileSystemException e) {
                throw new IOException("cannot read the data directory of node " + n.id() + " (" + dir + "): "
                        + describe(e), e);
            }
        }
        if (!withData.isEmpty()) {
            NodeConfig first = withData.get(0);
            String notEmpty = "the data directory of node " + first.id() + " (" + Path.of(first.dataDir()) + ") is not"
                    + " empty: a restore seeds a new cluster only; move it away first";
            List<Integer> ids = withData.stream().map(NodeConfig::id).toList();
            if (marked.isEmpty()) {
                throw new IOException(notEmpty);
            }
            if (markedWithoutState.isEmpty()) {
                // Every marked directory holds its whole state: the restore was stopped between its last two steps
                // (every state in place, some marks rewritten to "written" and found by a node that started).
                throw new IOException(notEmpty + " (nodes " + marked + " hold the mark of a restore that was stopped:"
                        + " if that restore's nodes have started, it had written every node's state, and those nodes"
                        + " start once their " + RestoreMark.FILE + " file says \"written\")");
            }
            // A marked directory without its state: the restore was stopped before it had written the states (while
            // it marked the directories), so the unmarked ones held nothing, and a node that started on one started
            // a new, empty cluster. Before, the hint above was given here too, and following it left that cluster.
            throw new IOException(notEmpty + " (nodes " + marked + " hold the mark of a restore that was stopped before"
                    + " it had written the nodes' state: nodes without the mark may have started on their empty"
                    + " directories since, as a new, empty cluster; move the directories of nodes " + ids + " away"
                    + " before running the restore again)");
        }
        beforeLocking.run();
        List<Seeding> seedings = new ArrayList<>();
        Seeding current = null;
        String stage = "locking its data directory";
        try {
            for (NodeConfig n : nodes) {
                current = new Seeding(n.id(), Path.of(n.dataDir()));
                current.lock(groups.size(), disk);
                seedings.add(current);
            }
            // Marked only once every directory is locked: a restore stopped while it locked them leaves lock files
            // alone, which hold no data (a rerun redoes them); only one stopped in this short loop leaves some
            // directories marked beside unmarked ones, on which nodes can start (see the refusal above).
            stage = "marking its data directory";
            for (Seeding s : seedings) {
                current = s;
                RestoreMark.mark(s.dir, RestoreMark.Phase.WRITING);
            }
            stage = "writing its state";
            for (Seeding s : seedings) {
                current = s;
                s.staged = Files.createTempDirectory(s.dir, ".restore-");
                if (groups.size() > 1) {
                    writeGroups(s.staged, groups, config);
                } else {
                    writeOne(s.staged, groups.get(0), data, config);
                }
                check.check(s.node, s.staged);
            }
            stage = "moving its state into place";
            for (Seeding s : seedings) {
                current = s;
                s.commit();
            }
            // Every node's state is in place: first every mark says so (a node finding it starts), then they go.
            stage = "marking its state written";
            for (Seeding s : seedings) {
                current = s;
                RestoreMark.mark(s.dir, RestoreMark.Phase.WRITTEN);
            }
            stage = "removing its restore mark";
            for (Seeding s : seedings) {
                current = s;
                RestoreMark.clear(s.dir);
            }
        } catch (IOException | RuntimeException e) {
            String cause = describe(e);
            List<String> left = new ArrayList<>();
            // Undone last first: a parent directory an earlier node's part created can hold a later one's directory.
            // In creation order, node 1's undo found the parent it created not empty and named it to be removed by
            // hand, though the undo of the others then emptied it.
            List<Seeding> undo = new ArrayList<>(seedings);
            if (current != null && !seedings.contains(current)) {
                undo.add(current);
            }
            java.util.Collections.reverse(undo);
            for (Seeding s : undo) {
                s.undo(left);
            }
            for (Seeding s : undo) {
                s.undoRest(left);
            }
            String where = current == null ? "" : " at node " + current.node + " (" + current.dir + ")";
            throw new IOException("restore failed" + where + " while " + stage + ": " + cause + "; "
                    + (left.isEmpty() ? "nothing was restored: every node's data directory is as it was"
                            : "undoing it failed, remove by hand: " + String.join(", ", left)), e);
        }
        List<Path> seeded = new ArrayList<>();
        for (Seeding s : seedings) {
            s.unlock();
            seeded.add(s.dir);
        }
        return new Restored(groups.size() > 1 ? Info.of(groups) : Info.of(groups.get(0)), seeded);
    }

    /**
     * The nodes whose data directories a restore seeds: with {@code node_id} (a cluster of one process per node, whose
     * configurations usually give every node the same path, each on its own machine) that node only, else every node
     * of the initial membership. The snapshot's membership is always every member's. Before, every member was seeded
     * whatever {@code node_id} said, so a restore on one machine of such a cluster locked the same directory twice
     * and failed, calling it in use by another running node.
     *
     * @param config the new cluster's configuration
     * @return the nodes, in file order
     * @throws UnsuitableConfig if {@code node_id} names a node that joins, or two of the nodes name the same
     *                           directory
     */
    static List<NodeConfig> toSeed(RaftlineConfig config) throws IOException {
        List<NodeConfig> nodes;
        if (config.nodeId() != 0) {
            NodeConfig own = config.node(config.nodeId()).orElseThrow();
            if (own.join()) {
                throw new UnsuitableConfig("node " + own.id() + " (the configuration's node_id) joins a running cluster"
                        + " (\"join\": true): it gets its state from that cluster's leader; a restore seeds the"
                        + " nodes of the initial membership " + config.memberIds() + ", each with its own"
                        + " configuration");
            }
            nodes = List.of(own);
        } else {
            nodes = config.nodes().stream().filter(n -> !n.join()).toList();
        }
        java.util.Map<Path, NodeConfig> byDir = new java.util.HashMap<>();
        for (NodeConfig n : nodes) {
            Path dir = Path.of(n.dataDir()).toAbsolutePath().normalize();
            NodeConfig other = byDir.putIfAbsent(dir, n);
            if (other != null) {
                throw new UnsuitableConfig("nodes " + other.id() + " and " + n.id() + " name the same data directory ("
                        + dir + "): two nodes never share one; give each its own data_dir (for a cluster of one"
                        + " process per machine, run the restore on each machine with that machine's configuration,"
                        + " whose node_id says which node it seeds)");
            }
        }
        return nodes;
    }

    /**
     * One node's part of a restore, and how to undo it: the directories it created (from the highest one that was
     * missing), the lock it holds, its staging directory.
     */
    private static final class Seeding {
        final int node;
        final Path dir;
        /** The highest directory this restore created on the way to {@code dir}, or null if it existed. */
        Path created;
        /** Its locks: the directory's (group 0's), then each other group's directory's, as the node takes them. */
        final List<DataDirLock> locks = new ArrayList<>();
        Path staged;
        /** Whether it held its lock when it was undone. */
        boolean held;
        /** The created directory its undo found not empty, to try again once every node's part is undone. */
        Path rest;

        Seeding(int node, Path dir) {
            this.node = node;
            this.dir = dir;
        }

        void lock(int groups, io.raftline.storage.Disk disk) throws IOException {
            Path missing = null;
            for (Path p = dir.toAbsolutePath().normalize(); p != null && !Files.exists(p); p = p.getParent()) {
                missing = p;
            }
            created = missing;
            try {
                Files.createDirectories(dir);
            } catch (java.nio.file.FileSystemException e) {
                // Its message can be the path alone (a NoSuchFileException under /proc): the reason is said.
                throw new IOException("cannot create " + (e.getFile() == null ? dir : e.getFile()) + ": "
                        + fileReason(e), e);
            }
            // Each directory created made durable in its parent. Everything the restore writes inside is synced, but a
            // new directory's own entry is not until its parent is: a power cut after "restored" and before the nodes
            // started could take a node's directory away whole, its RESTORING mark included, and that node would
            // start empty beside seeded ones (an empty majority elects a leader in term 1, the term of the restored
            // snapshot, and writes other entries under it).
            for (Path p = dir.toAbsolutePath().normalize(); missing != null && p.startsWith(missing);
                    p = p.getParent()) {
                disk.syncDirectory(p.getParent());
            }
            // A node that started meanwhile holds the directory: refused, never written under it.
            locks.add(DataDirLock.acquire(dir));
            // One that started and stopped since the directory was checked left its data there: checked again under
            // the lock, before anything is written (its groups' directories included). Before, the restore put its
            // mark and state beside that data, and a failure further on deleted both, as if the restore had made it.
            if (RestoreMark.of(dir).isEmpty() && !holdsOnlyLocks(dir)) {
                unlock();
                throw new IOException("the data directory is not empty any more (a node started on it after the"
                        + " restore checked it): a restore seeds a new cluster only; move it away first");
            }
            for (int g = 1; g < groups; g++) {
                locks.add(DataDirLock.acquire(GroupLayout.groupDir(dir, g)));
            }
            // What a stopped restore left goes (the mark stays until the new one replaces it; lock files left by one
            // stopped before its mark, and a half-written mark, go too). The mark goes in once every directory is
            // locked, before any state does.
            clearExceptLocksAndMark(dir, groups);
        }

        /**
         * Empties a directory a stopped restore left, but for the locks this restore holds (in it and in its groups'
         * directories) and its mark.
         */
        private static void clearExceptLocksAndMark(Path dir, int groups) throws IOException {
            java.util.Set<String> keep = new java.util.HashSet<>(List.of(DataDirLock.FILE, RestoreMark.FILE));
            for (int g = 1; g < groups; g++) {
                Path groupDir = GroupLayout.groupDir(dir, g);
                keep.add(groupDir.getFileName().toString());
                deleteInside(groupDir, java.util.Set.of(DataDirLock.FILE));
            }
            deleteInside(dir, keep);
        }

        /** Moves the staged files into the directory (renames within one file system), then drops the staging. */
        void commit() throws IOException {
            moveInto(staged, dir);
            staged = null;
        }

        /**
         * Moves what {@code from} holds into {@code to}: a directory that is there already (a group's, made by its
         * lock) gets the contents; the rest is renamed. Then {@code from} is removed and {@code to} synced.
         */
        private static void moveInto(Path from, Path to) throws IOException {
            try (Stream<Path> inside = Files.list(from)) {
                for (Path p : inside.toList()) {
                    Path target = to.resolve(p.getFileName().toString());
                    if (Files.isDirectory(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                            && Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                        moveInto(p, target);
                    } else {
                        Files.move(p, target, StandardCopyOption.ATOMIC_MOVE);
                    }
                }
            }
            Files.delete(from);
            NioDisk.INSTANCE.syncDirectory(to);
        }

        void unlock() {
            RuntimeException failed = null;
            for (DataDirLock l : locks) {
                try {
                    l.close();
                } catch (RuntimeException e) {
                    failed = e;
                }
            }
            locks.clear();
            if (failed != null) {
                throw failed;
            }
        }

        /**
         * Leaves the directory as it was: empty (everything in it came from this restore, if it held the lock: it was
         * empty, and locked since), or missing with the parents this restore created. What cannot be removed is added
         * to {@code left}, but for a created parent that is not empty: it may hold another node's directory still to
         * be undone, so it is kept for {@link #undoRest}.
         */
        void undo(List<String> left) {
            held = !locks.isEmpty();
            try {
                unlock();
            } catch (RuntimeException e) {
                left.add(dir + " (" + e.getMessage() + ")");
            }
            if (held) {
                try {
                    deleteInside(dir, java.util.Set.of());
                } catch (IOException | RuntimeException e) {
                    left.add(dir + " (" + describe(e) + ")");
                    return;
                }
            }
            rest = removeCreated(dir.toAbsolutePath().normalize(), left);
        }

        /**
         * Once every node's part is undone, the created parent that {@link #undo} found not empty, and those above it:
         * one that is still not empty holds what another process put there, and is named in {@code left} if this
         * restore had the lock (else what it holds may be a node's that started meanwhile, and stays unnamed).
         */
        void undoRest(List<String> left) {
            if (rest != null && removeCreated(rest, left) != null && held) {
                left.add(rest + " (not empty)");
            }
        }

        /**
         * Removes the directories this restore created from {@code from} up, deepest first, as long as they are
         * empty.
         *
         * @return the first one that was not empty, or null
         */
        private Path removeCreated(Path from, List<String> left) {
            for (Path p = from; created != null && p != null && p.startsWith(created); p = p.getParent()) {
                try {
                    if (Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                        Files.delete(p);
                    }
                } catch (java.nio.file.DirectoryNotEmptyException e) {
                    return p;
                } catch (IOException e) {
                    left.add(p + " (" + describe(e) + ")");
                    return null;
                }
            }
            return null;
        }
    }

    /**
     * Whether {@code dir} holds nothing but what locking it leaves: its {@code LOCK} file, groups' directories holding
     * only theirs, and a mark being written ({@code RESTORING.tmp}). A restore killed after it had locked a node's
     * directory and before its mark was in leaves exactly that; such a directory was refused as "not empty" by the next
     * run, while the directories marked before it kept their nodes from starting, so neither way was open.
     */
    static boolean holdsOnlyLocks(Path dir) throws IOException {
        try (Stream<Path> inside = Files.list(dir)) {
            for (Path p : inside.toList()) {
                String name = p.getFileName().toString();
                boolean regular = Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS);
                if (regular && (name.equals(DataDirLock.FILE) || name.equals(RestoreMark.FILE + ".tmp"))) {
                    continue;
                }
                if (name.matches("group-[0-9]+") && Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                        && onlyLockFile(p)) {
                    continue;
                }
                return false;
            }
        }
        return true;
    }

    /**
     * Whether a marked directory holds the state a restore moved in: its log ({@code wal}) and, of one group, its
     * snapshots ({@code snap}), of several, the number of groups ({@code groups}), and no staging directory
     * ({@code .restore-*}) left, whose files are moved out of it one by one. A restore stopped before it moved the
     * states in leaves only its mark (and staging) in every directory.
     */
    private static boolean holdsMovedInState(Path dir, int groups) throws IOException {
        java.nio.file.LinkOption noFollow = java.nio.file.LinkOption.NOFOLLOW_LINKS;
        boolean whole = Files.isDirectory(dir.resolve("wal"), noFollow) && (groups > 1
                ? Files.isRegularFile(dir.resolve(GroupLayout.MARKER), noFollow)
                : Files.isDirectory(dir.resolve("snap"), noFollow));
        if (!whole) {
            return false;
        }
        try (Stream<Path> inside = Files.list(dir)) {
            return inside.noneMatch(p -> p.getFileName().toString().startsWith(".restore-"));
        }
    }

    private static boolean onlyLockFile(Path groupDir) throws IOException {
        try (Stream<Path> inside = Files.list(groupDir)) {
            return inside.allMatch(p -> p.getFileName().toString().equals(DataDirLock.FILE)
                    && Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS));
        }
    }

    /**
     * What went wrong with a file, in words: a {@link java.nio.file.NoSuchFileException}'s own message is only the
     * path, so a missing backup was reported as {@code raftline snapshot restore: backup.snap} and nothing else.
     */
    static String fileReason(IOException e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof java.nio.file.NotDirectoryException) {
            return "not a directory";
        }
        if (e instanceof java.nio.file.DirectoryNotEmptyException) {
            return "directory not empty";
        }
        if (e instanceof java.nio.file.FileAlreadyExistsException) {
            return "already exists";
        }
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    /**
     * What went wrong, in words: of a file, its path (and the other one's, of a move) and {@link #fileReason}, since a
     * {@link java.nio.file.FileSystemException}'s message can be the path alone; else the exception's message.
     */
    static String describe(Exception e) {
        if (e instanceof java.nio.file.FileSystemException f) {
            String files = f.getFile() == null ? "" : f.getFile() + (f.getOtherFile() == null ? "" : " -> "
                    + f.getOtherFile()) + ": ";
            return files + fileReason(f);
        }
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    /** Deletes everything in {@code dir} but the entries named in {@code keep}. */
    private static void deleteInside(Path dir, java.util.Set<String> keep) throws IOException {
        try (Stream<Path> inside = Files.list(dir)) {
            for (Path p : inside.toList()) {
                if (!keep.contains(p.getFileName().toString())) {
                    deleteTree(p);
                }
            }
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (Files.isDirectory(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            deleteInside(root, java.util.Set.of());
        }
        Files.delete(root);
    }

    /** One group's state as a node's data directory holds it: a Raft snapshot at its revision, term 1. */
    private static void writeOne(Path dir, KvSnapshot state, byte[] data, RaftlineConfig config) {
        Snapshot snapshot = new Snapshot(SnapshotMetadata.of(state.lastApplied(), 1,
                Membership.ofVoters(config.memberIds())), data);
        DurableStorage storage = DurableStorage.open(dir, config.storage().segmentBytes(), warning -> { });
        try {
            storage.writeSnapshot(snapshot);
            storage.write(List.of(), new HardState(1, 0, state.lastApplied()), true);
        } finally {
            storage.close();
        }
    }

    /**
     * A sharded node's data directory: the number of groups recorded (as the node records it), then each group's state
     * as a Raft snapshot of that group at its revision, in the node's shared write-ahead log and the group's snapshot
     * directory, exactly where the node will look. A group whose state is empty (no write ever reached it) starts
     * empty.
     */
    private static void writeGroups(Path dir, List<KvSnapshot> groups, RaftlineConfig config) {
        Membership members = Membership.ofVoters(config.memberIds());
        GroupLayout.checkOrRecord(dir, groups.size());
        try (SharedWal wal = SharedWal.open(NioDisk.INSTANCE, dir.resolve("wal"), config.storage().segmentBytes(),
                groups.size(), warning -> { })) {
            for (int g = 0; g < groups.size(); g++) {
                KvSnapshot state = groups.get(g);
                if (state.lastApplied() == 0) {
                    continue;
                }
                DurableStorage storage = DurableStorage.open(NioDisk.INSTANCE, GroupLayout.groupDir(dir, g),
                        wal.group(g), warning -> { });
                storage.writeSnapshot(new Snapshot(SnapshotMetadata.of(state.lastApplied(), 1, members),
                        state.toByteArray()));
                storage.write(List.of(), new HardState(1, 0, state.lastApplied()), true);
            }
        }
    }
}
