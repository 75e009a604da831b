package io.raftline.raft;

/**
 * A configuration value breaks a rule. The message always names the field and the rule, for example
 * {@code election_timeout_min_ms: must be at least 2 × heartbeat_ms (200), got 150}.
 */
public final class ConfigException extends RaftException {

    private static final long serialVersionUID = 1L;
    private final String field;

    public ConfigException(String field, String rule) {
        super(field + ": " + rule);
        this.field = field;
    }

    /** The offending field, as named in the JSON configuration. */
    public String field() {
        return field;
    }
}
