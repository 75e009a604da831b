package io.raftline.verify.nemesis;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Injects faults on a schedule, one at a time: a healthy pause, then a fault held for a random time in
 * [{@link NemesisOptions#faultMinMs()}, {@link NemesisOptions#faultMaxMs()}], then its healing, and again, until
 * the time to stop; then it heals everything. Kinds are drawn in shuffled rounds (every enabled kind once per
 * round), so that even a short run injects each of them. Half of the crashes, pauses, partitions and membership
 * changes and three stalls in four aim at the current leader, where they hurt most (a stalled leader is the one that
 * can come back believing it still leads; a removed leader must hand over). While a node is stalled, a {@link StallObserver} is told, so that requests can be
 * aimed at it. Runs on the caller's thread, which it blocks (each call to the cluster is bounded).
 */
public final class Nemesis {

    /**
     * Learns when a node is stalled and when it is about to continue, to aim requests at it meanwhile (see
     * {@link StallProbes}).
     */
    public interface StallObserver {
        /** Observes nothing. */
        StallObserver NONE = new StallObserver() {
            @Override
            public void stalled(int node) {
            }

            @Override
            public void continuing(int node) {
            }
        };

        /**
         * The node was stalled.
         *
         * @param node the node
         */
        void stalled(int node);

        /**
         * The node is about to continue: start nothing new against it.
         *
         * @param node the node
         */
        void continuing(int node);
    }

    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(90);
    /** How long one membership change (a removal, or an addition and its promotion) may take, retries included. */
    private static final Duration CHANGE_TIMEOUT = Duration.ofSeconds(30);
    /** How long a stalled node whose links were cut stays cut off after it continues. */
    private static final long CUT_AFTER_CONTINUE_MS = 250;

    private final ClusterUnderTest cluster;
    private final NemesisOptions options;
    private final HistoryRecorder clock;
    private final FaultLog log;
    private final PrintStream progress;
    private final long runStart;
    private final Random random;
    private final StallObserver stalls;
    private volatile long healedAt = -1;
    /** The longest time healing each kind took so far (a relaunched process needs seconds). */
    private final Map<FaultKind, Long> healMs = new EnumMap<>(FaultKind.class);

    /**
     * Prepares the nemesis.
     *
     * @param cluster  the cluster to hurt
     * @param options  fault kinds and times, seed
     * @param clock    the run's clock
     * @param log      where injected faults are recorded
     * @param progress where a line per fault is printed
     * @param runStart the run's start, for the times printed
     * @param stalls   told when a node is stalled and when it continues
     */
    public Nemesis(ClusterUnderTest cluster, NemesisOptions options, HistoryRecorder clock, FaultLog log,
                   PrintStream progress, long runStart, StallObserver stalls) {
        this.cluster = cluster;
        this.options = options;
        this.clock = clock;
        this.log = log;
        this.progress = progress;
        this.runStart = runStart;
        this.random = new Random(options.seed() ^ 0x6e656d65L);
        this.stalls = stalls;
        for (FaultKind k : FaultKind.values()) {
            healMs.put(k, 0L);
        }
    }

    /**
     * When everything was healed at the end.
     *
     * @return the recorder-clock time, or -1 before
     */
    public long healedAt() {
        return healedAt;
    }

    /**
     * Injects faults until {@code stopAt}, then heals everything.
     *
     * @param stopAt no fault starts or lasts past this time (the recorder's clock)
     * @throws InterruptedException if interrupted (everything is healed first)
     */
    public void run(long stopAt) throws InterruptedException {
        try {
            Deque<FaultKind> round = new ArrayDeque<>();
            while (!options.faults().isEmpty()) {
                sleepUntil(Math.min(stopAt,
                        clock.now() + between(options.healthyMinMs(), options.healthyMaxMs()) * 1_000_000L));
                long left = (stopAt - clock.now()) / 1_000_000;
                FaultKind kind = next(round, left);
                if (kind == null) {
                    break;
                }
                long hold = Math.min(left - healMs.get(kind), between(options.faultMinMs(), options.faultMaxMs()));
                inject(kind, hold);
            }
        } finally {
            healEverything();
        }
    }

    /**
     * The next kind of the round that fits in the time left, its healing included (a restarted process takes
     * seconds to serve again); refills the round once if it runs out. Null if nothing fits.
     */
    private FaultKind next(Deque<FaultKind> round, long leftMs) {
        for (int pass = 0; pass < 2; pass++) {
            if (round.isEmpty()) {
                List<FaultKind> kinds = new ArrayList<>(options.faults());
                Collections.shuffle(kinds, random);
                round.addAll(kinds);
            }
            while (!round.isEmpty()) {
                FaultKind k = round.poll();
                if (leftMs >= options.faultMinMs() + healMs.get(k)) {
                    return k;
                }
            }
        }
        return null;
    }

    private void healEverything() throws InterruptedException {
        long t = clock.now();
        try {
            Waits.await(cluster.healAll(), CALL_TIMEOUT);
            if (options.faults().contains(FaultKind.MEMBERSHIP)) {
                restoreMembership();
            }
            say(t, "healed everything");
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            say(t, "healing failed (" + why(e) + "); retrying");
            try {
                Waits.await(cluster.healAll(), CALL_TIMEOUT);
                if (options.faults().contains(FaultKind.MEMBERSHIP)) {
                    restoreMembership();
                }
            } catch (InterruptedException ie) {
                throw ie;
            } catch (Exception again) {
                say(clock.now(), "healing failed again: " + why(again));
            }
        }
        healedAt = clock.now();
    }

    private void inject(FaultKind kind, long holdMs) throws InterruptedException {
        int leader = leaderOrZero();
        List<Integer> ids = cluster.nodeIds();
        int target = leader != 0 && random.nextBoolean() ? leader : ids.get(random.nextInt(ids.size()));
        String aim = target == leader ? " (the leader)" : "";
        switch (kind) {
            case PARTITION -> {
                List<List<Integer>> groups = new ArrayList<>();
                String why;
                if (leader != 0 && random.nextBoolean()) {
                    List<Integer> others = new ArrayList<>(ids);
                    others.remove(Integer.valueOf(leader));
                    groups.add(List.of(leader));
                    groups.add(others);
                    why = "isolates leader " + leader;
                } else {
                    List<Integer> shuffled = new ArrayList<>(ids);
                    Collections.shuffle(shuffled, random);
                    int cut = ids.size() / 2;
                    groups.add(sorted(shuffled.subList(0, cut)));
                    groups.add(sorted(shuffled.subList(cut, shuffled.size())));
                    why = "random halves";
                }
                JsonArray parts = new JsonArray();
                groups.forEach(g -> parts.add(new JsonArray(g)));
                network(kind, "partition " + groups + " (" + why + ")", new JsonObject().put("partitions", parts),
                        holdMs);
            }
            case CRASH -> nodeFault(kind, "crash node " + target + aim, holdMs,
                    () -> cluster.crash(target), () -> cluster.restart(target));
            case PAUSE -> nodeFault(kind, "pause node " + target + aim, holdMs,
                    () -> cluster.pause(target), () -> cluster.resume(target));
            case STALL -> stall(leader != 0 && random.nextInt(4) != 0 ? leader : target, leader, holdMs);
            case DELAY -> {
                int max = 20 + random.nextInt(181);
                int min = max / 5;
                network(kind, "delay every message " + min + "–" + max + " ms",
                        new JsonObject().put("delayMs", new JsonArray().add(min).add(max)), holdMs);
            }
            case DROP -> {
                double rate = Math.round((0.05 + random.nextDouble() * 0.25) * 100) / 100.0;
                network(kind, "drop " + Math.round(rate * 100) + "% of messages",
                        new JsonObject().put("dropRate", rate), holdMs);
            }
            case DUPLICATE -> {
                double rate = Math.round((0.1 + random.nextDouble() * 0.4) * 100) / 100.0;
                network(kind, "duplicate " + Math.round(rate * 100) + "% of messages",
                        new JsonObject().put("duplicateRate", rate), holdMs);
            }
            case MEMBERSHIP -> {
                URI url = cluster.nodeUrls().get(target);
                MembershipClient members = cluster.membership();
                nodeFault(kind, "remove node " + target + aim + " from the membership, then add it back as a learner"
                        + " and promote it", holdMs, () -> members.remove(target, CHANGE_TIMEOUT),
                        () -> members.addVoter(target, url, CHANGE_TIMEOUT));
            }
        }
    }

    /**
     * Makes every node a voter again, one at a time (each addition is a learner first, promoted once caught up), for
     * the end of a run that may have changed the membership: a membership fault whose healing failed or was cut
     * short must not leave a node outside, whose replica would then never converge.
     */
    private void restoreMembership() throws Exception {
        MembershipClient members = cluster.membership();
        for (Map.Entry<Integer, URI> n : new java.util.TreeMap<>(cluster.nodeUrls()).entrySet()) {
            Waits.await(members.addVoter(n.getKey(), n.getValue(), CHANGE_TIMEOUT), CALL_TIMEOUT);
        }
    }

    /**
     * Stalls {@code node} for {@code holdMs}. Three stalls in four aim at the leader: the interesting stall is a
     * leader that comes back believing it still leads, with lease reads queued, after the others elected a new
     * leader and moved on. Half of the stalls also cut the node's links while it is stopped (as peers that gave up
     * on a silent node's connections would) and for a moment after it continues: what the others sent meanwhile
     * is lost rather than waiting for it, so the node resumes with nothing but its own beliefs and the requests
     * it held. Without the cut, a node stalled in this JVM handles what it held strictly in arrival order, and the
     * new leader's first message always comes before any read sent after that leader's first commit, so a stalled
     * leader steps down before it can answer such a read from its old state.
     */
    private void stall(int node, int leader, long holdMs) throws InterruptedException {
        boolean cut = random.nextBoolean();
        List<Integer> others = new ArrayList<>(cluster.nodeIds());
        others.remove(Integer.valueOf(node));
        JsonObject isolation = new JsonObject().put("partitions",
                new JsonArray().add(new JsonArray().add(node)).add(new JsonArray(others)));
        String description = "stall node " + node + (node == leader ? " (the leader)" : "")
                + (cut ? ", its links cut meanwhile" : "");
        nodeFault(FaultKind.STALL, description, holdMs,
                () -> cluster.stall(node).compose(v -> cut ? cluster.network(isolation) : Future.<Void>succeededFuture())
                        .onSuccess(v -> stalls.stalled(node)),
                () -> {
                    stalls.continuing(node);
                    if (!cut) {
                        return cluster.unstall(node);
                    }
                    Exception notContinued = null;
                    try {
                        Waits.await(cluster.unstall(node), CALL_TIMEOUT);
                    } catch (InterruptedException e) {
                        throw e;
                    } catch (Exception e) {
                        notContinued = e;
                    }
                    // The node runs on cut off for a moment, as a resumed process does before its peers reconnect;
                    // then the links are restored whether or not it continued (a failure to continue is reported).
                    TimeUnit.MILLISECONDS.sleep(CUT_AFTER_CONTINUE_MS);
                    Future<Void> linksBack = cluster.network(new JsonObject());
                    Exception failure = notContinued;
                    return failure == null ? linksBack : linksBack.transform(ar -> Future.failedFuture(failure));
                });
    }

    private static List<Integer> sorted(List<Integer> ids) {
        List<Integer> s = new ArrayList<>(ids);
        Collections.sort(s);
        return List.copyOf(s);
    }

    private void network(FaultKind kind, String description, JsonObject faults, long holdMs)
            throws InterruptedException {
        nodeFault(kind, description, holdMs, () -> cluster.network(faults), () -> cluster.healAll());
    }

    /** One step of injecting or healing a fault: it may block the nemesis's thread (never an event loop). */
    @FunctionalInterface
    private interface Step {
        Future<Void> start() throws Exception;
    }

    private void nodeFault(FaultKind kind, String description, long holdMs, Step inject, Step heal)
            throws InterruptedException {
        long start = clock.now();
        try {
            Waits.await(inject.start(), CALL_TIMEOUT);
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            log.add(new FaultLog.Entry(kind, description, start, start, false, why(e)));
            say(start, description + " FAILED: " + why(e));
            try {
                // The cluster may have acted on it all the same: undo it before going on.
                Waits.await(heal.start(), CALL_TIMEOUT);
            } catch (InterruptedException ie) {
                throw ie;
            } catch (Exception again) {
                say(clock.now(), description + ": healing after the failure failed too: " + why(again));
            }
            return;
        }
        say(start, description + " for " + holdMs + " ms");
        long end = Long.MAX_VALUE;
        String error = null;
        try {
            sleepUntil(start + holdMs * 1_000_000L);
        } finally {
            try {
                long healStart = clock.now();
                Waits.await(heal.start(), CALL_TIMEOUT);
                end = clock.now();
                healMs.merge(kind, (end - healStart) / 1_000_000, Math::max);
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                error = "healing failed: " + why(e);
                say(clock.now(), description + ": " + error);
            }
            log.add(new FaultLog.Entry(kind, description, start, end, true, error));
        }
    }

    private int leaderOrZero() throws InterruptedException {
        try {
            return Waits.await(cluster.leader(), CALL_TIMEOUT);
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            return 0;
        }
    }

    private long between(long min, long max) {
        return min + (max > min ? (long) (random.nextDouble() * (max - min + 1)) : 0);
    }

    /**
     * Lets the schedule's time pass (a healthy pause, a fault held): here the time itself is the point, so this
     * is a sleep and not a {@link Waits} wait on a condition.
     */
    private void sleepUntil(long nanos) throws InterruptedException {
        long left;
        while ((left = nanos - clock.now()) > 0) {
            TimeUnit.NANOSECONDS.sleep(Math.min(left, 50_000_000L));
        }
    }

    private void say(long at, String what) {
        progress.printf(Locale.ROOT, "  %+8.1f s  %s%n", (at - runStart) / 1e9, what);
    }

    private static String why(Exception e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
