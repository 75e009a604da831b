package io.raftline.config;

import io.raftline.raft.ConfigException;

/**
 * Whether key-value clients authenticate with a certificate ({@code tls.client_auth}). It exists as the alternative to
 * the bearer client token for deployments that manage identities with a CA rather than shared secrets: a client
 * certificate the cluster CA signed proves the client at the TLS handshake, before any byte of a request is read, and
 * never travels as a reusable secret (docs/security.md, "Client certificates").
 */
public enum ClientCertAuth {
    /** No client certificates: {@code security.client_token} decides, as before (the default). */
    NONE("none", io.vertx.core.http.ClientAuth.NONE),
    /**
     * The handshake asks for a certificate: a client with one the CA signed is let in by it; one without must present
     * {@code security.client_token}; one with a certificate of another CA fails the handshake.
     */
    REQUEST("request", io.vertx.core.http.ClientAuth.REQUEST),
    /** The handshake fails without a certificate the CA signed, whatever token the client has. */
    REQUIRED("required", io.vertx.core.http.ClientAuth.REQUIRED);

    private final String configName;
    private final io.vertx.core.http.ClientAuth handshake;

    ClientCertAuth(String configName, io.vertx.core.http.ClientAuth handshake) {
        this.configName = configName;
        this.handshake = handshake;
    }

    /**
     * The name in the configuration.
     *
     * @return {@code none}, {@code request} or {@code required}
     */
    public String configName() {
        return configName;
    }

    /**
     * What the client ports' TLS handshake asks of a client.
     *
     * @return the Vert.x setting
     */
    public io.vertx.core.http.ClientAuth handshake() {
        return handshake;
    }

    /**
     * Whether a verified client certificate authenticates a key-value client.
     *
     * @return true unless {@link #NONE}
     */
    public boolean enabled() {
        return this != NONE;
    }

    /**
     * Reads a configured value.
     *
     * @param field the field, for the error
     * @param value the value
     * @return the setting
     * @throws ConfigException naming the field and the allowed values
     */
    public static ClientCertAuth parse(String field, String value) {
        for (ClientCertAuth c : values()) {
            if (c.configName.equals(value)) {
                return c;
            }
        }
        throw new ConfigException(field, "must be \"none\" (no client certificates), \"request\" (a certificate the CA"
                + " signed, or security.client_token) or \"required\" (a certificate the CA signed, always), got \""
                + value + "\"");
    }
}
