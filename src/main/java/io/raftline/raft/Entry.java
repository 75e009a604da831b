package io.raftline.raft;

import java.util.Arrays;
import java.util.Objects;

/**
 * One entry of the replicated log.
 *
 * <p>The data is owned by the entry once created: callers must not mutate the array they pass in
 * or get back. {@link #equals} compares the data by content so logs can be compared in tests.
 *
 * @param index position in the log, starting at 1
 * @param term  term of the leader that created the entry
 * @param type  what the entry carries
 * @param data  the payload (empty for {@link EntryType#NOOP}, an encoded {@link Membership} for
 *              {@link EntryType#CONFIG})
 */
public record Entry(long index, long term, EntryType type, byte[] data) {

    private static final byte[] EMPTY = new byte[0];

    /** Fixed per-entry overhead used when sizing messages and batches. */
    public static final int OVERHEAD_BYTES = 24;

    public Entry {
        Objects.requireNonNull(type, "type");
        data = data == null ? EMPTY : data;
        if (index < 1) {
            throw new IllegalArgumentException("entry index must be >= 1, got " + index);
        }
        if (term < 1) {
            throw new IllegalArgumentException("entry term must be >= 1, got " + term);
        }
    }

    /** A client entry. */
    public static Entry normal(long index, long term, byte[] data) {
        return new Entry(index, term, EntryType.NORMAL, data);
    }

    /** The empty entry a new leader appends in its term. */
    public static Entry noop(long index, long term) {
        return new Entry(index, term, EntryType.NOOP, EMPTY);
    }

    /** A membership change: {@code membership} takes effect when this entry is appended. */
    public static Entry config(long index, long term, Membership membership) {
        return new Entry(index, term, EntryType.CONFIG, membership.encode());
    }

    /** Approximate size used for the byte limits of messages and Ready batches. */
    public long sizeBytes() {
        return OVERHEAD_BYTES + data.length;
    }

    /** Short form used in logs and scenario files: {@code 7@2:data}, {@code 7@2:noop} or {@code 7@2:config{...}}. */
    public String describe() {
        return switch (type) {
            case NOOP -> index + "@" + term + ":noop";
            case CONFIG -> index + "@" + term + ":config{" + describeConfig() + "}";
            default -> index + "@" + term + ":" + printable(data);
        };
    }

    private String describeConfig() {
        try {
            return Membership.decode(data).toString();
        } catch (SerializationException e) {
            return "malformed";
        }
    }

    private static String printable(byte[] data) {
        StringBuilder sb = new StringBuilder(Math.min(data.length, 16) + 2);
        int n = Math.min(data.length, 16);
        for (int i = 0; i < n; i++) {
            int c = data[i] & 0xff;
            sb.append(c >= 0x21 && c < 0x7f ? (char) c : '.');
        }
        if (data.length > n) {
            sb.append("…");
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Entry e && e.index == index && e.term == term && e.type == type
                && Arrays.equals(e.data, data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(index, term, type) * 31 + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "Entry[" + describe() + "]";
    }
}
