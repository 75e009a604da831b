package io.raftline.ui;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.assertions.PlaywrightAssertions;
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
 * What the page says about events it does not have (a recording cut short, live events its feed dropped) and what
 * a saved recording keeps: the real webroot served by {@link ReplayedLiveView} (no cluster behind it), recordings and
 * bridge frames written by hand.
 */
@Tag("slow")
class ReplayNotesBrowserTest {

    private static final double TIMEOUT_MS = 10_000;

    private static ReplayedLiveView server;
    private static Playwright playwright;
    private static Browser browser;

    private final List<String> errors = new ArrayList<>();
    private Page page;

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

    /** Hands the page's bridge client a frame as if the server had sent it on its socket. */
    private void receive(String frameJson) {
        SystemChromium.deliverFrame(page, frameJson);
    }

    @AfterEach
    void close() {
        page.context().close();
        org.assertj.core.api.Assertions.assertThat(errors).isEmpty();
    }

    /**
     * A recording the recorder cut at its size bound ends with a {@code RecordingTruncated} line: the replay must say
     * that the run went on and was not recorded, rather than end as if the cluster had stopped there.
     */
    @Test
    void aTruncatedRecordingSaysSo() throws Exception {
        Path rec = dir.resolve("cut.ndjson");
        Files.write(rec, List.of(
                "{\"seq\":1,\"ts\":1000,\"node\":0,\"term\":0,\"role\":\"\",\"type\":\"ClusterInfo\",\"members\":[1,2,3]}",
                "{\"seq\":2,\"ts\":1100,\"node\":1,\"term\":1,\"role\":\"Candidate\",\"type\":\"StateChange\","
                        + "\"from\":\"Follower\",\"to\":\"Candidate\",\"leader\":0,\"reason\":\"timeout\"}",
                "{\"seq\":3,\"ts\":1200,\"node\":0,\"type\":\"RecordingTruncated\",\"maxBytes\":1024}"));
        page.getByTestId("mode-replay").click();
        page.getByTestId("replay-file").setInputFiles(rec);
        assertThat(page.getByTestId("replay-bar")).hasAttribute("data-loaded", "3");
        assertThat(page.getByTestId("replay-truncated")).isVisible();
        assertThat(page.getByTestId("replay-truncated")).containsText("later events were not recorded");
        // A whole recording says nothing of the kind.
        Path whole = dir.resolve("whole.ndjson");
        Files.write(whole, List.of(
                "{\"seq\":1,\"ts\":1000,\"node\":0,\"term\":0,\"role\":\"\",\"type\":\"ClusterInfo\",\"members\":[1,2,3]}"));
        page.getByTestId("replay-file").setInputFiles(whole);
        assertThat(page.getByTestId("replay-bar")).hasAttribute("data-loaded", "1");
        assertThat(page.getByTestId("replay-truncated")).isHidden();
    }

    /**
     * A browser that fell more than 5 s behind has its oldest windows dropped by its feed and gets a {@code Snapshot}
     * with {@code "resync": true} and only newer events after it (ViewerFeed): the events in between never reach the
     * page, which must say so rather than go on as if it had seen everything.
     */
    @Test
    void aResynchronisationAfterLostEventsIsShown() {
        receive("{\"type\":\"rec\",\"address\":\"raft.events\",\"body\":{\"seq\":500,\"ts\":" + System.currentTimeMillis()
                + ",\"node\":0,\"term\":0,\"role\":\"\",\"type\":\"Snapshot\",\"resync\":true,\"members\":[1,2,3],"
                + "\"nodes\":[{\"id\":1,\"role\":\"Leader\",\"term\":4,\"leader\":1,\"log\":[]},"
                + "{\"id\":2,\"role\":\"Follower\",\"term\":4,\"leader\":1,\"log\":[]},"
                + "{\"id\":3,\"role\":\"Follower\",\"term\":4,\"leader\":1,\"log\":[]}],\"faults\":{}}}");
        // The page took the snapshot (the state it shows is the resynchronised one) ...
        assertThat(page.getByTestId("state-seq")).hasText("500");
        // ... and says that events were lost on the way.
        assertThat(page.getByTestId("resync-note")).isVisible();
        assertThat(page.getByTestId("resync-note")).containsText("not received");
    }

    /**
     * A paused view buffers what the cluster goes on doing, but at most {@code MAX_PENDING} (40,000) events, as a
     * slowed one does: beyond, the oldest are shown at once. Before, the bound was applied only while the view ran,
     * so a tab left paused held every event the cluster published (tens of thousands a minute under load) for as long
     * as it stayed paused. The events come as the server's frames on the page's own socket.
     */
    @Test
    void aPausedViewBuffersAtMostFortyThousandEvents() {
        page.getByTestId("live-pause").click();
        assertThat(page.getByTestId("live-pause")).hasAttribute("data-paused", "true");
        page.evaluate("n => { const s = window.__sockets[window.__sockets.length - 1]; const t0 = Date.now();"
                + " for (let k = 1; k <= n; k++) s.onmessage({ data: JSON.stringify({ type: 'rec', address: 'raft.events',"
                + "   body: { seq: 1000000 + k, ts: t0 + k, node: 1 + k % 3, term: 1, role: 'Follower',"
                + "     type: 'Applied', last: k } }) }); }", 45_000);
        // Still paused, and the buffer holds the newest 40,000: the oldest were shown.
        assertThat(page.getByTestId("live-pause")).hasAttribute("data-paused", "true");
        assertThat(page.getByTestId("live-behind")).hasAttribute("data-count", "40000");
    }

    /**
     * With one node per process, the relay marks every send {@code "receipt": false}: the receiver's process cannot
     * pair the receive and leaves it out, so none will come. Such an arrow must land after its flight time. Before,
     * the page waited at the receiver's door for a receipt that never came: in a cluster of one node per process every
     * arrow stood there for a minute, and with 60 standing no new one was drawn (seen at 8591 with bin/cluster.sh).
     * An unmarked send still waits for its receipt.
     */
    @Test
    void aSendNoReceiptWillFollowLandsOnItsOwn() {
        page.evaluate("() => { const s = window.__sockets[window.__sockets.length - 1]; const t0 = Date.now();"
                + " const send = (k, extra) => s.onmessage({ data: JSON.stringify({ type: 'rec', address: 'raft.events',"
                + "   body: { seq: 1000000 + k, ts: t0 + k, node: 1, term: 1, role: 'Leader', type: 'MessageSent',"
                + "     msgId: k, from: 1, to: 2, kind: 'AppendEntries', response: false, ...extra } }) });"
                + " send(1, { receipt: false }); send(2, {}); }");
        page.waitForFunction("() => window.__raftline.arrowsMade() === 2");
        page.waitForFunction("() => !window.__raftline.arrows({ pending: true }).some(a => a.msg === '1')", null,
                new Page.WaitForFunctionOptions().setTimeout(5_000));
        org.assertj.core.api.Assertions.assertThat(page.evaluate(
                "() => window.__raftline.arrows({ pending: true }).map(a => a.msg).join()"))
                .as("the unmarked send waits at the door for its receipt").isEqualTo("2");
    }

    /**
     * A node paused (or frozen) and then crashed is down and nothing else: the crash ended the pause on the server
     * (no NodePaused says so). Before, the page kept it paused: the card's "paused" badge on a down node, and a Resume
     * button whose click reported "node 3 resumed" while the node stayed down.
     */
    @Test
    void aCrashedNodeIsNoLongerShownPausedOrFrozen() throws Exception {
        Path rec = dir.resolve("paused-then-crashed.ndjson");
        Files.write(rec, List.of(
                "{\"seq\":1,\"ts\":1000,\"node\":0,\"term\":0,\"role\":\"\",\"type\":\"ClusterInfo\",\"members\":[1,2,3]}",
                "{\"seq\":2,\"ts\":1100,\"node\":3,\"term\":1,\"role\":\"Follower\",\"type\":\"NodePaused\",\"paused\":true}",
                "{\"seq\":3,\"ts\":1150,\"node\":2,\"term\":1,\"role\":\"Follower\",\"type\":\"NodeFrozen\",\"frozen\":true}",
                "{\"seq\":4,\"ts\":1200,\"node\":3,\"term\":1,\"role\":\"Follower\",\"type\":\"NodeCrashed\"}",
                "{\"seq\":5,\"ts\":1250,\"node\":2,\"term\":1,\"role\":\"Follower\",\"type\":\"NodeCrashed\"}"));
        page.getByTestId("mode-replay").click();
        page.getByTestId("replay-file").setInputFiles(rec);
        assertThat(page.getByTestId("replay-bar")).hasAttribute("data-loaded", "5");
        assertThat(page.locator("#cluster-svg [data-testid='node-3']")).hasAttribute("data-role", "Down");
        assertThat(page.locator("#cluster-svg [data-testid='node-3']")).hasAttribute("data-paused", "false");
        assertThat(page.locator("#cluster-svg [data-testid='node-2']")).hasAttribute("data-role", "Down");
        assertThat(page.getByTestId("node-panel-3").locator(".badge.paused:not(.frozen)")).isHidden();
        assertThat(page.getByTestId("node-panel-2").locator(".badge.frozen")).isHidden();
    }

    /**
     * Once the page trimmed its history, Save recording starts the file with {@code snapshotEvent} of what the trimmed
     * events built: that Snapshot must still carry what the one the page started from said besides the nodes, the
     * cluster's timing ({@code raft}, which the replay's election rings are drawn over) and {@code eventValues} (which
     * the replay's "values hidden" note comes from).
     */
    @Test
    void theSnapshotATrimmedHistoryIsSavedAsKeepsTheTimingAndTheValuesSetting() {
        @SuppressWarnings("unchecked")
        java.util.Map<String, Object> saved = (java.util.Map<String, Object>) page.evaluate("async () => {"
                + " const r = await import('/js/reducer.js');"
                + " const start = { seq: 5, ts: 1000, node: 0, term: 0, role: '', type: 'Snapshot', members: [1, 2, 3],"
                + "   nodes: [{ id: 1, role: 'Leader', term: 2, leader: 1, log: [] }], faults: {}, eventValues: 'hide',"
                + "   raft: { tickMs: 10, heartbeatMs: 100, electionMs: [500, 1000] } };"
                + " const m = r.reduce(r.initialModel(), start);"
                + " const s = JSON.parse(JSON.stringify(r.snapshotEvent(m)));"
                + " const again = r.reduce(r.initialModel(), s);"
                + " return { raft: JSON.stringify(s.raft ?? null), eventValues: String(s.eventValues),"
                + "   folded: String(again.eventValues) }; }");
        org.assertj.core.api.Assertions.assertThat(saved).containsEntry("raft",
                "{\"tickMs\":10,\"heartbeatMs\":100,\"electionMs\":[500,1000]}")
                .containsEntry("eventValues", "hide").containsEntry("folded", "hide");
    }
}
