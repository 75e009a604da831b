package io.raftline.events;

import io.raftline.raft.ConfigException;

/**
 * How much of the clients' data the event stream may carry ({@code security.event_values}). It exists because the
 * event stream reaches people and places the data itself does not: every browser allowed to watch the live view,
 * every NDJSON recording, and with one node per process every process that relays events. A deployment whose data
 * those viewers must not read hides values (and, if keys are sensitive too, keys); the stream still shows sizes, so
 * the cluster's behaviour stays visible. The redaction is applied where events become JSON ({@link EventJson.Mapper})
 * and again to events relayed from other processes, so no sink sees more than the strictest setting allows.
 */
public enum EventValues {
    /** Keys and values appear in events (the default; the live view of a local demo shows what it writes). */
    SHOW("show"),
    /** Keys appear, values never: only their size in bytes ({@code valueLength}). */
    HIDE("hide"),
    /** Neither keys nor values appear: an operation's kind and its value's size only. */
    HIDE_KEYS("hide_keys");

    private final String configName;

    EventValues(String configName) {
        this.configName = configName;
    }

    /**
     * The name in the configuration.
     *
     * @return {@code show}, {@code hide} or {@code hide_keys}
     */
    public String configName() {
        return configName;
    }

    /**
     * Whether values are left out.
     *
     * @return true for {@link #HIDE} and {@link #HIDE_KEYS}
     */
    public boolean hidesValues() {
        return this != SHOW;
    }

    /**
     * Whether keys are left out.
     *
     * @return true for {@link #HIDE_KEYS}
     */
    public boolean hidesKeys() {
        return this == HIDE_KEYS;
    }

    /**
     * The stricter of two settings.
     *
     * @param other another setting
     * @return the one that hides more
     */
    public EventValues strictest(EventValues other) {
        return other.ordinal() > ordinal() ? other : this;
    }

    /**
     * Reads a configured value.
     *
     * @param field the field, for the error
     * @param value the value
     * @return the setting
     * @throws ConfigException naming the field and the allowed values
     */
    public static EventValues parse(String field, String value) {
        for (EventValues v : values()) {
            if (v.configName.equals(value)) {
                return v;
            }
        }
        throw new ConfigException(field, "must be \"show\" (events carry keys and values), \"hide\" (keys and value"
                + " sizes only) or \"hide_keys\" (value sizes only), got \"" + value + "\"");
    }
}
