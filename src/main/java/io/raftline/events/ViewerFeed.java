package io.raftline.events;

import io.reactivex.rxjava3.core.BackpressureOverflowStrategy;
import io.reactivex.rxjava3.core.Flowable;
import io.reactivex.rxjava3.core.Scheduler;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * One browser's share of the published event stream. Browsers differ: one draws 60 frames a second on a fast
 * machine, another is a phone on a slow link. A single stream written to all of them at the pace of the cluster
 * would either hold the fast ones back or fill the server's memory with what the slow ones have not read. So each
 * browser gets its own {@link Flowable}, and its subscriber's demand (how fast its socket takes frames) is what
 * shapes it:
 *
 * <ul>
 *   <li>while the browser keeps up, it gets every published event;</li>
 *   <li>when windows wait for it (it is behind), the windows it gets next keep every state event but their
 *       routine message events (AppendEntries, heartbeats, ReadIndex and their responses) are replaced by one
 *       {@code Traffic} event per window that counts them per link and kind, which the view draws as link
 *       thickness; votes, pre-votes, snapshots and TimeoutNow, which elections are read from, are kept; a receive or
 *       drop goes with its send;</li>
 *   <li>when more than {@link Options#maxLagWindows()} windows wait, the oldest are dropped and the next thing the
 *       browser gets is a {@code Snapshot} of the cluster (with {@code "resync": true}) taken on the pipeline's
 *       scheduler, after which only events newer than it follow. The browser's reducer starts again from it, as a
 *       late joiner does.</li>
 * </ul>
 *
 * <p>The window the browser is being given is shaped when it is taken from the buffer, which is one window ahead
 * of the browser's demand: lag is measured in the windows that wait behind it.
 *
 * <p>Everything here runs on the pipeline's scheduler: the windows arrive there, the lag is counted there, and the
 * snapshot is folded there, so it is consistent with the {@code seq} of the windows around it.
 */
public final class ViewerFeed {

    /**
     * How much a browser may fall behind.
     *
     * @param maxLagWindows windows (of {@link PublisherOptions#flushIntervalMs()} each) that may wait for a browser
     *                      before it is resynchronised from a snapshot
     */
    public record Options(int maxLagWindows) {

        /** 100 windows: 5 seconds at the default 50 ms. */
        public static final Options DEFAULTS = new Options(100);

        /**
         * Checks the bound.
         *
         * @param maxLagWindows at least 1
         */
        public Options {
            if (maxLagWindows < 1) {
                throw new IllegalArgumentException("maxLagWindows must be >= 1, got " + maxLagWindows);
            }
        }
    }

    private ViewerFeed() {
    }

    /**
     * The stream of one browser.
     *
     * @param windows   the published windows, hot, on {@code scheduler}
     * @param scheduler the pipeline's scheduler
     * @param snapshot  the folded cluster state now (called on {@code scheduler})
     * @param options   the lag bound
     * @return the browser's events, on {@code scheduler}; each subscription is one browser
     */
    public static Flowable<JsonObject> create(Flowable<List<JsonObject>> windows, Scheduler scheduler,
            Supplier<JsonObject> snapshot, Options options) {
        return Flowable.defer(() -> {
            Lag lag = new Lag(snapshot);
            return windows
                    .doOnNext(w -> lag.waiting++)
                    .onBackpressureBuffer(options.maxLagWindows(), lag::overflowed, BackpressureOverflowStrategy.DROP_OLDEST)
                    .observeOn(scheduler, false, 1)
                    .concatMapIterable(lag::shape, 1);
        });
    }

    /** Kinds a behind browser gets counted instead of drawn. */
    static boolean routine(String kind) {
        return switch (kind) {
            case "AppendEntries", "AppendEntriesResponse", "Heartbeat", "HeartbeatResponse", "ReadIndex",
                    "ReadIndexResponse" -> true;
            default -> false;
        };
    }

    /** One browser's lag; touched only on the pipeline's scheduler. */
    private static final class Lag {
        /** Published sends remembered to tell whether a later receive's send was left out. */
        private static final int REMEMBERED = 4096;

        private final Supplier<JsonObject> snapshot;
        /** Windows published and not yet shaped for the browser (this one included while it is shaped). */
        int waiting;
        private boolean lagged;
        private long resyncSeq;
        /** msgIds of sends left out for this browser, so their receives are left out too. */
        private final Set<Long> leftOut = new HashSet<>();
        private final java.util.ArrayDeque<Long> leftOutOrder = new java.util.ArrayDeque<>();

        Lag(Supplier<JsonObject> snapshot) {
            this.snapshot = snapshot;
        }

        void overflowed() {
            waiting--; // the oldest window was dropped
            lagged = true;
        }

        List<JsonObject> shape(List<JsonObject> window) {
            waiting--;
            List<JsonObject> out = new ArrayList<>(window.size() + 1);
            if (lagged) {
                lagged = false;
                JsonObject snap = snapshot.get().put("resync", true);
                resyncSeq = snap.getLong("seq");
                leftOut.clear();
                leftOutOrder.clear();
                out.add(snap);
            }
            boolean behind = waiting > 0;
            Map<String, JsonObject> traffic = new TreeMap<>();
            long lastOmitted = -1;
            for (JsonObject e : window) {
                long seq = e.getLong("seq");
                if (seq <= resyncSeq) {
                    continue;
                }
                String type = e.getString("type");
                boolean message = type.startsWith("Message");
                if (!message) {
                    out.add(e);
                    continue;
                }
                long msgId = e.getLong("msgId", 0L);
                boolean send = type.equals("MessageSent");
                if (send && behind && routine(e.getString("kind", ""))) {
                    remember(msgId);
                    String link = e.getInteger("from") + ">" + e.getInteger("to") + " " + e.getString("kind");
                    JsonObject t = traffic.computeIfAbsent(link, k -> new JsonObject().put("from", e.getInteger("from"))
                            .put("to", e.getInteger("to")).put("kind", e.getString("kind")).put("count", 0));
                    t.put("count", t.getInteger("count") + 1);
                    lastOmitted = seq;
                } else if (!send && leftOut.contains(msgId)) {
                    lastOmitted = seq;
                } else {
                    out.add(e);
                }
            }
            if (!traffic.isEmpty()) {
                // Takes the seq of the last event it stands for: that event is not sent, so seq stays unique.
                out.add(new JsonObject().put("seq", lastOmitted).put("ts", window.get(window.size() - 1).getLong("ts"))
                        .put("node", 0).put("term", 0).put("role", "").put("type", "Traffic")
                        .put("links", new JsonArray(new ArrayList<>(traffic.values()))));
                out.sort((a, b) -> Long.compare(a.getLong("seq"), b.getLong("seq")));
            }
            return out;
        }

        private void remember(long msgId) {
            if (leftOut.add(msgId)) {
                leftOutOrder.add(msgId);
                if (leftOutOrder.size() > REMEMBERED) {
                    leftOut.remove(leftOutOrder.poll());
                }
            }
        }
    }
}
