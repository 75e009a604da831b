package io.raftline;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * Speaks HTTP/1.1 over a plain socket, for requests a regular client will not send: any {@code Host}, oversized
 * request lines, half bodies, methods no client knows. Reads the whole answer (the request asks the server to close).
 */
public final class RawHttp {

    /** A status code and a body. */
    public record Answer(int status, String head, String body) {
    }

    private RawHttp() {
    }

    /**
     * Sends {@code head} (request line and headers, without the blank line), a {@code Connection: close} header, and
     * {@code body}, and reads the answer until the server closes.
     */
    public static Answer send(URI base, String head, byte[] body) throws IOException {
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout(15_000);
            String full = head + "\r\nConnection: close\r\n" + (body == null ? "" : "Content-Length: " + body.length
                    + "\r\n") + "\r\n";
            socket.getOutputStream().write(full.getBytes(StandardCharsets.ISO_8859_1));
            if (body != null) {
                socket.getOutputStream().write(body);
            }
            socket.getOutputStream().flush();
            return read(socket.getInputStream());
        }
    }

    /**
     * Sends {@code request} exactly as given (request line, headers, blank line and body, nothing added), and reads
     * the answer until the server closes; for bodies a client library will not frame wrongly, such as a chunked body
     * with a malformed chunk.
     */
    public static Answer exchange(URI base, String request) throws IOException {
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout(15_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            return read(socket.getInputStream());
        }
    }

    public static Answer read(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        int n;
        while ((n = in.read(buf)) >= 0) {
            out.write(buf, 0, n);
        }
        String text = out.toString(StandardCharsets.ISO_8859_1);
        int split = text.indexOf("\r\n\r\n");
        String head = split < 0 ? text : text.substring(0, split);
        String body = split < 0 ? "" : text.substring(split + 4);
        int status = head.startsWith("HTTP/1.") ? Integer.parseInt(head.substring(9, 12)) : -1;
        return new Answer(status, head, body);
    }
}
