package io.raftline.config;

/**
 * How a node keeps its log. {@code durable} (the default) writes a checksummed WAL and snapshot files under
 * each node's {@code data_dir} and survives {@code kill -9}; {@code memory} keeps everything in the JVM,
 * which is faster and useful for demos and tests but loses all data when the process exits.
 *
 * @param engine       {@code durable} or {@code memory}
 * @param segmentBytes WAL segment size before a new file is started
 */
public record StorageConfig(String engine, long segmentBytes) {

    /** Durable, 64 MiB segments. */
    public static final StorageConfig DEFAULT = new StorageConfig("durable", 64L * 1024 * 1024);

    /** Whether the log is written to disk. */
    public boolean durable() {
        return "durable".equals(engine);
    }
}
