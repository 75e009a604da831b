package io.raftline.server;

/**
 * HTTP/2 frames written by hand, for tests that speak to a port below any client library: a client that trickles a
 * preface or a head, or one that asks and never reads.
 */
public final class Http2Frames {

    /** The client connection preface (RFC 9113 §3.4), before the client's first SETTINGS frame. */
    public static final String PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

    private Http2Frames() {
    }

    /**
     * An HTTP/2 frame: its 9-byte header (length, type, flags, stream id), then the payload.
     *
     * @param type    the frame type (1 HEADERS, 4 SETTINGS...)
     * @param flags   the flags
     * @param stream  the stream id (0 for the connection)
     * @param payload the payload
     * @return the frame's bytes
     */
    public static byte[] frame(int type, int flags, int stream, byte[] payload) {
        byte[] f = new byte[9 + payload.length];
        f[0] = (byte) (payload.length >>> 16);
        f[1] = (byte) (payload.length >>> 8);
        f[2] = (byte) payload.length;
        f[3] = (byte) type;
        f[4] = (byte) flags;
        f[5] = (byte) (stream >>> 24);
        f[6] = (byte) (stream >>> 16);
        f[7] = (byte) (stream >>> 8);
        f[8] = (byte) stream;
        System.arraycopy(payload, 0, f, 9, payload.length);
        return f;
    }
}
