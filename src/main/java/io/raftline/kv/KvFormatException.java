package io.raftline.kv;

/**
 * Thrown when bytes that should hold a command or a snapshot are malformed, truncated, of an
 * unknown format version or fail their checksum.
 *
 * <p>It exists so that callers can tell "these bytes are bad" apart from programming errors:
 * the state machine turns it into a deterministic {@link KvResult.Rejected} result, and snapshot
 * installation turns it into a refusal, without ever catching unrelated runtime exceptions.
 * The message says what was wrong and at which byte offset.
 *
 * <p>Bytes that name a format version, an operation or a condition this release does not know, where a later release
 * may have added one, are {@linkplain #fromNewerRelease() told apart}: a committed entry like that was written by a
 * newer release, and applying it as a rejected entry would make this replica's state differ from the others'.
 */
public final class KvFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Offset of the offending byte, or {@code -1} when no single offset applies. */
    private final long offset;
    /** Whether the bytes name something a later release may have added, rather than being malformed. */
    private final boolean newer;

    /**
     * Creates an exception for a problem found at {@code offset}.
     *
     * @param problem what was wrong, without the offset
     * @param offset  byte offset where it was found, or {@code -1} if none applies
     */
    public KvFormatException(String problem, long offset) {
        this(problem, offset, false);
    }

    private KvFormatException(String problem, long offset, boolean newer) {
        super(offset >= 0 ? problem + " at offset " + offset : problem);
        this.offset = offset;
        this.newer = newer;
    }

    /**
     * Creates an exception for bytes that name a version, operation or condition this release does not know (one a
     * later release may have added).
     *
     * @param problem what was unknown, without the offset
     * @param offset  byte offset where it was found
     * @return the exception
     */
    public static KvFormatException unknownToThisRelease(String problem, long offset) {
        return new KvFormatException(problem, offset, true);
    }

    /**
     * Whether the bytes may be well formed for a later release: they name a format version, an operation or a
     * condition above those this release knows.
     *
     * @return true for bytes a newer release may have written, false for malformed ones
     */
    public boolean fromNewerRelease() {
        return newer;
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
