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
 * What the page says about a recording beyond its events: the real webroot served by {@link ReplayedLiveView} (no
 * cluster behind it), recordings written by hand.
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
        page = SystemChromium.openLiveView(browser, server.url(), TIMEOUT_MS, errors);
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
