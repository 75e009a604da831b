package io.raftline.ui;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.security.AdminAccess;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * SockJS's framed WebSocket transport ({@code /eventbus/<server>/<session>/websocket}, what the page's client uses
 * first) takes messages that are JSON arrays of strings. An element without text (null, an object, an array) became a
 * null frame SockJS failed on: the session ended with status 1000 as if normally and the bridge logged an error, once
 * per message of any client (no token needed). Such a message now closes the connection with 1007 (invalid payload
 * data) before SockJS reads it; a well-formed one still reaches the bridge.
 */
class BridgeWebSocketFramesTest {

    private static NodelessLiveView view;

    @BeforeAll
    static void start() throws Exception {
        view = new NodelessLiveView(new AdminAccess("", true));
    }

    @AfterAll
    static void stop() throws Exception {
        if (view != null) {
            view.close();
        }
    }

    /** The next frame that is not a SockJS heartbeat ({@code h}). */
    private static RawWebSocket.Frame next(RawWebSocket ws) throws Exception {
        RawWebSocket.Frame f = ws.next();
        while (f.opcode() == 1 && "h".equals(f.text())) {
            f = ws.next();
        }
        return f;
    }

    @Test
    void aMessageWhoseFramesAreNotStringsClosesTheConnection() throws Exception {
        int session = 0;
        for (String message : List.of("[null]", "[{\"type\":\"ping\"}]", "[[]]", "[\"x\", {}]", "[1]", "not json",
                "{}")) {
            try (RawWebSocket ws = new RawWebSocket(view.port(), "/eventbus/000/ws" + session++ + "/websocket")) {
                assertThat(next(ws).text()).isEqualTo("o");
                ws.send(message);
                RawWebSocket.Frame answer = next(ws);
                assertThat(answer.closeCode()).as("the answer to %s: %s", message, answer.text())
                        .isEqualTo(CheckedSockJsWebSocket.BAD_MESSAGE_STATUS);
            }
        }
    }

    @Test
    void aWellFormedMessageReachesTheBridge() throws Exception {
        try (RawWebSocket ws = new RawWebSocket(view.port(), "/eventbus/000/wsok/websocket")) {
            assertThat(next(ws).text()).isEqualTo("o");
            String command = new JsonObject().put("type", "send").put("address", ControlHandler.ADDRESS)
                    .put("replyAddress", "r-ws").put("body", new JsonObject().put("action", "heal")).encode();
            ws.send(new JsonArray().add(command).encode());
            String answer = next(ws).text();
            assertThat(answer).startsWith("a[");
            JsonObject reply = new JsonObject(new JsonArray(answer.substring(1)).getString(0));
            assertThat(reply.getString("address")).isEqualTo("r-ws");
            assertThat(reply.getJsonObject("body").getBoolean("ok")).isTrue();
            // An empty message is nothing to SockJS, and is let through.
            ws.send("");
            ws.send(new JsonArray().add(command.replace("r-ws", "r-ws2")).encode());
            assertThat(next(ws).text()).contains("r-ws2");
        }
    }
}
