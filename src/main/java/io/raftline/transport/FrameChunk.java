package io.raftline.transport;

/**
 * One piece of a large frame on a clustered event bus. The bus writes every message between two processes on one
 * connection, whole, in order: a frame of tens of MiB (an entry of a large MSET, a snapshot) held back every
 * heartbeat behind it for longer than an election timeout, and the follower's event-bus reader grew its buffer to the
 * frame's size a few MiB at a time. {@link EventBusTransport} cuts such a frame into chunks it hands to the bus one at
 * a time, so messages sent meanwhile (heartbeats, votes, answers) travel between them; the peer's consumer puts the
 * chunks of a transfer together and hands the frame on as if it had come whole.
 *
 * @param from     the sending node
 * @param to       the receiving node
 * @param transfer the sender's number for the frame, the same in all its chunks
 * @param index    this chunk's place, from 0
 * @param count    how many chunks the frame has, at least 1
 * @param total    the frame's length in bytes
 * @param bytes    this chunk's part of the frame (the {@link GroupBatchesCodec} frame of one group's messages)
 */
public record FrameChunk(int from, int to, long transfer, int index, int count, int total, byte[] bytes) {

    /**
     * Validates the numbers.
     *
     * @param from     the sending node
     * @param to       the receiving node
     * @param transfer the sender's number for the frame
     * @param index    in 0..count-1
     * @param count    at least 1
     * @param total    at least the chunk's length
     * @param bytes    not null
     */
    public FrameChunk {
        if (count < 1 || index < 0 || index >= count) {
            throw new IllegalArgumentException("chunk " + index + " of " + count);
        }
        if (bytes == null || total < bytes.length) {
            throw new IllegalArgumentException("a chunk of a frame of " + total + " bytes");
        }
    }
}
