package io.raftline.verify.nemesis;

import io.raftline.verify.OpKind;
import io.raftline.verify.Operation;
import io.raftline.verify.Value;
import java.util.Objects;

/**
 * One key-value request as a client sends it over HTTP.
 *
 * @param kind             put, cas, get or delete
 * @param key              the key
 * @param value            what a put or cas writes, else {@code null}
 * @param expectedRevision the cas precondition ({@code ?ifRevision=}), {@link Operation#UNCONDITIONAL} otherwise
 * @param consistency      for a get: {@code linearizable}, {@code lease} or {@code stale}
 * @param idempotencyKey   the {@code Idempotency-Key} header of a write (every attempt of one logical write sends
 *                         the same), or {@code null}
 */
public record KvRequest(OpKind kind, String key, Value value, long expectedRevision, String consistency,
                        String idempotencyKey) {

    /**
     * Checks the fields.
     *
     * @param kind             the kind
     * @param key              the key
     * @param value            the value written, or null
     * @param expectedRevision the precondition
     * @param consistency      the read consistency
     * @param idempotencyKey   the idempotency key, or null
     */
    public KvRequest {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(consistency, "consistency");
    }

    /**
     * Whether the request may change the store.
     *
     * @return true for put, cas and delete
     */
    public boolean isWrite() {
        return kind != OpKind.GET;
    }

    /**
     * How the request is named in the statistics of how requests ended.
     *
     * @return the kind, e.g. {@code put}, with the consistency of a read that is not linearizable, e.g.
     *         {@code get lease}
     */
    public String statsName() {
        return kind == OpKind.GET && !consistency.equals("linearizable") ? kind.wireName() + " " + consistency
                : kind.wireName();
    }

    /**
     * The path and query of the request.
     *
     * @return for example {@code /v1/kv/k1.0?ifRevision=12}
     */
    public String uri() {
        String path = "/v1/kv/" + key;
        return switch (kind) {
            case CAS -> path + "?ifRevision=" + expectedRevision;
            case GET -> consistency.equals("linearizable") ? path : path + "?consistency=" + consistency;
            default -> path;
        };
    }
}
