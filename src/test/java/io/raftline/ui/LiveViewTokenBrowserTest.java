package io.raftline.ui;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.assertions.PlaywrightAssertions;
import com.microsoft.playwright.options.WaitForSelectorState;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The live view served to a browser the server does not trust by its address (loopback not trusted, as for a
 * browser on another machine): the page asks for the admin token, refuses nothing silently, and goes live once
 * the right token is given; the token stays for the tab only.
 */
@Tag("slow")
class LiveViewTokenBrowserTest {

    private static final String TOKEN = "browser-s3cret-0123456789";
    private static final double TIMEOUT_MS = 20_000;

    private static InJvmCluster cluster;
    private static Playwright playwright;
    private static Browser browser;

    @BeforeAll
    static void startClusterAndBrowser() throws Exception {
        cluster = InJvmCluster.builder(ClusterConfigs.cluster(3, 13)
                .put("storage", new JsonObject().put("engine", "memory"))
                .put("admin", new JsonObject().put("token", TOKEN))
                .put("security", new JsonObject().put("trust_loopback", false))).start();
        playwright = SystemChromium.playwright();
        browser = SystemChromium.launch(playwright);
        PlaywrightAssertions.setDefaultAssertionTimeout(TIMEOUT_MS);
    }

    @AfterAll
    static void stop() throws Exception {
        SystemChromium.closeAll(browser, playwright, cluster);
    }

    @Test
    void thePageAsksForTheTokenAndGoesLiveWithIt() {
        BrowserContext context = browser.newContext();
        try {
            Page page = context.newPage();
            page.navigate(cluster.liveViewUrl());
            assertThat(page.getByTestId("auth-form")).isVisible();
            assertThat(page.getByTestId("connection")).hasAttribute("data-state", "closed");

            page.getByTestId("auth-token").fill("wrong");
            page.getByTestId("auth-submit").click();
            assertThat(page.getByTestId("auth-message")).containsText("wrong admin token");

            page.getByTestId("auth-token").fill(TOKEN);
            page.getByTestId("auth-submit").click();
            assertThat(page.getByTestId("connection")).hasAttribute("data-state", "live");
            assertThat(page.getByTestId("auth-form")).isHidden();
            assertThat(page.locator("#cluster-svg [data-testid^='node-']")).hasCount(3);

            // Kept for this tab: a reload goes live without asking again.
            page.reload();
            assertThat(page.getByTestId("connection")).hasAttribute("data-state", "live");
            assertThat(page.getByTestId("auth-form")).isHidden();
        } finally {
            context.close();
        }
        // A new tab (new context) has no token.
        BrowserContext other = browser.newContext();
        try {
            Page page = other.newPage();
            page.navigate(cluster.liveViewUrl());
            assertThat(page.getByTestId("auth-form")).isVisible();
        } finally {
            other.close();
        }
    }
}
