package io.raftline.transport;

import io.raftline.raft.message.Message;
import java.util.List;

/**
 * Everything a node of a sharded cluster has for one peer across its Raft groups, gathered while its replicas were
 * busy: one event-bus message for the lot instead of one per group's Ready. Within one JVM {@link GroupBatchesCodec}
 * passes this record through; on a clustered bus it is one frame of per-group {@link RaftWireFormat#encodeBatch batch
 * frames}. The receiver hands each group's messages to that group's replica, in order.
 *
 * @param parts one entry per send of a group's replica, in the order they were sent (a group may appear twice)
 */
public record GroupBatches(List<Part> parts) {

    /**
     * One group's messages.
     *
     * @param group    the group, at least 0
     * @param messages at least one, in the order the replica sent them
     */
    public record Part(int group, List<Message> messages) {

        /**
         * Validates and freezes the list.
         *
         * @param group    at least 0
         * @param messages at least one
         */
        public Part {
            if (group < 0) {
                throw new IllegalArgumentException("group must be >= 0, got " + group);
            }
            messages = List.copyOf(messages);
            if (messages.isEmpty()) {
                throw new IllegalArgumentException("a group's part carries at least one message");
            }
        }
    }

    /**
     * Validates and freezes the list.
     *
     * @param parts at least one
     */
    public GroupBatches {
        parts = List.copyOf(parts);
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("a frame carries at least one group's messages");
        }
    }
}
