package io.raftline.shard;

import io.raftline.kv.KvFormatException;
import io.raftline.kv.KvSnapshot;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * The backup of a sharded cluster: the state of every Raft group, one file. A cluster of one group backs up its state
 * machine's snapshot as it is ({@link KvSnapshot}); a sharded cluster has G of them, each at its own revision (a
 * revision is a group's log index), so its backup holds all G, in group order, and a restore seeds each group with its
 * own. Each group's state is consistent on its own (a linearizable read of that group); no transaction spans groups, so
 * there is nothing a cut across groups would have to keep together.
 *
 * <p>Format (big-endian): {@code "RLKG"}, u8 format version (1), u32 number of groups, then per group u64 length and
 * that many bytes of a {@link KvSnapshot} (each checked by its own CRC), then a CRC32C of everything before it.
 */
public final class GroupBackup {

    private static final byte[] MAGIC = "RLKG".getBytes(StandardCharsets.US_ASCII);
    private static final int FORMAT_VERSION = 1;

    private GroupBackup() {
    }

    /**
     * Whether {@code head} (a file's first bytes) starts a backup of a sharded cluster.
     *
     * @param head at least the first 4 bytes of the file
     * @return true for this format
     */
    public static boolean isGroupBackup(byte[] head) {
        return head.length >= MAGIC.length && Arrays.equals(head, 0, MAGIC.length, MAGIC, 0, MAGIC.length);
    }

    /**
     * Writes the states of all groups, group 0 first. Each group's state is serialized in memory before it is written
     * (its length comes first): the memory of one group's state, not of the whole key space.
     *
     * @param groups every group's state, in group order
     * @param out    where to write (not closed)
     * @throws IOException if writing fails
     */
    public static void writeTo(List<KvSnapshot> groups, OutputStream out) throws IOException {
        CRC32C crc = new CRC32C();
        DataOutputStream data = new DataOutputStream(new CheckedOutputStream(out, crc));
        data.write(MAGIC);
        data.writeByte(FORMAT_VERSION);
        data.writeInt(groups.size());
        for (KvSnapshot s : groups) {
            ByteArrayOutputStream one = new ByteArrayOutputStream();
            s.writeTo(one);
            data.writeLong(one.size());
            one.writeTo(data);
        }
        data.flush();
        new DataOutputStream(out).writeInt((int) crc.getValue());
        out.flush();
    }

    /**
     * Reads and checks a backup of a sharded cluster whole (format, every group's snapshot, the final checksum, nothing
     * after it).
     *
     * @param in the file's bytes
     * @return every group's state, in group order
     * @throws KvFormatException if the bytes are not such a backup, or are damaged
     * @throws IOException       if reading fails
     */
    public static List<KvSnapshot> readFrom(InputStream in) throws IOException {
        CRC32C crc = new CRC32C();
        DataInputStream data = new DataInputStream(new CheckedInputStream(in, crc));
        try {
            byte[] magic = data.readNBytes(MAGIC.length);
            if (!isGroupBackup(magic)) {
                throw new KvFormatException("not a backup of a sharded cluster (bad magic)", -1);
            }
            int version = data.readUnsignedByte();
            if (version != FORMAT_VERSION) {
                throw new KvFormatException("unsupported format version " + version + " of a sharded backup", -1);
            }
            int count = data.readInt();
            if (count < 2 || count > io.raftline.config.RaftlineConfig.MAX_GROUPS) {
                throw new KvFormatException("a sharded backup of " + count + " groups (must be 2.."
                        + io.raftline.config.RaftlineConfig.MAX_GROUPS + ")", -1);
            }
            List<KvSnapshot> groups = new ArrayList<>(count);
            for (int g = 0; g < count; g++) {
                long length = data.readLong();
                if (length <= 0 || length > Integer.MAX_VALUE - 8) {
                    throw new KvFormatException("group " + g + "'s state has an impossible length " + length, -1);
                }
                byte[] bytes = data.readNBytes((int) length);
                if (bytes.length != length) {
                    throw new KvFormatException("the backup ends inside group " + g + "'s state", -1);
                }
                try {
                    groups.add(KvSnapshot.readFrom(bytes));
                } catch (KvFormatException e) {
                    throw new KvFormatException("group " + g + "'s state: " + e.getMessage(), -1);
                }
            }
            int expected = (int) crc.getValue();
            int stored = new DataInputStream(in).readInt();
            if (stored != expected) {
                throw new KvFormatException("checksum mismatch: the backup is damaged", -1);
            }
            if (in.read() != -1) {
                throw new KvFormatException("bytes after the end of the backup", -1);
            }
            return groups;
        } catch (EOFException e) {
            throw new KvFormatException("the backup is truncated", -1);
        }
    }

    /**
     * The {@code Raft-Revision} of a sharded backup: the groups' revisions in group order, comma-separated.
     *
     * @param revisions each group's revision, in group order
     * @return e.g. {@code 12,40,7}
     */
    public static String revisionHeader(List<Long> revisions) {
        return String.join(",", revisions.stream().map(String::valueOf).toList());
    }

    /**
     * The state hash of a sharded state: the one {@code GET /v1/state-hash} of a sharded node reports when its groups
     * have applied exactly these states ({@link ReplicaSet#digest()}).
     *
     * @param groups every group's state, in group order
     * @return 64 hex digits
     */
    public static String stateHash(List<KvSnapshot> groups) {
        List<ReplicaSet.GroupHash> hashes = new ArrayList<>(groups.size());
        for (KvSnapshot s : groups) {
            hashes.add(new ReplicaSet.GroupHash(s.lastApplied(), s.stateHashHex()));
        }
        return ReplicaSet.combinedHash(hashes);
    }
}
