package io.raftline.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.kv.KvCodec;
import io.raftline.kv.KvCommand;
import io.raftline.raft.Entry;
import io.raftline.raft.EntryType;
import io.raftline.raft.Membership;
import io.raftline.raft.message.AppendRequest;
import io.raftline.raft.message.AppendResponse;
import io.raftline.raft.message.Heartbeat;
import io.raftline.raft.message.VoteRequest;
import io.raftline.raft.message.VoteResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EventJsonTest {

    private static final EventHeader H = new EventHeader(7, 1_700_000_000_123L, 2, 3, "Follower");

    private static Entry put(long index, long term, String key, String value) {
        return Entry.normal(index, term, KvCodec.encode(new KvCommand.Put(key, value.getBytes(StandardCharsets.UTF_8))));
    }

    @Test
    void headerFieldsComeFirstAndStateChangeHasItsFields() {
        JsonObject o = EventJson.toJson(new RaftEvent.StateChange(H, "Candidate", "Follower", 1, "higher term"));
        assertThat(o.encode()).isEqualTo("{\"seq\":7,\"ts\":1700000000123,\"node\":2,\"term\":3,\"role\":\"Follower\","
                + "\"type\":\"StateChange\",\"from\":\"Candidate\",\"to\":\"Follower\",\"leader\":1,\"reason\":\"higher term\"}");
    }

    @Test
    void electionAndVoteEvents() {
        assertThat(EventJson.toJson(new RaftEvent.ElectionStarted(H, 4, true, false)).encode())
                .endsWith("\"type\":\"ElectionStarted\",\"electionTerm\":4,\"preVote\":true,\"transfer\":false}");
        assertThat(EventJson.toJson(new RaftEvent.VoteGranted(H, 1, 4, false)).encode())
                .endsWith("\"type\":\"VoteGranted\",\"candidate\":1,\"voteTerm\":4,\"preVote\":false}");
        assertThat(EventJson.toJson(new RaftEvent.LeaderElected(H, 2, 4, 3)).encode())
                .endsWith("\"type\":\"LeaderElected\",\"leader\":2,\"leaderTerm\":4,\"votes\":3}");
    }

    @Test
    void appendEntriesCarriesWhatTheArrowShows() {
        AppendRequest a = new AppendRequest(1, 2, 3, 5, 2, List.of(put(6, 3, "a", "1"), put(7, 3, "b", "2")), 5);
        JsonObject o = EventJson.toJson(new RaftEvent.MessageSent(H, 42, a));
        assertThat(o.getString("type")).isEqualTo("MessageSent");
        assertThat(o.getLong("msgId")).isEqualTo(42);
        assertThat(o.getInteger("from")).isEqualTo(1);
        assertThat(o.getInteger("to")).isEqualTo(2);
        assertThat(o.getString("kind")).isEqualTo("AppendEntries");
        assertThat(o.getLong("msgTerm")).isEqualTo(3);
        assertThat(o.getBoolean("response")).isFalse();
        assertThat(o.getLong("prevLogIndex")).isEqualTo(5);
        assertThat(o.getLong("prevLogTerm")).isEqualTo(2);
        assertThat(o.getLong("commit")).isEqualTo(5);
        assertThat(o.getInteger("entries")).isEqualTo(2);
        assertThat(o.getLong("firstIndex")).isEqualTo(6);
        assertThat(o.getLong("lastIndex")).isEqualTo(7);
        assertThat(o.getString("summary")).isEqualTo(a.summary());
    }

    @Test
    void responsesSayWhetherTheyAgreed() {
        JsonObject rejected = EventJson.toJson(new RaftEvent.MessageReceived(H, 9, new AppendResponse(2, 1, 3, true, 5, 3, 2)));
        assertThat(rejected.getBoolean("response")).isTrue();
        assertThat(rejected.getBoolean("success")).isFalse();
        assertThat(rejected.getLong("hintIndex")).isEqualTo(3);
        JsonObject ok = EventJson.toJson(new RaftEvent.MessageReceived(H, 9, AppendResponse.accepted(2, 1, 3, 7)));
        assertThat(ok.getBoolean("success")).isTrue();
        assertThat(ok.containsKey("hintIndex")).isFalse();
        JsonObject vote = EventJson.toJson(new RaftEvent.MessageSent(H, 1, new VoteResponse(2, 1, 4, true, true)));
        assertThat(vote.getString("kind")).isEqualTo("PreVoteResponse");
        assertThat(vote.getBoolean("granted")).isTrue();
        JsonObject req = EventJson.toJson(new RaftEvent.MessageSent(H, 1, new VoteRequest(1, 2, 4, 9, 3, false, false)));
        assertThat(req.getString("kind")).isEqualTo("RequestVote");
        assertThat(req.getLong("lastLogIndex")).isEqualTo(9);
    }

    @Test
    void droppedMessagesSayWhy() {
        JsonObject o = EventJson.toJson(new RaftEvent.MessageDropped(H, 3, new Heartbeat(1, 2, 3, 4, 0), "partition"));
        assertThat(o.getString("type")).isEqualTo("MessageDropped");
        assertThat(o.getString("reason")).isEqualTo("partition");
        assertThat(o.getString("kind")).isEqualTo("Heartbeat");
        assertThat(o.getLong("commit")).isEqualTo(4);
    }

    @Test
    void logEntriesDescribeTheirOperation() {
        assertThat(EventJson.entry(put(3, 2, "color", "blue")).encode())
                .isEqualTo("{\"i\":3,\"t\":2,\"op\":\"put\",\"key\":\"color\",\"value\":\"blue\",\"valueLength\":4}");
        assertThat(EventJson.entry(Entry.noop(1, 1)).encode()).isEqualTo("{\"i\":1,\"t\":1,\"op\":\"noop\"}");
        assertThat(EventJson.entry(Entry.normal(2, 1, KvCodec.encode(new KvCommand.Delete("k")))).encode())
                .isEqualTo("{\"i\":2,\"t\":1,\"op\":\"delete\",\"key\":\"k\"}");
        assertThat(EventJson.entry(Entry.normal(4, 1, new byte[] {9, 9})).getString("op")).isEqualTo("invalid");
        assertThat(EventJson.entry(Entry.normal(5, 1, KvCodec.encode(new KvCommand.Put("b", new byte[] {0, 1, 2}))))
                .getString("value")).isEqualTo("<3 bytes>");
        assertThat(EventJson.entry(put(6, 1, "k", "x".repeat(100))).getString("value")).hasSize(EventJson.MAX_TEXT + 1);
    }

    @Test
    void bigAppendBatchesKeepTheirTailAndEveryTerm() {
        List<Entry> es = new ArrayList<>();
        for (int i = 1; i <= 100; i++) {
            es.add(put(i, i <= 40 ? 1 : 2, "k" + i, "v"));
        }
        JsonObject o = EventJson.toJson(new RaftEvent.LogAppended(H, es));
        assertThat(o.getLong("first")).isEqualTo(1);
        assertThat(o.getLong("last")).isEqualTo(100);
        assertThat(o.getInteger("count")).isEqualTo(100);
        JsonArray entries = o.getJsonArray("entries");
        assertThat(entries).hasSize(EventJson.MAX_ENTRIES_PER_EVENT);
        assertThat(entries.getJsonObject(0).getLong("i")).isEqualTo(37);
        assertThat(o.getJsonArray("terms").encode()).isEqualTo("[[1,1],[41,2]]");
    }

    @Test
    void clusterWideEvents() {
        EventHeader h0 = new EventHeader(1, 5, 0, 2, "");
        assertThat(EventJson.toJson(new RaftEvent.ClusterInfo(h0, List.of(1, 2, 3))).encode())
                .isEqualTo("{\"seq\":1,\"ts\":5,\"node\":0,\"term\":2,\"role\":\"\",\"type\":\"ClusterInfo\",\"members\":[1,2,3]}");
        JsonObject faults = new JsonObject().put("dropRate", 0.5);
        RaftEvent.FaultChanged f = new RaftEvent.FaultChanged(h0, faults);
        faults.put("dropRate", 0.9);
        assertThat(EventJson.toJson(f).getJsonObject("faults").getDouble("dropRate")).isEqualTo(0.5);
        assertThat(EventJson.toJson(new RaftEvent.ClientRequest(h0, new JsonObject().put("op", "put").put("key", "a")))
                .getString("key")).isEqualTo("a");
        assertThat(EventJson.toJson(new RaftEvent.NodeCrashed(H)).fieldNames())
                .containsExactly("seq", "ts", "node", "term", "role", "type");
    }
    @Test
    void aCheckVerdictCarriesItsFiguresAfterTheHeaderWhichTheyCannotReplace() {
        EventHeader h0 = new EventHeader(9, 5, 0, 3, "");
        JsonObject result = new JsonObject().put("verdict", "NOT_LINEARIZABLE").put("operations", 12)
                .put("faults", new JsonObject().put("crash", 2)).put("summary", "key k: ...").put("seq", 77);
        RaftEvent.CheckVerdict v = new RaftEvent.CheckVerdict(h0, result);
        result.put("verdict", "changed later");
        JsonObject o = EventJson.toJson(v);
        assertThat(o.encode()).startsWith("{\"seq\":9,\"ts\":5,\"node\":0,\"term\":3,\"role\":\"\",\"type\":\"CheckVerdict\","
                + "\"verdict\":\"NOT_LINEARIZABLE\",\"operations\":12");
        assertThat(o.getJsonObject("faults").getInteger("crash")).isEqualTo(2);
        assertThat(o.getLong("seq")).as("a result field never replaces the header").isEqualTo(9);
        assertThat(v.type()).isEqualTo("CheckVerdict");
        assertThat(v.isMessageEvent()).as("never sampled away").isFalse();
    }

    @Test
    void aMembershipChangeCarriesVotersLearnersAddressesAndReason() {
        JsonObject o = EventJson.toJson(new RaftEvent.MembershipChanged(H, 12, List.of(1, 2, 3), List.of(5, 4),
                Map.of(5, "http://127.0.0.1:8085", 4, "http://127.0.0.1:8084"), "configuration entry at 12 appended"));
        assertThat(o.encode()).isEqualTo("{\"seq\":7,\"ts\":1700000000123,\"node\":2,\"term\":3,\"role\":\"Follower\","
                + "\"type\":\"MembershipChanged\",\"index\":12,\"voters\":[1,2,3],\"learners\":[5,4],"
                + "\"addresses\":{\"4\":\"http://127.0.0.1:8084\",\"5\":\"http://127.0.0.1:8085\"},"
                + "\"reason\":\"configuration entry at 12 appended\"}");
    }

    @Test
    void aConfigEntryInTheLogNamesItsMembers() {
        Entry config = Entry.config(8, 2, new Membership(List.of(1, 2, 3), List.of(4)));
        assertThat(EventJson.entry(config).encode())
                .isEqualTo("{\"i\":8,\"t\":2,\"op\":\"config\",\"voters\":[1,2,3],\"learners\":[4]}");
        assertThat(EventJson.entry(new Entry(9, 2, EntryType.CONFIG, new byte[] {99})).getString("op")).isEqualTo("invalid");
    }

    @Test
    void thePublisherReportsTheCoreMembershipEvent() {
        EventPublisher publisher = new EventPublisher(List.of(1, 2, 3));
        List<JsonObject> seen = java.util.Collections.synchronizedList(new ArrayList<>());
        publisher.addSink(seen::add);
        io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
        try {
            io.raftline.verify.nemesis.Waits.await(vertx.deployVerticle(publisher));
            publisher.coreEvent(2, 3, io.raftline.raft.Role.FOLLOWER, new io.raftline.raft.CoreEvent.MembershipChanged(
                    6, new Membership(List.of(1, 2, 3), List.of(4), Map.of(4, "http://h:4")), "snapshot at 6"));
            io.raftline.verify.nemesis.Waits.await(publisher.flushNow());
            JsonObject e = seen.stream().filter(x -> x.getString("type").equals("MembershipChanged")).findFirst()
                    .orElseThrow();
            assertThat(e.getInteger("node")).isEqualTo(2);
            assertThat(e.getLong("index")).isEqualTo(6);
            assertThat(e.getJsonArray("learners").encode()).isEqualTo("[4]");
            assertThat(e.getJsonObject("addresses").getString("4")).isEqualTo("http://h:4");
            assertThat(e.getString("reason")).isEqualTo("snapshot at 6");
        } catch (InterruptedException ex) {
            throw new AssertionError(ex);
        } finally {
            vertx.close();
        }
    }

    /** An append is drawn as what it appends; hidden values hide that too. */
    @Test
    void anAppendShowsItsSuffixAsItsValueUnlessValuesAreHidden() {
        RaftEvent.LogAppended appended = new RaftEvent.LogAppended(new EventHeader(4, 1, 1, 2, "Leader"),
                List.of(Entry.normal(3, 2, KvCodec.encode(new KvCommand.Append("log", "secret-line"
                        .getBytes(StandardCharsets.UTF_8))))));
        JsonObject shown = new EventJson.Mapper(EventValues.SHOW).toJson(appended).getJsonArray("entries")
                .getJsonObject(0);
        assertThat(shown.getString("op")).isEqualTo("append");
        assertThat(shown.getString("key")).isEqualTo("log");
        assertThat(shown.getString("value")).isEqualTo("secret-line");
        assertThat(shown.getInteger("valueLength")).isEqualTo(11);
        JsonObject hidden = new EventJson.Mapper(EventValues.HIDE).toJson(appended);
        assertThat(hidden.encode()).doesNotContain("secret").contains("\"op\":\"append\"");
    }

    /** A set range is drawn as what it writes and where; hidden values hide the bytes. */
    @Test
    void aSetRangeShowsItsBytesAndOffsetUnlessValuesAreHidden() {
        RaftEvent.LogAppended appended = new RaftEvent.LogAppended(new EventHeader(4, 1, 1, 2, "Leader"),
                List.of(Entry.normal(3, 2, KvCodec.encode(new KvCommand.SetRange("log", 6, "secret"
                        .getBytes(StandardCharsets.UTF_8))))));
        JsonObject shown = new EventJson.Mapper(EventValues.SHOW).toJson(appended).getJsonArray("entries")
                .getJsonObject(0);
        assertThat(shown.getString("op")).isEqualTo("setrange");
        assertThat(shown.getString("key")).isEqualTo("log");
        assertThat(shown.getInteger("offset")).isEqualTo(6);
        assertThat(shown.getString("value")).isEqualTo("secret");
        assertThat(shown.getInteger("valueLength")).isEqualTo(6);
        JsonObject hidden = new EventJson.Mapper(EventValues.HIDE).toJson(appended);
        assertThat(hidden.encode()).doesNotContain("secret").contains("\"op\":\"setrange\"");
    }

    /** A rename is drawn with both keys; hidden keys hide both. */
    @Test
    void aRenameShowsBothKeysUnlessKeysAreHidden() {
        RaftEvent.LogAppended appended = new RaftEvent.LogAppended(new EventHeader(4, 1, 1, 2, "Leader"),
                List.of(Entry.normal(3, 2, KvCodec.encode(new KvCommand.Rename("draft-secret", "live-secret", true)))));
        JsonObject shown = new EventJson.Mapper(EventValues.SHOW).toJson(appended).getJsonArray("entries")
                .getJsonObject(0);
        assertThat(shown.getString("op")).isEqualTo("renamenx");
        assertThat(shown.getString("key")).isEqualTo("draft-secret");
        assertThat(shown.getString("to")).isEqualTo("live-secret");
        assertThat(new EventJson.Mapper(EventValues.HIDE).toJson(appended).encode()).contains("live-secret");
        JsonObject hidden = new EventJson.Mapper(EventValues.HIDE_KEYS).toJson(appended);
        assertThat(hidden.encode()).doesNotContain("secret").contains("\"op\":\"renamenx\"");
    }

    @Test
    void hiddenValuesLeaveKeysAndLengthsButNoValueBytes() {
        EventJson.Mapper hiding = new EventJson.Mapper(EventValues.HIDE);
        RaftEvent.LogAppended appended = new RaftEvent.LogAppended(new EventHeader(4, 1, 1, 2, "Leader"),
                List.of(put(3, 2, "color", "secret-blue")));
        JsonObject entry = hiding.toJson(appended).getJsonArray("entries").getJsonObject(0);
        assertThat(entry.getString("key")).isEqualTo("color");
        assertThat(entry.getInteger("valueLength")).isEqualTo(11);
        assertThat(entry.containsKey("value")).isFalse();
        RaftEvent.ClientRequest request = new RaftEvent.ClientRequest(new EventHeader(5, 1, 1, 2, "Leader"),
                new JsonObject().put("reqId", 1).put("op", "put").put("key", "color").put("value", "secret-blue")
                        .put("phase", "submitted"));
        JsonObject hidden = hiding.toJson(request);
        assertThat(hidden.getString("key")).isEqualTo("color");
        assertThat(hidden.getInteger("valueLength")).isEqualTo(11);
        assertThat(hidden.encode()).doesNotContain("secret");
        assertThat(hiding.toJson(appended).encode()).doesNotContain("secret");
        assertThat(new EventJson.Mapper(EventValues.SHOW).toJson(request).getString("value")).isEqualTo("secret-blue");
    }

    @Test
    void hiddenValuesLeaveNoBytesInMessageSummaries() {
        // The core's summary quotes the first bytes of every entry, key and value: "6@3:...color...secre…".
        AppendRequest a = new AppendRequest(1, 2, 3, 5, 2, List.of(put(6, 3, "color", "secret-blue"),
                put(7, 3, "colour", "secret-red")), 5);
        RaftEvent.MessageSent sent = new RaftEvent.MessageSent(H, 42, a);
        assertThat(new EventJson.Mapper(EventValues.SHOW).toJson(sent).getString("summary")).contains("secre");
        JsonObject o = new EventJson.Mapper(EventValues.HIDE).toJson(sent);
        assertThat(o.getString("summary")).isEqualTo("prev=5@2 commit=5 entries=2 (6..7)");
        assertThat(o.encode()).doesNotContain("secre").doesNotContain("color");
        // The positions the arrow needs stay.
        assertThat(o.getInteger("entries")).isEqualTo(2);
        assertThat(o.getLong("firstIndex")).isEqualTo(6);
        // A message held in the network, as QueueStats lists it: its summary alone.
        JsonObject queue = new JsonObject().put("type", "QueueStats").put("held", new JsonArray().add(new JsonObject()
                .put("to", 2).put("kind", "AppendEntries").put("summary", a.summary())));
        assertThat(EventJson.redact(queue, EventValues.HIDE).getJsonArray("held").getJsonObject(0).getString("summary"))
                .isEqualTo("prev=5@2 commit=5 entries=hidden");
        // Summaries of other kinds carry no data and stay as they are.
        RaftEvent.MessageSent vote = new RaftEvent.MessageSent(H, 1, new VoteRequest(1, 2, 4, 9, 3, false, false));
        assertThat(new EventJson.Mapper(EventValues.HIDE_KEYS).toJson(vote))
                .isEqualTo(EventJson.toJson(vote));
    }

    @Test
    void hiddenKeysLeaveOnlyTheKindAndTheSize() {
        EventJson.Mapper hiding = new EventJson.Mapper(EventValues.HIDE_KEYS);
        RaftEvent.LogAppended appended = new RaftEvent.LogAppended(new EventHeader(4, 1, 1, 2, "Leader"),
                List.of(put(3, 2, "user:alice@example.com", "secret-blue"),
                        Entry.normal(4, 2, KvCodec.encode(new KvCommand.Increment("visits:alice", 12345)))));
        JsonArray entries = hiding.toJson(appended).getJsonArray("entries");
        assertThat(entries.getJsonObject(0).fieldNames()).containsExactlyInAnyOrder("i", "t", "op", "valueLength");
        assertThat(entries.getJsonObject(0).getInteger("valueLength")).isEqualTo(11);
        assertThat(entries.getJsonObject(1).fieldNames()).containsExactlyInAnyOrder("i", "t", "op");
        assertThat(entries.encode()).doesNotContain("alice").doesNotContain("12345");
        JsonObject done = hiding.toJson(new RaftEvent.ClientRequest(new EventHeader(5, 1, 1, 2, "Leader"),
                new JsonObject().put("reqId", 1).put("op", "incr").put("key", "visits:alice").put("phase", "completed")
                        .put("ok", true).put("revision", 4).put("result", "12345")));
        assertThat(done.encode()).doesNotContain("alice").doesNotContain("12345");
        assertThat(done.getLong("revision")).isEqualTo(4);
        JsonObject failed = hiding.toJson(new RaftEvent.ClientRequest(new EventHeader(6, 1, 1, 2, "Leader"),
                new JsonObject().put("reqId", 2).put("op", "put").put("key", "user:alice").put("phase", "completed")
                        .put("ok", false).put("error", "invalid_key").put("message", "key user:alice is too long")));
        assertThat(failed.encode()).doesNotContain("alice");
        assertThat(failed.getString("error")).isEqualTo("invalid_key");
        // With keys shown, an increment keeps its key but not its delta or its result (the new value).
        JsonObject keyed = new EventJson.Mapper(EventValues.HIDE).toJson(appended).getJsonArray("entries")
                .getJsonObject(1);
        assertThat(keyed.getString("key")).isEqualTo("visits:alice");
        assertThat(keyed.containsKey("delta")).isFalse();
    }

    @Test
    void relayedEventsAreRedactedAgainAndTheSettingIsAnnounced() {
        // An event made by a process that shows values, as it arrives from another process's relay.
        JsonObject shown = new EventJson.Mapper(EventValues.SHOW).toJson(new RaftEvent.LogAppended(
                new EventHeader(4, 1, 1, 2, "Leader"), List.of(put(3, 2, "color", "secret-blue"))));
        assertThat(shown.encode()).contains("secret-blue");
        assertThat(EventJson.redact(shown.copy(), EventValues.HIDE).encode()).doesNotContain("secret");
        assertThat(EventJson.redact(shown.copy(), EventValues.SHOW)).isEqualTo(shown);
        // A late joiner's snapshot folds the same entries.
        JsonObject snapshot = new JsonObject().put("type", "Snapshot").put("nodes", new JsonArray().add(
                new JsonObject().put("id", 1).put("log", shown.getJsonArray("entries").copy())));
        assertThat(EventJson.redact(snapshot, EventValues.HIDE).encode()).doesNotContain("secret");
        RaftEvent.ClusterInfo info = new RaftEvent.ClusterInfo(H, List.of(1, 2, 3), null);
        assertThat(new EventJson.Mapper(EventValues.HIDE).toJson(info).getString("eventValues")).isEqualTo("hide");
        assertThat(new EventJson.Mapper(EventValues.SHOW).toJson(info).getString("eventValues")).isEqualTo("show");
    }

    @Test
    void queueStatsCountPerLinkWhatTheNetworkHoldsAndWhatTheLeaderAwaits() {
        var links = java.util.Map.of(2, new io.raftline.raft.PeerStatus(7, 9, io.raftline.raft.ReplicationState.REPLICATE,
                true, 2), 3, new io.raftline.raft.PeerStatus(4, 5, io.raftline.raft.ReplicationState.PROBE, true, 1));
        var held = List.of(new io.raftline.transport.NetworkConditioner.InNetwork(new Heartbeat(1, 3, 2, 4, 0), 1_000),
                new io.raftline.transport.NetworkConditioner.InNetwork(new Heartbeat(1, 3, 2, 4, 0), 1_050));
        JsonObject o = EventJson.toJson(new RaftEvent.QueueStats(new EventHeader(9, 900, 1, 2, "Leader"),
                new io.raftline.node.QueueStats(1, 5, 0, links), held));
        assertThat(o.getString("type")).isEqualTo("QueueStats");
        assertThat(o.getInteger("pendingProposals")).isEqualTo(5);
        assertThat(o.getInteger("inbox")).isZero();
        assertThat(o.getInteger("outbox")).isEqualTo(2);
        assertThat(o.getJsonArray("links").encode()).isEqualTo(
                "[{\"to\":2,\"outbox\":0,\"transport\":0,\"inflight\":2,\"match\":7,\"next\":9,\"state\":\"replicate\"},"
                        + "{\"to\":3,\"outbox\":2,\"transport\":0,\"inflight\":1,\"match\":4,\"next\":5,\"state\":\"probe\"}]");
        assertThat(o.getInteger("transportInbox")).isZero();
        assertThat(o.getInteger("transportOut")).isZero();
        assertThat(o.getJsonArray("held").getJsonObject(0).getString("kind")).isEqualTo("Heartbeat");
        assertThat(o.getJsonArray("held").getJsonObject(0).getLong("dueAt")).isEqualTo(1_000);
    }

    @Test
    void queueStatsCountWhatWaitsInTheTransportInAndPerPeerOut() {
        var stats = new io.raftline.node.QueueStats(1, 0, 0, java.util.Map.of(), 3, java.util.Map.of(2, 4, 5, 1));
        JsonObject o = EventJson.toJson(new RaftEvent.QueueStats(new EventHeader(9, 900, 1, 2, "Follower"), stats,
                List.of()));
        assertThat(o.getInteger("inbox")).isZero();
        assertThat(o.getInteger("transportInbox")).isEqualTo(3);
        assertThat(o.getInteger("transportOut")).isEqualTo(5);
        assertThat(o.getInteger("outbox")).isZero();
        // A peer with messages only in the transport has its link (without a leader's replication figures).
        assertThat(o.getJsonArray("links").encode()).isEqualTo(
                "[{\"to\":2,\"outbox\":0,\"transport\":4},{\"to\":5,\"outbox\":0,\"transport\":1}]");
    }
}
