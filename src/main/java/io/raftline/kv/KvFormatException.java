package io.raftline.kv;

/**
 * Thrown when bytes that should hold a command or a snapshot are malformed, truncated, of an
 * unknown format version or fail their checksum.
 *
 * <p>It exists so that callers can tell "these bytes are bad" apart from programming errors:
 * the state machine turns it into a deterministic {@link KvResult.Rejected} result, and snapshot
 * installation turns it into a refusal, without ever catching unrelated runtime exceptions.
 * The message says what was wrong and at which byte offset.
 */
public final class KvFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Offset of the offending byte, or {@code -1} when no single offset applies. */
    private final long offset;

    /**
     * Creates an exception for a problem found at {@code offset}.
     *
     * @param problem what was wrong, without the offset
     * @param offset  byte offset where it was found, or {@code -1} if none applies
     */
    public KvFormatException(String problem, long offset) {
        super(offset >= 0 ? problem + " at offset " + offset : problem);
        this.offset = offset;
    }

    /**
     * Returns the byte offset where the problem was found.
     *
     * @return the offset, or {@code -1} when no single offset applies
     */
    public long offset() {
        return offset;
    }
}
