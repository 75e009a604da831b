package io.raftline.ui;

import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import io.raftline.security.AdminAccess;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The page's SockJS client (the WebJar's, as the page loads it) in Chromium, forced onto the XHR fallback a browser
 * uses where a proxy blocks WebSockets: its sends are POSTs of text/plain, and the browser names the page's origin on
 * them, so the bridge's rule that a send must carry an Origin ({@code BridgeHttpSendTest}) lets the page's commands
 * through. Every request of the session is recorded with its Origin header.
 */
class BridgeXhrBrowserTest {

    private static NodelessLiveView view;
    private static Playwright playwright;
    private static Browser browser;

    @BeforeAll
    static void start() throws Exception {
        view = new NodelessLiveView(new AdminAccess("", true));
        playwright = SystemChromium.playwright();
        browser = SystemChromium.launch(playwright);
    }

    @AfterAll
    static void stop() throws Exception {
        SystemChromium.closeAll(browser, playwright, view == null ? null : view::close);
    }

    @Test
    void thePagesClientOverXhrNamesItsOriginAndItsCommandsAreTaken() {
        String base = "http://127.0.0.1:" + view.port();
        Page page = browser.newContext().newPage();
        page.setDefaultTimeout(30_000);
        List<String> sends = new ArrayList<>();
        page.onRequest(r -> {
            if (r.url().contains("/xhr_send")) {
                sends.add(r.method() + " " + r.headerValue("origin") + " " + r.headerValue("content-type"));
            }
        });
        page.navigate(base + UiRouter.SOCKJS_LIBRARY);
        page.addScriptTag(new Page.AddScriptTagOptions().setUrl(base + UiRouter.SOCKJS_LIBRARY));
        Object reply = page.evaluate("""
                () => new Promise((resolve, reject) => {
                  const sock = new SockJS('/eventbus', null, {transports: ['xhr-polling']});
                  setTimeout(() => reject(new Error('no reply within 20 s')), 20000);
                  sock.onopen = () => sock.send(JSON.stringify({type: 'send', address: 'raft.control',
                      replyAddress: 'r-xhr', body: {action: 'heal'}}));
                  sock.onmessage = (m) => {
                    const frame = JSON.parse(m.data);
                    if (frame.address === 'r-xhr') { resolve({transport: sock.transport, ok: frame.body.ok}); }
                  };
                })""");
        assertThat(reply).isEqualTo(Map.of("transport", "xhr-polling", "ok", true));
        assertThat(sends).isNotEmpty().allSatisfy(s -> assertThat(s).startsWith("POST " + base + " text/plain"));
        page.context().close();
    }
}
