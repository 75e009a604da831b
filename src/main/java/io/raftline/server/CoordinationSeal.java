package io.raftline.server;

import io.raftline.security.FrameAuthenticator;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * What one process tells the others outside Raft (the network faults every process puts in force, a node fault asked
 * of the process that runs the node), sealed for the clustered event bus and the cluster manager's maps: the message's
 * text and, with {@code security.cluster_secret}, an HMAC-SHA256 tag of it and of the address it is meant for, under a
 * key derived from the secret for these messages alone ({@link FrameAuthenticator#forCoordination}). A message
 * without a valid tag is refused, so a member of the bus or of Hazelcast that does not hold the secret cannot act
 * through these messages, as it cannot send a Raft frame; the address under the tag keeps a message meant for one
 * purpose from being replayed to another. Without a secret the text travels as it is (docs/security.md).
 */
final class CoordinationSeal {

    private final FrameAuthenticator tags;

    /**
     * Creates the seal of one process.
     *
     * @param secret the cluster secret, empty for none
     */
    CoordinationSeal(String secret) {
        this.tags = secret.isEmpty() ? null : FrameAuthenticator.forCoordination(secret);
    }

    /**
     * Seals a message meant for {@code address}.
     *
     * @param address where it goes (or the map key it is recorded under, prefixed as the caller chooses)
     * @param message the message
     * @return {@code {"change": text}}, plus {@code "tag"} with a secret
     */
    String seal(String address, JsonObject message) {
        String payload = message.encode();
        JsonObject sealed = new JsonObject().put("change", payload);
        if (tags != null) {
            sealed.put("tag", Base64.getEncoder().encodeToString(tag(address, payload)));
        }
        return sealed.encode();
    }

    /**
     * Opens a sealed message.
     *
     * @param address where it came (as it was sealed for)
     * @param sealed  what came
     * @return the message
     * @throws IllegalArgumentException if it cannot be read, or (with a secret) its tag is missing or wrong
     */
    JsonObject open(String address, String sealed) {
        JsonObject outer;
        try {
            outer = new JsonObject(sealed);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a sealed message: " + e.getMessage(), e);
        }
        if (!(outer.getValue("change") instanceof String payload)) {
            throw new IllegalArgumentException("not a sealed message: no \"change\" text");
        }
        if (tags != null) {
            Object tag = outer.getValue("tag");
            byte[] given;
            try {
                given = tag instanceof String t ? Base64.getDecoder().decode(t) : null;
            } catch (IllegalArgumentException e) {
                given = null;
            }
            if (given == null || !java.security.MessageDigest.isEqual(tag(address, payload), given)) {
                throw new IllegalArgumentException("without a valid tag of the cluster secret");
            }
        }
        try {
            return new JsonObject(payload);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("its text is not a JSON object: " + e.getMessage(), e);
        }
    }

    private byte[] tag(String address, String payload) {
        return tags.tag(address.getBytes(StandardCharsets.UTF_8), payload.getBytes(StandardCharsets.UTF_8));
    }
}
