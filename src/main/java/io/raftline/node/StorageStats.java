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
 */
public record StorageStats(String engine, boolean failed, long fsyncs, long entriesWritten, long walBytes) {

    /** The stats of a store that keeps nothing on disk. */
    public static final StorageStats MEMORY = new StorageStats("memory", false, 0, 0, 0);
}
