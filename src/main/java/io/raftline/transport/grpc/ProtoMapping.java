package io.raftline.transport.grpc;

import com.google.protobuf.UnsafeByteOperations;
import io.raftline.proto.raft.RaftEnvelope;
import io.raftline.proto.raft.SnapshotHeader;
import io.raftline.raft.Entry;
import io.raftline.raft.EntryType;
import io.raftline.raft.SerializationException;
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
import java.util.ArrayList;
import java.util.List;

/**
 * Maps the core's message records to and from the protobuf messages of {@code raft.proto}. VoteRequests travel
 * on the RequestVote RPC, snapshots on the streaming InstallSnapshot RPC, and every other message in a
 * {@link RaftEnvelope} on AppendEntries; on the Stream RPC every message except snapshots travels in an envelope
 * (VoteRequests included), several to a {@link io.raftline.proto.raft.RaftBatch}. Decoding validates what protobuf cannot (ids and indexes in range)
 * and reports bad input as {@link SerializationException}.
 *
 * <p>The Raft group of a message (multi-Raft) travels once, in the outermost message of its call (the batch, the
 * envelope of AppendEntries, the VoteRequest of RequestVote, the snapshot header); group 0 is never written, so its
 * encoding is what it was before groups. Decoding refuses a group field nested where the outer one counts (it
 * would let one message name two groups); whether a group is served is the receiver's business, not the mapping's.
 */
public final class ProtoMapping {

    private ProtoMapping() {
    }

    /** The RequestVote payload. */
    public static io.raftline.proto.raft.VoteRequest toProto(VoteRequest m) {
        return io.raftline.proto.raft.VoteRequest.newBuilder().setFrom(m.from()).setTo(m.to()).setTerm(m.term())
                .setLastLogIndex(m.lastLogIndex()).setLastLogTerm(m.lastLogTerm()).setPreVote(m.preVote())
                .setTransfer(m.transfer()).build();
    }

    public static VoteRequest fromProto(io.raftline.proto.raft.VoteRequest p) {
        return new VoteRequest(id(p.getFrom()), id(p.getTo()), nonNegative(p.getTerm()), nonNegative(p.getLastLogIndex()),
                nonNegative(p.getLastLogTerm()), p.getPreVote(), p.getTransfer());
    }

    /**
     * One frame of the Stream RPC.
     *
     * @param seq      the batch's number on its stream
     * @param messages the messages, none a SnapshotRequest
     * @return the frame
     */
    public static io.raftline.proto.raft.RaftBatch toBatch(long seq, List<Message> messages) {
        return toBatch(seq, 0, messages);
    }

    /**
     * One frame of the Stream RPC for one Raft group: the group travels in the frame, once for all its messages.
     *
     * @param seq      the batch's number on its stream
     * @param group    the Raft group of every message, 0 to write no group field (what a group-0 frame always was)
     * @param messages the messages, none a SnapshotRequest
     * @return the frame
     */
    public static io.raftline.proto.raft.RaftBatch toBatch(long seq, int group, List<Message> messages) {
        io.raftline.proto.raft.RaftBatch.Builder b = io.raftline.proto.raft.RaftBatch.newBuilder().setSeq(seq)
                .setGroup(group);
        for (Message m : messages) {
            b.addMessages(toEnvelope(m));
        }
        return b.build();
    }

    /**
     * Decodes every message of a Stream frame, in order.
     *
     * @param p the frame
     * @return its messages, at least one
     * @throws SerializationException if the frame is empty, any message does not decode, or an envelope names a
     *                                group of its own (the frame's group is the group of all its messages)
     */
    public static List<Message> fromBatch(io.raftline.proto.raft.RaftBatch p) {
        if (p.getMessagesCount() == 0) {
            throw new SerializationException("empty Raft batch " + p.getSeq());
        }
        List<Message> out = new ArrayList<>(p.getMessagesCount());
        for (int i = 0; i < p.getMessagesCount(); i++) {
            try {
                RaftEnvelope e = p.getMessages(i);
                if (e.getGroup() != 0) {
                    throw new SerializationException("the envelope names group " + Integer.toUnsignedString(e.getGroup())
                            + " inside a batch (the batch's group, " + Integer.toUnsignedString(p.getGroup())
                            + ", is the group of all its messages)");
                }
                out.add(fromEnvelope(e));
            } catch (SerializationException e) {
                throw new SerializationException("message " + i + " of " + p.getMessagesCount() + " in batch "
                        + p.getSeq() + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    /** Any message except SnapshotRequest, wrapped for the AppendEntries or Stream RPC. */
    public static RaftEnvelope toEnvelope(Message m) {
        RaftEnvelope.Builder b = RaftEnvelope.newBuilder();
        if (m instanceof AppendRequest a) {
            io.raftline.proto.raft.AppendRequest.Builder ab = io.raftline.proto.raft.AppendRequest.newBuilder()
                    .setFrom(a.from()).setTo(a.to()).setTerm(a.term()).setPrevLogIndex(a.prevLogIndex())
                    .setPrevLogTerm(a.prevLogTerm()).setLeaderCommit(a.leaderCommit());
            for (Entry e : a.entries()) {
                ab.addEntries(toProto(e));
            }
            b.setAppend(ab);
        } else if (m instanceof VoteRequest v) {
            b.setVote(toProto(v));
        } else if (m instanceof AppendResponse r) {
            b.setAppendResponse(io.raftline.proto.raft.AppendResponse.newBuilder().setFrom(r.from()).setTo(r.to())
                    .setTerm(r.term()).setRejected(r.rejected()).setIndex(r.index()).setHintIndex(r.hintIndex())
                    .setHintTerm(r.hintTerm()));
        } else if (m instanceof Heartbeat h) {
            b.setHeartbeat(io.raftline.proto.raft.Heartbeat.newBuilder().setFrom(h.from()).setTo(h.to())
                    .setTerm(h.term()).setCommit(h.commit()).setContext(h.context()).setQuiesce(h.quiesce()));
        } else if (m instanceof Keepalive k) {
            b.setKeepalive(io.raftline.proto.raft.Keepalive.newBuilder().setFrom(k.from()).setTo(k.to()));
        } else if (m instanceof HeartbeatResponse h) {
            b.setHeartbeatResponse(io.raftline.proto.raft.HeartbeatResponse.newBuilder().setFrom(h.from())
                    .setTo(h.to()).setTerm(h.term()).setContext(h.context()));
        } else if (m instanceof VoteResponse v) {
            b.setVoteResponse(io.raftline.proto.raft.VoteResponse.newBuilder().setFrom(v.from()).setTo(v.to())
                    .setTerm(v.term()).setGranted(v.granted()).setPreVote(v.preVote()));
        } else if (m instanceof TimeoutNow t) {
            b.setTimeoutNow(io.raftline.proto.raft.TimeoutNow.newBuilder().setFrom(t.from()).setTo(t.to())
                    .setTerm(t.term()));
        } else if (m instanceof ReadIndexRequest r) {
            b.setReadIndex(io.raftline.proto.raft.ReadIndexRequest.newBuilder().setFrom(r.from()).setTo(r.to())
                    .setTerm(r.term()).setContext(r.context()));
        } else if (m instanceof ReadIndexResponse r) {
            b.setReadIndexResponse(io.raftline.proto.raft.ReadIndexResponse.newBuilder().setFrom(r.from())
                    .setTo(r.to()).setTerm(r.term()).setContext(r.context()).setIndex(r.index()));
        } else {
            throw new IllegalArgumentException(m.kind() + " does not travel in an envelope");
        }
        return b.build();
    }

    public static Message fromEnvelope(RaftEnvelope p) {
        switch (p.getMessageCase()) {
            case APPEND -> {
                var a = p.getAppend();
                List<Entry> entries = new ArrayList<>(a.getEntriesCount());
                for (var e : a.getEntriesList()) {
                    entries.add(fromProto(e));
                }
                return new AppendRequest(id(a.getFrom()), id(a.getTo()), nonNegative(a.getTerm()),
                        nonNegative(a.getPrevLogIndex()), nonNegative(a.getPrevLogTerm()), entries,
                        nonNegative(a.getLeaderCommit()));
            }
            case APPEND_RESPONSE -> {
                var r = p.getAppendResponse();
                return new AppendResponse(id(r.getFrom()), id(r.getTo()), nonNegative(r.getTerm()), r.getRejected(),
                        nonNegative(r.getIndex()), nonNegative(r.getHintIndex()), nonNegative(r.getHintTerm()));
            }
            case HEARTBEAT -> {
                var h = p.getHeartbeat();
                return new Heartbeat(id(h.getFrom()), id(h.getTo()), nonNegative(h.getTerm()), nonNegative(h.getCommit()),
                        nonNegative(h.getContext()), h.getQuiesce());
            }
            case KEEPALIVE -> {
                var k = p.getKeepalive();
                return new Keepalive(id(k.getFrom()), id(k.getTo()));
            }
            case HEARTBEAT_RESPONSE -> {
                var h = p.getHeartbeatResponse();
                return new HeartbeatResponse(id(h.getFrom()), id(h.getTo()), nonNegative(h.getTerm()),
                        nonNegative(h.getContext()));
            }
            case VOTE_RESPONSE -> {
                var v = p.getVoteResponse();
                return new VoteResponse(id(v.getFrom()), id(v.getTo()), nonNegative(v.getTerm()), v.getGranted(),
                        v.getPreVote());
            }
            case TIMEOUT_NOW -> {
                var t = p.getTimeoutNow();
                return new TimeoutNow(id(t.getFrom()), id(t.getTo()), nonNegative(t.getTerm()));
            }
            case READ_INDEX -> {
                var r = p.getReadIndex();
                return new ReadIndexRequest(id(r.getFrom()), id(r.getTo()), nonNegative(r.getTerm()),
                        nonNegative(r.getContext()));
            }
            case READ_INDEX_RESPONSE -> {
                var r = p.getReadIndexResponse();
                return new ReadIndexResponse(id(r.getFrom()), id(r.getTo()), nonNegative(r.getTerm()),
                        nonNegative(r.getContext()), nonNegative(r.getIndex()));
            }
            case VOTE -> {
                if (p.getVote().getGroup() != 0) {
                    throw new SerializationException("the VoteRequest names group "
                            + Integer.toUnsignedString(p.getVote().getGroup()) + " inside an envelope (the"
                            + " envelope's or its batch's group counts)");
                }
                return fromProto(p.getVote());
            }
            default -> throw new SerializationException("empty or unknown Raft envelope: " + p.getMessageCase());
        }
    }

    /** The header sent in the first InstallSnapshot chunk, of a group-0 snapshot (no group field). */
    public static SnapshotHeader header(SnapshotRequest m) {
        return header(m, 0);
    }

    /**
     * The header sent in the first InstallSnapshot chunk: the group tells the receiver which of its replicas
     * installs the snapshot.
     *
     * @param m     the InstallSnapshot message
     * @param group its Raft group, 0 to write no group field
     * @return the header
     */
    public static SnapshotHeader header(SnapshotRequest m, int group) {
        Snapshot s = m.snapshot();
        return SnapshotHeader.newBuilder().setGroup(group).setFrom(m.from()).setTo(m.to()).setTerm(m.term())
                .setIndex(s.index())
                .setSnapshotTerm(s.term()).addAllVoters(s.metadata().voters()).addAllLearners(s.metadata().learners())
                .putAllAddresses(s.metadata().addresses()).setTotalBytes(s.data().length).build();
    }

    /** Rebuilds the InstallSnapshot message once all chunks arrived. */
    public static SnapshotRequest snapshotRequest(SnapshotHeader h, byte[] data) {
        if (data.length != h.getTotalBytes()) {
            throw new SerializationException("snapshot " + h.getIndex() + " announced " + h.getTotalBytes()
                    + " bytes but " + data.length + " arrived");
        }
        List<Integer> voters = new ArrayList<>();
        for (int v : h.getVotersList()) {
            voters.add(id(v));
        }
        List<Integer> learners = new ArrayList<>();
        for (int l : h.getLearnersList()) {
            learners.add(id(l));
        }
        java.util.Map<Integer, String> addresses = new java.util.TreeMap<>();
        h.getAddressesMap().forEach((id, url) -> addresses.put(id(id), url));
        try {
            return new SnapshotRequest(id(h.getFrom()), id(h.getTo()), nonNegative(h.getTerm()),
                    new Snapshot(new SnapshotMetadata(nonNegative(h.getIndex()), nonNegative(h.getSnapshotTerm()),
                            voters, learners, addresses), data));
        } catch (IllegalArgumentException e) {
            throw new SerializationException("snapshot header: " + e.getMessage(), e);
        }
    }

    static io.raftline.proto.raft.Entry toProto(Entry e) {
        return io.raftline.proto.raft.Entry.newBuilder().setIndex(e.index()).setTerm(e.term())
                .setType(switch (e.type()) {
                    case NORMAL -> io.raftline.proto.raft.Entry.Type.NORMAL;
                    case NOOP -> io.raftline.proto.raft.Entry.Type.NOOP;
                    case CONFIG -> io.raftline.proto.raft.Entry.Type.CONFIG;
                })
                // An entry owns its data and nobody mutates it (Entry): wrapped, not copied once per peer and message.
                .setData(UnsafeByteOperations.unsafeWrap(e.data())).build();
    }

    static Entry fromProto(io.raftline.proto.raft.Entry p) {
        EntryType type = switch (p.getType()) {
            case NORMAL -> EntryType.NORMAL;
            case NOOP -> EntryType.NOOP;
            case CONFIG -> EntryType.CONFIG;
            default -> throw new SerializationException("unknown entry type " + p.getTypeValue());
        };
        try {
            return new Entry(p.getIndex(), p.getTerm(), type, p.getData().toByteArray());
        } catch (IllegalArgumentException e) {
            throw new SerializationException("bad entry: " + e.getMessage(), e);
        }
    }

    private static int id(int v) {
        if (v <= 0) {
            throw new SerializationException("node id must be > 0, got " + Integer.toUnsignedString(v));
        }
        return v;
    }

    private static long nonNegative(long v) {
        if (v < 0) {
            throw new SerializationException("index or term out of range: " + Long.toUnsignedString(v));
        }
        return v;
    }
}
