package io.raftline.config;

/**
 * The admin and UI listener (fault injection, whole-cluster status, the live view).
 *
 * @param host       interface to bind
 * @param port       port (0: any free port)
 * @param token      bearer token that lets non-loopback clients in; empty means loopback only
 * @param hideValues leave values out of the live view's event stream and recordings (keys and value lengths stay):
 *                   for deployments whose data the people watching the cluster must not read
 */
public record AdminConfig(String host, int port, String token, boolean hideValues) {

    /**
     * A listener whose event stream shows values.
     *
     * @param host  interface to bind
     * @param port  port
     * @param token bearer token, or empty
     */
    public AdminConfig(String host, int port, String token) {
        this(host, port, token, false);
    }
}
