package io.raftline.api;

/**
 * What a read of several keys needs of each entry: its value, or only whether the key exists and what is known of it
 * without the bytes (the value's length, the revisions). A follower forwards such reads to the leader, and the
 * leader's answer carried every value whatever the command: an EXISTS of 100 keys of 1 MiB on a follower moved 100 MiB
 * through the leader's event loop for 100 bits, blocked it for 21 s and cost it its leadership. Reads that need no
 * value ask for {@link #METADATA}; reads that need the values name the most bytes of values the answer may carry,
 * and the leader sends no more: above it, it answers the metadata alone, before encoding any value
 * ({@link LookupResult#valuesWithheld()}).
 *
 * @param values        whether the values are needed
 * @param maxValueBytes with values, the most bytes of values one answer may carry (each key counted once); the
 *                      leader takes at most {@link KvRequests#MAX_LOOKUP_VALUE_BYTES}
 */
public record Fetch(boolean values, long maxValueBytes) {

    /** The keys' existence, value lengths and revisions, no value. */
    public static final Fetch METADATA = new Fetch(false, 0);

    /**
     * Checks the bound.
     *
     * @param values        whether the values are needed
     * @param maxValueBytes the most bytes of values an answer may carry
     */
    public Fetch {
        if (values && maxValueBytes < 0) {
            throw new IllegalArgumentException("maxValueBytes must be >= 0, was " + maxValueBytes);
        }
        if (!values) {
            maxValueBytes = 0;
        }
    }

    /**
     * The values, up to a bound.
     *
     * @param maxValueBytes the most bytes of values an answer may carry ({@link KvRequests#MAX_LOOKUP_VALUE_BYTES} at
     *                      most is honoured)
     * @return the fetch
     */
    public static Fetch values(long maxValueBytes) {
        return new Fetch(true, Math.min(maxValueBytes, KvRequests.MAX_LOOKUP_VALUE_BYTES));
    }
}
