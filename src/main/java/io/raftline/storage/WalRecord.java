package io.raftline.storage;

import io.raftline.raft.Entry;
import io.raftline.raft.EntryType;
import io.raftline.raft.HardState;
import java.nio.ByteBuffer;

/**
 * What the write-ahead log holds, one record per value. Replaying the records in order rebuilds the log:
 * an {@link EntryRecord} at index {@code i} replaces every entry from {@code i} on (a new leader overwrote
 * them), the last {@link HardStateRecord} wins, a {@link SnapshotRecord} says that entries up to its
 * index live in the snapshot file of that index and may be gone from the log (compaction: the entries after
 * it stay), and a {@link SnapshotInstalledRecord} says that a snapshot received from the leader replaced the
 * whole log (nothing written before it survives past its index).
 *
 * <p>On disk (all big-endian): {@code u32 length | u32 crc32c | u8 type | payload}, where length counts
 * type and payload and the CRC32C covers the segment's salt and then them (in a format 1 segment, them alone:
 * see {@link Wal}). Payloads: entry = {@code i64 index, i64 term, u8 type,
 * i32 dataLength, data} (entry type 0 = normal, 1 = no-op, 2 = membership change: codes only ever added, so an
 * older log always reads; a membership change is an ordinary entry here, recovery finds the membership by reading
 * the log); hard state = {@code i64 term, i32 vote, i64 commit}; snapshot = {@code i64 index,
 * i64 term}; snapshot installed = {@code i64 index, i64 term}; group = {@code u16 group} followed by another
 * record's type and payload (the records of groups 1 and above in a node's shared log, see {@link Tagged}).
 */
public sealed interface WalRecord {

    byte TYPE_ENTRY = 1;
    byte TYPE_HARD_STATE = 2;
    byte TYPE_SNAPSHOT = 3;
    byte TYPE_SNAPSHOT_INSTALLED = 4;
    byte TYPE_GROUP = 5;
    /**
     * The highest record type this version writes and reads. Type 6 is taken: the log's own sync marks
     * ({@code Wal.TYPE_SYNC_MARK}), which no reader of records sees.
     */
    byte MAX_TYPE = TYPE_GROUP;
    /** The highest group a {@link Tagged} record can name (its group field is a u16). */
    int MAX_GROUP = 0xFFFF;

    /** Record header: length and checksum. */
    int HEADER_BYTES = 8;

    /** A log entry. */
    record EntryRecord(Entry entry) implements WalRecord {
    }

    /** The persisted term, vote and commit index. */
    record HardStateRecord(HardState hardState) implements WalRecord {
    }

    /** Compaction: a snapshot of this node's own state at {@code index@term} is durable; earlier entries may be deleted. */
    record SnapshotRecord(long index, long term) implements WalRecord {
    }

    /**
     * A snapshot received from the leader at {@code index@term} is durable and replaced the whole log: the
     * entries written before this record are gone, whatever their index, and the log continues at
     * {@code index + 1}.
     */
    record SnapshotInstalledRecord(long index, long term) implements WalRecord {
    }

    /**
     * A record of Raft group {@code group} (1 and above) in a write-ahead log that several groups of one node share
     * ({@link SharedWal}). Group 0's records are written untagged, so a log of one group is exactly the same bytes
     * whether or not it is shared.
     */
    record Tagged(int group, WalRecord record) implements WalRecord {
        /** Checks the group is in range and the record is not itself tagged. */
        public Tagged {
            if (group < 1 || group > MAX_GROUP) {
                throw new IllegalArgumentException("a tagged record's group must be 1.." + MAX_GROUP + ", got " + group);
            }
            if (record instanceof Tagged) {
                throw new IllegalArgumentException("a tagged record cannot hold another tagged record");
            }
        }
    }

    /** The group a record belongs to: its tag, or 0 for an untagged record. */
    static int groupOf(WalRecord r) {
        return r instanceof Tagged t ? t.group() : 0;
    }

    /** The record without its group tag. */
    static WalRecord untagged(WalRecord r) {
        return r instanceof Tagged t ? t.record() : r;
    }

    /** The on-disk code of an entry type: fixed, whatever the enum's order. */
    static byte entryTypeCode(EntryType t) {
        return switch (t) {
            case NORMAL -> 0;
            case NOOP -> 1;
            case CONFIG -> 2;
        };
    }

    /** The entry type of an on-disk code. */
    static EntryType entryType(int code) {
        return switch (code) {
            case 0 -> EntryType.NORMAL;
            case 1 -> EntryType.NOOP;
            case 2 -> EntryType.CONFIG;
            default -> throw new IllegalArgumentException("bad entry record (unknown entry type " + code + ")");
        };
    }

    /** Size of the type byte and payload. */
    static int bodySize(WalRecord r) {
        if (r instanceof Tagged t) {
            return 1 + 2 + bodySize(t.record());
        } else if (r instanceof EntryRecord e) {
            return 1 + 8 + 8 + 1 + 4 + e.entry().data().length;
        } else if (r instanceof HardStateRecord) {
            return 1 + 8 + 4 + 8;
        }
        return 1 + 8 + 8;
    }

    /** Writes type and payload (not the header). */
    static void writeBody(WalRecord r, ByteBuffer out) {
        if (r instanceof Tagged t) {
            out.put(TYPE_GROUP).putShort((short) t.group());
            writeBody(t.record(), out);
        } else if (r instanceof EntryRecord er) {
            Entry e = er.entry();
            out.put(TYPE_ENTRY).putLong(e.index()).putLong(e.term()).put(entryTypeCode(e.type()))
                    .putInt(e.data().length).put(e.data());
        } else if (r instanceof HardStateRecord hr) {
            HardState h = hr.hardState();
            out.put(TYPE_HARD_STATE).putLong(h.term()).putInt(h.vote()).putLong(h.commit());
        } else if (r instanceof SnapshotRecord s) {
            out.put(TYPE_SNAPSHOT).putLong(s.index()).putLong(s.term());
        } else if (r instanceof SnapshotInstalledRecord s) {
            out.put(TYPE_SNAPSHOT_INSTALLED).putLong(s.index()).putLong(s.term());
        }
    }

    /**
     * Parses a body whose checksum already matched. Throws {@link IllegalArgumentException} if the body is
     * inconsistent (which, behind a valid checksum, means a bug or deliberate damage).
     */
    static WalRecord readBody(ByteBuffer in) {
        byte type = in.get();
        switch (type) {
            case TYPE_ENTRY -> {
                long index = in.getLong();
                long term = in.getLong();
                int t = in.get();
                int len = in.getInt();
                if (len != in.remaining()) {
                    throw new IllegalArgumentException("bad entry record (type " + t + ", length " + len + ")");
                }
                byte[] data = new byte[len];
                in.get(data);
                return new EntryRecord(new Entry(index, term, entryType(t), data));
            }
            case TYPE_HARD_STATE -> {
                return new HardStateRecord(new HardState(in.getLong(), in.getInt(), in.getLong()));
            }
            case TYPE_SNAPSHOT -> {
                return new SnapshotRecord(in.getLong(), in.getLong());
            }
            case TYPE_SNAPSHOT_INSTALLED -> {
                return new SnapshotInstalledRecord(in.getLong(), in.getLong());
            }
            case TYPE_GROUP -> {
                int group = Short.toUnsignedInt(in.getShort());
                if (in.remaining() > 0 && in.get(in.position()) == TYPE_GROUP) {
                    throw new IllegalArgumentException("bad group record (a tagged record inside another)");
                }
                return new Tagged(group, readBody(in.slice()));
            }
            default -> throw new IllegalArgumentException("unknown record type " + type);
        }
    }
}
