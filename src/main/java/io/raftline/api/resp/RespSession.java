package io.raftline.api.resp;

/**
 * What one client connection has told the server about itself, as Redis keeps it per client: the protocol it asked
 * for with HELLO, its name, whether it has authenticated (with {@code AUTH} or {@code HELLO ... AUTH}), whether it is
 * inside a refused MULTI and whether it asked to quit. Only the connection's event loop touches it.
 */
final class RespSession {

    private final long id;
    private final String address;
    private int protocol = 2;
    private String name = "";
    private String library = "";
    private boolean quitting;
    private boolean authenticated;
    private boolean refusedMulti;

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
     * Whether the client sent a MULTI, which was refused, and has not ended it with EXEC or DISCARD: the commands it
     * sends meanwhile were meant for a transaction and must not run one by one.
     */
    boolean refusedMulti() {
        return refusedMulti;
    }

    void refusedMulti(boolean inside) {
        this.refusedMulti = inside;
    }

    boolean quitting() {
        return quitting;
    }

    void quit() {
        this.quitting = true;
    }
}
