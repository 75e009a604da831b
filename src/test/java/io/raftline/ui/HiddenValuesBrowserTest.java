package io.raftline.ui;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.assertions.PlaywrightAssertions;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The live view of a cluster that hides values ({@code security.event_values: "hide"}): a put from the page shows in
 * every node's log and in the client list as the key and the value's size, and the value appears nowhere on the page.
 */
@Tag("slow")
class HiddenValuesBrowserTest {

    private static final double TIMEOUT_MS = 20_000;

    private static InJvmCluster cluster;
    private static Playwright playwright;
    private static Browser browser;

    @BeforeAll
    static void startClusterAndBrowser() throws Exception {
        cluster = InJvmCluster.builder(ClusterConfigs.cluster(3, 17)
                .put("storage", new JsonObject().put("engine", "memory"))
                .put("security", new JsonObject().put("event_values", "hide"))).start();
        playwright = SystemChromium.playwright();
        browser = SystemChromium.launch(playwright);
        PlaywrightAssertions.setDefaultAssertionTimeout(TIMEOUT_MS);
    }

    @AfterAll
    static void stop() throws Exception {
        SystemChromium.closeAll(browser, playwright, cluster);
    }

    @Test
    void aPutFromThePageShowsItsKeyAndSizeButNotItsValue() {
        BrowserContext context = browser.newContext();
        try {
            Page page = context.newPage();
            page.navigate(cluster.liveViewUrl());
            assertThat(page.getByTestId("connection")).hasAttribute("data-state", "live");
            // The page says so, from the state it started from (a Snapshot carries the setting).
            assertThat(page.getByTestId("values-hidden")).hasText("values hidden");
            page.getByTestId("client-key").fill("planet");
            page.getByTestId("client-value").fill("saturn-rings");
            page.getByTestId("btn-put").click();
            assertThat(page.getByTestId("control-status")).containsText("ok, revision");
            for (int id = 1; id <= 3; id++) {
                Locator entry = page.getByTestId("node-log-" + id).locator(".entry",
                        new Locator.LocatorOptions().setHasText("put planet=hidden (12 B)"));
                assertThat(entry).hasCount(1);
            }
            // The input still holds what was typed; nothing the server sent shows it.
            page.getByTestId("client-value").fill("");
            assertThat(page.locator("body")).not().containsText("saturn");
        } finally {
            context.close();
        }
    }
}
