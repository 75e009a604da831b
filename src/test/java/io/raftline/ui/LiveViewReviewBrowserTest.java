package io.raftline.ui;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.assertions.PlaywrightAssertions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Defects a review of the live view in headless Chromium found, each checked where it showed: the real webroot served
 * by {@link ReplayedLiveView} (no cluster behind it), the cluster's state and events handed to the page's own socket
 * as the server's frames, and recordings written by hand.
 */
@Tag("slow")
class LiveViewReviewBrowserTest {

    private static final double TIMEOUT_MS = 10_000;

    private static ReplayedLiveView server;
    private static Playwright playwright;
    private static Browser browser;

    private final List<String> errors = new ArrayList<>();
    private Page page;
    private long seq = 1_000_000;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        server = new ReplayedLiveView(List.of(1, 2, 3), new JsonObject());
        playwright = SystemChromium.playwright();
        browser = SystemChromium.launch(playwright);
        PlaywrightAssertions.setDefaultAssertionTimeout(TIMEOUT_MS);
    }

    @AfterAll
    static void stop() throws Exception {
        SystemChromium.closeAll(browser, playwright, server);
    }

    @BeforeEach
    void open() {
        page = SystemChromium.openLiveView(browser, server.url(), TIMEOUT_MS, errors, SystemChromium.KEEP_SOCKETS);
    }

    @AfterEach
    void close() {
        page.context().close();
        org.assertj.core.api.Assertions.assertThat(errors).isEmpty();
    }

    /** Hands the page an event as if the server had published it now, with the next seq. */
    private void receive(JsonObject body) {
        body.put("seq", ++seq).put("ts", System.currentTimeMillis());
        String frame = new JsonObject().put("type", "rec").put("address", "raft.events").put("body", body).encode();
        SystemChromium.deliverFrame(page, frame);
    }

    /** An event of node {@code node} in term 2. */
    private static JsonObject event(String type, int node) {
        return new JsonObject().put("type", type).put("node", node).put("term", 2).put("role", "Follower");
    }

    /** The state of a cluster of {@code n} nodes, node 1 leading term 2, with {@code faults}. */
    private void cluster(int n, JsonObject faults) {
        JsonArray members = new JsonArray();
        JsonArray nodes = new JsonArray();
        for (int id = 1; id <= n; id++) {
            members.add(id);
            nodes.add(new JsonObject().put("id", id).put("role", id == 1 ? "Leader" : "Follower").put("term", 2)
                    .put("leader", 1).put("commit", 5).put("lastIndex", 5).put("up", true)
                    .put("paused", faults.getJsonArray("pausedNodes", new JsonArray()).contains(id))
                    .put("log", new JsonArray()));
        }
        receive(new JsonObject().put("node", 0).put("term", 0).put("role", "").put("type", "Snapshot")
                .put("members", members).put("nodes", nodes).put("faults", faults));
        assertThat(page.locator("#cluster-svg g.node-g")).hasCount(n);
    }

    /** The page rectangle of {@code selector}'s element: [left, top, right, bottom]. */
    @SuppressWarnings("unchecked")
    private List<Number> rect(String selector) {
        return (List<Number>) page.evaluate("s => { const r = document.querySelector(s).getBoundingClientRect();"
                + " return [r.left, r.top, r.right, r.bottom]; }", selector);
    }

    /**
     * With five nodes the pinned details (fixed in the top-left corner) covered node 5, the left one, and took the
     * clicks meant for it. They go in the corner that covers no node.
     */
    @Test
    void thePinnedDetailsCoverNoNode() {
        page.setViewportSize(1280, 720); // the drawing as on a 1280x720 screen, where the review saw it
        cluster(5, new JsonObject());
        checkPinnedCoverNoNode();
        page.setViewportSize(1440, 1000);
        checkPinnedCoverNoNode();
    }

    private void checkPinnedCoverNoNode() {
        for (int id = 1; id <= 5; id++) {
            page.locator("#cluster-svg [data-testid='node-" + id + "']").click();
            assertThat(page.getByTestId("pinned")).isVisible();
            assertThat(page.getByTestId("pinned")).hasAttribute("data-id", String.valueOf(id));
            List<Number> box = rect("[data-testid='pinned']");
            for (int other = 1; other <= 5; other++) {
                List<Number> disc = rect("#cluster-svg [data-testid='node-" + other + "'] circle.ring");
                boolean overlaps = box.get(0).doubleValue() < disc.get(2).doubleValue()
                        && disc.get(0).doubleValue() < box.get(2).doubleValue()
                        && box.get(1).doubleValue() < disc.get(3).doubleValue()
                        && disc.get(1).doubleValue() < box.get(3).doubleValue();
                org.assertj.core.api.Assertions.assertThat(overlaps)
                        .as("node %s pinned: the details %s cover node %s at %s", id, box, other, disc).isFalse();
            }
            page.keyboard().press("Escape"); // closes the node's menu, which would be over a node beside it
        }
    }

    /**
     * A partition made elsewhere (the admin API) or in force when the page loaded showed on the chips as every node
     * in group A, and Apply would have replaced it with none. The chips follow the partition in force.
     */
    @Test
    void thePartitionChipsShowThePartitionInForce() {
        // In force when the page got the cluster's state.
        cluster(5, new JsonObject().put("partitions", new JsonArray().add(new JsonArray().add(2).add(3))
                .add(new JsonArray().add(5))));
        Locator chip = page.getByTestId("partition-chip-1");
        assertThat(page.getByTestId("partition-chip-2")).hasAttribute("data-group", "A");
        assertThat(page.getByTestId("partition-chip-3")).hasAttribute("data-group", "A");
        assertThat(page.getByTestId("partition-chip-5")).hasAttribute("data-group", "B");
        assertThat(chip).hasAttribute("data-group", "C");
        assertThat(page.getByTestId("partition-chip-4")).hasAttribute("data-group", "C");
        // Changed by someone else (PUT /v1/admin/network publishes a FaultChanged).
        receive(event("FaultChanged", 0).put("faults", new JsonObject().put("partitions",
                new JsonArray().add(new JsonArray().add(1).add(2)).add(new JsonArray().add(3).add(4).add(5)))));
        assertThat(page.getByTestId("partition-chip-3")).hasAttribute("data-group", "B");
        assertThat(page.getByTestId("partition-chip-1")).hasAttribute("data-group", "A");
        assertThat(page.getByTestId("partition-chip-2")).hasAttribute("data-group", "A");
        assertThat(page.getByTestId("partition-chip-5")).hasAttribute("data-group", "B");
        // Healed: one group again.
        receive(event("FaultChanged", 0).put("faults", new JsonObject()));
        for (int id = 1; id <= 5; id++) {
            assertThat(page.getByTestId("partition-chip-" + id)).hasAttribute("data-group", "A");
        }
    }

    /**
     * Loss, delay and duplication on the whole network were drawn nowhere (only per-link faults had labels); a
     * delay of 200-200 ms read "200–200 ms".
     */
    @Test
    void networkWideFaultsAreDrawn() {
        cluster(3, new JsonObject());
        receive(event("FaultChanged", 0).put("faults", new JsonObject().put("dropRate", 0.1)
                .put("delayMs", new JsonArray().add(200).add(200)).put("duplicateRate", 0.05)));
        assertThat(page.getByTestId("network-faults")).hasText("network: drop 10% · delay 200 ms · dup 5%");
        assertThat(page.locator("[data-testid='timeline-row'][data-type='FaultChanged'] .sum").last())
                .hasText("drop 10% · delay 200 ms · dup 5%");
        receive(event("FaultChanged", 0).put("faults", new JsonObject()));
        assertThat(page.getByTestId("network-faults")).hasText("");
    }

    /**
     * "Rejoin" of the last node cut off leaves one group of every member: the status line said "healthy network",
     * the timeline's row "partition {1,2,3}".
     */
    @Test
    void oneGroupOfEveryMemberIsNoPartitionInTheTimeline() {
        cluster(3, new JsonObject());
        receive(event("FaultChanged", 0).put("faults", new JsonObject().put("partitions",
                new JsonArray().add(new JsonArray().add(1).add(2).add(3)))));
        assertThat(page.locator("[data-testid='timeline-row'][data-type='FaultChanged'] .sum").last())
                .hasText("healthy network");
    }

    /**
     * After a node menu's action its items are drawn again and the focus went to the first item, Crash: a second
     * Enter meant to undo a pause crashed the node. It follows the item's counterpart (Pause became Resume).
     */
    @Test
    void afterAMenuActionTheFocusStaysOnTheItemThatUndoesIt() {
        cluster(3, new JsonObject());
        page.locator("#cluster-svg [data-testid='node-2']").focus();
        page.keyboard().press("Enter");
        assertThat(page.getByTestId("node-menu-2")).isVisible();
        assertThat(page.getByTestId("node-action-crash")).isFocused();
        page.keyboard().press("ArrowDown");
        assertThat(page.getByTestId("node-action-pause")).isFocused();
        page.keyboard().press("Enter"); // refused here (no nodes), the menu shows the outcome
        assertThat(page.getByTestId("node-menu-status")).isVisible();
        assertThat(page.getByTestId("node-action-pause")).isFocused();
        // The node is paused (as the command would have done): Pause becomes Resume, and the focus goes with it.
        receive(event("NodePaused", 2).put("paused", true));
        assertThat(page.getByTestId("node-action-resume")).isFocused();
        // Resumed: back to Pause.
        receive(event("NodePaused", 2).put("paused", false));
        assertThat(page.getByTestId("node-action-pause")).isFocused();
        // From Restart, whose counterpart is Crash, the focus takes the next safe item, never Crash.
        receive(event("NodeCrashed", 2));
        page.getByTestId("node-action-restart").focus();
        receive(event("NodeRestarted", 2).put("applied", 5));
        assertThat(page.getByTestId("node-action-crash")).isVisible();
        assertThat(page.getByTestId("node-action-crash")).not().isFocused();
        assertThat(page.getByTestId("node-action-pause")).isFocused();
    }

    /**
     * A leader that crashed kept its replication state in its pinned details ("0 appends unacknowledged (match 18,
     * replicate)"): the queues of a life are gone with it.
     */
    @Test
    void aDownNodeShowsNoQueuesOfItsLastLife() {
        cluster(3, new JsonObject());
        receive(event("QueueStats", 1).put("role", "Leader").put("pendingProposals", 0).put("inbox", 0)
                .put("outbox", 0).put("links", new JsonArray().add(new JsonObject().put("to", 2).put("outbox", 0)
                        .put("inflight", 0).put("match", 18).put("state", "replicate"))).put("held", new JsonArray()));
        page.locator("#cluster-svg [data-testid='node-1']").click();
        assertThat(page.getByTestId("pinned").getByTestId("queue-list-1")).containsText("appends unacknowledged (match 18, replicate)");
        receive(event("NodeCrashed", 1).put("role", "Leader"));
        assertThat(page.locator("#cluster-svg [data-testid='node-1']")).hasAttribute("data-role", "Down");
        assertThat(page.getByTestId("pinned").getByTestId("queue-list-1")).not().containsText("unacknowledged");
        // The fold itself (live and replay alike) forgets them, on a crash and on a restart.
        Object kept = page.evaluate("async () => { const r = await import('/js/reducer.js');"
                + " const at = (type, extra) => ({ seq: 1, ts: 1, node: 1, term: 2, role: 'Leader', type, ...extra });"
                + " let m = r.reduce(r.initialModel(), at('QueueStats', { pendingProposals: 1, inbox: 0, outbox: 0,"
                + "   links: [], held: [] }));"
                + " const before = !!m.nodes[1].queues;"
                + " m = r.reduce(m, at('NodeCrashed', {}));"
                + " const crashed = m.nodes[1].queues;"
                + " m = r.reduce(m, at('QueueStats', { pendingProposals: 1, inbox: 0, outbox: 0, links: [], held: [] }));"
                + " m = r.reduce(m, at('NodeRestarted', { applied: 3 }));"
                + " return [before, crashed === undefined, m.nodes[1].queues === undefined]; }");
        org.assertj.core.api.Assertions.assertThat(kept).isEqualTo(List.of(true, true, true));
    }

    /**
     * A message lost because its receiver is paused stops at the receiver's door, as a loss to a down receiver does:
     * the network's reason is plain "paused" whichever end is paused, and the page took it for a loss halfway.
     */
    @Test
    void aMessageLostToAPausedReceiverStopsAtItsDoor() {
        cluster(3, new JsonObject().put("pausedNodes", new JsonArray().add(3)));
        JsonObject sent = event("MessageSent", 1).put("role", "Leader").put("msgId", 77).put("from", 1).put("to", 3)
                .put("kind", "AppendEntries").put("msgTerm", 2).put("response", false);
        receive(sent.copy());
        receive(sent.copy().put("type", "MessageDropped").put("reason", "paused"));
        Object stop = page.waitForFunction("() => { const a = window.__raftline.arrows()"
                + ".find(x => x.msg === '77' && x.lost); return a ? String(a.progress) : null; }").jsonValue();
        org.assertj.core.api.Assertions.assertThat(Double.parseDouble((String) stop)).as("where it stopped")
                .isGreaterThan(0.85);
    }

    /**
     * A recording whose LogAppended carries no entries threw a TypeError at every render of its timeline row; the
     * lines a file holds that are not events were counted and never said ("empty recording" for a file that is not
     * NDJSON at all). With nothing loaded, Resume and Step were on.
     */
    @Test
    void aRecordingsOddLinesAreSaidAndAnAppendWithoutEntriesIsShown() throws Exception {
        page.getByTestId("mode-replay").click();
        assertThat(page.getByTestId("live-pause")).isDisabled();
        assertThat(page.getByTestId("live-step")).isDisabled();
        Path rec = dir.resolve("odd.ndjson");
        Files.write(rec, List.of(
                "{\"seq\":1,\"ts\":1000,\"node\":0,\"term\":0,\"role\":\"\",\"type\":\"ClusterInfo\",\"members\":[1,2,3]}",
                "this is not an event",
                "{\"seq\":2,\"ts\":1100,\"node\":1,\"term\":1,\"role\":\"Leader\",\"type\":\"LogAppended\","
                        + "\"first\":1,\"last\":1,\"count\":1}"));
        page.getByTestId("replay-file").setInputFiles(rec);
        assertThat(page.getByTestId("replay-bar")).hasAttribute("data-loaded", "2");
        assertThat(page.getByTestId("replay-position")).containsText("1 line unreadable");
        assertThat(page.getByTestId("live-step")).isEnabled();
        assertThat(page.locator("[data-testid='timeline-row'][data-type='LogAppended'] .sum")).hasText("1 entry 1");
        Path notNdjson = dir.resolve("notes.txt");
        Files.write(notNdjson, List.of("hello", "world", "[1, 2]"));
        page.getByTestId("replay-file").setInputFiles(notNdjson);
        assertThat(page.getByTestId("replay-bar")).hasAttribute("data-loaded", "0");
        assertThat(page.getByTestId("replay-position")).hasText("empty recording · 3 lines unreadable");
        assertThat(page.getByTestId("live-step")).isDisabled();
    }
}
