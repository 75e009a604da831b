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
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The live view in the system Chromium against a real 3-node cluster: what a person sees and does. Every wait
 * is a bounded wait on a DOM condition; screenshots go to {@code target/screenshots/}.
 */
@Tag("slow")
class LiveViewBrowserTest {

    private static final Path SHOTS = Paths.get("target", "screenshots");
    /** Screenshots for docs/live-view.md: 1280x720 or smaller (copied by hand into docs/images/live-view/). */
    private static final Path DOC_SHOTS = SHOTS.resolve("docs");
    /** Whether {@link #docShot} takes its pictures. */
    private static final boolean DOC_SHOTS_TAKEN = Boolean.getBoolean("liveview.docShots");
    private static final Path RECORDING = Paths.get("target", "recordings", "live-view-test.ndjson");
    private static final double TIMEOUT_MS = 20_000;

    private static InJvmCluster cluster;
    private static Playwright playwright;
    private static Browser browser;
    private BrowserContext context;
    private Page page;
    private final List<String> pageErrors = new ArrayList<>();

    @BeforeAll
    static void startClusterAndBrowser() throws Exception {
        Files.createDirectories(DOC_SHOTS);
        Files.createDirectories(RECORDING.getParent());
        cluster = InJvmCluster.builder(ClusterConfigs.cluster(3, 7).put("storage", new JsonObject()
                .put("engine", "memory"))).recording(RECORDING).start();
        cluster.awaitLeader(Duration.ofSeconds(10));
        playwright = SystemChromium.playwright();
        browser = SystemChromium.launch(playwright);
        PlaywrightAssertions.setDefaultAssertionTimeout(TIMEOUT_MS);
    }

    @AfterAll
    static void stop() throws Exception {
        SystemChromium.closeAll(browser, playwright, cluster);
    }

    @BeforeEach
    void openPage() {
        page = SystemChromium.openLiveView(browser, cluster.liveViewUrl(), TIMEOUT_MS, pageErrors);
        context = page.context();
    }

    @AfterEach
    void closePage() {
        context.close();
        org.assertj.core.api.Assertions.assertThat(pageErrors).as("errors in the page").isEmpty();
    }

    private Locator nodes() {
        return page.locator("#cluster-svg [data-testid^='node-']");
    }

    private Locator leaders() {
        return page.locator("#cluster-svg [data-role='Leader']");
    }

    private int leaderId() {
        assertThat(leaders()).hasCount(1);
        return Integer.parseInt(leaders().getAttribute("data-testid").substring("node-".length()));
    }

    private void shot(String name) {
        page.screenshot(new Page.ScreenshotOptions().setPath(SHOTS.resolve(name + ".png")).setFullPage(true));
    }

    /**
     * The cluster panel as it would be on a 1280x720 screen, for the docs: the page is drawn at that size for the
     * shot, then given its size back.
     */
    private void docShot(String name) {
        docShot(name, 1280, 720);
    }

    /**
     * The cluster panel as it would be on a screen of that size, for the docs; only with {@code -Dliveview.docShots=true}
     * (docs/live-view.md, Screenshots). Each one redraws the page at that size, which took ten seconds a shot under a
     * write load on two cores: over half a minute of the suite for pictures copied by hand when the docs change.
     */
    private void docShot(String name, int width, int height) {
        if (!DOC_SHOTS_TAKEN) {
            return;
        }
        var size = page.viewportSize();
        page.setViewportSize(width, height);
        page.getByTestId("panel-cluster").screenshot(new Locator.ScreenshotOptions()
                .setPath(DOC_SHOTS.resolve(name + ".png")));
        page.setViewportSize(size.width, size.height);
    }

    @Test
    void at1280x720TheClusterTheKeyFiguresAndACondensedTimelineFitWithoutScrolling() {
        page.setViewportSize(1280, 720);
        page.getByTestId("client-key").fill("fits");
        page.getByTestId("btn-put").click();
        assertThat(page.getByTestId("control-status")).containsText("ok, revision");
        page.evaluate("() => window.scrollTo(0, 0)");
        assertThat(page.locator("[data-testid='timeline-row']").first()).isVisible();
        assertThat(leaders()).hasCount(1);
        for (String testId : List.of("panel-cluster", "panel-figures", "kpi-leader", "kpi-commit", "kpi-msgs",
                "panel-timeline", "timeline-list", "live-speed", "live-pause", "live-step")) {
            var box = page.getByTestId(testId).boundingBox();
            org.assertj.core.api.Assertions.assertThat(box).as(testId).isNotNull();
            org.assertj.core.api.Assertions.assertThat(box.y).as(testId + " top").isGreaterThanOrEqualTo(0);
            org.assertj.core.api.Assertions.assertThat(box.y + box.height).as(testId + " bottom").isLessThanOrEqualTo(720);
            org.assertj.core.api.Assertions.assertThat(box.x + box.width).as(testId + " right").isLessThanOrEqualTo(1280);
        }
        for (int id = 1; id <= 3; id++) {
            var box = page.getByTestId("node-" + id).boundingBox();
            org.assertj.core.api.Assertions.assertThat(box.y + box.height).as("node " + id).isLessThanOrEqualTo(720);
        }
        // Every key figure's label is whole: "Elections/min" was cut to "Elections/…" at this size, unit lost.
        Object cut = page.evaluate("() => [...document.querySelectorAll('.kpi span')]"
                + ".filter(s => s.scrollWidth > s.clientWidth).map(s => s.textContent)");
        org.assertj.core.api.Assertions.assertThat((List<?>) cut).as("key figure labels cut off").isEmpty();
        // A condensed timeline still shows several rows.
        var list = page.getByTestId("timeline-list").boundingBox();
        org.assertj.core.api.Assertions.assertThat(list.height).isGreaterThanOrEqualTo(5 * 24);
        page.screenshot(new Page.ScreenshotOptions().setPath(SHOTS.resolve("layout-1280x720.png")));
        page.screenshot(new Page.ScreenshotOptions().setPath(DOC_SHOTS.resolve("layout-1280x720.png")));
    }

    @Test
    void showsThreeNodesAndExactlyOneLeader() {
        assertThat(nodes()).hasCount(3);
        assertThat(leaders()).hasCount(1);
        assertThat(page.locator("#cluster-svg [data-role='Follower']")).hasCount(2);
        assertThat(page.getByTestId("kpi-leader")).hasText(Pattern.compile("N[123]"));
        // One Raft group: no grid of groups, no group tag (the page is as before sharding).
        assertThat(page.getByTestId("groups-grid")).isHidden();
        assertThat(page.getByTestId("cluster-group")).isHidden();
        // Heartbeats fly as arrows (drawn on the canvas: the page's test hook lists what its last pass drew).
        page.waitForFunction("() => window.__raftline.arrows().some(a => a.kind === 'Heartbeat' && a.len > 10)");
        shot("overview");
    }

    @Test
    void crashingTheLeaderFromTheUiElectsANewLeader() {
        int old = leaderId();
        page.getByTestId("btn-crash-" + old).click();
        assertThat(page.getByTestId("node-" + old)).hasAttribute("data-role", "Down");
        assertThat(leaders()).hasCount(1);
        assertThat(leaders()).not().hasAttribute("data-testid", "node-" + old);
        assertThat(page.getByTestId("control-status")).containsText("crash " + old);
        shot("leader-crashed");
        page.getByTestId("btn-restart-" + old).click();
        assertThat(page.getByTestId("node-" + old)).hasAttribute("data-role", "Follower");
    }

    /**
     * Slowed to 1/10x, an election is seen as it happens: after the leader crashes, a Candidate (with its vote tally)
     * and orange RequestVote arrows are on screen before any other node turns Leader. A recorder in the page looks at
     * the drawing on every animation frame, so no short state can slip between two polls: the arrows the canvas's last
     * pass drew (the page's test hook) and the canvas's own pixels on a vote arrow.
     */
    @Test
    void slowedDownAnElectionShowsTheCandidateAndItsVoteArrowsBeforeTheNewLeader() {
        int old = leaderId();
        page.getByTestId("live-speed").selectOption("0.1");
        page.evaluate("old => { const seen = window.seen = { candidate: 0, tally: '', votes: 0, voteColor: '', both: 0,"
                + "    preVotes: 0, newLeader: 0 };"
                + "  const look = () => {"
                + "    const now = performance.now();"
                + "    const cand = document.querySelector('#cluster-svg [data-role=\"Candidate\"]');"
                + "    const arrows = window.__raftline.arrows();"
                + "    const vote = arrows.find(a => a.kind === 'RequestVote' && !a.lost && a.len > 10);"
                + "    if (cand && !seen.candidate) seen.candidate = now;"
                + "    const tally = document.querySelector('#cluster-svg .tally:not(:empty)');"
                + "    if (tally && !seen.tally) seen.tally = tally.textContent;"
                + "    if (vote && !seen.votes) { seen.votes = now; seen.drawnColor = vote.color; }"
                // What the canvas shows there: the first opaque pixel read on a vote arrow, off the nodes.
                + "    if (vote && vote.offNode && !seen.voteColor) {"
                + "      const at = window.__raftline.arrows({ points: true }).find(a => a.msg === vote.msg);"
                + "      const px = window.__raftline.pixel(at.x, at.y); if (px.alpha === 255) seen.voteColor = px.rgb; }"
                + "    if (arrows.some(a => a.kind === 'PreVote') && !seen.preVotes) seen.preVotes = now;"
                + "    if (cand && vote && !seen.both) seen.both = now;"
                // A little later (the arrows half way), the view is paused once for the docs' screenshot.
                + "    if (seen.both && !seen.paused && now - seen.both > 150) {"
                + "      seen.paused = now; document.querySelector('[data-testid=live-pause]').click(); }"
                + "    const leader = document.querySelector(`#cluster-svg [data-role='Leader']:not([data-testid='node-${old}'])`);"
                + "    if (leader && !seen.newLeader) seen.newLeader = now;"
                + "    if (!seen.newLeader) requestAnimationFrame(look);"
                + "  };"
                + "  look(); }", old);
        page.getByTestId("btn-crash-" + old).click();
        assertThat(page.getByTestId("control-status")).containsText("crash " + old);
        page.waitForFunction("() => window.seen.paused > 0", null, new Page.WaitForFunctionOptions().setTimeout(60_000));
        assertThat(page.getByTestId("live-pause")).hasAttribute("data-paused", "true");
        docShot("election-slowed");
        page.getByTestId("live-pause").click();
        page.waitForFunction("() => window.seen.newLeader > 0", null,
                new Page.WaitForFunctionOptions().setTimeout(60_000));
        @SuppressWarnings("unchecked")
        Map<String, Object> seen = (Map<String, Object>) page.evaluate("() => window.seen");
        double candidate = ((Number) seen.get("candidate")).doubleValue();
        double both = ((Number) seen.get("both")).doubleValue();
        double newLeader = ((Number) seen.get("newLeader")).doubleValue();
        org.assertj.core.api.Assertions.assertThat(candidate).as("a Candidate drawn (%s)", seen).isPositive()
                .isLessThan(newLeader);
        org.assertj.core.api.Assertions.assertThat(both).as("a Candidate and RequestVote arrows on screen together (%s)", seen)
                .isPositive().isLessThan(newLeader);
        org.assertj.core.api.Assertions.assertThat(String.valueOf(seen.get("drawnColor"))).as("vote arrows are orange")
                .isEqualTo("#f0883e");
        org.assertj.core.api.Assertions.assertThat(String.valueOf(seen.get("voteColor"))).as("vote arrows look orange")
                .isEqualTo("rgb(240, 136, 62)");
        org.assertj.core.api.Assertions.assertThat(String.valueOf(seen.get("tally"))).as("the candidate's tally")
                .matches("(pre-)?votes [12]/3");
        shot("election-slowed");
        page.getByTestId("live-speed").selectOption("1");
        page.getByTestId("btn-restart-" + old).click();
        assertThat(page.getByTestId("node-" + old)).hasAttribute("data-role", "Follower");
        assertThat(leaders()).hasCount(1);
    }

    /**
     * A replay plays the same way: a recorded election (hand-written, so no timing of this machine matters) played at
     * 1/10x shows node 2 as a Candidate with its RequestVote arrows, and the vote reply landing, before it leads.
     */
    @Test
    void aReplayedElectionShowsTheVotesBeforeTheLeader() throws Exception {
        Path rec = Paths.get("target", "recordings", "election.ndjson");
        List<String> lines = electionRecording();
        openInReplay(rec, lines);
        assertThat(page.getByTestId("node-2")).hasAttribute("data-role", "Leader");
        page.getByTestId("replay-slider").fill("0");
        // The view is redrawn at the slider's position on a later frame: wait for it, or the recorder below would
        // see the last frame's leader at once.
        assertThat(page.getByTestId("node-2")).not().hasAttribute("data-role", "Leader");
        page.getByTestId("replay-speed").selectOption("0.1");
        // Times are the player's virtual clock (cluster time), not the wall clock: on a loaded machine a long frame
        // moves the clock by up to 25 ms of cluster time at once at 1/10x, and wall-clock gaps between frames then
        // say nothing about what the animation showed (a 180 ms frame once made a 400 ms gap look like 223 ms).
        page.evaluate("() => { const seen = window.seen = { candidate: 0, votes: 0, tally: '', leader: 0 };"
                + "  const look = () => { const now = window.__raftline.clock();"
                + "    if (document.querySelector('[data-testid=node-2][data-role=Candidate]') && !seen.candidate) seen.candidate = now;"
                + "    if (window.__raftline.arrows().some(a => a.kind === 'RequestVote') && !seen.votes) seen.votes = now;"
                + "    const t = document.querySelector('[data-testid=tally-2]');"
                + "    if (t && t.textContent && !seen.tally) seen.tally = t.textContent;"
                + "    if (document.querySelector('[data-testid=node-2][data-role=Leader]') && !seen.leader) seen.leader = now;"
                + "    if (!seen.leader) requestAnimationFrame(look); };"
                + "  look(); }");
        page.getByTestId("replay-play").click();
        page.waitForFunction("() => window.seen.leader > 0");
        @SuppressWarnings("unchecked")
        Map<String, Object> seen = (Map<String, Object>) page.evaluate("() => window.seen");
        double leader = ((Number) seen.get("leader")).doubleValue();
        org.assertj.core.api.Assertions.assertThat(((Number) seen.get("candidate")).doubleValue()).as("%s", seen)
                .isPositive().isLessThan(leader);
        org.assertj.core.api.Assertions.assertThat(((Number) seen.get("votes")).doubleValue()).as("%s", seen)
                .isPositive().isLessThan(leader);
        org.assertj.core.api.Assertions.assertThat(String.valueOf(seen.get("tally"))).isEqualTo("votes 1/3");
        // At 1/10x a message flies for 20 ms of cluster time (200 ms of screen time): the request is seen in flight
        // (before its receipt at 1520) and the leader only once the granted reply has flown back (at 1540 or later).
        org.assertj.core.api.Assertions.assertThat(((Number) seen.get("votes")).doubleValue()).as("%s", seen)
                .isLessThan(1520);
        org.assertj.core.api.Assertions.assertThat(leader).as("%s", seen).isGreaterThanOrEqualTo(1540);
        // Step by step from the start: one event per click, the vote request in flight while node 2 is a candidate.
        page.getByTestId("replay-slider").fill("0");
        String voteArrows = "() => window.__raftline.arrows({ pending: true }).filter(a => a.kind === 'RequestVote').length";
        for (int i = 0; i < 12 && ((Number) page.evaluate(voteArrows)).intValue() < 2; i++) {
            page.getByTestId("live-step").click();
        }
        page.waitForFunction(voteArrows + " === 2");
        assertThat(page.getByTestId("node-2")).hasAttribute("data-role", "Candidate");
        assertThat(page.getByTestId("tally-2")).hasText("votes 1/3");
        page.getByTestId("live-step").click(); // the request to the crashed node 1 is lost at its door
        shot("replay-election-step");
        docShot("replay-election-step");
        page.getByTestId("mode-live").click();
    }

    /**
     * Every way of moving a replay's position moves its slider and its readout with it: a step (before, the slider
     * stood still until Play), a seek (the slider snaps to the event it lands on), playing to the end, and Play at the
     * end, which starts again from the beginning. The slider is the playhead's time since the recording's first event,
     * the readout says the same time and how many events are shown.
     */
    @Test
    void aReplaysSliderAndReadoutFollowEveryStepSeekAndPlay() throws Exception {
        openInReplay(Paths.get("target", "recordings", "election-steps.ndjson"), electionRecording());
        Locator slider = page.getByTestId("replay-slider");
        Locator position = page.getByTestId("replay-position");
        assertThat(slider).hasAttribute("max", "502");
        assertThat(slider).hasValue("502");
        assertThat(position).containsText("+0.5 s · event 14 of 14");

        slider.fill("0");
        assertThat(slider).hasValue("0");
        assertThat(position).containsText("+0.0 s · event 2 of 14");
        // Step: the node 1 crash (at +100 ms), then node 2 standing (at +500 ms), one event a click.
        page.getByTestId("live-step").click();
        assertThat(position).containsText("+0.1 s · event 3 of 14");
        assertThat(slider).hasValue("100");
        page.getByTestId("live-step").click();
        assertThat(position).containsText("+0.5 s · event 4 of 14");
        assertThat(slider).hasValue("500");
        page.getByTestId("live-step").click();
        assertThat(position).containsText("event 5 of 14");
        assertThat(page.getByTestId("node-2")).hasAttribute("data-role", "Candidate");
        assertThat(page.getByTestId("replay-play")).hasText("Play");
        shot("replay-stepped");

        // A seek between two events lands on the earlier one: the slider snaps to it, the readout says it.
        slider.fill("250");
        assertThat(slider).hasValue("100");
        assertThat(position).containsText("+0.1 s · event 3 of 14");

        // Played to the end, the replay stops there.
        page.getByTestId("replay-play").click();
        assertThat(page.getByTestId("replay-play")).hasText("Play");
        assertThat(slider).hasValue("502");
        assertThat(position).containsText("+0.5 s · event 14 of 14");

        // Play at the end starts again from the beginning (at 1/50x, 25 s of screen time to the crash): paused at once,
        // the slider and the readout are back near the start and agree with the playhead.
        page.getByTestId("replay-speed").selectOption("0.02");
        page.getByTestId("replay-play").click();
        page.getByTestId("live-pause").click();
        assertThat(page.getByTestId("replay-play")).hasText("Play");
        assertThat(position).containsText("event 2 of 14");
        double clock = ((Number) page.evaluate("() => window.__raftline.clock()")).doubleValue();
        org.assertj.core.api.Assertions.assertThat(clock).isBetween(1000.0, 1100.0);
        long ms = Math.round(clock - 1000);
        assertThat(slider).hasValue(String.valueOf(ms));
        assertThat(position).containsText(String.format(java.util.Locale.ROOT, "+%.1f s", ms / 1000.0));
        assertThat(position).hasAttribute("data-count", "2");
        page.getByTestId("mode-live").click();
    }

    /**
     * What waits in a node's transport shows in its queue counts and its click-to-list: a recorded {@code QueueStats}
     * (hand-written, so the figures are known) of a node with messages waiting for its loop and messages to a peer
     * still in the transport (a gRPC stream that does not open, as {@code GrpcTransportTest} makes happen).
     */
    @Test
    void theTransportsQueuesShowUnderTheNodeAndInItsList() throws Exception {
        Path rec = Paths.get("target", "recordings", "transport-queues.ndjson");
        List<String> lines = new ArrayList<>();
        lines.add("{\"seq\":1,\"ts\":1000,\"node\":0,\"term\":0,\"role\":\"\",\"type\":\"ClusterInfo\",\"members\":[1,2,3]}");
        lines.add("{\"seq\":2,\"ts\":1000,\"node\":1,\"term\":1,\"role\":\"Leader\",\"type\":\"StateChange\",\"from\":\"Candidate\",\"to\":\"Leader\",\"leader\":1,\"reason\":\"won\"}");
        lines.add("{\"seq\":3,\"ts\":1100,\"node\":2,\"term\":1,\"role\":\"Follower\",\"type\":\"QueueStats\","
                + "\"pendingProposals\":0,\"inbox\":1,\"outbox\":0,\"transportInbox\":3,\"transportOut\":2,"
                + "\"links\":[{\"to\":3,\"outbox\":0,\"transport\":2}],\"held\":[]}");
        openInReplay(rec, lines);
        Locator queue = page.getByTestId("node-queue-2");
        assertThat(queue).hasAttribute("data-source", "server");
        assertThat(queue).hasAttribute("data-transport-in", "3");
        assertThat(queue).hasAttribute("data-transport-out", "2");
        assertThat(queue).hasAttribute("data-in", "4"); // 1 held by the node + 3 waiting in the transport
        assertThat(queue).hasAttribute("data-out", "2");
        assertThat(queue).hasText("↑2 ↓4");
        page.getByTestId("node-2").locator("circle.ring").dispatchEvent("click");
        page.keyboard().press("Escape");
        assertThat(page.getByTestId("transport-queues-2")).hasText("transport: 3 waiting for the node's loop · 2 on their way out");
        assertThat(page.getByTestId("queue-list-2")).containsText("→ 3: 0 held by the network, 2 in the transport");
        docShot("transport-queues");
        page.getByTestId("mode-live").click();
    }

    /**
     * A hand-written recording of an election (14 events, cluster time 1000 to 1502 ms): node 1 leads term 1 and
     * crashes, node 2 stands in term 2, its RequestVote to node 1 is lost at its door, node 3 grants its vote and node 2
     * leads.
     */
    private static List<String> electionRecording() {
        List<String> lines = new ArrayList<>();
        String head = "\"term\":1,\"role\":\"Follower\",";
        lines.add("{\"seq\":1,\"ts\":1000,\"node\":0,\"term\":0,\"role\":\"\",\"type\":\"ClusterInfo\",\"members\":[1,2,3]}");
        lines.add("{\"seq\":2,\"ts\":1000,\"node\":1,\"term\":1,\"role\":\"Leader\",\"type\":\"StateChange\",\"from\":\"Candidate\",\"to\":\"Leader\",\"leader\":1,\"reason\":\"won\"}");
        lines.add("{\"seq\":3,\"ts\":1100,\"node\":1,\"term\":1,\"role\":\"Down\",\"type\":\"NodeCrashed\"}");
        lines.add("{\"seq\":4,\"ts\":1500,\"node\":2," + head + "\"type\":\"StateChange\",\"from\":\"Follower\",\"to\":\"Candidate\",\"leader\":0,\"reason\":\"election timeout\"}");
        lines.add("{\"seq\":5,\"ts\":1500,\"node\":2,\"term\":2,\"role\":\"Candidate\",\"type\":\"ElectionStarted\",\"electionTerm\":2,\"preVote\":false,\"transfer\":false}");
        lines.add(message(6, 1500, "MessageSent", 2, 10, 2, 1, "RequestVote", false, ""));
        lines.add(message(7, 1500, "MessageSent", 2, 11, 2, 3, "RequestVote", false, ""));
        lines.add(message(8, 1501, "MessageDropped", 1, 10, 2, 1, "RequestVote", false, ",\"reason\":\"receiver down\""));
        lines.add(message(9, 1501, "MessageReceived", 3, 11, 2, 3, "RequestVote", false, ""));
        lines.add("{\"seq\":10,\"ts\":1501,\"node\":3,\"term\":2,\"role\":\"Follower\",\"type\":\"VoteGranted\",\"candidate\":2,\"voteTerm\":2,\"preVote\":false}");
        lines.add(message(11, 1501, "MessageSent", 3, 12, 3, 2, "RequestVoteResponse", true, ",\"granted\":true"));
        lines.add(message(12, 1502, "MessageReceived", 2, 12, 3, 2, "RequestVoteResponse", true, ",\"granted\":true"));
        lines.add("{\"seq\":13,\"ts\":1502,\"node\":2,\"term\":2,\"role\":\"Leader\",\"type\":\"StateChange\",\"from\":\"Candidate\",\"to\":\"Leader\",\"leader\":2,\"reason\":\"won\"}");
        lines.add("{\"seq\":14,\"ts\":1502,\"node\":2,\"term\":2,\"role\":\"Leader\",\"type\":\"LeaderElected\",\"leader\":2,\"leaderTerm\":2,\"votes\":2}");
        return lines;
    }

    /** Writes a recording and opens it in the replay, as a user choosing the file would. */
    private void openInReplay(Path recording, List<String> lines) throws IOException {
        Files.write(recording, lines);
        page.getByTestId("mode-replay").click();
        page.getByTestId("replay-file").setInputFiles(recording);
    }

    private static String message(long seq, long ts, String type, int node, long msgId, int from, int to, String kind,
            boolean response, String extra) {
        return "{\"seq\":" + seq + ",\"ts\":" + ts + ",\"node\":" + node + ",\"term\":2,\"role\":\"Follower\",\"type\":\""
                + type + "\",\"msgId\":" + msgId + ",\"from\":" + from + ",\"to\":" + to + ",\"kind\":\"" + kind
                + "\",\"msgTerm\":2,\"response\":" + response + ",\"summary\":\"\"" + extra + "}";
    }

    /**
     * Paused, the view stands still while the cluster runs on; each step shows exactly one more event; an arrow or a
     * node can be clicked and stays pinned in the inspector.
     */
    @Test
    void aPausedViewBuffersEventsAndStepsOneAtATime() {
        page.getByTestId("live-pause").click();
        assertThat(page.getByTestId("live-pause")).hasAttribute("data-paused", "true");
        // Heartbeats go on: the view buffers them.
        assertThat(page.getByTestId("live-behind")).hasAttribute("data-count", Pattern.compile("[1-9]\\d*"));
        Locator behind = page.getByTestId("live-behind");
        long shown = Long.parseLong(behind.getAttribute("data-shown"));
        assertThat(behind).hasAttribute("data-shown", String.valueOf(shown)); // nothing more while paused
        for (int i = 1; i <= 3; i++) {
            page.getByTestId("live-step").click();
            assertThat(behind).hasAttribute("data-shown", String.valueOf(shown + i));
        }
        // Paused, arrows stand still: hovering one shows its tooltip, a click pins it in the inspector (hit-tested on
        // the canvas by geometry, at a point of the arrow off the nodes), a click on a node pins the node.
        String clickable = "() => window.__raftline.arrows({ pending: true, points: true }).filter(a => !a.lost && a.offNode)";
        for (int i = 0; i < 200 && ((List<?>) page.evaluate(clickable)).isEmpty(); i++) {
            page.getByTestId("live-step").click();
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> arrow = ((List<Map<String, Object>>) page.evaluate(clickable)).get(0);
        String kind = String.valueOf(arrow.get("kind"));
        double x = ((Number) arrow.get("x")).doubleValue(), y = ((Number) arrow.get("y")).doubleValue();
        page.mouse().move(x, y);
        assertThat(page.getByTestId("tooltip")).isVisible();
        assertThat(page.getByTestId("tooltip")).containsText(kind + " · " + arrow.get("from") + " → " + arrow.get("to"));
        page.mouse().click(x, y);
        assertThat(page.getByTestId("pinned")).isVisible();
        assertThat(page.getByTestId("pinned")).hasAttribute("data-kind", "msg");
        assertThat(page.getByTestId("pinned")).hasAttribute("data-id", String.valueOf(arrow.get("msg")));
        assertThat(page.getByTestId("pinned")).containsText(kind);
        page.waitForFunction("m => window.__raftline.arrows().some(a => a.pinned && a.msg === m)", arrow.get("msg"));
        docShot("arrow-pinned-1600x1000", 1600, 1000);
        docShot("arrow-pinned");
        page.getByTestId("node-1").locator("circle.ring").dispatchEvent("click");
        assertThat(page.getByTestId("pinned")).hasAttribute("data-kind", "node");
        assertThat(page.getByTestId("pinned")).containsText("Node 1");
        // The node's queues: the server's figures (QueueStats) and the arrows drawn whose receipt is not shown yet.
        assertThat(page.getByTestId("pinned")).containsText("in flight out");
        assertThat(page.getByTestId("node-queue-1")).hasAttribute("data-out", Pattern.compile("\\d+"));
        page.keyboard().press("Escape"); // the node's menu (opened by the click) closes; its details stay pinned
        assertThat(page.getByTestId("node-menu-1")).hasCount(0);
        assertThat(page.getByTestId("pinned")).hasAttribute("data-kind", "node");
        docShot("queues-pinned-node");
        page.getByTestId("pinned").locator(".unpin").click();
        assertThat(page.getByTestId("pinned")).isHidden();
        page.getByTestId("live-jump").click();
        page.getByTestId("live-pause").click();
        assertThat(page.getByTestId("live-pause")).hasAttribute("data-paused", "false");
        assertThat(leaders()).hasCount(1);
        // Live again: the queue figures under each node come from the server (QueueStats), and a click lists them.
        for (int id = 1; id <= 3; id++) {
            assertThat(page.getByTestId("node-queue-" + id)).hasAttribute("data-source", "server");
        }
        page.getByTestId("node-1").locator("circle.ring").dispatchEvent("click");
        assertThat(page.getByTestId("pinned")).containsText(Pattern.compile("server: \\d+ proposals pending"));
        page.getByTestId("pinned").locator(".unpin").click();
    }

    /**
     * Paused, the drawing keeps the state it shows, but the control panel and the node menus act on the newest state:
     * a node crashed while the view is paused can be restarted from the panel and from its menu at once (they used to
     * follow only what the view showed, so the panel kept Crash enabled and Restart disabled until the view moved).
     */
    @Test
    void aPausedViewsControlsFollowTheLiveCluster() {
        int follower = leaderId() % 3 + 1;
        page.getByTestId("live-pause").click();
        assertThat(page.getByTestId("live-pause")).hasAttribute("data-paused", "true");
        // A second or so of heartbeats buffered: the page has drawn everything it had to draw for the pause.
        assertThat(page.getByTestId("live-behind")).hasAttribute("data-count", Pattern.compile("[1-9]\\d{2,}"));
        page.getByTestId("btn-crash-" + follower).click();
        assertThat(page.getByTestId("control-status")).containsText("node " + follower + " crashed");
        assertThat(page.getByTestId("btn-restart-" + follower)).isEnabled();
        assertThat(page.getByTestId("btn-crash-" + follower)).isDisabled();
        // The view itself stays where it was paused: the node is still drawn up.
        assertThat(page.getByTestId("node-" + follower)).not().hasAttribute("data-role", "Down");
        page.getByTestId("node-" + follower).locator("circle.ring").dispatchEvent("click");
        assertThat(page.getByTestId("node-menu-" + follower).getByTestId("node-action-restart")).isVisible();
        page.getByTestId("node-menu-" + follower).getByTestId("node-action-restart").click();
        assertThat(page.getByTestId("node-menu-status")).containsText("node " + follower + " restarted");
        assertThat(page.getByTestId("btn-crash-" + follower)).isEnabled();
        assertThat(page.getByTestId("btn-restart-" + follower)).isDisabled();
        page.keyboard().press("Escape");
        page.getByTestId("live-jump").click();
        page.getByTestId("live-pause").click();
        assertThat(page.getByTestId("live-pause")).hasAttribute("data-paused", "false");
        assertThat(page.getByTestId("node-" + follower)).hasAttribute("data-role", "Follower");
    }

    /**
     * The page under a write load: frames per second and the worst frames measured with requestAnimationFrame over
     * five seconds while clients write through every node, and every arrow on screen a whole arrow (no stubs). The
     * figures are printed and written to {@code target/screenshots/frame-rate.txt} (docs/live-view.md keeps those of a
     * quiet machine); the assertion only asks that the page keeps drawing, since timing goals belong in a benchmark.
     * The eight writers go as fast as they are answered, or, with {@code -Dliveview.load.writesPerSec=N}, at N writes a
     * second in all (to measure at a given event rate).
     */
    @Test
    void underAWriteLoadThePageKeepsDrawingWholeArrows() throws Exception {
        int writesPerSec = Integer.getInteger("liveview.load.writesPerSec", 0);
        int writers = 8;
        long interval = writesPerSec > 0 ? 1_000_000_000L * writers / writesPerSec : 0;
        long warmWrites = writesPerSec > 0 ? Math.min(500, 3L * writesPerSec) : 500;
        java.net.http.HttpClient http = TestHttp.builder()
                .connectTimeout(Duration.ofSeconds(2)).build();
        List<java.net.URI> urls = new ArrayList<>(cluster.nodeUrls().values());
        java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.concurrent.atomic.AtomicLong writes = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.CompletableFuture<Void> warm = new java.util.concurrent.CompletableFuture<>();
        List<java.util.concurrent.CompletableFuture<Void>> loops = new ArrayList<>();
        for (int c = 0; c < writers; c++) {
            java.net.URI base = urls.get(c % urls.size());
            loops.add(writeLoop(http, base, "load-" + c, running, writes, n -> {
                if (n >= warmWrites) {
                    warm.complete(null);
                }
            }, interval));
        }
        try {
            // Wait until the load is on (500 writes acknowledged, or three seconds' worth when paced), then measure.
            warm.get(30, java.util.concurrent.TimeUnit.SECONDS);
            // Where the page's time goes, from Chromium's own counters (and, with -Dliveview.profile=true, a sampled
            // CPU profile of the page's script, which slows it down: not for the frame rate).
            com.microsoft.playwright.CDPSession cdp = page.context().newCDPSession(page);
            cdp.send("Performance.enable");
            boolean profile = Boolean.getBoolean("liveview.profile");
            if (profile) {
                cdp.send("Profiler.enable");
                cdp.send("Profiler.setSamplingInterval", com.google.gson.JsonParser.parseString("{\"interval\":250}")
                        .getAsJsonObject());
                cdp.send("Profiler.start");
            }
            Map<String, Double> before = chromeMetrics(cdp);
            long writesBefore = writes.get();
            long t0 = System.nanoTime();
            @SuppressWarnings("unchecked")
            Map<String, Object> r = (Map<String, Object>) page.evaluate("() => new Promise(resolve => {"
                    + "  const seq0 = Number(document.querySelector('[data-testid=state-digest]').dataset.seq);"
                    + "  const times = []; let stubs = 0, arrows = 0;"
                    + "  const f = t => {"
                    + "    times.push(t);"
                    // The arrows the canvas drew (or, for an A/B against an older page, its SVG arrows).
                    + "    const hook = window.__raftline;"
                    + "    const lens = hook ? hook.arrows().filter(a => !a.lost).map(a => a.len)"
                    + "      : [...document.querySelectorAll('#cluster-svg g.msg .msg-line')].map(l =>"
                    + "        Math.hypot(l.x2.baseVal.value - l.x1.baseVal.value, l.y2.baseVal.value - l.y1.baseVal.value));"
                    + "    for (const len of lens) { arrows++; if (len < 10) stubs++; }"
                    + "    if (t - times[0] < 5000) requestAnimationFrame(f); else {"
                    + "      const gaps = times.slice(1).map((x, i) => x - times[i]).sort((a, b) => a - b);"
                    + "      const seq1 = Number(document.querySelector('[data-testid=state-digest]').dataset.seq);"
                    + "      resolve({ frames: times.length - 1, seconds: (t - times[0]) / 1000,"
                    + "        p50: gaps[Math.floor(gaps.length * 0.5)], p95: gaps[Math.floor(gaps.length * 0.95)],"
                    + "        max: gaps[gaps.length - 1], events: seq1 - seq0, arrows, stubs });"
                    + "    }"
                    + "  };"
                    + "  requestAnimationFrame(f);"
                    + "})");
            double seconds = (System.nanoTime() - t0) / 1e9;
            Map<String, Double> after = chromeMetrics(cdp);
            if (profile) {
                writeProfile(new JsonObject(cdp.send("Profiler.stop").toString()).getJsonObject("profile"));
            }
            java.util.function.ToDoubleFunction<String> perSec = k -> (after.getOrDefault(k, 0.0)
                    - before.getOrDefault(k, 0.0)) / seconds;
            double fps = ((Number) r.get("frames")).doubleValue() / ((Number) r.get("seconds")).doubleValue();
            String line = String.format(java.util.Locale.ROOT,
                    "frame-rate under load: %.1f frames/s, frame p50 %.1f ms, p95 %.1f ms, max %.1f ms;"
                            + " %.0f events/s published, %.0f writes/s acknowledged; %s arrow frames, %s stubs;"
                            + " per second: script %.0f ms, style %.0f ms (%.0f), layout %.0f ms (%.0f), tasks %.0f ms%s",
                    fps, ((Number) r.get("p50")).doubleValue(), ((Number) r.get("p95")).doubleValue(),
                    ((Number) r.get("max")).doubleValue(), ((Number) r.get("events")).doubleValue()
                            / ((Number) r.get("seconds")).doubleValue(),
                    (writes.get() - writesBefore) / seconds, r.get("arrows"), r.get("stubs"),
                    1000 * perSec.applyAsDouble("ScriptDuration"), 1000 * perSec.applyAsDouble("RecalcStyleDuration"),
                    perSec.applyAsDouble("RecalcStyleCount"), 1000 * perSec.applyAsDouble("LayoutDuration"),
                    perSec.applyAsDouble("LayoutCount"), 1000 * perSec.applyAsDouble("TaskDuration"),
                    profile ? " (profiled)" : "");
            System.out.println(line);
            Files.writeString(SHOTS.resolve("frame-rate.txt"), line + System.lineSeparator(),
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            shot("under-load");
            docShot("under-load");
            docShot("under-load-1600x1000", 1600, 1000);
            // The leader's queues under load, listed by a click on it (its menu closed with Escape, the list pinned).
            leaders().locator("circle.ring").dispatchEvent("click");
            page.keyboard().press("Escape");
            assertThat(page.getByTestId("pinned")).containsText(Pattern.compile("server: \\d+ proposals pending"));
            docShot("queues-under-load");
            org.assertj.core.api.Assertions.assertThat(((Number) r.get("frames")).intValue()).as(line).isPositive();
            org.assertj.core.api.Assertions.assertThat(((Number) r.get("stubs")).intValue()).as(line).isZero();
        } finally {
            running.set(false);
            java.util.concurrent.CompletableFuture.allOf(loops.toArray(java.util.concurrent.CompletableFuture<?>[]::new))
                    .get(20, java.util.concurrent.TimeUnit.SECONDS);
        }
        assertThat(leaders()).hasCount(1);
    }

    /** Chromium's performance counters for the page (durations in seconds, counts), by name. */
    static Map<String, Double> chromeMetrics(com.microsoft.playwright.CDPSession cdp) {
        Map<String, Double> out = new java.util.HashMap<>();
        for (Object o : new JsonObject(cdp.send("Performance.getMetrics").toString()).getJsonArray("metrics")) {
            JsonObject m = (JsonObject) o;
            out.put(m.getString("name"), m.getDouble("value"));
        }
        return out;
    }

    /**
     * A sampled CPU profile of the page as the functions that spent the most time themselves (self time), written to
     * {@code target/screenshots/profile.txt}.
     */
    static void writeProfile(JsonObject profile) throws java.io.IOException {
        Map<Integer, String> names = new java.util.HashMap<>();
        for (Object o : profile.getJsonArray("nodes")) {
            JsonObject n = (JsonObject) o;
            JsonObject f = n.getJsonObject("callFrame");
            String url = f.getString("url", "");
            names.put(n.getInteger("id"), (f.getString("functionName").isEmpty() ? "(anonymous)" : f.getString("functionName"))
                    + (url.isEmpty() ? "" : " " + url.substring(url.lastIndexOf('/') + 1) + ":" + (f.getInteger("lineNumber") + 1)));
        }
        io.vertx.core.json.JsonArray samples = profile.getJsonArray("samples");
        io.vertx.core.json.JsonArray deltas = profile.getJsonArray("timeDeltas");
        Map<String, Double> self = new java.util.HashMap<>();
        double total = 0;
        for (int i = 0; i + 1 < samples.size(); i++) {
            double us = deltas.getLong(i + 1);
            total += us;
            self.merge(names.get(samples.getInteger(i)), us, Double::sum);
        }
        StringBuilder out = new StringBuilder(String.format(java.util.Locale.ROOT, "profile: %.0f ms sampled%n", total / 1000));
        double all = total;
        self.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed()).limit(40)
                .forEach(e -> out.append(String.format(java.util.Locale.ROOT, "%8.1f ms %5.1f%%  %s%n", e.getValue() / 1000,
                        100 * e.getValue() / all, e.getKey())));
        System.out.print(out);
        Files.writeString(SHOTS.resolve("profile.txt"), out.toString());
    }

    /**
     * One client writing as fast as its answers come back (or one write every {@code intervalNanos} at most), until
     * told to stop; {@code acknowledged} is given the count of acknowledged writes after each one.
     */
    static java.util.concurrent.CompletableFuture<Void> writeLoop(java.net.http.HttpClient http, java.net.URI base,
            String key, java.util.concurrent.atomic.AtomicBoolean running, java.util.concurrent.atomic.AtomicLong writes,
            java.util.function.LongConsumer acknowledged, long intervalNanos) {
        if (!running.get()) {
            return java.util.concurrent.CompletableFuture.completedFuture(null);
        }
        long started = System.nanoTime();
        java.net.http.HttpRequest put = java.net.http.HttpRequest.newBuilder(base.resolve("/v1/kv/" + key))
                .timeout(Duration.ofSeconds(5))
                .PUT(java.net.http.HttpRequest.BodyPublishers.ofString("v" + writes.get())).build();
        return http.sendAsync(put, java.net.http.HttpResponse.BodyHandlers.discarding())
                .handle((resp, err) -> {
                    if (err == null && resp.statusCode() == 200) {
                        acknowledged.accept(writes.incrementAndGet());
                    }
                    return null;
                })
                .thenCompose(v -> {
                    long wait = intervalNanos - (System.nanoTime() - started);
                    if (wait <= 0) {
                        return writeLoop(http, base, key, running, writes, acknowledged, intervalNanos);
                    }
                    // Paced: the next write is due one interval after this one started.
                    return java.util.concurrent.CompletableFuture.runAsync(() -> { },
                            java.util.concurrent.CompletableFuture.delayedExecutor(wait,
                                    java.util.concurrent.TimeUnit.NANOSECONDS))
                            .thenCompose(x -> writeLoop(http, base, key, running, writes, acknowledged, intervalNanos));
                });
    }

    /**
     * When the page trims its history (it keeps the newest 60,000 events), a saved recording starts with a Snapshot of
     * what the trimmed events built: folding that Snapshot gives back the same replicated state (same digest, members,
     * logs), so a long recording still replays. Checked on the page's own reducer with this cluster's events.
     */
    @Test
    void aSnapshotOfTheFoldedStateReplaysToTheSameState() {
        page.getByTestId("client-key").fill("kept");
        page.getByTestId("btn-put").click();
        assertThat(page.getByTestId("control-status")).containsText("ok, revision");
        Object result = page.evaluate("async () => {"
                + "  const r = await import('/js/reducer.js');"
                + "  const bus = new (await import('/js/bus.js')).EventBus('/eventbus', { reconnect: false });"
                + "  const reply = await new Promise((resolve, reject) => { bus.on('open', () =>"
                + "    bus.send('raft.control', { action: 'state' }).then(resolve, reject)); bus.connect(); });"
                + "  bus.close();"
                + "  const m = r.reduce(r.initialModel(), reply.snapshot);"
                + "  const back = r.reduce(r.initialModel(), JSON.parse(JSON.stringify(r.snapshotEvent(m))));"
                + "  const logs = x => Object.values(x.nodes).map(n => n.log.map(r.entrySignature).join(',')).join('|');"
                + "  return [r.digest(back) === r.digest(m), back.members.join() === m.members.join(), logs(back) === logs(m),"
                + "    logs(m).includes('kept')].join(',');"
                + "}");
        org.assertj.core.api.Assertions.assertThat(String.valueOf(result)).isEqualTo("true,true,true,true");
    }

    @Test
    void aPutFromTheUiAppearsInEveryNodesLog() {
        page.getByTestId("client-key").fill("planet");
        page.getByTestId("client-value").fill("saturn");
        page.getByTestId("btn-put").click();
        assertThat(page.getByTestId("control-status")).containsText("ok, revision");
        for (int id = 1; id <= 3; id++) {
            Locator entry = page.getByTestId("node-log-" + id).locator(".entry", new Locator.LocatorOptions().setHasText("put planet=saturn"));
            assertThat(entry).hasCount(1);
            assertThat(entry).hasAttribute("data-committed", "true");
        }
        page.getByTestId("filter-type").selectOption("ClientRequest");
        assertThat(page.locator("[data-testid='timeline-row'][data-type='ClientRequest']")).hasCount(2); // submitted, completed
        // A click on the entry pins it: every node holds it committed, and it came from this page's request.
        page.getByTestId("node-log-2").locator(".entry", new Locator.LocatorOptions().setHasText("put planet=saturn"))
                .dispatchEvent("click");
        Locator pinned = page.getByTestId("pinned");
        assertThat(pinned).hasAttribute("data-kind", "entry");
        assertThat(pinned).containsText("put planet=saturn");
        assertThat(pinned).containsText("from this page");
        for (int id = 1; id <= 3; id++) {
            assertThat(pinned.locator("dt", new Locator.LocatorOptions().setHasText("node " + id))).hasCount(1);
        }
        assertThat(pinned.locator("dd", new Locator.LocatorOptions().setHasText("committed"))
                .filter(new Locator.FilterOptions().setHasNotText("not committed"))).hasCount(3);
        // When it was committed, from the events (the first LogCommitted that covers it).
        assertThat(pinned.getByTestId("entry-committed"))
                .hasText(Pattern.compile("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} UTC by node \\d.*"));
        shot("put-replicated");
        docShot("pinned-entry");
    }

    /**
     * Every kind of write from another client shows under the recent client requests, as the leader appended it: a
     * transaction and a compare-and-delete were left out (only puts and deletes were listed, as if nobody wrote).
     */
    @Test
    void writesOfEveryKindFromOtherClientsAreListedAsTheLeaderAppendsThem() throws Exception {
        java.net.http.HttpClient http = TestHttp.builder().build();
        java.net.URI base = cluster.nodeUrls().values().iterator().next();
        java.net.http.HttpResponse<String> put = http.send(java.net.http.HttpRequest.newBuilder(base.resolve(
                "/v1/kv/moon")).PUT(java.net.http.HttpRequest.BodyPublishers.ofString("luna")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        org.assertj.core.api.Assertions.assertThat(put.statusCode()).isEqualTo(200);
        long revision = new JsonObject(put.body()).getLong("revision");
        java.net.http.HttpResponse<String> txn = http.send(java.net.http.HttpRequest.newBuilder(base.resolve(
                "/v1/txn")).header("Content-Type", "application/json").POST(java.net.http.HttpRequest.BodyPublishers
                .ofString("{\"compare\":[{\"key\":\"orbit\",\"exists\":false}],\"success\":[{\"put\":"
                        + "{\"key\":\"orbit\",\"value\":\"one\"}}],\"failure\":[]}")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        org.assertj.core.api.Assertions.assertThat(txn.statusCode()).as(txn.body()).isEqualTo(200);
        java.net.http.HttpResponse<String> cad = http.send(java.net.http.HttpRequest.newBuilder(base.resolve(
                "/v1/kv/moon?ifRevision=" + revision)).DELETE().build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        org.assertj.core.api.Assertions.assertThat(cad.statusCode()).as(cad.body()).isEqualTo(200);
        Locator clients = page.getByTestId("client-requests");
        assertThat(clients.locator("[data-source='log']", new Locator.LocatorOptions().setHasText("txn orbit")))
                .hasCount(1);
        assertThat(clients.locator("[data-source='log']", new Locator.LocatorOptions().setHasText("cad moon")))
                .hasCount(1);
    }

    @Test
    void timelineFiltersHideWhatTheyShould() {
        page.getByTestId("client-key").fill("filtered");
        page.getByTestId("btn-put").click();
        assertThat(page.getByTestId("control-status")).containsText("ok, revision");
        Locator rows = page.getByTestId("timeline-row");
        assertThat(rows.first()).isVisible();
        assertThat(page.locator("[data-testid='timeline-row'][data-cat='message']").first()).isVisible();

        page.getByTestId("filter-cat-message").uncheck();
        assertThat(page.locator("[data-testid='timeline-row'][data-cat='message']")).hasCount(0);
        assertThat(rows.first()).isVisible();

        page.getByTestId("filter-cat-message").check();
        page.getByTestId("filter-type").selectOption("MessageSent");
        assertThat(page.locator("[data-testid='timeline-row']:not([data-type='MessageSent'])")).hasCount(0);
        assertThat(rows.first()).isVisible();

        page.getByTestId("filter-node").selectOption("2");
        assertThat(rows.first()).isVisible();
        assertThat(page.locator("[data-testid='timeline-row']:not([data-from='2']):not([data-to='2'])")).hasCount(0);

        // Heartbeats add rows at every frame: pause the view so the row stays where it is while it is clicked.
        page.getByTestId("live-pause").click();
        rows.first().click();
        assertThat(page.getByTestId("inspector")).containsText("\"type\": \"MessageSent\"");
        shot("timeline-filtered");
        page.getByTestId("live-pause").click();
    }

    @Test
    void aReplayOfTheRecordingReachesTheSameStateAsTheLiveView() throws Exception {
        page.getByTestId("client-key").fill("replayed");
        page.getByTestId("client-value").fill("yes");
        page.getByTestId("btn-put").click();
        assertThat(page.getByTestId("control-status")).containsText("ok, revision");
        // Freeze the cluster: after each node's NodePaused nothing about it changes any more.
        page.getByTestId("btn-pause-cluster").click();
        for (int id = 1; id <= 3; id++) {
            assertThat(page.getByTestId("node-" + id)).hasAttribute("data-paused", "true");
        }
        String liveDigest = page.getByTestId("state-digest-value").textContent();
        await(cluster.flushRecording());

        page.getByTestId("mode-replay").click();
        page.getByTestId("replay-file").setInputFiles(RECORDING);
        assertThat(page.getByTestId("replay-bar")).hasAttribute("data-loaded", Pattern.compile("[1-9]\\d*"));
        assertThat(page.getByTestId("replay-bar")).hasAttribute("data-bad", "0");
        assertThat(page.getByTestId("state-digest-value")).hasText(liveDigest);
        for (int id = 1; id <= 3; id++) {
            assertThat(page.getByTestId("node-log-" + id)).containsText("put replayed=yes");
        }
        shot("replay-end");

        // Scrub back to the start (no leader yet) and play: the view follows the recording.
        page.getByTestId("replay-slider").fill("0");
        assertThat(page.locator("#cluster-svg [data-role='Leader']")).hasCount(0);
        assertThat(page.locator("#cluster-svg [data-role='Follower']")).hasCount(3);
        page.getByTestId("replay-speed").selectOption("10");
        page.getByTestId("replay-play").click();
        assertThat(page.locator("#cluster-svg [data-role='Leader']")).hasCount(1);
        shot("replay-playing");

        page.getByTestId("mode-live").click();
        page.getByTestId("btn-resume-cluster").click();
        for (int id = 1; id <= 3; id++) {
            assertThat(page.getByTestId("node-" + id)).hasAttribute("data-paused", "false");
        }
    }

    @Test
    void theSafetyMonitorFlagsTwoLeadersInOneTermInRed() throws Exception {
        Path bad = Paths.get("target", "recordings", "two-leaders.ndjson");
        List<String> lines = new ArrayList<>();
        lines.add("{\"seq\":1,\"ts\":1000,\"node\":0,\"term\":0,\"role\":\"\",\"type\":\"ClusterInfo\",\"members\":[1,2,3]}");
        lines.add("{\"seq\":2,\"ts\":1100,\"node\":1,\"term\":2,\"role\":\"Leader\",\"type\":\"StateChange\",\"from\":\"Candidate\",\"to\":\"Leader\",\"leader\":1,\"reason\":\"won\"}");
        lines.add("{\"seq\":3,\"ts\":1200,\"node\":2,\"term\":2,\"role\":\"Leader\",\"type\":\"StateChange\",\"from\":\"Candidate\",\"to\":\"Leader\",\"leader\":2,\"reason\":\"won\"}");
        openInReplay(bad, lines);
        assertThat(page.getByTestId("safety-banner")).isVisible();
        assertThat(page.getByTestId("safety-banner")).containsText("Nodes 1 and 2 both lead term 2");
        assertThat(page.locator("[data-testid='timeline-row'].violation")).hasCount(1);
        shot("safety-violation");
    }

    @Test
    void aVerifyRunsVerdictIsMarkedGreenOrRedLiveAndInReplay() throws Exception {
        // Live: the verify command publishes its verdict through the cluster's publisher.
        cluster.verticle().publisher().checkVerdict(new JsonObject().put("verdict", "LINEARIZABLE")
                .put("clean", true).put("operations", 1234).put("ok", 1200).put("failed", 30).put("unknown", 4)
                .put("faults", new JsonObject().put("crash", 2)).put("summary", ""));
        assertThat(page.getByTestId("verdict")).hasAttribute("data-verdict", "ok");
        assertThat(page.getByTestId("verdict-text")).hasText("LINEARIZABLE");
        assertThat(page.getByTestId("verdict-mark")).hasText("✓");
        assertThat(page.getByTestId("verdict")).containsText("1,234 operations");
        // The live timeline scrolls on with heartbeats: show only verdicts to find the row.
        page.getByTestId("filter-type").selectOption("CheckVerdict");
        assertThat(page.locator("[data-testid='timeline-row'][data-type='CheckVerdict']"))
                .hasAttribute("data-verdict", "ok");

        // Replay: a recording that ends with a violation shows a red cross; before its last event, nothing.
        Path bad = Paths.get("target", "recordings", "verdict-not-linearizable.ndjson");
        List<String> lines = new ArrayList<>();
        lines.add("{\"seq\":1,\"ts\":1000,\"node\":0,\"term\":0,\"role\":\"\",\"type\":\"ClusterInfo\",\"members\":[1,2,3]}");
        lines.add("{\"seq\":2,\"ts\":1100,\"node\":1,\"term\":1,\"role\":\"Leader\",\"type\":\"StateChange\",\"from\":\"Candidate\",\"to\":\"Leader\",\"leader\":1,\"reason\":\"won\"}");
        lines.add("{\"seq\":3,\"ts\":5000,\"node\":0,\"term\":1,\"role\":\"\",\"type\":\"CheckVerdict\",\"verdict\":\"NOT_LINEARIZABLE\","
                + "\"clean\":false,\"operations\":4,\"ok\":4,\"failed\":0,\"unknown\":0,\"violations\":1,"
                + "\"faults\":{\"partition\":1},\"summary\":\"key stale-k: after 2 linearized operations, #3 read v1\"}");
        openInReplay(bad, lines);
        assertThat(page.getByTestId("verdict")).hasAttribute("data-verdict", "bad");
        assertThat(page.getByTestId("verdict-text")).hasText("NOT_LINEARIZABLE");
        assertThat(page.getByTestId("verdict-mark")).hasText("✗");
        assertThat(page.getByTestId("verdict")).containsText("key stale-k");
        assertThat(page.locator("[data-testid='timeline-row'][data-type='CheckVerdict']"))
                .hasAttribute("data-verdict", "bad");
        shot("verdict-not-linearizable");
        page.getByTestId("replay-slider").fill("0");
        assertThat(page.getByTestId("verdict")).isHidden();
        page.getByTestId("mode-live").click();
    }

    @Test
    void aBrowserFrameToANodeRpcAddressIsRefused() {
        Object errors = page.evaluate("async () => {"
                + "  const { EventBus } = await import('/js/bus.js');"
                + "  const bus = new EventBus('/eventbus', { reconnect: false });"
                + "  const errors = [];"
                + "  await new Promise((resolve, reject) => {"
                + "    const t = setTimeout(() => reject(new Error('no refusal within 10 s')), 10000);"
                + "    bus.on('error', f => { errors.push(f.body); if (errors.length === 2) { clearTimeout(t); resolve(); } });"
                + "    bus.on('open', () => {"
                + "      bus.register('raft.rpc.1', () => {});"
                + "      bus.send('raft.rpc.2', { kind: 'AppendEntries' }).catch(() => {});"
                + "    });"
                + "    bus.connect();"
                + "  });"
                + "  bus.close();"
                + "  return errors;"
                + "}");
        org.assertj.core.api.Assertions.assertThat(String.valueOf(errors)).isEqualTo("[access_denied, access_denied]");
    }

    @Test
    void aSlowLinkIsDrawnAndHealRemovesIt() {
        page.getByTestId("link-from").selectOption("1");
        page.getByTestId("link-to").selectOption("2");
        page.getByTestId("link-delay-min").fill("120");
        page.getByTestId("link-delay-max").fill("200");
        page.getByTestId("btn-link").click();
        assertThat(page.locator("#cluster-svg .link-label")).containsText("+120–200ms");
        page.getByTestId("partition-chip-3").click();
        page.getByTestId("btn-partition").click();
        assertThat(page.getByTestId("link-1-3")).hasAttribute("data-cut", "true");
        assertThat(page.getByTestId("link-1-2")).hasAttribute("data-cut", "false");
        shot("faults");
        page.getByTestId("btn-heal").click();
        assertThat(page.locator("#cluster-svg .link-label")).hasCount(0);
        assertThat(page.getByTestId("link-1-3")).hasAttribute("data-cut", "false");
    }

    @Test
    void addingAndRemovingANodeFromTheUiRedrawsTheCluster() {
        assertThat(nodes()).hasCount(3);
        // A network delay keeps the new node a learner for a few round trips, long enough to be drawn as one.
        page.getByTestId("link-delay-min").fill("100");
        page.getByTestId("link-delay-max").fill("100");
        page.getByTestId("btn-network").click();
        assertThat(page.getByTestId("control-status")).containsText("delay 100 ms");
        // Every node and replication row ever drawn as a learner, whenever the page drew it.
        page.evaluate("() => { window.seenLearners = new Set();"
                + " new MutationObserver(() => document.querySelectorAll('[data-member=\"learner\"]')"
                + "   .forEach(e => window.seenLearners.add(e.getAttribute('data-testid'))))"
                + " .observe(document.body, { subtree: true, childList: true, attributes: true }); }");

        page.getByTestId("btn-add-node").click();
        assertThat(page.getByTestId("control-status")).containsText(Pattern.compile("add node: node \\d+ joined as a voter"),
                new com.microsoft.playwright.assertions.LocatorAssertions.ContainsTextOptions().setTimeout(40_000));
        String status = page.getByTestId("control-status").textContent();
        java.util.regex.Matcher m = Pattern.compile("node (\\d+) joined").matcher(status);
        org.assertj.core.api.Assertions.assertThat(m.find()).as(status).isTrue();
        int added = Integer.parseInt(m.group(1));
        assertThat(nodes()).hasCount(4);
        assertThat(page.getByTestId("node-" + added)).hasAttribute("data-member", "voter");
        assertThat(page.getByTestId("node-" + added)).not().hasClass(Pattern.compile("learner"));
        assertThat(page.getByTestId("node-panel-" + added)).isVisible();
        org.assertj.core.api.Assertions.assertThat(String.valueOf(page.evaluate("() => [...window.seenLearners].sort().join(',')")))
                .as("drawn as a learner while it caught up, in the cluster and in the replication status")
                .contains("node-" + added, "repl-" + added);

        // The configuration changes are in the timeline, under their own filter.
        page.getByTestId("filter-type").selectOption("MembershipChanged");
        Locator changes = page.locator("[data-testid='timeline-row'][data-type='MembershipChanged']");
        assertThat(changes.filter(new Locator.FilterOptions().setHasText("learner " + added)).first()).isAttached();
        assertThat(changes.filter(new Locator.FilterOptions().setHasText("voters 1,2,3," + added)).first()).isAttached();
        page.getByTestId("filter-type").selectOption("");
        for (String other : List.of("election", "message", "log", "fault", "client", "verify")) {
            page.getByTestId("filter-cat-" + other).uncheck();
        }
        assertThat(page.locator("[data-testid='timeline-row']:not([data-type='MembershipChanged'])")).hasCount(0);
        assertThat(changes.first()).isAttached();
        page.getByTestId("filter-cat-membership").uncheck();
        assertThat(page.getByTestId("timeline-row")).hasCount(0);
        page.getByTestId("filter-cat-membership").check();
        assertThat(changes.first()).isAttached();
        page.getByTestId("btn-heal").click();
        assertThat(page.getByTestId("control-status")).containsText("heal: healthy network");
        shot("node-added");

        page.getByTestId("member-pick").selectOption(String.valueOf(added));
        page.getByTestId("btn-remove-node").click();
        assertThat(page.getByTestId("control-status")).containsText("node " + added + " removed and stopped");
        assertThat(nodes()).hasCount(3);
        assertThat(page.getByTestId("node-" + added)).hasCount(0);
        assertThat(page.getByTestId("node-panel-" + added)).hasCount(0);
        assertThat(page.getByTestId("repl-" + added)).hasCount(0);
        assertThat(leaders()).hasCount(1);
        shot("node-removed");
    }

    /**
     * Adding a node takes as long as the cluster needs (the server retries for up to 30 s): with two of three nodes
     * paused it cannot happen, and once one is resumed it does. The page used to give up on the reply after 15 s,
     * say "add node failed: no reply" and drop the answer that came later, while the node went on joining.
     */
    @Test
    void anAddNodeThatTakesMoreThanFifteenSecondsIsReportedWhenItIsDone() throws Exception {
        int leader = leaderId();
        List<Integer> followers = new ArrayList<>();
        for (int id = 1; id <= 3; id++) {
            if (id != leader) {
                followers.add(id);
            }
        }
        try {
            addNodeWhileTwoFollowersArePaused(followers);
        } finally {
            // Whatever failed, the next tests find the three nodes they expect, none paused: in a CI run where this
            // test failed, the node it had added and not removed failed two later tests of the class.
            await(cluster.healAll());
            for (int id : List.copyOf(cluster.verticle().nodes().keySet())) {
                if (id > 3) {
                    await(cluster.verticle().removeNode(id), Duration.ofSeconds(40));
                }
            }
        }
    }

    private void addNodeWhileTwoFollowersArePaused(List<Integer> followers) {
        for (int id : followers) {
            page.getByTestId("btn-pause-" + id).click();
            assertThat(page.getByTestId("control-status")).containsText("node " + id + " paused");
        }
        // The bug is a timer (the page gave up on an answer after 15 s): the page's clock is Playwright's from here on,
        // still running at the real pace, and jumps 16 s ahead once the command is sent, firing every timer due.
        page.clock().install();
        page.getByTestId("btn-add-node").click();
        assertThat(page.getByTestId("control-status")).hasText("add node…");
        page.clock().fastForward(16_000);
        assertThat(page.getByTestId("control-status")).hasText("add node…");
        // One follower back is a quorum: the add goes through, and its answer is the last one the status line shows
        // (with both resumed, the second resume's answer could come after it and replace it).
        page.getByTestId("btn-resume-" + followers.get(0)).click();
        assertThat(page.getByTestId("control-status")).containsText(Pattern.compile("add node: node \\d+ joined as a voter"),
                new com.microsoft.playwright.assertions.LocatorAssertions.ContainsTextOptions().setTimeout(40_000));
        java.util.regex.Matcher m = Pattern.compile("node (\\d+) joined").matcher(page.getByTestId("control-status").textContent());
        org.assertj.core.api.Assertions.assertThat(m.find()).isTrue();
        int added = Integer.parseInt(m.group(1));
        page.getByTestId("btn-resume-" + followers.get(1)).click();
        assertThat(page.getByTestId("control-status")).containsText("node " + followers.get(1) + " resumed");
        assertThat(nodes()).hasCount(4);
        page.getByTestId("member-pick").selectOption(String.valueOf(added));
        page.getByTestId("btn-remove-node").click();
        assertThat(page.getByTestId("control-status")).containsText("node " + added + " removed and stopped",
                new com.microsoft.playwright.assertions.LocatorAssertions.ContainsTextOptions().setTimeout(40_000));
        assertThat(nodes()).hasCount(3);
        assertThat(leaders()).hasCount(1);
    }

    @Test
    void fiveNodesWithALearnerAreLaidOutWithoutOverlapsInAReplay() throws Exception {
        Path rec = Paths.get("target", "recordings", "five-nodes-learner.ndjson");
        List<String> lines = new ArrayList<>();
        lines.add("{\"seq\":1,\"ts\":1000,\"node\":0,\"term\":0,\"role\":\"\",\"type\":\"ClusterInfo\",\"members\":[1,2,3]}");
        long seq = 2;
        for (int id = 1; id <= 3; id++) {
            lines.add(membershipLine(seq++, id, 0, "[1,2,3]", "[]"));
        }
        lines.add("{\"seq\":" + seq++ + ",\"ts\":1100,\"node\":1,\"term\":2,\"role\":\"Leader\",\"type\":\"StateChange\","
                + "\"from\":\"Candidate\",\"to\":\"Leader\",\"leader\":1,\"reason\":\"won\"}");
        lines.add(membershipLine(seq++, 1, 5, "[1,2,3]", "[4]"));
        lines.add(membershipLine(seq++, 1, 6, "[1,2,3,4]", "[]"));
        lines.add(membershipLine(seq++, 1, 7, "[1,2,3,4]", "[5]"));
        lines.add("{\"seq\":" + seq + ",\"ts\":1300,\"node\":5,\"term\":2,\"role\":\"Follower\",\"type\":\"NodePaused\","
                + "\"paused\":true}");
        openInReplay(rec, lines);
        assertThat(nodes()).hasCount(5);
        assertThat(page.getByTestId("node-5")).hasAttribute("data-member", "learner");
        assertThat(page.getByTestId("node-5")).hasClass(Pattern.compile("learner"));
        assertThat(page.getByTestId("node-5")).containsText("learner");
        assertThat(page.getByTestId("node-4")).hasAttribute("data-member", "voter");
        assertThat(page.getByTestId("repl-5")).hasAttribute("data-member", "learner");
        assertThat(page.getByTestId("repl-5")).containsText("learner");
        assertThat(page.getByTestId("node-panel-5")).containsText("learner");
        // Every node (with its tags) inside the drawing, none over another.
        com.microsoft.playwright.options.BoundingBox svg = page.locator("#cluster-svg").boundingBox();
        List<com.microsoft.playwright.options.BoundingBox> boxes = new ArrayList<>();
        for (int id = 1; id <= 5; id++) {
            com.microsoft.playwright.options.BoundingBox b = page.getByTestId("node-" + id).boundingBox();
            org.assertj.core.api.Assertions.assertThat(b.x >= svg.x - 0.5 && b.y >= svg.y - 0.5
                    && b.x + b.width <= svg.x + svg.width + 0.5 && b.y + b.height <= svg.y + svg.height + 0.5)
                    .as("node %d inside the drawing", id).isTrue();
            for (com.microsoft.playwright.options.BoundingBox o : boxes) {
                boolean apart = b.x + b.width <= o.x || o.x + o.width <= b.x || b.y + b.height <= o.y
                        || o.y + o.height <= b.y;
                org.assertj.core.api.Assertions.assertThat(apart).as("node %d clear of the others", id).isTrue();
            }
            boxes.add(b);
        }
        shot("five-nodes-learner");
        page.getByTestId("replay-slider").fill("0");
        assertThat(nodes()).hasCount(3);
        page.getByTestId("mode-live").click();
    }

    /**
     * A click on a node opens its action menu beside it (and pins its details, as before); the menu's items send the
     * control panel's own commands, offer only what applies (crash or restart, pause or resume, isolate or heal), and
     * the menu is usable from the keyboard: Enter on a focused node opens it with the first item focused, the arrow
     * keys move, Escape closes it and gives the focus back to the node; a click outside closes it too.
     */
    @Test
    void aNodesOwnMenuCrashesPausesIsolatesAndMakesItLeader() {
        page.setViewportSize(1280, 720);
        int leader = leaderId();
        int f = leader == 1 ? 2 : 1;
        Locator node = page.getByTestId("node-" + f);
        Locator menu = page.getByTestId("node-menu-" + f);
        // The leader's own menu cannot make it leader. Escape closes the menu, the focus goes back to the node, and
        // the node's details stay pinned.
        page.getByTestId("node-" + leader).click();
        assertThat(page.getByTestId("node-menu-" + leader).getByTestId("node-action-transfer")).isDisabled();
        page.keyboard().press("Escape");
        assertThat(page.getByTestId("node-menu-" + leader)).hasCount(0);
        assertThat(page.locator(":focus")).hasAttribute("data-testid", "node-" + leader);
        assertThat(page.getByTestId("pinned")).containsText("Node " + leader);

        node.click();
        assertThat(menu).isVisible();
        assertThat(page.getByTestId("pinned")).hasAttribute("data-kind", "node");
        assertThat(page.getByTestId("pinned")).containsText("Node " + f);
        assertThat(menu.getByTestId("node-action-crash")).isVisible();
        assertThat(menu.getByTestId("node-action-pause")).isVisible();
        assertThat(menu.getByTestId("node-action-transfer")).isEnabled();
        assertThat(menu.getByTestId("node-action-isolate")).isVisible();
        assertThat(menu.getByTestId("node-action-restart")).hasCount(0);
        assertThat(menu.getByTestId("node-action-resume")).hasCount(0);
        assertThat(menu.getByTestId("node-action-heal")).hasCount(0);
        // Another node's click moves the menu there (dispatched: the pinned details may lie over a lower node).
        page.getByTestId("node-" + leader).locator("circle.ring").dispatchEvent("click");
        assertThat(menu).hasCount(0);
        assertThat(page.getByTestId("node-menu-" + leader)).isVisible();
        page.keyboard().press("Escape");

        // Keyboard: Enter on a focused node opens its menu with the first item focused (and does not run it); the
        // arrows move; a click outside closes it.
        node.focus();
        page.keyboard().press("Enter");
        assertThat(menu).isVisible();
        assertThat(page.locator(":focus")).hasAttribute("data-testid", "node-action-crash");
        page.keyboard().press("ArrowDown");
        assertThat(page.locator(":focus")).hasAttribute("data-testid", "node-action-pause");
        assertThat(page.getByTestId("control-status")).not().containsText("crash");
        page.getByTestId("panel-figures").click();
        assertThat(menu).hasCount(0);

        // Pause and resume: the panel's commands; the outcome in the menu and in the panel.
        node.click();
        menu.getByTestId("node-action-pause").click();
        assertThat(node).hasAttribute("data-paused", "true");
        assertThat(menu.getByTestId("node-menu-status")).containsText("node " + f + " paused");
        assertThat(page.getByTestId("control-status")).containsText("pause " + f);
        menu.getByTestId("node-action-resume").click();
        assertThat(node).hasAttribute("data-paused", "false");
        assertThat(menu.getByTestId("node-action-pause")).isVisible();

        // Isolate: the node is partitioned off from both others; heal puts it back (delays and losses would stay).
        menu.getByTestId("node-action-isolate").click();
        for (int other = 1; other <= 3; other++) {
            if (other != f) {
                assertThat(page.getByTestId("link-" + Math.min(f, other) + "-" + Math.max(f, other)))
                        .hasAttribute("data-cut", "true");
            }
        }
        assertThat(menu.getByTestId("node-action-heal")).isVisible();
        assertThat(menu.getByTestId("node-action-isolate")).hasCount(0);
        assertThat(page.getByTestId("partition-chip-" + f)).hasAttribute("data-group", "B");
        docShot("node-menu");
        menu.getByTestId("node-action-heal").click();
        assertThat(page.locator("#cluster-svg g.link[data-cut='true']")).hasCount(0);
        assertThat(menu.getByTestId("node-menu-status")).containsText("healthy network");

        // Crash and restart.
        menu.getByTestId("node-action-crash").click();
        assertThat(node).hasAttribute("data-role", "Down");
        assertThat(menu.getByTestId("node-action-crash")).hasCount(0);
        menu.getByTestId("node-action-restart").click();
        assertThat(node).not().hasAttribute("data-role", "Down");

        // Make it leader (a leadership transfer).
        menu.getByTestId("node-action-transfer").click();
        assertThat(node).hasAttribute("data-role", "Leader");
        assertThat(menu.getByTestId("node-menu-status")).containsText("handed over to node " + f);
        assertThat(menu.getByTestId("node-action-transfer")).isDisabled();
        page.keyboard().press("Escape");
        assertThat(menu).hasCount(0);
    }

    /**
     * While a recording is replayed the live controls are off (the panel is replaced by a note, the drawing's header
     * says so, a node's menu has no actions), and nothing of the live cluster reaches the replayed one: the live
     * leader crashes and a new one is elected meanwhile, and the replay shows neither a live arrow nor a live role.
     * Back in live mode the controls return and the view shows the live cluster.
     */
    @Test
    void aReplayTurnsTheLiveControlsOffAndNeverDrawsLiveEvents() throws Exception {
        page.setViewportSize(1280, 720);
        int liveLeader = leaderId();
        Path rec = Paths.get("target", "recordings", "replay-controls-off.ndjson");
        List<String> lines = new ArrayList<>();
        lines.add("{\"seq\":1,\"ts\":1000,\"node\":0,\"term\":0,\"role\":\"\",\"type\":\"ClusterInfo\",\"members\":[1,2,3]}");
        lines.add("{\"seq\":2,\"ts\":1100,\"node\":3,\"term\":7,\"role\":\"Leader\",\"type\":\"StateChange\","
                + "\"from\":\"Candidate\",\"to\":\"Leader\",\"leader\":3,\"reason\":\"won\"}");
        lines.add(message(3, 1150, "MessageSent", 3, 20, 3, 1, "Heartbeat", false, ""));
        lines.add(message(4, 1151, "MessageReceived", 1, 20, 3, 1, "Heartbeat", false, ""));
        Files.write(rec, lines);
        // A live event in the timeline's inspector (the view paused while its row is clicked).
        page.getByTestId("live-pause").click();
        page.getByTestId("timeline-row").first().click();
        assertThat(page.getByTestId("inspector")).containsText("\"seq\"");
        page.getByTestId("live-pause").click();
        assertThat(page.getByTestId("live-pause")).hasAttribute("data-paused", "false");
        page.getByTestId("mode-replay").click();
        assertThat(page.getByTestId("inspector")).hasText("Click an event to inspect it.");
        page.getByTestId("replay-file").setInputFiles(rec);
        assertThat(page.getByTestId("node-3")).hasAttribute("data-role", "Leader");
        assertThat(page.getByTestId("kpi-leader")).hasText("N3");
        String digest = page.getByTestId("state-digest-value").textContent();

        // The live controls are off, and say so.
        assertThat(page.getByTestId("replay-controls-off")).isVisible();
        assertThat(page.getByTestId("replay-controls-off")).hasText("replay: live controls off");
        assertThat(page.getByTestId("live-controls-off")).isVisible();
        assertThat(page.getByTestId("live-controls-off")).containsText("replay: live controls off");
        for (String control : List.of("btn-crash-1", "btn-restart-2", "btn-pause-3", "btn-put", "btn-delete",
                "btn-partition", "btn-heal", "btn-network", "btn-link", "btn-pause-cluster", "btn-add-node")) {
            assertThat(page.getByTestId(control)).isHidden();
        }
        page.getByTestId("node-2").click();
        assertThat(page.getByTestId("node-menu-2")).isVisible();
        assertThat(page.getByTestId("node-menu-off")).hasText("replay: live controls off");
        assertThat(page.locator("[data-testid^='node-action-']")).hasCount(0);
        page.keyboard().press("Escape");

        // From now on, every arrow the drawing gets (counted by the canvas's test hook) and every role it shows.
        page.evaluate("() => { const svg = document.querySelector('#cluster-svg');"
                + "  const seen = window.mixed = { made: window.__raftline.arrowsMade(), roles: new Set() };"
                + "  const roles = () => svg.querySelectorAll('g.node-g').forEach(n => seen.roles.add("
                + "    n.getAttribute('data-testid') + '=' + n.getAttribute('data-role')));"
                + "  roles();"
                + "  new MutationObserver(recs => { for (const r of recs) for (const n of r.addedNodes)"
                + "    roles(); })"
                + "  .observe(svg, { subtree: true, childList: true, attributes: true }); }");
        long liveSeq = Long.parseLong(page.getByTestId("connection").getAttribute("data-live-seq"));
        try {
            // Meanwhile the live leader crashes and the others elect a new one: the page receives all of it.
            await(cluster.crash(liveLeader));
            page.waitForFunction("s => Number(document.querySelector('[data-testid=connection]').dataset.liveSeq) > s + 150",
                    (double) liveSeq);
            assertThat(page.getByTestId("state-digest-value")).hasText(digest);
            assertThat(page.getByTestId("kpi-leader")).hasText("N3");
            org.assertj.core.api.Assertions.assertThat(((Number) page.evaluate(
                    "() => window.__raftline.arrowsMade() - window.mixed.made")).intValue())
                    .as("live arrows drawn into the replay").isZero();
            org.assertj.core.api.Assertions.assertThat(String.valueOf(page.evaluate("() => [...window.mixed.roles].sort().join(',')")))
                    .as("roles the replay showed").isEqualTo("node-1=Follower,node-2=Follower,node-3=Leader");
            page.screenshot(new Page.ScreenshotOptions().setPath(DOC_SHOTS.resolve("replay-controls-off.png")));

            // Back to live: the controls return, and the view is the live cluster's (its old leader down).
            page.getByTestId("back-to-live").click();
            assertThat(page.getByTestId("mode-live")).hasClass(Pattern.compile("\\bon\\b"));
            assertThat(page.getByTestId("live-controls-off")).isHidden();
            assertThat(page.getByTestId("replay-controls-off")).isHidden();
            assertThat(page.getByTestId("btn-crash-1")).isVisible();
            assertThat(page.getByTestId("node-" + liveLeader)).hasAttribute("data-role", "Down");
            assertThat(page.getByTestId("btn-restart-" + liveLeader)).isEnabled();
        } finally {
            await(cluster.restart(liveLeader));
        }
        assertThat(page.getByTestId("node-" + liveLeader)).not().hasAttribute("data-role", "Down");
        assertThat(leaders()).hasCount(1);
    }

    private static String membershipLine(long seq, int node, long index, String voters, String learners) {
        return "{\"seq\":" + seq + ",\"ts\":" + (1000 + index * 40) + ",\"node\":" + node + ",\"term\":2,\"role\":\"Follower\","
                + "\"type\":\"MembershipChanged\",\"index\":" + index + ",\"voters\":" + voters + ",\"learners\":"
                + learners + ",\"addresses\":{},\"reason\":\"configuration entry at " + index + " appended\"}";
    }
}
