package io.raftline.api.resp;

/**
 * What one client connection has told the server about itself, as Redis keeps it per client: the protocol it asked
 * for with HELLO, its name, whether it has authenticated (with {@code AUTH} or {@code HELLO ... AUTH}), the keys it
 * watches and the transaction it is queuing between MULTI and EXEC, and whether it asked to quit. Only the
 * connection's event loop touches it.
 */
final class RespSession {

    private final long id;
    private final String address;
    private int protocol = 2;
    private String name = "";
    private String library = "";
    private boolean quitting;
    private boolean authenticated;
    private RespTransaction transaction;
    /** The keys WATCH named, with the revision of each as it read it (0: absent), in order. */
    private final java.util.Map<String, Long> watched = new java.util.LinkedHashMap<>();

    RespSession(long id, String address, boolean authenticated) {
        this.id = id;
        this.address = address;
        this.authenticated = authenticated;
    }

    boolean authenticated() {
        return authenticated;
    }

    void authenticate() {
        this.authenticated = true;
    }

    long id() {
        return id;
    }

    String address() {
        return address;
    }

    int protocol() {
        return protocol;
    }

    void protocol(int version) {
        this.protocol = version;
    }

    String name() {
        return name;
    }

    void name(String clientName) {
        this.name = clientName;
    }

    String library() {
        return library;
    }

    void library(String lib) {
        this.library = lib;
    }

    /**
     * The keys WATCH named since the last EXEC, DISCARD or UNWATCH: EXEC runs the transaction only if none of them
     * was written since.
     */
    java.util.Map<String, Long> watched() {
        return watched;
    }

    /** The transaction the client is queuing (it sent MULTI, and no EXEC or DISCARD since), or null. */
    RespTransaction transaction() {
        return transaction;
    }

    /**
     * Begins or ends a transaction.
     *
     * @param tx the transaction MULTI began, or null once EXEC or DISCARD ended it
     */
    void transaction(RespTransaction tx) {
        this.transaction = tx;
    }

    boolean quitting() {
        return quitting;
    }

    void quit() {
        this.quitting = true;
    }
}
