package io.raftline.transport;

import io.raftline.raft.Entry;
import io.raftline.raft.EntryType;
import io.raftline.raft.SerializationException;
import io.raftline.raft.Membership;
import io.raftline.raft.Snapshot;
import io.raftline.raft.SnapshotMetadata;
import io.raftline.raft.message.AppendRequest;
import io.raftline.raft.message.AppendResponse;
import io.raftline.raft.message.Heartbeat;
import io.raftline.raft.message.HeartbeatResponse;
import io.raftline.raft.message.Keepalive;
import io.raftline.raft.message.Message;
import io.raftline.raft.message.ReadIndexRequest;
import io.raftline.raft.message.ReadIndexResponse;
import io.raftline.raft.message.SnapshotRequest;
import io.raftline.raft.message.TimeoutNow;
import io.raftline.raft.message.VoteRequest;
import io.raftline.raft.message.VoteResponse;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The compact binary form of a Raft {@link Message}, for transports that cross a process boundary (the
 * clustered event bus). Inside one JVM {@link RaftMessageCodec} passes the record itself and this class is
 * not used, but both paths carry exactly the same values, which the round-trip tests check.
 *
 * <h2>Layout, version 3 (version 1 had no config entries and no snapshot learners, version 2 no addresses)</h2>
 * All integers are big-endian and fixed width.
 * <pre>
 * version      u8   3
 * tag          u8   1 VoteRequest, 2 VoteResponse, 3 AppendRequest, 4 AppendResponse, 5 Heartbeat,
 *                   6 HeartbeatResponse, 7 SnapshotRequest, 8 TimeoutNow, 9 ReadIndexRequest,
 *                   10 ReadIndexResponse, 11 Heartbeat that quiesces the group (same body as 5),
 *                   12 Keepalive (a node's sign of life while groups are quiet; term 0)
 * from i32, to i32, term i64
 * VoteRequest:       lastLogIndex i64, lastLogTerm i64, flags u8 (bit 0 preVote, bit 1 transfer)
 * VoteResponse:      flags u8 (bit 0 granted, bit 1 preVote)
 * AppendRequest:     prevLogIndex i64, prevLogTerm i64, leaderCommit i64, count i32, count × entry
 *   entry:           index i64, term i64, type u8 (0 normal, 1 noop, 2 config), length i32, data
 * AppendResponse:    rejected u8 (0/1), index i64, hintIndex i64, hintTerm i64
 * Heartbeat:         commit i64, context i64
 * HeartbeatResponse: context i64
 * SnapshotRequest:   index i64, term i64, voterCount i32, voters i32..., learnerCount i32, learners i32...,
 *                    addressCount i32, addressCount × (id i32, length u16, UTF-8), length i32, data
 * TimeoutNow:        nothing more
 * ReadIndexRequest:  context i64
 * ReadIndexResponse: context i64, index i64
 * Keepalive:         nothing more
 * </pre>
 * A batch ({@link #encodeBatch}: everything one send has for one peer) is one frame of the same version:
 * <pre>
 * version      u8   3
 * tag          u8   0 (batch; never the tag of a single message)
 * count        i32  at least 1
 * count × (length i32, one message as above)
 * </pre>
 * Nothing may follow the last field. Any violation (unknown version or tag, a length past the end, a flag
 * bit that is not defined, trailing bytes, a value a record refuses) is a {@link SerializationException}:
 * a peer that sends garbage must never crash the receiver.
 */
public final class RaftWireFormat {

    /** The layout version written in the first byte. */
    public static final int VERSION = 3;

    /** The wire code of an entry type: fixed numbers, never the enum's ordinal. */
    static int typeCode(EntryType type) {
        return switch (type) {
            case NORMAL -> 0;
            case NOOP -> 1;
            case CONFIG -> 2;
        };
    }

    private static final int TAG_BATCH = 0;
    private static final int TAG_VOTE_REQUEST = 1;
    private static final int TAG_VOTE_RESPONSE = 2;
    private static final int TAG_APPEND_REQUEST = 3;
    private static final int TAG_APPEND_RESPONSE = 4;
    private static final int TAG_HEARTBEAT = 5;
    private static final int TAG_HEARTBEAT_RESPONSE = 6;
    private static final int TAG_SNAPSHOT_REQUEST = 7;
    private static final int TAG_TIMEOUT_NOW = 8;
    private static final int TAG_READ_INDEX_REQUEST = 9;
    private static final int TAG_READ_INDEX_RESPONSE = 10;
    /** Tags 11 and 12 came with quiescing; an ordinary heartbeat keeps tag 5, byte for byte as before. */
    private static final int TAG_HEARTBEAT_QUIESCE = 11;
    private static final int TAG_KEEPALIVE = 12;

    private static final int HEADER_BYTES = 1 + 1 + 4 + 4 + 8;
    private static final int ENTRY_HEADER_BYTES = 8 + 8 + 1 + 4;

    private RaftWireFormat() {
    }

    /**
     * Encodes a message.
     *
     * @param m the message
     * @return its bytes in this {@link #VERSION}
     */
    public static byte[] encode(Message m) {
        ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES + bodySize(m));
        b.put((byte) VERSION).put((byte) tag(m)).putInt(m.from()).putInt(m.to()).putLong(m.term());
        if (m instanceof VoteRequest v) {
            b.putLong(v.lastLogIndex()).putLong(v.lastLogTerm()).put((byte) ((v.preVote() ? 1 : 0) | (v.transfer() ? 2 : 0)));
        } else if (m instanceof VoteResponse v) {
            b.put((byte) ((v.granted() ? 1 : 0) | (v.preVote() ? 2 : 0)));
        } else if (m instanceof AppendRequest a) {
            b.putLong(a.prevLogIndex()).putLong(a.prevLogTerm()).putLong(a.leaderCommit()).putInt(a.entries().size());
            for (Entry e : a.entries()) {
                b.putLong(e.index()).putLong(e.term()).put((byte) typeCode(e.type()))
                        .putInt(e.data().length).put(e.data());
            }
        } else if (m instanceof AppendResponse a) {
            b.put((byte) (a.rejected() ? 1 : 0)).putLong(a.index()).putLong(a.hintIndex()).putLong(a.hintTerm());
        } else if (m instanceof Heartbeat h) {
            b.putLong(h.commit()).putLong(h.context());
        } else if (m instanceof HeartbeatResponse h) {
            b.putLong(h.context());
        } else if (m instanceof SnapshotRequest s) {
            Snapshot snap = s.snapshot();
            b.putLong(snap.index()).putLong(snap.term()).putInt(snap.metadata().voters().size());
            for (int voter : snap.metadata().voters()) {
                b.putInt(voter);
            }
            b.putInt(snap.metadata().learners().size());
            for (int learner : snap.metadata().learners()) {
                b.putInt(learner);
            }
            Membership.putAddresses(b, snap.metadata().addresses());
            b.putInt(snap.data().length).put(snap.data());
        } else if (m instanceof ReadIndexRequest r) {
            b.putLong(r.context());
        } else if (m instanceof ReadIndexResponse r) {
            b.putLong(r.context()).putLong(r.index());
        }
        // TimeoutNow has no body.
        return b.array();
    }

    /**
     * Decodes bytes written by {@link #encode}.
     *
     * @param bytes the whole message, nothing before or after it
     * @return the message
     * @throws SerializationException if the bytes are not a valid message of this {@link #VERSION}
     */
    public static Message decode(byte[] bytes) {
        Reader r = new Reader(bytes);
        checkVersion(r, "version", "");
        int tag = r.u8("tag");
        int from = r.i32("from");
        int to = r.i32("to");
        long term = r.i64("term");
        Message m;
        try {
            m = switch (tag) {
                case TAG_VOTE_REQUEST -> {
                    long lastIndex = r.i64("lastLogIndex");
                    long lastTerm = r.i64("lastLogTerm");
                    int flags = r.flags("VoteRequest flags", 3);
                    yield new VoteRequest(from, to, term, lastIndex, lastTerm, (flags & 1) != 0, (flags & 2) != 0);
                }
                case TAG_VOTE_RESPONSE -> {
                    int flags = r.flags("VoteResponse flags", 3);
                    yield new VoteResponse(from, to, term, (flags & 1) != 0, (flags & 2) != 0);
                }
                case TAG_APPEND_REQUEST -> {
                    long prevIndex = r.i64("prevLogIndex");
                    long prevTerm = r.i64("prevLogTerm");
                    long commit = r.i64("leaderCommit");
                    int count = r.count("entry count", ENTRY_HEADER_BYTES);
                    List<Entry> entries = new ArrayList<>(count);
                    for (int i = 0; i < count; i++) {
                        long index = r.i64("entry index");
                        long entryTerm = r.i64("entry term");
                        int type = r.u8("entry type");
                        byte[] data = r.bytes("entry data");
                        entries.add(new Entry(index, entryTerm, entryType(type, r), data));
                    }
                    yield new AppendRequest(from, to, term, prevIndex, prevTerm, entries, commit);
                }
                case TAG_APPEND_RESPONSE -> new AppendResponse(from, to, term, r.flags("rejected", 1) == 1,
                        r.i64("index"), r.i64("hintIndex"), r.i64("hintTerm"));
                case TAG_HEARTBEAT, TAG_HEARTBEAT_QUIESCE -> new Heartbeat(from, to, term, r.i64("commit"),
                        r.i64("context"), tag == TAG_HEARTBEAT_QUIESCE);
                case TAG_KEEPALIVE -> {
                    if (term != 0) {
                        throw new SerializationException("a keepalive carries no term, got " + term);
                    }
                    yield new Keepalive(from, to);
                }
                case TAG_HEARTBEAT_RESPONSE -> new HeartbeatResponse(from, to, term, r.i64("context"));
                case TAG_SNAPSHOT_REQUEST -> {
                    long index = r.i64("snapshot index");
                    long snapTerm = r.i64("snapshot term");
                    int voterCount = r.count("voter count", 4);
                    List<Integer> voters = new ArrayList<>(voterCount);
                    for (int i = 0; i < voterCount; i++) {
                        voters.add(r.i32("voter"));
                    }
                    int learnerCount = r.count("learner count", 4);
                    List<Integer> learners = new ArrayList<>(learnerCount);
                    for (int i = 0; i < learnerCount; i++) {
                        learners.add(r.i32("learner"));
                    }
                    Map<Integer, String> addresses = r.addresses();
                    byte[] data = r.bytes("snapshot data");
                    yield new SnapshotRequest(from, to, term,
                            new Snapshot(new SnapshotMetadata(index, snapTerm, voters, learners, addresses), data));
                }
                case TAG_TIMEOUT_NOW -> new TimeoutNow(from, to, term);
                case TAG_READ_INDEX_REQUEST -> new ReadIndexRequest(from, to, term, r.i64("context"));
                case TAG_READ_INDEX_RESPONSE -> new ReadIndexResponse(from, to, term, r.i64("context"), r.i64("index"));
                default -> throw new SerializationException("unknown raft message tag " + tag);
            };
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new SerializationException("invalid raft message field: " + e.getMessage(), e);
        }
        if (r.remaining() != 0) {
            throw new SerializationException(r.remaining() + " unexpected trailing bytes after a "
                    + m.kind().displayName());
        }
        return m;
    }

    /**
     * Encodes several messages as one batch frame.
     *
     * @param messages the messages, at least one
     * @return the batch frame, in this {@link #VERSION}
     */
    public static byte[] encodeBatch(List<Message> messages) {
        if (messages.isEmpty()) {
            throw new IllegalArgumentException("a batch carries at least one message");
        }
        List<byte[]> encoded = new ArrayList<>(messages.size());
        int size = 1 + 1 + 4;
        for (Message m : messages) {
            byte[] one = encode(m);
            encoded.add(one);
            size += 4 + one.length;
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        b.put((byte) VERSION).put((byte) TAG_BATCH).putInt(encoded.size());
        for (byte[] one : encoded) {
            b.putInt(one.length).put(one);
        }
        return b.array();
    }

    /**
     * Decodes a frame written by {@link #encodeBatch}.
     *
     * @param bytes the whole frame, nothing before or after it
     * @return the messages, in order
     * @throws SerializationException if the frame, or any message in it, is not valid in this {@link #VERSION}
     */
    public static List<Message> decodeBatch(byte[] bytes) {
        Reader r = new Reader(bytes);
        checkVersion(r, "batch version", " in a batch");
        int tag = r.u8("batch tag");
        if (tag != TAG_BATCH) {
            throw new SerializationException("not a raft batch frame: tag " + tag);
        }
        // Each message is at least its length and a header.
        int count = r.count("batch message count", 4 + HEADER_BYTES);
        if (count == 0) {
            throw new SerializationException("empty raft batch");
        }
        List<Message> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            try {
                out.add(decode(r.bytes("batch message " + i)));
            } catch (SerializationException e) {
                throw new SerializationException("message " + i + " of " + count + " in a raft batch: "
                        + e.getMessage(), e);
            }
        }
        if (r.remaining() != 0) {
            throw new SerializationException(r.remaining() + " unexpected trailing bytes after a raft batch of "
                    + count);
        }
        return out;
    }

    /** Reads the version byte and refuses any but {@link #VERSION}; {@code where} ends the message. */
    private static void checkVersion(Reader r, String field, String where) {
        int version = r.u8(field);
        if (version != VERSION) {
            throw new SerializationException("unknown raft wire format version " + version + where + " (expected "
                    + VERSION + ")");
        }
    }

    private static int tag(Message m) {
        if (m instanceof VoteRequest) {
            return TAG_VOTE_REQUEST;
        } else if (m instanceof VoteResponse) {
            return TAG_VOTE_RESPONSE;
        } else if (m instanceof AppendRequest) {
            return TAG_APPEND_REQUEST;
        } else if (m instanceof AppendResponse) {
            return TAG_APPEND_RESPONSE;
        } else if (m instanceof Heartbeat h) {
            return h.quiesce() ? TAG_HEARTBEAT_QUIESCE : TAG_HEARTBEAT;
        } else if (m instanceof Keepalive) {
            return TAG_KEEPALIVE;
        } else if (m instanceof HeartbeatResponse) {
            return TAG_HEARTBEAT_RESPONSE;
        } else if (m instanceof SnapshotRequest) {
            return TAG_SNAPSHOT_REQUEST;
        } else if (m instanceof TimeoutNow) {
            return TAG_TIMEOUT_NOW;
        } else if (m instanceof ReadIndexRequest) {
            return TAG_READ_INDEX_REQUEST;
        } else {
            return TAG_READ_INDEX_RESPONSE;
        }
    }

    private static int bodySize(Message m) {
        if (m instanceof VoteRequest) {
            return 17;
        } else if (m instanceof VoteResponse) {
            return 1;
        } else if (m instanceof AppendRequest a) {
            int n = 28;
            for (Entry e : a.entries()) {
                n += ENTRY_HEADER_BYTES + e.data().length;
            }
            return n;
        } else if (m instanceof AppendResponse) {
            return 25;
        } else if (m instanceof Heartbeat) {
            return 16;
        } else if (m instanceof HeartbeatResponse) {
            return 8;
        } else if (m instanceof SnapshotRequest s) {
            SnapshotMetadata meta = s.snapshot().metadata();
            return 24 + 4 * meta.voters().size() + 4 * meta.learners().size()
                    + Membership.addressesBytes(meta.addresses()) + 4 + s.snapshot().data().length;
        } else if (m instanceof TimeoutNow || m instanceof Keepalive) {
            return 0;
        } else if (m instanceof ReadIndexRequest) {
            return 8;
        } else {
            return 16;
        }
    }

    /** Bounds-checked reads that name the field that ran past the end. */
    private static EntryType entryType(int code, Reader r) {
        return switch (code) {
            case 0 -> EntryType.NORMAL;
            case 1 -> EntryType.NOOP;
            case 2 -> EntryType.CONFIG;
            default -> throw new SerializationException("invalid entry type " + code + " at offset "
                    + (r.b.position() - 1));
        };
    }

    private static final class Reader {
        private final ByteBuffer b;

        Reader(byte[] bytes) {
            this.b = ByteBuffer.wrap(bytes);
        }

        int remaining() {
            return b.remaining();
        }

        private void need(int n, String field) {
            if (b.remaining() < n) {
                throw new SerializationException("truncated raft message: " + field + " needs " + n
                        + " bytes at offset " + b.position() + ", " + b.remaining() + " left");
            }
        }

        int u8(String field) {
            need(1, field);
            return b.get() & 0xff;
        }

        int flags(String field, int allowed) {
            int v = u8(field);
            if ((v & ~allowed) != 0) {
                throw new SerializationException("invalid " + field + " " + v + " at offset " + (b.position() - 1));
            }
            return v;
        }

        int i32(String field) {
            need(4, field);
            return b.getInt();
        }

        long i64(String field) {
            need(8, field);
            return b.getLong();
        }

        /** A count of items of at least {@code minItemBytes} each: it cannot exceed what is left. */
        int count(String field, int minItemBytes) {
            int n = i32(field);
            if (n < 0 || (long) n * minItemBytes > b.remaining()) {
                throw new SerializationException("invalid " + field + " " + n + " with " + b.remaining()
                        + " bytes left");
            }
            return n;
        }

        /** Member addresses as {@link Membership#putAddresses} writes them. */
        Map<Integer, String> addresses() {
            return Membership.readAddresses(b);
        }

        byte[] bytes(String field) {
            int n = i32(field + " length");
            if (n < 0) {
                throw new SerializationException("negative " + field + " length " + n);
            }
            need(n, field);
            byte[] out = new byte[n];
            b.get(out);
            return out;
        }
    }
}
