package io.raftline.api.resp;

import static io.raftline.verify.nemesis.Waits.await;

import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A raw RESP2 client for tests that must see the exact bytes a node answers (pipelines, error texts, refusals before
 * authentication), which a Redis client library would parse away.
 */
public final class RawResp {

    private RawResp() {
    }

    /**
     * Sends {@code request} and collects everything the server answers until it closes the connection or
     * {@code expectedBytes} have arrived.
     *
     * @param vertx         the Vert.x instance to connect with
     * @param hostPort      the node's Redis-protocol address, {@code host:port}
     * @param request       the bytes to send (end with QUIT to have the server close)
     * @param expectedBytes stop after this many bytes ({@link Integer#MAX_VALUE}: until closed)
     * @return the answer as text
     * @throws Exception if the connection fails or nothing ends within 20 s
     */
    public static String exchange(Vertx vertx, String hostPort, String request, int expectedBytes) throws Exception {
        NetClient client = vertx.createNetClient();
        String[] parts = hostPort.split(":");
        NetSocket socket = await(client.connect(Integer.parseInt(parts[1]), parts[0]));
        Buffer received = Buffer.buffer();
        Promise<Void> done = Promise.promise();
        socket.handler(b -> {
            synchronized (received) {
                received.appendBuffer(b);
                if (received.length() >= expectedBytes) {
                    done.tryComplete();
                }
            }
        });
        socket.closeHandler(v -> done.tryComplete());
        socket.write(request);
        await(done.future(), Duration.ofSeconds(20));
        await(socket.close().otherwiseEmpty());
        await(client.close());
        synchronized (received) {
            return received.toString(StandardCharsets.UTF_8);
        }
    }

    /**
     * A command as a RESP array of bulk strings.
     *
     * @param words the command and its arguments
     * @return the request bytes as text
     */
    public static String array(String... words) {
        StringBuilder b = new StringBuilder("*").append(words.length).append("\r\n");
        for (String w : words) {
            b.append(bulk(w));
        }
        return b.toString();
    }

    /**
     * One RESP bulk string.
     *
     * @param s the text
     * @return {@code $<length>\r\n<text>\r\n}
     */
    public static String bulk(String s) {
        return "$" + s.getBytes(StandardCharsets.UTF_8).length + "\r\n" + s + "\r\n";
    }

    /**
     * One line of a reply read from a blocking socket's stream, without its CRLF (or LF).
     *
     * @param in the stream
     * @return the line
     * @throws IOException if the stream ends first
     */
    public static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != '\n') {
            if (c < 0) {
                throw new IOException("closed after " + b);
            }
            b.write(c);
        }
        String s = b.toString(StandardCharsets.US_ASCII);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }
}
