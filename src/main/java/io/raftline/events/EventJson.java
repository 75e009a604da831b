package io.raftline.events;

import io.raftline.kv.KvCodec;
import io.raftline.kv.KvCommand;
import io.raftline.kv.KvFormatException;
import io.raftline.raft.Entry;
import io.raftline.raft.EntryType;
import io.raftline.raft.Membership;
import io.raftline.raft.SerializationException;
import io.raftline.raft.message.AppendRequest;
import io.raftline.raft.message.AppendResponse;
import io.raftline.raft.message.Heartbeat;
import io.raftline.raft.message.HeartbeatResponse;
import io.raftline.raft.message.Message;
import io.raftline.raft.message.ReadIndexRequest;
import io.raftline.raft.message.ReadIndexResponse;
import io.raftline.raft.message.SnapshotRequest;
import io.raftline.raft.message.VoteRequest;
import io.raftline.raft.message.VoteResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Maps {@link RaftEvent}s to the JSON objects of the event schema (see {@code docs/events.md}). This is the
 * one place where the wire form of events is decided, so the browser, the recordings and the tests agree.
 *
 * <p>Message events carry enough to draw the arrow and show its content on hover without a second lookup:
 * {@code msgId}, {@code from}, {@code to}, {@code kind}, {@code msgTerm}, {@code response}, the one-line
 * {@code summary} the core writes, and the structured fields of the kind (prevLogIndex, entries, commit,
 * granted, success, ...). Log entries carry their index, term and a short description of the key-value
 * operation; a large batch keeps only its last {@link #MAX_ENTRIES_PER_EVENT} entries in full.
 */
public final class EventJson {

    /** Entries described in full in one {@code LogAppended} event; earlier ones of a bigger batch are elided. */
    public static final int MAX_ENTRIES_PER_EVENT = 64;

    /** Longest key or value text copied into an event. */
    static final int MAX_TEXT = 48;

    private EventJson() {
    }

    /**
     * The mapping with the deployment's choice about clients' data ({@code security.event_values}, see
     * {@link EventValues}): every event this process publishes is made here, so the browsers, the recordings, the
     * late joiners' snapshots and the other processes this one relays to see only what the setting allows.
     */
    public static final class Mapper {
        private final EventValues values;

        /**
         * Creates the mapping.
         *
         * @param values what of keys and values events may carry
         */
        public Mapper(EventValues values) {
            this.values = java.util.Objects.requireNonNull(values, "values");
        }

        /**
         * The JSON object of an event (see {@link EventJson#toJson}), redacted as configured (see
         * {@link EventJson#redact}); a {@code ClusterInfo} says the setting ({@code eventValues}) so that a viewer
         * can tell a hidden value from a missing one.
         *
         * @param e the event
         * @return a new JSON object
         */
        public JsonObject toJson(RaftEvent e) {
            JsonObject o = redact(EventJson.toJson(e), values);
            if (e instanceof RaftEvent.ClusterInfo) {
                o.put("eventValues", values.configName());
            }
            return o;
        }
    }

    /**
     * Leaves out of an event, in place, what the setting hides, working on the JSON of the schema so that it applies
     * alike to this process's events and to events relayed from another process (configured otherwise, or older):
     * <ul>
     *   <li>log entries ({@code LogAppended}'s {@code entries}, {@code ReplicaState}'s log, a {@code Snapshot}'s
     *       nodes' logs) lose {@code value} and an increment's {@code delta}, and with keys hidden {@code key}; their
     *       {@code valueLength} stays;</li>
     *   <li>a {@code ClientRequest} loses {@code value} (its size stays as {@code valueLength}) and {@code result}
     *       (the reply text, which for an increment is the new value), and with keys hidden {@code key} and an
     *       error's {@code message} (which may name the key);</li>
     *   <li>an {@code AppendEntries} message's {@code summary} (the core's one-line description quotes the first
     *       bytes of each entry, key and value) keeps its positions only: {@code prev=5@2 commit=4 entries=3 (6..8)};
     *       likewise the summaries of the messages a {@code QueueStats} lists as held in the network.</li>
     * </ul>
     * With {@link EventValues#SHOW} nothing changes.
     *
     * @param event  an event of the schema
     * @param values what of keys and values may stay
     * @return {@code event}, changed
     */
    public static JsonObject redact(JsonObject event, EventValues values) {
        if (!values.hidesValues()) {
            return event;
        }
        String type = event.getString("type", "");
        switch (type) {
            case "LogAppended" -> redactEntries(event.getValue("entries"), values);
            case "ReplicaState" -> {
                if (event.getValue("state") instanceof JsonObject st) {
                    redactEntries(st.getValue("log"), values);
                }
            }
            case "Snapshot" -> {
                if (event.getValue("nodes") instanceof JsonArray nodes) {
                    for (Object n : nodes) {
                        if (n instanceof JsonObject node) {
                            redactEntries(node.getValue("log"), values);
                        }
                    }
                }
            }
            case "ClientRequest" -> {
                Object v = event.remove("value");
                if (v instanceof String text && !event.containsKey("valueLength")) {
                    event.put("valueLength", text.getBytes(StandardCharsets.UTF_8).length);
                }
                event.remove("result");
                if (values.hidesKeys()) {
                    // An error's message may name the key (the error code stays).
                    event.remove("key");
                    event.remove("message");
                }
            }
            case "MessageSent", "MessageReceived", "MessageDropped" -> redactSummary(event);
            case "QueueStats" -> {
                if (event.getValue("held") instanceof JsonArray held) {
                    for (Object h : held) {
                        if (h instanceof JsonObject m) {
                            redactSummary(m);
                        }
                    }
                }
            }
            default -> {
                // No other event carries keys or values.
            }
        }
        return event;
    }

    private static void redactEntries(Object entries, EventValues values) {
        if (!(entries instanceof JsonArray arr)) {
            return;
        }
        for (Object en : arr) {
            if (en instanceof JsonObject o) {
                o.remove("value");
                o.remove("delta");
                if (values.hidesKeys()) {
                    o.remove("key");
                    o.remove("to"); // a rename's target
                }
            }
        }
    }

    /** The summary of an AppendEntries message without the entries' contents (other kinds quote no data). */
    private static void redactSummary(JsonObject m) {
        if (!(m.getValue("summary") instanceof String s)) {
            return;
        }
        int at = s.indexOf(" entries=");
        if (at < 0 && s.startsWith("entries=")) {
            at = 0;
        }
        if (at < 0) {
            return;
        }
        String positions;
        if (m.getValue("entries") instanceof Number n) {
            positions = n + (m.getValue("firstIndex") instanceof Number f && m.getValue("lastIndex") instanceof Number l
                    ? " (" + f + ".." + l + ")" : "");
        } else {
            positions = "hidden";
        }
        m.put("summary", s.substring(0, at) + (at == 0 ? "" : " ") + "entries=" + positions);
    }

    /**
     * The JSON object of an event.
     *
     * @param e the event (published: its header has a sequence number)
     * @return a new JSON object
     */
    public static JsonObject toJson(RaftEvent e) {
        EventHeader h = e.header();
        JsonObject o = new JsonObject().put("seq", h.seq()).put("ts", h.ts()).put("node", h.node())
                .put("term", h.term()).put("role", h.role()).put("type", e.type());
        if (e instanceof RaftEvent.StateChange s) {
            o.put("from", s.from()).put("to", s.to()).put("leader", s.leader()).put("reason", s.reason());
        } else if (e instanceof RaftEvent.ElectionStarted s) {
            o.put("electionTerm", s.electionTerm()).put("preVote", s.preVote()).put("transfer", s.transfer());
        } else if (e instanceof RaftEvent.VoteGranted v) {
            o.put("candidate", v.candidate()).put("voteTerm", v.voteTerm()).put("preVote", v.preVote());
        } else if (e instanceof RaftEvent.LeaderElected l) {
            o.put("leader", l.leader()).put("leaderTerm", l.leaderTerm()).put("votes", l.votes());
        } else if (e instanceof RaftEvent.LeadershipTransfer t) {
            o.put("target", t.target()).put("outcome", t.outcome());
        } else if (e instanceof RaftEvent.MessageSent m) {
            message(o, m.msgId(), m.message());
        } else if (e instanceof RaftEvent.MessageReceived m) {
            message(o, m.msgId(), m.message());
        } else if (e instanceof RaftEvent.MessageDropped m) {
            message(o, m.msgId(), m.message()).put("reason", m.reason());
        } else if (e instanceof RaftEvent.LogAppended a) {
            List<Entry> es = a.entries();
            o.put("first", es.get(0).index()).put("last", es.get(es.size() - 1).index()).put("count", es.size());
            // Every entry's term, as runs [index where the run starts, term]: enough to compare logs across
            // nodes even when a big batch is elided.
            JsonArray terms = new JsonArray();
            long runTerm = -1;
            for (Entry en : es) {
                if (en.term() != runTerm) {
                    runTerm = en.term();
                    terms.add(new JsonArray().add(en.index()).add(runTerm));
                }
            }
            o.put("terms", terms);
            JsonArray arr = new JsonArray();
            for (Entry en : es.subList(Math.max(0, es.size() - MAX_ENTRIES_PER_EVENT), es.size())) {
                arr.add(entry(en));
            }
            o.put("entries", arr);
        } else if (e instanceof RaftEvent.LogCommitted c) {
            o.put("commit", c.commit());
        } else if (e instanceof RaftEvent.Applied a) {
            o.put("first", a.first()).put("last", a.last());
        } else if (e instanceof RaftEvent.SnapshotTaken s) {
            o.put("index", s.index());
        } else if (e instanceof RaftEvent.SnapshotInstalled s) {
            o.put("index", s.index());
        } else if (e instanceof RaftEvent.NodeRestarted r) {
            o.put("applied", r.applied());
        } else if (e instanceof RaftEvent.NodePaused p) {
            o.put("paused", p.paused());
        } else if (e instanceof RaftEvent.NodeFrozen f) {
            o.put("frozen", f.frozen());
        } else if (e instanceof RaftEvent.FaultChanged f) {
            o.put("faults", f.faults().copy());
        } else if (e instanceof RaftEvent.ClientRequest c) {
            o.mergeIn(c.request().copy());
        } else if (e instanceof RaftEvent.CheckVerdict v) {
            // The result's own fields follow the header; they never replace it.
            JsonObject r = v.result().copy();
            for (String k : r.fieldNames()) {
                if (!o.containsKey(k)) {
                    o.put(k, r.getValue(k));
                }
            }
        } else if (e instanceof RaftEvent.MembershipChanged mc) {
            JsonObject addresses = new JsonObject();
            new java.util.TreeMap<>(mc.addresses()).forEach((id, url) -> addresses.put(String.valueOf(id), url));
            o.put("index", mc.index()).put("voters", new JsonArray(List.copyOf(mc.voters())))
                    .put("learners", new JsonArray(List.copyOf(mc.learners()))).put("addresses", addresses)
                    .put("reason", mc.reason());
        } else if (e instanceof RaftEvent.ClusterInfo c) {
            o.put("members", new JsonArray(List.copyOf(c.members())));
            if (c.timing() != null) {
                o.put("raft", c.timing().copy());
            }
        } else if (e instanceof RaftEvent.EventsDropped d) {
            o.put("count", d.count());
        } else if (e instanceof RaftEvent.Rates r) {
            o.put("rates", r.rates().copy());
        } else if (e instanceof RaftEvent.QueueStats q) {
            queueStats(o, q);
        } else if (e instanceof RaftEvent.GroupsState g) {
            o.mergeIn(g.state().copy());
        } else if (e instanceof RaftEvent.FocusChanged f) {
            o.put("group", f.group()).put("previous", f.previous()).put("nodes", new JsonArray(List.copyOf(f.nodes())));
        } else if (e instanceof RaftEvent.ReplicaState r) {
            replicaState(o, r);
        }
        // NodeCrashed has no fields of its own.
        return o;
    }

    private static void replicaState(JsonObject o, RaftEvent.ReplicaState r) {
        io.raftline.node.NodeStatus s = r.view().status();
        JsonArray log = new JsonArray();
        for (Entry en : r.view().log()) {
            log.add(entry(en));
        }
        o.put("group", r.group()).put("state", new JsonObject().put("role", s.roleName()).put("term", s.term())
                .put("leader", s.leader()).put("votedFor", r.view().votedFor())
                .put("voteTerm", r.view().votedFor() == 0 ? 0 : s.term()).put("commit", s.commit())
                .put("applied", s.applied()).put("lastIndex", s.lastIndex()).put("snapshotIndex", s.snapshotIndex())
                .put("up", s.up()).put("paused", s.paused()).put("frozen", s.frozen()).put("log", log));
    }

    /** Items of a queue listed in full, at most (the counts are always whole). */
    static final int MAX_QUEUE_ITEMS = 16;

    private static void queueStats(JsonObject o, RaftEvent.QueueStats q) {
        o.put("pendingProposals", q.stats().pendingProposals()).put("inbox", q.stats().inbox());
        java.util.Map<Integer, Integer> outByPeer = new java.util.TreeMap<>();
        JsonArray held = new JsonArray();
        for (io.raftline.transport.NetworkConditioner.InNetwork c : q.outbox()) {
            outByPeer.merge(c.message().to(), 1, Integer::sum);
            if (held.size() < MAX_QUEUE_ITEMS) {
                held.add(new JsonObject().put("to", c.message().to()).put("kind", c.message().kind().displayName())
                        .put("summary", c.message().summary()).put("dueAt", c.dueAtMillis()));
            }
        }
        java.util.TreeSet<Integer> peers = new java.util.TreeSet<>(q.stats().links().keySet());
        peers.addAll(outByPeer.keySet());
        peers.addAll(q.stats().transportOut().keySet());
        peers.remove(q.stats().node());
        JsonArray links = new JsonArray();
        for (Integer peer : peers) {
            JsonObject l = new JsonObject().put("to", peer).put("outbox", outByPeer.getOrDefault(peer, 0))
                    .put("transport", q.stats().transportOut().getOrDefault(peer, 0));
            io.raftline.raft.PeerStatus ps = q.stats().links().get(peer);
            if (ps != null) {
                l.put("inflight", ps.inflight()).put("match", ps.match()).put("next", ps.next())
                        .put("state", ps.state().name().toLowerCase(java.util.Locale.ROOT));
            }
            links.add(l);
        }
        int transportOut = q.stats().transportOut().values().stream().mapToInt(Integer::intValue).sum();
        o.put("outbox", q.outbox().size()).put("transportInbox", q.stats().transportInbox())
                .put("transportOut", transportOut).put("links", links).put("held", held);
    }

    private static JsonObject message(JsonObject o, long msgId, Message m) {
        o.put("msgId", msgId).put("from", m.from()).put("to", m.to()).put("kind", m.kind().displayName())
                .put("msgTerm", m.term()).put("response", m.kind().isResponse()).put("summary", m.summary());
        if (m instanceof AppendRequest a) {
            o.put("prevLogIndex", a.prevLogIndex()).put("prevLogTerm", a.prevLogTerm()).put("commit", a.leaderCommit())
                    .put("entries", a.entries().size());
            if (!a.entries().isEmpty()) {
                o.put("firstIndex", a.entries().get(0).index())
                        .put("lastIndex", a.entries().get(a.entries().size() - 1).index());
            }
        } else if (m instanceof AppendResponse r) {
            o.put("success", !r.rejected()).put("index", r.index());
            if (r.rejected()) {
                o.put("hintIndex", r.hintIndex()).put("hintTerm", r.hintTerm());
            }
        } else if (m instanceof VoteRequest v) {
            o.put("lastLogIndex", v.lastLogIndex()).put("lastLogTerm", v.lastLogTerm()).put("preVote", v.preVote())
                    .put("transfer", v.transfer());
        } else if (m instanceof VoteResponse v) {
            o.put("granted", v.granted()).put("preVote", v.preVote());
        } else if (m instanceof Heartbeat hb) {
            o.put("commit", hb.commit()).put("ctx", hb.context());
            if (hb.quiesce()) {
                o.put("quiesce", true);
            }
        } else if (m instanceof HeartbeatResponse hr) {
            o.put("ctx", hr.context());
        } else if (m instanceof SnapshotRequest s) {
            o.put("snapshotIndex", s.snapshot().index()).put("snapshotTerm", s.snapshot().term())
                    .put("bytes", s.snapshot().data().length);
        } else if (m instanceof ReadIndexRequest r) {
            o.put("ctx", r.context());
        } else if (m instanceof ReadIndexResponse r) {
            o.put("ctx", r.context()).put("index", r.index());
        }
        return o;
    }

    /**
     * The JSON form of one log entry: {@code {"i":7,"t":2,"op":"put","key":"a","value":"1"}}, or
     * {@code "op":"noop"}, {@code "op":"delete"}, {@code "op":"config"} with {@code voters} and {@code learners} for a
     * membership change, {@code "op":"invalid"} for bytes that are not a command.
     *
     * @param e the entry
     * @return a new JSON object
     */
    public static JsonObject entry(Entry e) {
        JsonObject o = new JsonObject().put("i", e.index()).put("t", e.term());
        if (e.type() == EntryType.NOOP) {
            return o.put("op", "noop");
        }
        if (e.type() == EntryType.CONFIG) {
            try {
                Membership m = Membership.decode(e.data());
                return o.put("op", "config").put("voters", new JsonArray(List.copyOf(m.voters())))
                        .put("learners", new JsonArray(List.copyOf(m.learners())));
            } catch (SerializationException ex) {
                return o.put("op", "invalid");
            }
        }
        KvCommand c;
        try {
            c = KvCodec.decode(e.data());
        } catch (KvFormatException ex) {
            return o.put("op", "invalid");
        }
        if (c instanceof KvCommand.Put p) {
            o.put("op", p.expectedRevision() == KvCommand.UNCONDITIONAL ? "put" : "cas").put("key", clip(p.key()))
                    .put("value", text(p.value())).put("valueLength", p.value().length);
        } else if (c instanceof KvCommand.Delete d) {
            o.put("op", d.expectedRevision() == KvCommand.UNCONDITIONAL ? "delete" : "cad").put("key", clip(d.key()));
        } else if (c instanceof KvCommand.Increment inc) {
            o.put("op", "incr").put("key", clip(inc.key())).put("delta", inc.delta());
        } else if (c instanceof KvCommand.Append app) {
            o.put("op", "append").put("key", clip(app.key())).put("value", text(app.suffix()))
                    .put("valueLength", app.suffix().length);
        } else if (c instanceof KvCommand.IncrementByFloat inc) {
            o.put("op", "incrbyfloat").put("key", clip(inc.key())).put("delta", inc.increment().toString());
        } else if (c instanceof KvCommand.Rename rename) {
            o.put("op", rename.onlyIfAbsent() ? "renamenx" : "rename").put("key", clip(rename.source()))
                    .put("to", clip(rename.target()));
        } else if (c instanceof KvCommand.SetRange range) {
            o.put("op", "setrange").put("key", clip(range.key())).put("offset", range.offset())
                    .put("value", text(range.bytes())).put("valueLength", range.bytes().length);
        } else if (c instanceof KvCommand.Txn t) {
            o.put("op", "txn").put("compares", t.compares().size()).put("success", t.success().size())
                    .put("failure", t.failure().size());
            if (!t.compares().isEmpty()) {
                o.put("key", clip(t.compares().get(0).key()));
            } else if (!t.success().isEmpty()) {
                o.put("key", clip(t.success().get(0).key()));
            }
        }
        return o;
    }

    /** A value as text if it is printable UTF-8, else its size. */
    static String text(byte[] value) {
        try {
            String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(value)).toString();
            for (int i = 0; i < s.length(); i++) {
                if (Character.isISOControl(s.charAt(i))) {
                    return "<" + value.length + " bytes>";
                }
            }
            return clip(s);
        } catch (CharacterCodingException ex) {
            return "<" + value.length + " bytes>";
        }
    }

    static String clip(String s) {
        return s.length() <= MAX_TEXT ? s : s.substring(0, MAX_TEXT) + "…";
    }
}
