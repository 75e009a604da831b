package io.raftline.ui;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static io.raftline.verify.nemesis.Waits.await;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.assertions.PlaywrightAssertions;
import io.raftline.TestHttp;
import io.raftline.shard.KeyGroups;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.raftline.verify.nemesis.Waits;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The live view of a sharded cluster (4 Raft groups on 3 nodes) in the system Chromium: the grid of groups x nodes
 * shows the roles {@code /v1/cluster} reports, and a click on a group makes the drawing, the logs and the figures follow
 * that group. Every wait is a bounded wait on a condition; screenshots go to {@code target/screenshots/}.
 */
@Tag("slow")
class ShardedLiveViewBrowserTest {

    private static final int GROUPS = 4;
    private static final KeyGroups MAP = new KeyGroups(GROUPS);
    private static final Path SHOTS = Paths.get("target", "screenshots");
    private static final double TIMEOUT_MS = 20_000;
    private static final HttpClient HTTP = TestHttp.builder().connectTimeout(Duration.ofSeconds(5)).build();

    private static InJvmCluster cluster;
    private static Playwright playwright;
    private static Browser browser;
    private BrowserContext context;
    private Page page;
    private final List<String> pageErrors = new ArrayList<>();

    @BeforeAll
    static void startClusterAndBrowser() throws Exception {
        Files.createDirectories(SHOTS.resolve("docs"));
        cluster = InJvmCluster.builder(ClusterConfigs.cluster(3, 13).put("groups", GROUPS)
                .put("storage", new JsonObject().put("engine", "memory"))).start();
        cluster.awaitLeader(Duration.ofSeconds(20));
        playwright = SystemChromium.playwright();
        browser = SystemChromium.launch(playwright);
        PlaywrightAssertions.setDefaultAssertionTimeout(TIMEOUT_MS);
    }

    @AfterAll
    static void stop() throws Exception {
        SystemChromium.closeAll(browser, playwright, cluster);
    }

    /**
     * Before each test, waits until the balancer has spread the leaders (its moves come in the cluster's first seconds
     * and after a crashed node's restart): the tests read a group's leader from {@code /v1/cluster} and then expect
     * the page to show that node leading.
     */
    @BeforeEach
    void openPage() throws InterruptedException {
        cluster.awaitLeadersSpread(Duration.ofSeconds(45));
        page = SystemChromium.openLiveView(browser, cluster.liveViewUrl(), TIMEOUT_MS, pageErrors);
        context = page.context();
    }

    @AfterEach
    void closePage() throws Exception {
        context.close();
        // The next test starts from group 0 again.
        await(cluster.vertx().eventBus().request(ControlHandler.ADDRESS,
                new JsonObject().put("action", "focusGroup").put("group", 0)));
        org.assertj.core.api.Assertions.assertThat(pageErrors).as("errors in the page").isEmpty();
    }

    private static JsonArray apiGroups() throws InterruptedException {
        return await(cluster.verticle().describe()).getJsonArray("groups");
    }

    private static void put(String key, String value) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(cluster.nodeUrls().get(1) + "/v1/kv/" + key))
                .timeout(Duration.ofSeconds(10)).PUT(HttpRequest.BodyPublishers.ofString(value)).build(),
                HttpResponse.BodyHandlers.ofString());
        org.assertj.core.api.Assertions.assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    private static String keyIn(int group, String prefix) {
        for (int i = 0; ; i++) {
            if (MAP.groupOf(prefix + i) == group) {
                return prefix + i;
            }
        }
    }

    /** Every cell's role as the page shows it: {"0":{"1":"Leader",...},...}. */
    private JsonObject pageRoles() {
        return new JsonObject((String) page.evaluate("() => { const out = {};"
                + " for (const td of document.querySelectorAll('[data-testid^=\"group-cell-\"]')) {"
                + "   const [, g, n] = /group-cell-(\\d+)-(\\d+)/.exec(td.dataset.testid);"
                + "   (out[g] = out[g] || {})[n] = td.dataset.rawRole; }"
                + " return JSON.stringify(out); }"));
    }

    @Test
    void theGridShowsEveryGroupsRolesAsTheClusterApiReportsThem() throws Exception {
        Locator grid = page.getByTestId("groups-grid");
        assertThat(grid).isVisible();
        assertThat(grid).hasAttribute("data-count", String.valueOf(GROUPS));
        assertThat(page.locator("[data-testid^='group-row-']")).hasCount(GROUPS);
        assertThat(page.locator("[data-testid^='group-cell-']")).hasCount(GROUPS * 3);
        assertThat(page.getByTestId("cluster-group")).hasText("group 0 of " + GROUPS);
        assertThat(page.getByTestId("group-row-0")).hasClass(Pattern.compile("focused"));
        // The page's cells and /v1/cluster agree (both move while leaders are balanced: until they agree).
        Waits.eventually("the grid's roles are those of /v1/cluster", Duration.ofSeconds(20), () -> {
            JsonArray api = apiGroups();
            JsonObject shown = pageRoles();
            for (int g = 0; g < GROUPS; g++) {
                if (!api.getJsonObject(g).getJsonObject("roles").equals(shown.getJsonObject(String.valueOf(g)))) {
                    return false;
                }
            }
            return true;
        });
        // Colours: a leader's cell is green, a follower's blue, as the drawing's roles.
        JsonArray api = apiGroups();
        int leader = api.getJsonObject(0).getInteger("leader");
        Locator leaderCell = page.getByTestId("group-cell-0-" + leader);
        org.assertj.core.api.Assertions.assertThat(leaderCell.evaluate("td => getComputedStyle(td).backgroundColor"))
                .isEqualTo("rgb(63, 185, 124)");
        int follower = leader % 3 + 1;
        org.assertj.core.api.Assertions.assertThat(page.getByTestId("group-cell-0-" + follower)
                .evaluate("td => getComputedStyle(td).backgroundColor")).isEqualTo("rgb(91, 156, 245)");
        // Groups led per node add up to the groups.
        Waits.eventually("every group's leader counted once", () -> {
            int sum = 0;
            for (int n = 1; n <= 3; n++) {
                sum += Integer.parseInt(page.getByTestId("groups-leads-" + n).textContent().trim());
            }
            return sum == GROUPS;
        });
        // Each group's term and commit index.
        for (int g = 0; g < GROUPS; g++) {
            assertThat(page.getByTestId("group-term-" + g)).hasText(Pattern.compile("[1-9]\\d*"));
            assertThat(page.getByTestId("group-commit-" + g)).hasText(Pattern.compile("[1-9]\\d*"));
        }
        // A crashed node's replicas are Down in every group, and back after a restart.
        await(cluster.crash(3));
        for (int g = 0; g < GROUPS; g++) {
            assertThat(page.getByTestId("group-cell-" + g + "-3")).hasAttribute("data-role", "Down");
        }
        await(cluster.restart(3));
        for (int g = 0; g < GROUPS; g++) {
            assertThat(page.getByTestId("group-cell-" + g + "-3")).not().hasAttribute("data-role", "Down");
        }
        page.screenshot(new Page.ScreenshotOptions().setPath(SHOTS.resolve("sharded-grid.png")));
    }

    /**
     * Idle groups go quiet (docs/sharding.md): the grid marks them, as {@code /v1/cluster} does, and a write wakes its
     * group, which the grid shows (a {@code MutationObserver} records the row's every change, so the short awake spell
     * cannot be missed between two polls).
     */
    @Test
    void quietGroupsAreMarkedAndAWriteWakesItsGroup() throws Exception {
        Waits.eventually("every group quiet in /v1/cluster", Duration.ofSeconds(30), () -> {
            JsonArray api = apiGroups();
            for (int g = 0; g < GROUPS; g++) {
                if (!api.getJsonObject(g).getBoolean("quiet", false)) {
                    return false;
                }
            }
            return true;
        });
        for (int g = 0; g < GROUPS; g++) {
            assertThat(page.getByTestId("group-row-" + g)).hasAttribute("data-quiet", "true");
            assertThat(page.getByTestId("group-quiet-" + g)).hasText("z");
        }
        page.screenshot(new Page.ScreenshotOptions().setPath(SHOTS.resolve("docs").resolve("sharded-quiet.png")));
        page.evaluate("() => { window.__woken = []; const row = document.querySelector('[data-testid=\"group-row-2\"]');"
                + " new MutationObserver(() => { if (row.dataset.quiet === 'false') window.__woken.push(Date.now()); })"
                + ".observe(row, { attributes: true, attributeFilter: ['data-quiet'] }); }");
        put(keyIn(2, "wake-"), "up");
        Waits.eventually("the grid showed group 2 awake", Duration.ofSeconds(20),
                () -> ((Number) page.evaluate("() => window.__woken.length")).intValue() > 0);
        // And quiet again once idle.
        assertThat(page.getByTestId("group-row-2")).hasAttribute("data-quiet", "true");
    }

    @Test
    void clickingAGroupMakesTheViewFollowIt() throws Exception {
        // A group other than 0, with a leader other than group 0's if there is one (the balancer spreads them).
        JsonArray api = apiGroups();
        int zeroLeader = api.getJsonObject(0).getInteger("leader");
        int target = 1;
        for (int g = 1; g < GROUPS; g++) {
            if (api.getJsonObject(g).getInteger("leader") != zeroLeader) {
                target = g;
                break;
            }
        }
        String inZero = keyIn(0, "zero-");
        String inTarget = keyIn(target, "target-");
        put(inZero, "followed-before");
        put(inTarget, "followed-after");
        assertThat(page.getByTestId("node-log-1")).containsText(inZero);
        assertThat(page.getByTestId("node-log-1")).not().containsText(inTarget);

        page.getByTestId("group-row-" + target).click();
        assertThat(page.getByTestId("control-status")).containsText("following group " + target);
        assertThat(page.getByTestId("cluster-group")).hasText("group " + target + " of " + GROUPS);
        assertThat(page.getByTestId("groups-grid")).hasAttribute("data-focused", String.valueOf(target));
        assertThat(page.getByTestId("group-row-" + target)).hasClass(Pattern.compile("focused"));
        assertThat(page.getByTestId("group-select")).hasValue(String.valueOf(target));
        // The logs are the new group's: its key, not group 0's.
        for (int n = 1; n <= 3; n++) {
            assertThat(page.getByTestId("node-log-" + n)).containsText(inTarget);
            assertThat(page.getByTestId("node-log-" + n)).not().containsText(inZero);
        }
        // The drawing's leader and the key figures are the followed group's.
        int followedLeader = apiGroups().getJsonObject(target).getInteger("leader");
        assertThat(page.locator("#cluster-svg [data-role='Leader']")).hasCount(1);
        assertThat(page.getByTestId("node-" + followedLeader)).hasAttribute("data-role", "Leader");
        assertThat(page.getByTestId("kpi-leader")).hasText("N" + followedLeader);
        assertThat(page.getByTestId("kpi-commit")).hasText(String.valueOf(
                apiGroups().getJsonObject(target).getLong("commit")));
        // New writes of the followed group appear live; those of group 0 do not.
        String moreTarget = keyIn(target, "target-more-");
        String moreZero = keyIn(0, "zero-more-");
        put(moreZero, "not-shown");
        put(moreTarget, "shown");
        for (int n = 1; n <= 3; n++) {
            assertThat(page.getByTestId("node-log-" + n)).containsText(moreTarget);
        }
        assertThat(page.locator("#node-cards")).not().containsText(moreZero);
        assertThat(page.getByTestId("safety-banner")).isHidden();
        // At 1280x720 the grid fits beside the drawing: the cluster, the key figures and the timeline still fit.
        page.setViewportSize(1280, 720);
        page.evaluate("() => window.scrollTo(0, 0)");
        List<String> boxes = new ArrayList<>(List.of("panel-cluster", "panel-figures", "panel-timeline", "groups-grid",
                "group-row-" + (GROUPS - 1), "kpi-leader", "timeline-list"));
        for (int n = 1; n <= 3; n++) {
            boxes.add("node-" + n);
        }
        for (String testId : boxes) {
            var box = page.getByTestId(testId).boundingBox();
            org.assertj.core.api.Assertions.assertThat(box).as(testId).isNotNull();
            org.assertj.core.api.Assertions.assertThat(box.y).as(testId + " top").isGreaterThanOrEqualTo(0);
            org.assertj.core.api.Assertions.assertThat(box.y + box.height).as(testId + " bottom").isLessThanOrEqualTo(720);
            org.assertj.core.api.Assertions.assertThat(box.x + box.width).as(testId + " right").isLessThanOrEqualTo(1280);
        }
        page.screenshot(new Page.ScreenshotOptions().setPath(SHOTS.resolve("docs").resolve("sharded-1280x720.png")));
        page.setViewportSize(1440, 1000);

        // The selector goes back to group 0.
        page.getByTestId("group-select").selectOption("0");
        assertThat(page.getByTestId("cluster-group")).hasText("group 0 of " + GROUPS);
        assertThat(page.getByTestId("node-log-1")).containsText(moreZero);
        assertThat(page.getByTestId("node-log-1")).not().containsText(moreTarget);
    }
}
