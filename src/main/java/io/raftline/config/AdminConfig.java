package io.raftline.config;

/**
 * The admin and UI listener (fault injection, whole-cluster status, the live view).
 *
 * @param host  interface to bind
 * @param port  port (0: any free port)
 * @param token bearer token that lets non-loopback clients in; empty means loopback only
 */
public record AdminConfig(String host, int port, String token) {

    /**
     * Never prints the token (a record's own {@code toString} would, and with it every configuration printed whole).
     *
     * @return the settings, the token masked
     */
    @Override
    public String toString() {
        return "AdminConfig[host=" + host + ", port=" + port + ", token=" + (token == null || token.isEmpty() ? "none"
                : "set") + "]";
    }
}
