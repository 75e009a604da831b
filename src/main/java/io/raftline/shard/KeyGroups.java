package io.raftline.shard;

import io.raftline.kv.KvCommand;
import java.nio.charset.StandardCharsets;

/**
 * Which Raft group owns a key: the stable map of a sharded cluster ({@code "groups": G}).
 *
 * <p>A key belongs to group {@code FNV-1a-64(UTF-8 bytes of the key) mod G} (unsigned). The hash is the 64-bit
 * Fowler-Noll-Vo 1a function (offset basis {@code 0xcbf29ce484222325}, prime {@code 0x100000001b3}): simple, fast,
 * well spread over short keys, and defined by its constants, so every node, every version and every client library
 * computes the same group for the same key. G is fixed when the cluster is created (a node refuses to start on data
 * made with another G): changing it would move almost every key. Hashing spreads the load of any key pattern, and in
 * exchange a prefix listing asks every group.
 *
 * <p>Keys that must change together (a transaction) must be in one group; {@link #groupOf(KvCommand)} says which, or
 * that there is none.
 *
 * @param count how many groups, at least 1
 */
public record KeyGroups(int count) {

    /** The map of a cluster of one group: every key in group 0. */
    public static final KeyGroups ONE = new KeyGroups(1);

    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    /**
     * Validates the count.
     *
     * @param count at least 1
     */
    public KeyGroups {
        if (count < 1) {
            throw new IllegalArgumentException("groups must be >= 1, got " + count);
        }
    }

    /**
     * The group that owns a key.
     *
     * @param key the key
     * @return 0 to {@code count - 1}
     */
    public int groupOf(String key) {
        if (count == 1) {
            return 0;
        }
        return (int) Long.remainderUnsigned(fnv1a64(key.getBytes(StandardCharsets.UTF_8)), count);
    }

    /**
     * The group that owns every key a write touches.
     *
     * @param command the write
     * @return the group, or -1 if its keys belong to more than one group (a transaction across groups)
     */
    public int groupOf(KvCommand command) {
        if (count == 1) {
            return 0;
        }
        int group = -1;
        for (String key : command.keys()) {
            int g = groupOf(key);
            if (group >= 0 && g != group) {
                return -1;
            }
            group = g;
        }
        return Math.max(group, 0);
    }

    /**
     * The 64-bit FNV-1a hash of some bytes.
     *
     * @param bytes the bytes
     * @return the hash
     */
    static long fnv1a64(byte[] bytes) {
        long h = FNV_OFFSET;
        for (byte b : bytes) {
            h ^= b & 0xff;
            h *= FNV_PRIME;
        }
        return h;
    }
}
