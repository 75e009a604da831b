package io.raftline.app;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.transport.OnContext;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@code members} commands against a stub node: what they say when the call fails before or after the change was
 * sent, how long they wait for a change made in every group of a sharded cluster, and how {@code members list} shows
 * groups whose membership differs from group 0's. Regressions of an operator's review: a relaying node killed part
 * way through a sharded promote was reported as "cannot reach" (nothing sent) though most groups had the change; a
 * change of 16 groups outlasted the single 30 s wait; and a half-made change could be seen only with 16 curls.
 */
class MembersCommandTest {

    private Vertx vertx;
    private Context context;
    /** The requests the stub was sent (method and URI). */
    private final List<String> requests = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
        context = vertx.getOrCreateContext();
    }

    @AfterEach
    void stop() throws Exception {
        MembersCommand.round = ApiCall.TIMEOUT;
        await(vertx.close());
    }

    private String listen(Handler<HttpServerRequest> handler) throws Exception {
        HttpServer server = await(OnContext.call(context, () -> vertx.createHttpServer().requestHandler(req -> {
            requests.add(req.method() + " " + req.uri());
            handler.handle(req);
        }).listen(0, "127.0.0.1")));
        return "http://127.0.0.1:" + server.actualPort();
    }

    private static void json(HttpServerRequest req, JsonObject body) {
        req.response().putHeader("Content-Type", "application/json").end(body.encode());
    }

    /** A listing of {@code roles} (id to "voter" or "learner"), with {@code groups} when above 1. */
    private static JsonObject listing(Map<Integer, String> roles, int groups) {
        JsonArray members = new JsonArray();
        roles.forEach((id, role) -> members.add(new JsonObject().put("id", id).put("role", role)));
        JsonObject out = new JsonObject().put("members", members).put("configIndex", 9).put("leader", 1);
        return groups > 1 ? out.put("groups", groups) : out;
    }

    /** Answers the listing; closes the connection of a change once it has read it, without an answer. */
    private String diesAfterReadingTheChange(int groups) throws Exception {
        return listen(req -> {
            if (req.method().name().equals("GET")) {
                json(req, listing(Map.of(1, "voter", 2, "voter", 3, "voter", 4, "learner"), groups));
            } else {
                req.body().onComplete(b -> req.connection().close());
            }
        });
    }

    @Test
    void aChangeWhoseConnectionWasLostAfterItWasSentMayHaveBeenPartlyMade() throws Exception {
        String url = diesAfterReadingTheChange(16);
        MainTest.Result r = MainTest.run("members", "promote", "4", "--url", url);
        assertThat(r.code()).isEqualTo(Main.FAILURE);
        assertThat(r.err()).startsWith("raftline members promote: the connection to " + url
                + " was lost after the request was sent (")
                .contains("the change may have been partly made (in some of the 16 groups); run the same command"
                        + " again to finish it")
                .doesNotContain("cannot reach");
        assertThat(requests).containsExactly("GET /v1/members?local=true", "POST /v1/members/4/promote");
    }

    @Test
    void aChangeInOneGroupIsSentThereAndALostConnectionSaysTheSame() throws Exception {
        String url = diesAfterReadingTheChange(16);
        MainTest.Result r = MainTest.run("members", "remove", "4", "--group", "7", "--url", url);
        assertThat(r.code()).isEqualTo(Main.FAILURE);
        assertThat(r.err()).contains("was lost after the request was sent",
                "the change may have been partly made; run the same command again to finish it");
        assertThat(requests).containsExactly("DELETE /v1/members/4?group=7");
    }

    @Test
    void aNodeThatCannotBeReachedWasSentNothing() {
        MainTest.Result r = MainTest.run("members", "promote", "4", "--url", "http://127.0.0.1:1");
        assertThat(r.code()).isEqualTo(Main.FAILURE);
        assertThat(r.err()).startsWith("raftline members promote: cannot reach http://127.0.0.1:1: ")
                .doesNotContain("may have been");
    }

    /**
     * A sharded change waits one round per group. The round is shortened to 500 ms here, and the stub answers after
     * 800 ms: within the three rounds of a cluster of three groups. With a single round it was cut off and reported.
     */
    @Test
    void aShardedChangeWaitsOneRoundPerGroup() throws Exception {
        MembersCommand.round = Duration.ofMillis(500);
        String url = listen(req -> {
            if (req.method().name().equals("GET")) {
                json(req, listing(Map.of(1, "voter", 2, "voter", 3, "voter", 4, "learner"), 3));
            } else {
                vertx.setTimer(800, t -> json(req, listing(Map.of(1, "voter", 2, "voter", 3, "voter", 4, "voter"),
                        3)));
            }
        });
        MainTest.Result r = MainTest.run("members", "promote", "4", "--url", url);
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(new JsonObject(r.out().trim()).getJsonArray("members")).hasSize(4);
    }

    @Test
    void aChangeThatGetsNoAnswerInTimeMayHaveBeenPartlyMade() throws Exception {
        MembersCommand.round = Duration.ofMillis(300);
        String url = listen(req -> {
            if (req.method().name().equals("GET")) {
                json(req, listing(Map.of(1, "voter", 2, "voter", 3, "voter"), 1));
            } // a change is never answered
        });
        MainTest.Result r = MainTest.run("members", "remove", "3", "--url", url);
        assertThat(r.code()).isEqualTo(Main.FAILURE);
        assertThat(r.err()).contains(url + " sent no answer within 300 ms of the request",
                "the change may have been partly made; run the same command again").doesNotContain("cannot reach");
    }

    @Test
    void listFlagsEachGroupWhoseMembershipDiffersFromGroupZeros() throws Exception {
        String url = listen(req -> {
            String group = req.getParam("group");
            if (group == null || group.equals("0") || group.equals("1")) {
                json(req, listing(Map.of(1, "voter", 2, "voter", 3, "voter", 4, "learner"), 4));
            } else if (group.equals("2")) {
                json(req, listing(Map.of(1, "voter", 2, "voter", 3, "voter", 4, "voter"), 4));
            } else {
                req.response().setStatusCode(503).putHeader("Content-Type", "application/json")
                        .end(new JsonObject().put("error", "no_leader").put("message", "group 3 knows no leader")
                                .encode());
            }
        });
        MainTest.Result r = MainTest.run("members", "list", "--url", url);
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(new JsonObject(r.out().trim()).getJsonArray("members")).hasSize(4);
        assertThat(r.err().lines().toList()).containsExactly(
                "raftline members list: group 2 differs from group 0: voters [1, 2, 3, 4], learners [] (group 0:"
                        + " voters [1, 2, 3], learners [4]); GET /v1/members?group=2 for its details",
                "raftline members list: group 3 could not be read: 503 no_leader: group 3 knows no leader");
        assertThat(requests).containsExactly("GET /v1/members", "GET /v1/members?group=1", "GET /v1/members?group=2",
                "GET /v1/members?group=3");
    }

    @Test
    void listWithAGroupShowsThatGroupOnly() throws Exception {
        String url = listen(req -> json(req, listing(Map.of(1, "voter", 2, "voter", 3, "voter"), 1)));
        MainTest.Result r = MainTest.run("members", "list", "--group", "5", "--url", url);
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(requests).containsExactly("GET /v1/members?group=5");
        assertThat(MainTest.run("members", "list", "--group", "-1", "--url", url).code()).isEqualTo(Main.USAGE);
    }
}
