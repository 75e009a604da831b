package io.raftline.server;

import io.raftline.api.ReleaseGate;
import io.raftline.api.http.PeerDirectory;
import io.raftline.kv.KvCodec;
import io.raftline.kv.KvCommand;
import io.raftline.node.NodeRequestException;
import io.raftline.node.RaftNode;
import io.vertx.core.Future;
import io.vertx.core.http.HttpClient;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The {@link ReleaseGate} of a node that runs one per process: before a command of a kind of log entry newer than the
 * releases of 2026-12-06 apply ({@link KvCodec#OP_OF_2026_12_06}), it asks every other member of the group which kinds
 * it applies ({@code GET /v1/cluster?scope=local}, its {@code kvOps}; a release of 2026-12-06 answers without one),
 * and refuses the command if one applies fewer or does not answer. What a member reported that covers the command is
 * kept (a member does not go back to an older release while clients use the newer kinds: that is the upgrade's rule);
 * a member that reported fewer, or did not answer, is asked again, at most once a second.
 */
final class PeerReleases implements ReleaseGate {

    /** How long a member is given to say what it applies. */
    static final long ASK_TIMEOUT_MS = 1_000;
    /** How long a member's short or missing answer stands before it is asked again. */
    static final long ASK_AGAIN_MS = 1_000;

    private final int self;
    private final PeerDirectory where;
    private final HttpClient client;
    private final long askAgainNanos;
    private final LongSupplier nanos;
    /** What each member last reported: the highest op it applies, and when it was last asked ({@link #nanos}). */
    private final Map<Integer, Report> reports = new ConcurrentHashMap<>();

    private record Report(int highestOp, long atNanos) {
    }

    /**
     * Creates the gate of one node.
     *
     * @param self   this node's id (it runs this release)
     * @param where  the members' client ports and this node's credential for them
     * @param client the HTTP client the asks go over
     */
    PeerReleases(int self, PeerDirectory where, HttpClient client) {
        this(self, where, client, ASK_AGAIN_MS);
    }

    /** The same, asking a member whose answer fell short again after {@code askAgainMs}. */
    PeerReleases(int self, PeerDirectory where, HttpClient client, long askAgainMs) {
        this(self, where, client, askAgainMs, System::nanoTime);
    }

    /** The same, on the clock {@code nanos} (System.nanoTime, or a test's). */
    PeerReleases(int self, PeerDirectory where, HttpClient client, long askAgainMs, LongSupplier nanos) {
        this.self = self;
        this.where = where;
        this.client = client;
        this.askAgainNanos = askAgainMs * 1_000_000;
        this.nanos = nanos;
    }

    @Override
    public Future<Void> admit(RaftNode node, KvCommand command) {
        int op = KvCodec.opOf(command);
        if (op <= KvCodec.OP_OF_2026_12_06) {
            return Future.succeededFuture();
        }
        return node.status().compose(status -> {
            List<Integer> others = new ArrayList<>();
            for (int member : status.membership().all()) {
                if (member != self) {
                    others.add(member);
                }
            }
            List<Future<Void>> asked = new ArrayList<>();
            long now = nanos.getAsLong();
            for (int member : others) {
                Report r = reports.get(member);
                if (r == null || r.highestOp() < op && now - r.atNanos() >= askAgainNanos) {
                    asked.add(ask(member));
                }
            }
            return Future.join(asked).otherwiseEmpty().compose(v -> {
                for (int member : others) {
                    Report r = reports.get(member);
                    if (r == null || r.highestOp() < 0) {
                        return Future.failedFuture(refusal(member, "did not say which kinds of log entry it applies"
                                + " (it did not answer GET /v1/cluster?scope=local)", command, op));
                    }
                    if (r.highestOp() < op) {
                        return Future.failedFuture(refusal(member, "runs a release that applies log ops up to "
                                + r.highestOp(), command, op));
                    }
                }
                return Future.succeededFuture();
            });
        });
    }

    private static NodeRequestException refusal(int member, String why, KvCommand command, int op) {
        return new NodeRequestException(NodeRequestException.Reason.RELEASE_MISMATCH, 0, "node " + member + " " + why
                + ": the command (" + command.getClass().getSimpleName() + ") is log op " + op + ", which it would"
                + " not apply; nothing was written: retry once every node runs this release (docs/operations.md, Upgrading)");
    }

    /** Asks a member what it applies and records the answer (a highest op of -1 for none). */
    private Future<Void> ask(int member) {
        return PeerViews.local(client, where, member, ASK_TIMEOUT_MS).map(view -> {
            record(member, view.map(PeerReleases::highestOp).orElse(-1));
            return null;
        });
    }

    private void record(int member, int highestOp) {
        // A member that once answered that it applies an op keeps it while it does not answer (down for a moment),
        // as of this ask: kept with the time of its answer, a short one was asked again by every command, not once
        // a second. Merged in one step: asks of several event loops may end at once.
        Report now = new Report(highestOp, nanos.getAsLong());
        reports.merge(member, now, (before, next) -> next.highestOp() < 0 && before.highestOp() >= 0
                ? new Report(before.highestOp(), next.atNanos()) : next);
    }

    /** What a member's local cluster view says it applies: its {@code kvOps}, or the 2026-12-06 releases' ops. */
    static int highestOp(JsonObject cluster) {
        Object ops = cluster.getValue("kvOps");
        return ops instanceof Number n ? n.intValue() : KvCodec.OP_OF_2026_12_06;
    }
}
