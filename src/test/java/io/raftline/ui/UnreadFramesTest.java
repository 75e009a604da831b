package io.raftline.ui;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.events.EventPublisher;
import io.raftline.events.ViewerFeed;
import io.raftline.security.AdminAccess;
import io.raftline.verify.nemesis.Waits;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * What the live view's server keeps for browsers that do not read: the events of a stalled viewer are bounded by its
 * feed (it starts again from a snapshot once it reads), and the bridge's own answers to a client that sends and never
 * reads are bounded too (it is closed). Measured in what the clients get and in the heap, never in time.
 */
class UnreadFramesTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String PATH = "/eventbus/websocket";
    /** The bound on a connection's unread bytes ({@code UiRouter.MAX_UNREAD_BYTES}). */
    private static final long MAX_UNREAD_BYTES = 1L << 20;
    /** The close code of a connection past it ({@code RateLimitedSocket.UNREAD_CLOSE_CODE}). */
    private static final int UNREAD_CLOSE_CODE = 4008;
    private static final String REGISTER = new JsonObject().put("type", "register").put("address",
            EventPublisher.ADDRESS).encode();

    /** A small send buffer: what a client does not read piles up in the server, not in the kernel. */
    private static HttpServerOptions smallSendBuffer() {
        return new HttpServerOptions().setSendBufferSize(16 * 1024);
    }

    private static long usedHeapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /**
     * What a client that stopped sending gets once it reads: the messages, their characters as the server wrote them
     * (a SockJS frame {@code a["…"]} carries them JSON-escaped: a quote takes two bytes on the wire), and how the
     * connection ended.
     */
    private record Read(int messages, long chars, boolean ended, int closeCode) {
    }

    /** The characters of the messages in one SockJS frame ({@code a[...]}), 0 for any other frame. */
    private static long messageChars(byte[] payload) {
        String frame = new String(payload, java.nio.charset.StandardCharsets.UTF_8);
        if (!frame.startsWith("a[")) {
            return 0;
        }
        long chars = 0;
        for (Object m : new io.vertx.core.json.JsonArray(frame.substring(1))) {
            chars += ((String) m).length();
        }
        return chars;
    }

    /** Reads until the server closes the connection, or until nothing more comes for the socket's timeout. */
    private static Read readAll(RawWebSocket ws) {
        int messages = 0;
        long chars = 0;
        try {
            for (RawWebSocket.Frame f = ws.next(); f != null; f = ws.next()) {
                if (f.opcode() == 8) {
                    return new Read(messages, chars, true, f.closeCode());
                }
                messages++;
                chars += messageChars(f.payload());
            }
            return new Read(messages, chars, true, -1);
        } catch (SocketTimeoutException stillOpen) {
            return new Read(messages, chars, false, -1);
        } catch (IOException reset) {
            return new Read(messages, chars, true, -1);
        }
    }

    /**
     * A client without the token sends commands and reads nothing: each is refused with an answer (two frames), and
     * before, every answer was kept for it, so a few megabytes of answers were all there to read once it did, and a
     * client that went on would have filled the server's memory at 50 frames a second per connection. Now the
     * connection is closed once a mebibyte is waiting, and the answers beyond are never kept.
     */
    @Test
    void aClientThatReadsNothingIsClosedInsteadOfHavingItsAnswersKeptWithoutBound() throws Exception {
        int commands = 40_000;
        NodelessLiveView view = new NodelessLiveView(new AdminAccess("secret", false), 1_000_000,
                new ViewerFeed.Options(100), smallSendBuffer());
        try (RawWebSocket ws = new RawWebSocket(view.port(), PATH)) {
            String command = new JsonObject().put("type", "send").put("address", ControlHandler.ADDRESS)
                    .put("replyAddress", "r").put("body", new JsonObject().put("action", "state")).encode();
            try {
                for (int i = 0; i < commands; i++) {
                    ws.send(command);
                }
            } catch (IOException closed) {
                // The server may close the connection before all are sent.
            }
            Read read = readAll(ws);
            // Two answers a command (the refusal on the reply address, the bridge's "rejected"), about 250 bytes: all
            // 80,000, some 10 MB, were there to read before; now what fits in the bound and the kernel's buffers (the
            // server's send buffer, 16 KiB asked, and the client's receive buffer, 4 KiB asked: the kernel doubles
            // both). Counted as the server counts them, in characters of the messages: on the wire SockJS escapes
            // each quote, and measured in bytes of frames a run now and then read 2.19 MB against a bound of 2 MiB.
            assertThat(read.ended()).as("the server closed the connection (%d answers, %d characters read)",
                    read.messages(), read.chars()).isTrue();
            assertThat(read.chars()).as("characters of answers kept for a client that read none (%d answers)",
                    read.messages()).isLessThan(MAX_UNREAD_BYTES + 256 * 1024);
            assertThat(read.messages()).isLessThan(commands);
            if (read.closeCode() != -1) {
                assertThat(read.closeCode()).isEqualTo(UNREAD_CLOSE_CODE);
            }
        } finally {
            view.close();
        }
    }

    /**
     * Fifty viewers register on the events and then read nothing while 10,000 events of 2 KB each are published (20 MB
     * for each of them, a gigabyte in all if it were kept). The heap does not keep it, a viewer that reads gets every
     * event, and a stalled viewer that starts reading gets a few hundred old events and then a snapshot that
     * resynchronises it, not all 10,000. Its connection is not closed: the feed leaves far fewer bytes in flight than
     * the bound on unread bytes.
     */
    @Test
    void stalledViewersCostBoundedMemoryHoldUpNoViewerAndResynchroniseWhenTheyRead() throws Exception {
        int viewers = 50;
        int windows = 200;
        int perWindow = 50;
        NodelessLiveView view = new NodelessLiveView(new AdminAccess("", true), UiRouter.DEFAULT_FRAMES_PER_SECOND,
                new ViewerFeed.Options(10), smallSendBuffer());
        try {
            AtomicBoolean markerSeen = new AtomicBoolean();
            AtomicLong healthyEvents = new AtomicLong();
            RawWebSocket healthy = new RawWebSocket(view.port(), PATH);
            healthy.send(REGISTER);
            Thread reader = new Thread(() -> {
                try {
                    for (RawWebSocket.Frame f = healthy.next(); f != null; f = healthy.next()) {
                        JsonObject e = f.opcode() == 8 ? null : new JsonObject(f.text()).getJsonObject("body");
                        if (e == null) {
                            continue;
                        }
                        healthyEvents.incrementAndGet();
                        JsonObject faults = e.getJsonObject("faults");
                        if (faults != null && faults.getBoolean("marker", false)) {
                            markerSeen.set(true); // a FaultChanged event, or a Snapshot folded after it
                        }
                    }
                } catch (IOException closed) {
                    // The test is over (or failed, which its own assertions report).
                }
            }, "reading viewer");
            reader.setDaemon(true);
            reader.start();

            List<RawWebSocket> stalled = new ArrayList<>();
            try {
                for (int i = 0; i < viewers; i++) {
                    RawWebSocket ws = new RawWebSocket(view.port(), PATH);
                    stalled.add(ws);
                    ws.send(REGISTER);
                }
                // Every viewer's first event says it is registered; from then on the fifty read nothing.
                view.publisher.faultChanged(new JsonObject().put("first", true));
                for (RawWebSocket ws : stalled) {
                    RawWebSocket.Frame f = ws.next();
                    assertThat(f).isNotNull();
                    assertThat(new JsonObject(f.text()).getString("address")).isEqualTo(EventPublisher.ADDRESS);
                }
                Waits.eventually("the reading viewer's first event", TIMEOUT, () -> healthyEvents.get() > 0);
                long before = usedHeapAfterGc();

                String filler = "x".repeat(2000);
                for (int w = 0; w < windows; w++) {
                    for (int i = 0; i < perWindow; i++) {
                        view.publisher.faultChanged(new JsonObject().put("n", w * perWindow + i).put("filler", filler));
                    }
                    await(view.publisher.flushNow(), TIMEOUT);
                }
                view.publisher.faultChanged(new JsonObject().put("marker", true));
                Waits.eventually("the reading viewer got the last event", TIMEOUT, markerSeen::get);
                long grown = usedHeapAfterGc() - before;
                assertThat(grown).as("heap kept for %d stalled viewers of %d MB of events each", viewers,
                        (long) windows * perWindow * 2000 / 1_000_000).isLessThan(64L << 20);

                // One of them reads at last: a bounded backlog, then a resynchronising snapshot.
                RawWebSocket first = stalled.get(0);
                int old = 0;
                JsonObject snapshot = null;
                for (RawWebSocket.Frame f = first.next(); f != null; f = first.next()) {
                    assertThat(f.opcode()).as("a frame of events, not a close").isNotEqualTo(8);
                    JsonObject e = new JsonObject(f.text()).getJsonObject("body");
                    if ("Snapshot".equals(e.getString("type")) && e.getBoolean("resync", false)) {
                        snapshot = e;
                        break;
                    }
                    old++;
                }
                assertThat(snapshot).as("a resynchronising snapshot").isNotNull();
                assertThat(old).as("old events a stalled viewer still got").isLessThan(windows * perWindow / 4);
            } finally {
                healthy.close();
                for (RawWebSocket ws : stalled) {
                    ws.close();
                }
            }
        } finally {
            view.close();
        }
    }
}
