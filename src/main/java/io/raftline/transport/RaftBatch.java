package io.raftline.transport;

import io.raftline.raft.message.Message;
import java.util.List;

/**
 * Everything one {@link Transport#sendAll} sends to one peer, as one event-bus message: one frame, one delivery
 * and one handler call instead of one per Raft message. The receiver hands the messages to its node in this
 * order. Within one JVM {@link RaftBatchCodec} passes this record through; on a clustered bus it is written as
 * one {@link RaftWireFormat#encodeBatch batch frame}.
 *
 * @param messages the messages, at least one, in the order they were sent
 */
public record RaftBatch(List<Message> messages) {

    /**
     * Validates and freezes the list.
     *
     * @param messages the messages, at least one, none null
     */
    public RaftBatch {
        messages = List.copyOf(messages);
        if (messages.isEmpty()) {
            throw new IllegalArgumentException("a batch carries at least one message");
        }
    }
}
