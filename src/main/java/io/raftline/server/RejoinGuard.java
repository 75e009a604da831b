package io.raftline.server;

import io.raftline.api.http.PeerDirectory;
import io.raftline.node.LogStore;
import io.raftline.raft.storage.Storage;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Keeps a node whose data directory was wiped or replaced from rejoining under its old id as if nothing had
 * happened. Such a node forgot its vote and the entries it acknowledged: counting it again could elect two leaders
 * in one term or lose a committed write. Before a process starts a node of the initial membership with an empty
 * log store, it asks every other node's client port for its own view of the membership
 * ({@code GET /v1/members?local=true}): if the leader reports that this id has acknowledged entries (its match index
 * is above 0), or any node saw it hold log entries in that node's life (its {@code logSeen}: the node's AppendEntries
 * as a leader, its answers to them, its vote requests), the store is not fresh but lost, and the node refuses to
 * start. Asking the leader alone let a wiped node start whenever the leader had not heard from it: one elected while
 * it was down (always, when it was the leader itself), or none at all for a moment (an election), whose 503 counted as
 * "nothing seen". A store that already recorded such a loss (the leader's
 * heartbeat found it out, see {@code CoreEvent.StateLost}) refuses too; on a sharded node, a loss that any of its
 * groups recorded (each group records what its own leader found, and a leader elected while the node was down finds
 * nothing).
 *
 * <p>A brand-new node passes: nobody has seen it hold anything. When no node answers within the timeout (a whole
 * cluster starting), or every node that saw it restarted since, the node starts too; a leader that still counts its
 * acknowledgements then finds the loss out at its first heartbeat.
 *
 * <p>A sharded node asks about every group ({@code GET /v1/members?group=G}), since each group's leader knows only
 * what the node acknowledged in that group. Asking group 0 alone ({@code GET /v1/members} shows group 0) let a wiped
 * node that led group 0 start: group 0's leader was elected while it was down and had seen nothing of it, although the
 * leaders of the other groups had counted on its acknowledgements all along. Each peer is asked about group 0 first,
 * and about the others once it answered: a peer that is down costs one timeout.
 */
final class RejoinGuard {

    private static final long ASK_TIMEOUT_MS = 1500;

    private RejoinGuard() {
    }

    /**
     * Checks node {@code id}'s store before it starts.
     *
     * @param id     the node
     * @param store  its recovered store (group 0's on a sharded node: every group's data lives in one directory)
     * @param lostIn the node's other groups whose stores recorded a loss (a sharded node; empty if none)
     * @param groups the number of Raft groups of the cluster (1: not sharded)
     * @param peers  the other nodes of the configuration to ask
     * @param where  their client ports
     * @param client the HTTP client
     * @return succeeds if the node may start; fails with the reason (for the operator) if not
     */
    static Future<Void> check(int id, LogStore store, List<Integer> lostIn, int groups, Collection<Integer> peers,
            PeerDirectory where, HttpClient client) {
        if (store.stateLostRecorded()) {
            return Future.failedFuture(new IllegalStateException(refusal(id, "it recorded earlier that it lost log"
                    + " entries it had acknowledged")));
        }
        if (!lostIn.isEmpty()) {
            return Future.failedFuture(new IllegalStateException(refusal(id, "its group " + lostIn.get(0)
                    + " recorded earlier that it lost log entries it had acknowledged (its groups share its data"
                    + " directory)")));
        }
        if (!fresh(store.storage())) {
            return Future.succeededFuture();
        }
        List<Future<List<Seen>>> answers = new ArrayList<>();
        for (int peer : peers) {
            Optional<PeerDirectory.Address> a = where.httpAddress(peer).filter(x -> x.port() > 0);
            if (peer == id || a.isEmpty()) {
                continue;
            }
            answers.add(ask(peer, a.get(), id, groups, where, client));
        }
        return Future.join(answers).otherwiseEmpty().compose(v -> {
            Seen most = new Seen(0, 0, 0);
            for (Future<List<Seen>> f : answers) {
                for (Seen s : f.succeeded() ? f.result() : List.<Seen>of()) {
                    if (s.match() > most.match()) {
                        most = s;
                    }
                }
            }
            if (most.match() > 0) {
                return Future.failedFuture(new IllegalStateException(refusal(id, "its data directory is empty, but"
                        + " node " + most.peer() + " " + (groups == 1 ? "" : "(group " + most.group() + ") ")
                        + "saw it hold the log up to index " + most.match())));
            }
            return Future.succeededFuture();
        });
    }

    /** How much log a peer saw node {@code id} hold in a group (its match as the leader, or its logSeen). */
    private record Seen(int peer, int group, long match) {
    }

    /**
     * Asks one peer about every group: group 0 first, and the other groups only once the peer answered that. A peer
     * that does not answer (down, or silent behind a firewall) costs one timeout, not one per group: with the asks of
     * 256 groups all sent at once, the HTTP client's pool of 64 connections to it took four timeouts in turn (6 s) at
     * every fresh start of a node whose peer was not up yet.
     */
    private static Future<List<Seen>> ask(int peer, PeerDirectory.Address a, int id, int groups, PeerDirectory where,
            HttpClient client) {
        return ask(a, id, 0, groups, where, client).transform(first -> {
            if (first.failed()) {
                return Future.succeededFuture(List.of());
            }
            List<Future<Long>> rest = new ArrayList<>();
            for (int g = 1; g < groups; g++) {
                rest.add(ask(a, id, g, groups, where, client).otherwise(0L));
            }
            return Future.join(rest).otherwiseEmpty().map(v -> {
                List<Seen> seen = new ArrayList<>();
                seen.add(new Seen(peer, 0, first.result()));
                for (int g = 1; g < groups; g++) {
                    Future<Long> f = rest.get(g - 1);
                    seen.add(new Seen(peer, g, f.succeeded() ? f.result() : 0L));
                }
                return seen;
            });
        });
    }

    /**
     * Asks a peer for its own view of group {@code g}'s members: how much log it saw node {@code id} hold (0 for an
     * answer other than 200).
     */
    private static Future<Long> ask(PeerDirectory.Address a, int id, int g, int groups, PeerDirectory where,
            HttpClient client) {
        RequestOptions ask = new RequestOptions().setMethod(HttpMethod.GET).setHost(a.host()).setPort(a.port())
                .setURI("/v1/members?local=true" + (groups == 1 ? "" : "&group=" + g)).setConnectTimeout(ASK_TIMEOUT_MS)
                .setIdleTimeout(ASK_TIMEOUT_MS);
        return client.request(where.authorize(ask)).compose(req -> req.send())
                .compose(resp -> resp.body().map(b -> resp.statusCode() == 200 ? matchOf(b, id) : 0L));
    }

    private static boolean fresh(Storage s) {
        return s.lastIndex() == 0 && s.firstIndex() == 1 && s.hardState().term() == 0 && s.snapshot().isEmpty();
    }

    /**
     * How much log a members listing says node {@code id} held: its match (the leader's listing) or its
     * {@code logSeen} (any node's), whichever is higher; 0 if the listing does not have it or is not one.
     */
    private static long matchOf(Buffer body, int id) {
        try {
            JsonArray list = body.toJsonObject().getJsonArray("members", new JsonArray());
            for (int i = 0; i < list.size(); i++) {
                JsonObject m = list.getJsonObject(i);
                if (m.getInteger("id", 0) == id) {
                    return Math.max(m.getLong("match", 0L), m.getLong("logSeen", 0L));
                }
            }
            return 0;
        } catch (RuntimeException e) {
            return 0;
        }
    }

    private static String refusal(int id, String why) {
        return "node " + id + " must not rejoin under its old id: " + why + ", so it forgot its votes and entries the"
                + " cluster counted on. Replace it: remove it (curl -X DELETE <member>/v1/members/" + id + "), then"
                + " add a new id with an empty data directory (see docs/membership.md, \"Replacing a node\")";
    }
}
