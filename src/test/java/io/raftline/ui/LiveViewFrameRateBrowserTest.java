package io.raftline.ui;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.CDPSession;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.assertions.PlaywrightAssertions;
import io.raftline.TestHttp;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The live view's own cost under load: a real 3-node cluster is loaded once, in the set-up, while a
 * {@link NodeCallTape} records what its nodes report; the cluster is then stopped, and the tape is told, paced, to an
 * event publisher behind the real bridge and webroot ({@link ReplayedLiveView}), with Chromium watching in live mode.
 * So the browser has the machine's cores to itself (no cluster, no writers), and the figures are the page's.
 *
 * <p>Two rates: {@value #EVENTS_PER_SEC} published events a second (the tape's speed steered to it), and the events of
 * 1,000 writes a second (the tape sped up by 1,000 over the writes a second it recorded). Each prints frames a second,
 * frame-time percentiles and Chromium's main-thread counters, and appends them to
 * {@code target/screenshots/frame-rate-replay.txt} (docs/live-view.md, "Fifth pass"); the assertions are the page's
 * behaviour only (the events reach it, it draws whole arrows, no stubs, no errors), since timing goals are not test
 * assertions here. {@code -Dliveview.profile=true} writes a sampled CPU profile to {@code target/screenshots/profile.txt},
 * {@code -Dliveview.trace=true} a Chromium trace of the measurement to {@code target/screenshots/trace.json}.
 */
@Tag("slow")
class LiveViewFrameRateBrowserTest {

    private static final Path SHOTS = Paths.get("target", "screenshots");
    private static final double TIMEOUT_MS = 30_000;
    /** The event rate of the first measurement, published events a second. */
    static final int EVENTS_PER_SEC = 500;
    /** The write rate whose events the second measurement replays. */
    private static final int WRITES_PER_SEC = 1000;
    /** Acknowledged writes the tape holds (the 1,000 writes/s run needs warm-up plus measurement out of it). */
    private static final long TAPE_WRITES = Long.getLong("liveview.tape.writes", 18_000);
    private static final double MEASURE_MS = 1000 * Double.parseDouble(System.getProperty("liveview.measure.seconds", "8"));
    private static final List<Integer> MEMBERS = List.of(1, 2, 3);
    private static final JsonObject TIMING = new JsonObject().put("tickMs", 10).put("heartbeatMs", 50)
            .put("electionMs", new JsonArray().add(300).add(600));

    private static List<NodeCallTape.Call> calls;
    private static int loadFrom;
    private static double tapeWritesPerSec;
    private static double tapeSeconds;
    private static Playwright playwright;
    private static Browser browser;
    private final List<String> pageErrors = new ArrayList<>();

    /** Records the tape: a cluster under eight unpaced writers, then stopped before any browser starts. */
    @BeforeAll
    static void recordTapeThenStartBrowser() throws Exception {
        Files.createDirectories(SHOTS);
        NodeCallTape tape = new NodeCallTape();
        try (InJvmCluster cluster = InJvmCluster.builder(ClusterConfigs.cluster(3, 7).put("storage", new JsonObject()
                .put("engine", "memory"))).listener(tape).start()) {
            cluster.awaitLeader(Duration.ofSeconds(10));
            HttpClient http = TestHttp.builder().connectTimeout(Duration.ofSeconds(2)).build();
            List<URI> urls = new ArrayList<>(cluster.nodeUrls().values());
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicLong writes = new AtomicLong();
            AtomicLong markedAt = new AtomicLong(Long.MAX_VALUE);
            CompletableFuture<Void> warm = new CompletableFuture<>();
            CompletableFuture<Void> done = new CompletableFuture<>();
            List<CompletableFuture<Void>> loops = new ArrayList<>();
            for (int c = 0; c < 8; c++) {
                loops.add(LiveViewBrowserTest.writeLoop(http, urls.get(c % urls.size()), "load-" + c, running, writes,
                        n -> {
                            if (n >= 200) {
                                warm.complete(null);
                            }
                            if (n - markedAt.get() >= TAPE_WRITES) {
                                done.complete(null);
                            }
                        }, 0));
            }
            try {
                warm.get(30, TimeUnit.SECONDS);
                long t0 = System.nanoTime();
                tape.mark();
                markedAt.set(writes.get());
                done.get(120, TimeUnit.SECONDS);
                tape.stop();
                tapeSeconds = (System.nanoTime() - t0) / 1e9;
                tapeWritesPerSec = (writes.get() - markedAt.get()) / tapeSeconds;
            } finally {
                running.set(false);
                CompletableFuture.allOf(loops.toArray(CompletableFuture<?>[]::new)).get(20, TimeUnit.SECONDS);
            }
        }
        calls = tape.calls();
        loadFrom = tape.markIndex();
        System.out.printf(Locale.ROOT, "tape: %d calls (%d before the load), %.1f s of load at %.0f writes/s%n",
                calls.size(), loadFrom, tapeSeconds, tapeWritesPerSec);
        playwright = SystemChromium.playwright();
        browser = SystemChromium.launch(playwright);
        PlaywrightAssertions.setDefaultAssertionTimeout(TIMEOUT_MS);
    }

    @AfterAll
    static void stop() throws Exception {
        SystemChromium.closeAll(browser, playwright);
    }

    @AfterEach
    void noErrors() {
        org.assertj.core.api.Assertions.assertThat(pageErrors).as("errors in the page").isEmpty();
    }

    /** 500 published events a second: the tape's speed is steered so that the publisher publishes that many. */
    @Test
    void atFiveHundredEventsASecondThePageDrawsWholeArrows() throws Exception {
        int target = Integer.getInteger("liveview.replay.eventsPerSec", EVENTS_PER_SEC);
        measure("events " + target + "/s", server -> new RateSteer(server::published, target,
                target / Math.max(1, tapeWritesPerSec * 6)));
    }

    /** The events of 1,000 writes a second: the tape sped up by 1,000 over its recorded writes a second. */
    @Test
    void atAThousandWritesASecondThePageDrawsWholeArrows() throws Exception {
        double scale = WRITES_PER_SEC / tapeWritesPerSec;
        measure(String.format(Locale.ROOT, "writes %d/s (tape x%.2f)", WRITES_PER_SEC, scale), server -> () -> scale);
    }

    private void measure(String label, java.util.function.Function<ReplayedLiveView, DoubleSupplier> speed)
            throws Exception {
        try (ReplayedLiveView server = new ReplayedLiveView(MEMBERS, TIMING)) {
            server.tellAtOnce(calls, loadFrom);
            Page page = SystemChromium.openLiveView(browser, server.url(), TIMEOUT_MS, pageErrors);
            try {
                CompletableFuture<Void> ended = new CompletableFuture<>();
                server.play(calls, loadFrom, speed.apply(server), () -> ended.complete(null));
                // Warm up (the page's first frames, the steering settling): three seconds' worth of events shown.
                long seq0 = seq(page);
                page.waitForFunction("n => Number(document.querySelector('[data-testid=state-digest]').dataset.seq) >= n",
                        (double) (seq0 + 3L * EVENTS_PER_SEC), new Page.WaitForFunctionOptions().setTimeout(TIMEOUT_MS));
                CDPSession cdp = page.context().newCDPSession(page);
                cdp.send("Performance.enable");
                boolean profile = Boolean.getBoolean("liveview.profile");
                if (profile) {
                    cdp.send("Profiler.enable");
                    cdp.send("Profiler.setSamplingInterval", com.google.gson.JsonParser.parseString(
                            "{\"interval\":250}").getAsJsonObject());
                    cdp.send("Profiler.start");
                }
                boolean trace = Boolean.getBoolean("liveview.trace");
                if (trace) {
                    browser.startTracing(page, new Browser.StartTracingOptions().setCategories(List.of(
                            "devtools.timeline", "disabled-by-default-devtools.timeline", "toplevel", "cc", "viz")));
                }
                Map<String, Double> before = LiveViewBrowserTest.chromeMetrics(cdp);
                long cpu0 = chromiumCpuTicks();
                long published0 = server.published();
                long t0 = System.nanoTime();
                @SuppressWarnings("unchecked")
                Map<String, Object> r = (Map<String, Object>) page.evaluate("ms => new Promise(resolve => {"
                        + "  const seqNow = () => Number(document.querySelector('[data-testid=state-digest]').dataset.seq);"
                        + "  const seq0 = seqNow(), times = []; let stubs = 0, arrows = 0; const kinds = {};"
                        + "  const f = t => {"
                        + "    times.push(t);"
                        + "    for (const a of window.__raftline.arrows()) {"
                        + "      if (a.lost) continue;"
                        + "      arrows++; kinds[a.kind] = (kinds[a.kind] || 0) + 1; if (a.len < 10) stubs++;"
                        + "    }"
                        + "    if (t - times[0] < ms) requestAnimationFrame(f); else {"
                        + "      const gaps = times.slice(1).map((x, i) => x - times[i]).sort((a, b) => a - b);"
                        + "      resolve({ frames: times.length - 1, seconds: (t - times[0]) / 1000,"
                        + "        p50: gaps[Math.floor(gaps.length * 0.5)], p95: gaps[Math.floor(gaps.length * 0.95)],"
                        + "        max: gaps[gaps.length - 1], events: seqNow() - seq0, arrows, stubs,"
                        + "        kinds: JSON.stringify(kinds) });"
                        + "    }"
                        + "  };"
                        + "  requestAnimationFrame(f);"
                        + "})", MEASURE_MS);
                double seconds = (System.nanoTime() - t0) / 1e9;
                long published = server.published() - published0;
                Map<String, Double> after = LiveViewBrowserTest.chromeMetrics(cdp);
                long cpu1 = chromiumCpuTicks();
                if (trace) {
                    Files.write(SHOTS.resolve("trace.json"), browser.stopTracing());
                }
                if (profile) {
                    LiveViewBrowserTest.writeProfile(new JsonObject(cdp.send("Profiler.stop").toString())
                            .getJsonObject("profile"));
                }
                boolean tapeRanOut = ended.isDone();
                java.util.function.ToDoubleFunction<String> perSec = k -> (after.getOrDefault(k, 0.0)
                        - before.getOrDefault(k, 0.0)) / seconds;
                double pageSeconds = ((Number) r.get("seconds")).doubleValue();
                double fps = ((Number) r.get("frames")).doubleValue() / pageSeconds;
                String load = Files.readString(Paths.get("/proc/loadavg")).trim();
                String line = String.format(Locale.ROOT,
                        "%s %s: %.1f frames/s, frame p50 %.1f ms, p95 %.1f ms, max %.1f ms; %.0f events/s published,"
                                + " %.0f events/s reached the page; %s arrow frames, %s stubs, kinds %s;"
                                + " per second: script %.0f ms, style %.0f ms (%.0f), layout %.0f ms (%.0f), tasks %.0f ms,"
                                + " main thread CPU %.0f ms, renderer CPU %.0f ms, Chromium CPU %.0f ms;"
                                + " loadavg %s%s",
                        java.time.Instant.now(), label, fps, ((Number) r.get("p50")).doubleValue(),
                        ((Number) r.get("p95")).doubleValue(), ((Number) r.get("max")).doubleValue(),
                        published / seconds, ((Number) r.get("events")).doubleValue() / pageSeconds, r.get("arrows"),
                        r.get("stubs"), r.get("kinds"),
                        1000 * perSec.applyAsDouble("ScriptDuration"), 1000 * perSec.applyAsDouble("RecalcStyleDuration"),
                        perSec.applyAsDouble("RecalcStyleCount"), 1000 * perSec.applyAsDouble("LayoutDuration"),
                        perSec.applyAsDouble("LayoutCount"), 1000 * perSec.applyAsDouble("TaskDuration"),
                        1000 * perSec.applyAsDouble("ThreadTime"), 1000 * perSec.applyAsDouble("ProcessTime"),
                        (cpu1 - cpu0) * 1000.0 / TICKS_PER_SEC / seconds, load,
                        profile ? " (profiled)" : "");
                System.out.println(line);
                Files.writeString(SHOTS.resolve("frame-rate-replay.txt"), line + System.lineSeparator(),
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                String name = label.startsWith("events") ? "replayed-events" : "replayed-writes";
                screenshot(page, name + "-1600x1000", 1600, 1000);
                screenshot(page, name + "-1280x720", 1280, 720);

                org.assertj.core.api.Assertions.assertThat(tapeRanOut).as("the tape lasted the measurement: " + line)
                        .isFalse();
                // Live mode, through the bridge: the events reached the page and it kept up with them.
                assertThat(page.getByTestId("connection")).hasAttribute("data-state", "live");
                assertThat(page.getByTestId("live-controls-off")).isHidden();
                org.assertj.core.api.Assertions.assertThat(((Number) r.get("events")).longValue()).as(line)
                        .isGreaterThan(published / 2);
                // It drew: frames, arrows (appends among them), every one whole.
                org.assertj.core.api.Assertions.assertThat(((Number) r.get("frames")).intValue()).as(line).isPositive();
                org.assertj.core.api.Assertions.assertThat(((Number) r.get("arrows")).intValue()).as(line).isPositive();
                org.assertj.core.api.Assertions.assertThat((String) r.get("kinds")).as(line).contains("Append");
                org.assertj.core.api.Assertions.assertThat(((Number) r.get("stubs")).intValue()).as(line).isZero();
                assertThat(page.locator("#cluster-svg [data-role='Leader']")).hasCount(1);
            } finally {
                page.context().close();
            }
        }
    }

    /** Linux's USER_HZ, the unit of /proc/PID/stat's CPU times. */
    private static final long TICKS_PER_SEC = 100;

    /**
     * The CPU time (user + system, in clock ticks) of the Chromium processes this JVM started (through Playwright's
     * driver). Chromium's own counters give the renderer's main thread and process; this adds the raster, compositing
     * and browser-process work a frame also costs.
     */
    private static long chromiumCpuTicks() {
        long all = 0;
        for (ProcessHandle p : ProcessHandle.current().descendants().toList()) {
            if (!p.info().commandLine().orElse("").contains("chromium")) {
                continue;
            }
            try {
                String stat = Files.readString(Paths.get("/proc", String.valueOf(p.pid()), "stat"));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                all += Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14 and 15)
            } catch (java.io.IOException | RuntimeException e) {
                // the process ended between the listing and the read: it no longer costs anything
            }
        }
        return all;
    }

    private static long seq(Page page) {
        return ((Number) page.evaluate("() => Number(document.querySelector('[data-testid=state-digest]').dataset.seq)"))
                .longValue();
    }

    /** The whole page as a screen of that size shows it (the page gets its size back after). */
    private static void screenshot(Page page, String name, int width, int height) {
        var size = page.viewportSize();
        page.setViewportSize(width, height);
        page.screenshot(new Page.ScreenshotOptions().setPath(SHOTS.resolve(name + ".png")));
        page.setViewportSize(size.width, size.height);
    }

    /**
     * The tape's speed, steered so that the publisher publishes {@code target} events a second: every half second the
     * rate of the last second is compared with the target and the speed corrected (by half the ratio's logarithm, so
     * it settles without swinging). Asked on the player's timer, one thread.
     */
    private static final class RateSteer implements DoubleSupplier {
        private final java.util.function.LongSupplier published;
        private final double target;
        private double scale;
        private final java.util.ArrayDeque<long[]> samples = new java.util.ArrayDeque<>();

        RateSteer(java.util.function.LongSupplier published, double target, double initial) {
            this.published = published;
            this.target = target;
            this.scale = initial;
        }

        @Override
        public double getAsDouble() {
            long now = System.nanoTime();
            if (samples.isEmpty() || now - samples.peekLast()[0] >= 500_000_000L) {
                samples.addLast(new long[] {now, published.getAsLong()});
                while (samples.size() > 3) {
                    samples.removeFirst();
                }
                if (samples.size() == 3) {
                    long[] first = samples.peekFirst();
                    long[] last = samples.peekLast();
                    double rate = (last[1] - first[1]) / ((last[0] - first[0]) / 1e9);
                    double ratio = rate <= 0 ? 2 : Math.sqrt(target / rate);
                    scale *= Math.max(0.5, Math.min(2, ratio));
                }
            }
            return scale;
        }
    }
}
