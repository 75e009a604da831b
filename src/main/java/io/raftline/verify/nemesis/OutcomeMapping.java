package io.raftline.verify.nemesis;

import io.raftline.verify.OpKind;
import io.raftline.verify.Outcome;
import io.raftline.verify.Value;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * What one HTTP answer means for the history: the mapping every verdict rests on. Calling a write that may have
 * been applied "failed" hides lost or doubled writes; calling one that was not applied "unknown" only costs the
 * checker time. So only answers whose meaning the server guarantees are definite, and everything else is
 * unknown.
 *
 * <p>Writes (put, cas, delete):
 * <table>
 *   <caption>writes</caption>
 *   <tr><th>answer</th><th>outcome</th><th>why</th></tr>
 *   <tr><td>200</td><td>{@code Ok}: written at {@code revision}, or deleted {@code deleted} at {@code revision}</td>
 *       <td>applied once, in the interval</td></tr>
 *   <tr><td>412</td><td>{@code Failed(PRECONDITION_FAILED, revision)}</td>
 *       <td>not applied; the key's revision was {@code revision}: an observation the checker verifies</td></tr>
 *   <tr><td>400, 413</td><td>{@code Failed(REJECTED)}</td><td>refused as invalid, never proposed</td></tr>
 *   <tr><td>503 {@code not_leader}, {@code no_leader}, {@code overloaded}, {@code node_paused},
 *       {@code node_down}, {@code state_lost}, {@code not_member}, {@code proposal_dropped}</td>
 *       <td>{@code Failed(REJECTED)}</td>
 *       <td>definitely not applied: refused before it was proposed (a node outside the membership refuses every
 *       request before looking at it; a node that goes down answers {@code node_down} only for writes it had not
 *       proposed, those in its log get {@code outcome_unknown}), or another entry was applied at its log index (the
 *       node answers {@code proposal_dropped} only once it has seen that). Counting {@code node_down} as not
 *       applied lets the checker catch a node that answered it for a write it had proposed: the HTTP API sends such
 *       a write on to the next leader, which would then apply it twice.</td></tr>
 *   <tr><td>503 {@code leader_unreachable}</td><td>{@code Unknown}</td>
 *       <td>the follower may have forwarded it before the leader's connection broke</td></tr>
 *   <tr><td>503 {@code outcome_unknown}, 504 {@code timeout}, any other status, a 200 we cannot read</td>
 *       <td>{@code Unknown}</td><td>the server says it may or may not be applied, or says nothing we can rely on</td></tr>
 *   <tr><td>no answer after sending (client timeout, connection reset, process killed)</td><td>{@code Unknown}</td>
 *       <td>it may have been applied, or may still be</td></tr>
 *   <tr><td>no connection (nothing sent)</td><td>left out of the history</td><td>it cannot have taken effect</td></tr>
 * </table>
 *
 * <p>Reads (get): 200 is {@code Ok(found value, Raft-Revision)}; a 404 {@code not_found} for the key (its body has
 * {@code appliedIndex}) is {@code Ok(not found)}; anything else observed nothing and is left out of the history.
 *
 * <p>{@code Failed(REJECTED)} operations stay in the history for the counts; the checker ignores them, which is
 * exactly right for a request that was never applied and observed nothing.
 */
public final class OutcomeMapping {

    /** 503 codes that guarantee the write was not applied (see the class comment). */
    public static final Set<String> NOT_APPLIED_CODES = Set.of("not_leader", "no_leader", "overloaded",
            "node_paused", "node_down", "proposal_dropped", "state_lost", "not_member");

    private OutcomeMapping() {
    }

    /**
     * What one answer means.
     *
     * @param outcome the outcome to record, or {@code null} if the attempt is not an operation (nothing sent, or
     *                a read that observed nothing)
     * @param label   a short classification for the statistics, e.g. {@code 200}, {@code 503 not_leader},
     *                {@code no answer}
     */
    public record Meaning(Outcome outcome, String label) {

        /**
         * Whether the client cannot know if the write took effect.
         *
         * @return true for an unknown outcome
         */
        public boolean unknown() {
            return outcome instanceof Outcome.Unknown;
        }

        /**
         * Whether the attempt is left out of the history.
         *
         * @return true if there is no outcome to record
         */
        public boolean omitted() {
            return outcome == null;
        }
    }

    /**
     * Maps one attempt's answer.
     *
     * @param request  what was sent
     * @param response what came back
     * @return the meaning
     */
    public static Meaning map(KvRequest request, KvResponse response) {
        if (response instanceof KvResponse.NotSent n) {
            return new Meaning(null, "not sent");
        }
        if (response instanceof KvResponse.NoAnswer n) {
            return new Meaning(request.isWrite() ? Outcome.unknown() : null, "no answer");
        }
        KvResponse.Answered a = (KvResponse.Answered) response;
        return request.kind() == OpKind.GET ? read(a) : write(request, a);
    }

    private static Meaning read(KvResponse.Answered a) {
        if (a.status() == 200) {
            long revision = Outcome.UNREPORTED;
            if (a.raftRevision() != null) {
                try {
                    revision = Long.parseLong(a.raftRevision().trim());
                } catch (NumberFormatException e) {
                    revision = Outcome.UNREPORTED;
                }
            }
            return new Meaning(Outcome.found(Value.of(a.body()), revision < 1 ? Outcome.UNREPORTED : revision), "200");
        }
        JsonObject json = json(a.body());
        String code = json == null ? "" : json.getString("error", "");
        if (a.status() == 404 && "not_found".equals(code) && json.containsKey("appliedIndex")) {
            return new Meaning(Outcome.notFound(), "404");
        }
        return new Meaning(null, label(a.status(), code));
    }

    private static Meaning write(KvRequest request, KvResponse.Answered a) {
        JsonObject json = json(a.body());
        String code = json == null ? "" : String.valueOf(json.getValue("error", ""));
        String label = label(a.status(), code);
        switch (a.status()) {
            case 200: {
                Long revision = json == null ? null : longOrNull(json, "revision");
                long r = revision == null || revision < 1 ? Outcome.UNREPORTED : revision;
                if (request.kind() == OpKind.DELETE) {
                    Long deleted = json == null ? null : longOrNull(json, "deleted");
                    if (deleted == null || (deleted != 0 && deleted != 1)) {
                        return new Meaning(Outcome.unknown(), "200 unreadable");
                    }
                    return new Meaning(Outcome.deleted((int) (long) deleted, r), label);
                }
                return new Meaning(Outcome.written(r), label);
            }
            case 412: {
                if (request.kind() != OpKind.CAS) {
                    return new Meaning(Outcome.unknown(), label);
                }
                Long actual = json == null ? null : longOrNull(json, "revision");
                return new Meaning(actual == null || actual < 0 ? Outcome.preconditionFailed()
                        : Outcome.preconditionFailed(actual), label);
            }
            case 400, 413:
                return new Meaning(Outcome.rejected(), label);
            case 503:
                return new Meaning(NOT_APPLIED_CODES.contains(code) ? Outcome.rejected() : Outcome.unknown(), label);
            default:
                return new Meaning(Outcome.unknown(), label);
        }
    }

    private static String label(int status, String code) {
        return code == null || code.isEmpty() ? String.valueOf(status) : status + " " + code;
    }

    private static Long longOrNull(JsonObject json, String field) {
        Object v = json.getValue(field);
        return v instanceof Number n ? n.longValue() : null;
    }

    private static JsonObject json(byte[] body) {
        if (body.length == 0 || body[0] != '{') {
            return null;
        }
        try {
            return new JsonObject(new String(body, StandardCharsets.UTF_8));
        } catch (DecodeException | ClassCastException e) {
            return null;
        }
    }
}
