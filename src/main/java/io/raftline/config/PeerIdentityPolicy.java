package io.raftline.config;

import io.raftline.raft.ConfigException;

/**
 * What a peer's certificate must say for its Raft messages to be accepted ({@code security.peer_identity}). It exists
 * because the shared certificate of older trials ({@code bin/tls-ca.sh DIR} without {@code --node}) names no node: a
 * cluster that still uses it must say so explicitly, since any holder of it can then speak for any member.
 */
public enum PeerIdentityPolicy {
    /** The certificate must name the node id a message claims as its sender (the default). */
    NODE("node"),
    /** A certificate that names no node speaks for any member; one that names nodes still speaks only for those. */
    ANY_MEMBER("any_member");

    private final String configName;

    PeerIdentityPolicy(String configName) {
        this.configName = configName;
    }

    /**
     * The name in the configuration.
     *
     * @return {@code node} or {@code any_member}
     */
    public String configName() {
        return configName;
    }

    /**
     * Reads a configured value.
     *
     * @param field the field, for the error
     * @param value the value
     * @return the policy
     * @throws ConfigException naming the field and the allowed values
     */
    public static PeerIdentityPolicy parse(String field, String value) {
        for (PeerIdentityPolicy p : values()) {
            if (p.configName.equals(value)) {
                return p;
            }
        }
        throw new ConfigException(field, "must be \"node\" (a peer's certificate must name the node it sends for) or"
                + " \"any_member\" (a certificate naming no node may send for any member), got \"" + value + "\"");
    }
}
