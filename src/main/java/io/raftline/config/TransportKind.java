package io.raftline.config;

import io.raftline.raft.ConfigException;
import java.util.Locale;

/**
 * How Raft messages travel between nodes, chosen by the top-level {@code "transport"} field.
 *
 * <ul>
 *   <li>{@code eventbus} (the default): the Vert.x event bus, local inside one JVM, clustered (Hazelcast) when
 *       nodes run in separate processes.</li>
 *   <li>{@code grpc}: {@code raft.proto}'s RaftService over HTTP/2, on each node's client port (the same port as
 *       its HTTP API). Separate processes then need no cluster manager at all.</li>
 * </ul>
 */
public enum TransportKind {
    /** The Vert.x event bus (local or clustered). */
    EVENTBUS("eventbus"),
    /** gRPC over each node's client port. */
    GRPC("grpc");

    private final String configName;

    TransportKind(String configName) {
        this.configName = configName;
    }

    /**
     * The name used in the configuration file.
     *
     * @return {@code eventbus} or {@code grpc}
     */
    public String configName() {
        return configName;
    }

    /**
     * Parses the configuration value.
     *
     * @param field the field's path, for the message
     * @param value the text
     * @return the transport
     * @throws ConfigException if the text names no transport
     */
    public static TransportKind parse(String field, String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        for (TransportKind k : values()) {
            if (k.configName.equals(v)) {
                return k;
            }
        }
        throw new ConfigException(field, "must be \"eventbus\" or \"grpc\", got \"" + value + "\"");
    }
}
