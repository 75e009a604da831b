package io.raftline.ui;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;

/**
 * How the browser tests drive Debian's Chromium (never Playwright's own download, see DESIGN.md): one place for the
 * executable and the flags that keep it quiet and offline.
 */
final class SystemChromium {

    private SystemChromium() {
    }

    /** A Playwright that does not download browsers. */
    static Playwright playwright() {
        return Playwright.create(new Playwright.CreateOptions().setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
    }

    /** Headless {@code /usr/bin/chromium}, sandbox and GPU off, no background traffic. */
    static Browser launch(Playwright playwright) {
        return playwright.chromium().launch(new BrowserType.LaunchOptions()
                .setExecutablePath(Paths.get("/usr/bin/chromium")).setHeadless(true)
                .setArgs(List.of("--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync")));
    }

    /**
     * The live view in a new 1440x1000 context, once its bridge is live; the page's errors and console errors are
     * collected in {@code errors} (a test fails when any appears). Close it with {@code page.context().close()}.
     *
     * @param initScripts scripts run in the page before its own (a test that speaks as the server keeps its sockets)
     */
    static Page openLiveView(Browser browser, String url, double timeoutMs, List<String> errors,
            String... initScripts) {
        BrowserContext context = browser.newContext(new Browser.NewContextOptions().setViewportSize(1440, 1000));
        context.setDefaultTimeout(timeoutMs);
        for (String script : initScripts) {
            context.addInitScript(script);
        }
        Page page = context.newPage();
        page.onPageError(errors::add);
        page.onConsoleMessage(m -> {
            if ("error".equals(m.type())) {
                errors.add(m.text());
            }
        });
        page.navigate(url);
        assertThat(page.getByTestId("connection")).hasAttribute("data-state", "live");
        return page;
    }

    /**
     * An init script for {@link #openLiveView} that keeps every SockJS socket the page opens in
     * {@code window.__sockets}, so that a test can speak as the server ({@link #deliverFrame}).
     */
    static final String KEEP_SOCKETS = "(() => { let S; window.__sockets = [];"
            + " Object.defineProperty(window, 'SockJS', { configurable: true, get: () => S,"
            + "   set: v => { S = function (...a) { const s = new v(...a); window.__sockets.push(s); return s; };"
            + "     Object.assign(S, v); S.prototype = v.prototype; } }); })()";

    /**
     * Hands the page's bridge client a frame as if the server had sent it on its socket (the page opened with
     * {@link #KEEP_SOCKETS}).
     *
     * @param page      the page
     * @param frameJson the SockJS bridge frame, as JSON text
     */
    static void deliverFrame(Page page, String frameJson) {
        page.evaluate("frame => window.__sockets[window.__sockets.length - 1].onmessage({ data: frame })", frameJson);
    }

    /** Closes what a browser test started, in order, skipping what never started. */
    static void closeAll(AutoCloseable... started) throws Exception {
        for (AutoCloseable c : started) {
            if (c != null) {
                c.close();
            }
        }
    }
}
