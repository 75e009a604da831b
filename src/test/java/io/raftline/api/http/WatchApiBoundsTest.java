package io.raftline.api.http;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.api.StandInNode;
import io.raftline.api.WatchBudget;
import io.raftline.kv.KvChange;
import io.raftline.kv.KvEntry;
import io.raftline.node.NodeHost;
import io.raftline.node.RaftNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.parsetools.RecordParser;
import io.vertx.ext.web.Router;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The HTTP watch is paced by what its client reads ({@link io.raftline.api.WatchPacer}): a batch of any size (the node
 * hands a stream a resumed watch's whole backlog, up to its 64 MiB of history, as one batch) reaches a client that
 * reads it, and a client that does not read is cut off, by the bound on later batches or by the stall time. The node
 * is a stand-in whose watches the test feeds by hand.
 */
class WatchApiBoundsTest {

    private Vertx vertx;
    private HttpServer server;
    private HttpClient client;
    private final StandInNode standIn = new StandInNode();
    private final List<NodeHost.WatchSink> sinks = standIn.sinks;
    private final AtomicInteger cancelled = standIn.cancelled;
    /** The stall time of the test that waits it out, instead of the default's 15 s. */
    private static final long SHORT_STALL_MS = 2_000;
    private WatchBudget budget = new WatchBudget(64L * 1024 * 1024);

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        RaftNode node = standIn.node();
        Router router = Router.router(vertx);
        new WatchApi(node, budget).mount(router);
        server = await(vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
        client = vertx.createHttpClient();
    }

    @AfterEach
    void stop() throws Exception {
        await(vertx.close());
    }

    /** A change of one key whose value is {@code valueBytes} of text (as many bytes in its event's JSON). */
    private static KvChange change(long revision, int valueBytes) {
        byte[] value = new byte[valueBytes];
        Arrays.fill(value, (byte) 'x');
        return new KvChange(revision, 0, "k" + revision, new KvEntry("k" + revision, value, revision, revision, 1));
    }

    /** Changes of 64 KiB in a backlog of three times the bound on what may wait behind a client. */
    private static final int BACKLOG_CHANGES = (int) (3 * WatchApi.MAX_BEHIND_BYTES / (64 * 1024));

    /** One batch of {@link #BACKLOG_CHANGES} changes of 64 KiB, revisions from 1: as a resumed watch's backlog comes. */
    private static List<KvChange> backlog() {
        List<KvChange> batch = new ArrayList<>();
        for (int i = 1; i <= BACKLOG_CHANGES; i++) {
            batch.add(change(i, 64 * 1024));
        }
        return batch;
    }

    /** Opens a watch from the next change. */
    private HttpClientResponse watch() throws Exception {
        HttpClientResponse response = await(client.request(HttpMethod.GET, server.actualPort(), "127.0.0.1",
                "/v1/watch").compose(req -> req.send()));
        assertThat(response.statusCode()).isEqualTo(200);
        return response;
    }

    /**
     * A batch three times the bound, to a client that reads as it comes, arrives whole and the stream stays open: it
     * is written a piece at a time as the response's write queue takes it. It used to be written in one task, so the
     * queue filled at once and the rest counted as unread: the client was cut off as too slow after about 8 MiB, and
     * reconnecting with its last id brought the next 8 MiB and the same cut.
     */
    @Test
    void aClientThatReadsGetsABatchFarLargerThanTheBoundWhole() throws Exception {
        HttpClientResponse response = watch();
        List<Long> revisions = new CopyOnWriteArrayList<>();
        List<String> errors = new CopyOnWriteArrayList<>();
        response.handler(RecordParser.newDelimited("\n\n", block -> {
            String text = block.toString();
            if (text.contains("\nevent: put\n")) {
                String id = text.substring(4, text.indexOf('\n'));
                revisions.add(Long.parseLong(id.substring(0, id.indexOf(':'))));
            } else if (text.contains("event: error")) {
                errors.add(text);
            }
        }));
        Future<Void> end = response.end();
        eventually("the watch registered", () -> sinks.size() == 1);
        int changes = BACKLOG_CHANGES;
        sinks.get(0).changes(backlog());
        eventually("every change arrived, or the stream ended", Duration.ofSeconds(30),
                () -> end.isComplete() || revisions.size() == changes);
        assertThat(end.isComplete()).as("the stream is still open (it ended with %s)", errors).isFalse();
        for (int i = 0; i < changes; i++) {
            assertThat(revisions.get(i)).isEqualTo(i + 1L);
        }
        // And the stream goes on with the next change.
        sinks.get(0).changes(List.of(change(changes + 1, 10)));
        eventually("the next change arrived", () -> revisions.size() == changes + 1);
        assertThat(cancelled.get()).isZero();
        assertThat(errors).isEmpty();
        assertThat(budget.held()).as("a batch that found nothing waiting is not counted").isZero();
    }

    /**
     * A client that reads nothing of one large batch (a resumed watch's backlog), with nothing more coming, is cut off
     * once its stream stayed blocked for the stall time (here {@link #SHORT_STALL_MS}; 15 s by default,
     * {@link WatchApi#STALL_MS}), rather than the node holding the batch for it for
     * as long as the connection lasts. (Until 2026-12-07 the batch was written whole in one task and counted as unread
     * once the write queue filled, which also cut off clients that read as fast as they could.)
     */
    @Test
    void aClientThatDoesNotReadALargeBatchIsCutOffOnceItReadsNothingForTheStallTime() throws Exception {
        stop();
        budget = new WatchBudget(64L * 1024 * 1024, SHORT_STALL_MS);
        start();
        HttpClientResponse response = watch();
        response.pause(); // reads nothing: the connection's buffers fill, then the server's write queue
        eventually("the watch registered", () -> sinks.size() == 1);
        // Three times the bound, in one batch (as a backlog comes): the server must end the stream, not hold it all.
        int changes = BACKLOG_CHANGES;
        sinks.get(0).changes(backlog());
        eventually("the node's watch cancelled", Duration.ofMillis(SHORT_STALL_MS + 20_000),
                () -> cancelled.get() == 1);
        String text = rest(response);
        assertThat(text).contains("\"error\":\"too_slow\"").contains("read none for " + SHORT_STALL_MS + " ms");
        assertThat(idsOfPuts(text)).as("the start of the batch, in order").isNotEmpty().hasSizeLessThan(changes)
                .satisfies(ids -> {
                    for (int i = 0; i < ids.size(); i++) {
                        assertThat(ids.get(i)).isEqualTo(i + 1L);
                    }
                });
        assertThat(budget.held()).as("a batch that found nothing waiting is not counted").isZero();
    }

    /**
     * A client that reads nothing while batch after batch comes is cut off once the batches waiting behind what it has
     * not read pass the bound, without waiting for the stall time; what it held is given back.
     */
    @Test
    void aClientThatDoesNotReadIsCutOffOnceLaterChangesPassTheBound() throws Exception {
        HttpClientResponse response = watch();
        response.pause();
        eventually("the watch registered", () -> sinks.size() == 1);
        NodeHost.WatchSink sink = sinks.get(0);
        int changes = (int) (3 * WatchApi.MAX_BEHIND_BYTES / (64 * 1024));
        for (int i = 1; i <= changes; i++) {
            sink.changes(List.of(change(i, 64 * 1024)));
        }
        // Well within the stall time: the bound on later batches ends it.
        eventually("the node's watch cancelled", Duration.ofMillis(WatchApi.STALL_MS / 2), () -> cancelled.get() == 1);
        String text = rest(response);
        assertThat(text).contains("\"error\":\"too_slow\"");
        List<Long> ids = idsOfPuts(text);
        assertThat(ids).isNotEmpty().hasSizeLessThan(changes);
        for (int i = 0; i < ids.size(); i++) {
            assertThat(ids.get(i)).isEqualTo(i + 1L);
        }
        assertThat(budget.held()).as("what the stream held is given back").isZero();
    }

    /** Reads the rest of a paused response, to its end. */
    private static String rest(HttpClientResponse response) throws Exception {
        // Asked for before the stream flows again: the end may come at once, and a body asked for after the end never
        // completes (Vert.x 5.0.7, see AdminHttp).
        Future<Buffer> whole = response.body();
        response.resume();
        return await(whole, Duration.ofSeconds(20)).toString();
    }

    /** The revisions of the put events of a stream's text, in order. */
    private static List<Long> idsOfPuts(String text) {
        List<Long> ids = new ArrayList<>();
        for (String block : text.split("\n\n")) {
            if (block.startsWith("id: ") && block.contains("\nevent: put\n")) {
                String id = block.substring(4, block.indexOf('\n'));
                ids.add(Long.parseLong(id.substring(0, id.indexOf(':'))));
            }
        }
        return ids;
    }
}
