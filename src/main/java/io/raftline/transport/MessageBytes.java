package io.raftline.transport;

import io.raftline.raft.Entry;
import io.raftline.raft.message.AppendRequest;
import io.raftline.raft.message.Message;
import io.raftline.raft.message.SnapshotRequest;
import java.util.List;

/**
 * How many bytes Raft messages put on the wire, estimated without encoding them: the entry data of an AppendEntries
 * and the data of a snapshot, plus what the caller counts for each message and each entry besides. Both transports
 * cut what they send by size (the event bus sends large frames in chunks; gRPC cuts a Ready's AppendEntries into
 * frames under the peer's message limit) and each used to keep its own copy of the same walk over the entries, with
 * rules that differed only in these overheads. One walk, with the overheads as parameters, keeps each transport's
 * rule while there is one way to count the payload.
 */
public final class MessageBytes {

    private MessageBytes() {
    }

    /**
     * The estimated bytes of one message.
     *
     * @param m          the message
     * @param perMessage bytes counted for the message itself (0: its payload only)
     * @param perEntry   bytes counted for each entry besides its data (0: the data only)
     * @return {@code perMessage}, plus each entry's data and {@code perEntry}, plus a snapshot's data
     */
    public static long of(Message m, long perMessage, long perEntry) {
        long bytes = perMessage;
        if (m instanceof AppendRequest a) {
            for (Entry e : a.entries()) {
                bytes += e.data().length + perEntry;
            }
        } else if (m instanceof SnapshotRequest s) {
            bytes += s.snapshot().data().length;
        }
        return bytes;
    }

    /**
     * The estimated bytes of several messages: the sum of {@link #of(Message, long, long)} over them.
     *
     * @param messages   the messages
     * @param perMessage bytes counted for each message itself
     * @param perEntry   bytes counted for each entry besides its data
     * @return the sum
     */
    public static long of(List<? extends Message> messages, long perMessage, long perEntry) {
        long bytes = 0;
        for (Message m : messages) {
            bytes += of(m, perMessage, perEntry);
        }
        return bytes;
    }
}
