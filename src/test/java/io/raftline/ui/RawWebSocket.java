package io.raftline.ui;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A WebSocket client on a plain socket, for tests of clients that do not read: it reads nothing unless asked (a
 * library client reads whatever arrives), and its receive buffer is small, so what it leaves unread stays on the
 * server's side instead of in the kernel.
 */
final class RawWebSocket implements AutoCloseable {

    /** One message the server sent: its opcode (1 text, 2 binary, 8 close) and payload. */
    record Frame(int opcode, byte[] payload) {

        String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        /** The close code of a close frame, or -1. */
        int closeCode() {
            return opcode == 8 && payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : -1;
        }
    }

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;

    /**
     * Opens a WebSocket on {@code path} of a loopback port.
     *
     * @param port the server's port
     * @param path the path, e.g. {@code /eventbus/websocket}
     * @throws IOException if the server does not upgrade the connection
     */
    RawWebSocket(int port, String path) throws IOException {
        socket = new Socket();
        socket.setReceiveBufferSize(4096); // before connecting, so that the window is small from the start
        socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
        socket.setSoTimeout(10_000);
        out = socket.getOutputStream();
        in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 512));
        out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("the server closed the connection during the upgrade: " + head);
            }
            head.append((char) b);
        }
        if (!head.toString().startsWith("HTTP/1.1 101")) {
            throw new IOException("not upgraded: " + head);
        }
    }

    /**
     * Sends one text message (masked, as a client must).
     *
     * @param text the message
     * @throws IOException if the connection is gone
     */
    void send(String text) throws IOException {
        byte[] payload = text.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream f = new ByteArrayOutputStream(payload.length + 14);
        f.write(0x81);
        if (payload.length < 126) {
            f.write(0x80 | payload.length);
        } else if (payload.length < 65536) {
            f.write(0x80 | 126);
            f.write(payload.length >>> 8);
            f.write(payload.length & 0xff);
        } else {
            throw new IllegalArgumentException("message too long for this client");
        }
        byte[] mask = {0x12, 0x34, 0x56, 0x78};
        f.write(mask, 0, 4);
        for (int i = 0; i < payload.length; i++) {
            f.write(payload[i] ^ mask[i & 3]);
        }
        out.write(f.toByteArray());
        out.flush();
    }

    /**
     * Reads the next message, joining fragments.
     *
     * @return the message, or null at the end of the stream
     * @throws IOException if reading fails (a timeout included)
     */
    Frame next() throws IOException {
        ByteArrayOutputStream message = new ByteArrayOutputStream();
        int opcode = -1;
        while (true) {
            int b0 = in.read();
            if (b0 < 0) {
                return null;
            }
            int b1 = in.readUnsignedByte();
            long len = b1 & 0x7f;
            if (len == 126) {
                len = in.readUnsignedShort();
            } else if (len == 127) {
                len = in.readLong();
            }
            if ((b1 & 0x80) != 0) {
                in.readInt(); // a server does not mask, but skip a mask if there is one
            }
            byte[] payload = new byte[Math.toIntExact(len)];
            in.readFully(payload);
            int op = b0 & 0x0f;
            if (op == 9 || op == 10) {
                continue; // ping, pong
            }
            if (op != 0) {
                opcode = op;
            }
            message.write(payload, 0, payload.length);
            if ((b0 & 0x80) != 0 || op == 8) {
                return new Frame(opcode, message.toByteArray());
            }
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
