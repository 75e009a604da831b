package io.raftline.transport;

/**
 * An authenticated event-bus frame from a process configured with another number of Raft groups than the receiver's
 * ({@link GroupCountCheck}): thrown by the codec instead of handing the frame over, so that the transport's consumer
 * refuses it before any of it reaches a node. It carries the decoded frame, so that the consumer can name the sender
 * and report each message dropped.
 */
public final class GroupCountMismatchException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** The count the frame carried. */
    private final int theirs;
    /** The decoded frame (a message, a batch, a frame of groups or a chunk); not serialized with the exception. */
    private final transient Object frame;

    /**
     * A refused frame.
     *
     * @param theirs the count the frame carried
     * @param own    the receiver's
     * @param frame  the decoded frame
     */
    GroupCountMismatchException(int theirs, int own, Object frame) {
        super("a frame of a process with \"groups\": " + theirs + " where this one has " + own, null, false, false);
        this.theirs = theirs;
        this.frame = frame;
    }

    /**
     * The sender's number of groups.
     *
     * @return the count its frame carried
     */
    public int theirs() {
        return theirs;
    }

    /**
     * What the frame held.
     *
     * @return the decoded value of the codec that refused it
     */
    Object frame() {
        return frame;
    }
}
