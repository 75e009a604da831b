package io.raftline.verify;

import java.util.Locale;

/**
 * What a client asked the store to do, one constant per kind of HTTP request the checker models.
 *
 * <p>The set mirrors Raftline's key-value API so that a recorded history maps one request to one
 * operation. {@link #CAS} is a {@link #PUT} with an {@code ifRevision} precondition; it is a kind
 * of its own because its outcome (applied or 412) carries information a plain put's does not.
 */
public enum OpKind {
    /** {@code PUT /v1/kv/{key}} without a precondition: writes the value. */
    PUT,
    /** {@code GET /v1/kv/{key}} with linearizable consistency: reads the value and its revision. */
    GET,
    /** {@code DELETE /v1/kv/{key}}: removes the key, answering how many keys it removed. */
    DELETE,
    /** {@code PUT /v1/kv/{key}?ifRevision=R}: writes only if the key's revision is {@code R}. */
    CAS;

    /**
     * Returns the lower-case name used in NDJSON histories, such as {@code "put"}.
     *
     * @return the wire name
     */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Returns the kind whose {@link #wireName()} is {@code name}.
     *
     * @param name a wire name such as {@code "cas"}
     * @return the kind
     * @throws IllegalArgumentException if no kind has that name
     */
    public static OpKind fromWireName(String name) {
        for (OpKind kind : values()) {
            if (kind.wireName().equals(name)) {
                return kind;
            }
        }
        throw new IllegalArgumentException("unknown operation kind \"" + name
                + "\" (expected put, get, delete or cas)");
    }
}
