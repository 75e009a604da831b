package io.raftline.node;

/**
 * What a node's log store has done, for the status API and the benchmark: comparing {@code fsyncs} with the
 * number of writes acknowledged shows group commit at work (many client writes per fsync).
 *
 * @param engine         {@code durable} or {@code memory}
 * @param failed         a write failed and the store accepts nothing more (fail-stop)
 * @param fsyncs         fsyncs issued since the store was opened
 * @param entriesWritten log entries written since the store was opened
 * @param walBytes       bytes of write-ahead log on disk
 * @param slowWrites     Raft log writes (a Ready's) that took 100 ms or more, as the node's host counted them: a disk
 *                       that stalls (every node's at once, when they share one) shows here before it shows anywhere
 * @param failure        why the store failed (a WAL write or fsync, or a snapshot file it could not write), null if
 *                       it did not
 */
public record StorageStats(String engine, boolean failed, long fsyncs, long entriesWritten, long walBytes,
        long slowWrites, String failure) {

    /** The stats of a store that keeps nothing on disk. */
    public static final StorageStats MEMORY = new StorageStats("memory", false, 0, 0, 0);

    /** Stats as a store knows them (the slow writes are the host's to count). */
    public StorageStats(String engine, boolean failed, long fsyncs, long entriesWritten, long walBytes) {
        this(engine, failed, fsyncs, entriesWritten, walBytes, 0, null);
    }

    /** Stats as a store knows them, with the reason it failed (null if it did not). */
    public StorageStats(String engine, boolean failed, long fsyncs, long entriesWritten, long walBytes,
            String failure) {
        this(engine, failed, fsyncs, entriesWritten, walBytes, 0, failure);
    }

    /** These stats with the host's count of slow writes. */
    public StorageStats withSlowWrites(long count) {
        return new StorageStats(engine, failed, fsyncs, entriesWritten, walBytes, count, failure);
    }
}
