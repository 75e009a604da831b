package io.raftline.verify.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.verify.OpKind;
import io.raftline.verify.Operation;
import io.raftline.verify.Outcome;
import io.raftline.verify.Value;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Every row of the mapping from HTTP answers to history outcomes, for writes and reads. */
class OutcomeMappingTest {

    private static final KvRequest PUT = new KvRequest(OpKind.PUT, "k", Value.of("v"), Operation.UNCONDITIONAL,
            "linearizable", "i-1");
    private static final KvRequest CAS = new KvRequest(OpKind.CAS, "k", Value.of("v"), 7, "linearizable", "i-2");
    private static final KvRequest DELETE = new KvRequest(OpKind.DELETE, "k", null, Operation.UNCONDITIONAL,
            "linearizable", "i-3");
    private static final KvRequest GET = new KvRequest(OpKind.GET, "k", null, Operation.UNCONDITIONAL,
            "linearizable", null);

    private static KvResponse answer(int status, String body) {
        return new KvResponse.Answered(status, body.getBytes(StandardCharsets.UTF_8), null, null);
    }

    private static KvResponse error(int status, String code) {
        return answer(status, "{\"error\":\"" + code + "\",\"message\":\"...\"}");
    }

    @Test
    void acknowledgedWritesAreOkWithTheirRevision() {
        assertThat(OutcomeMapping.map(PUT, answer(200, "{\"revision\":12}")).outcome()).isEqualTo(Outcome.written(12));
        assertThat(OutcomeMapping.map(CAS, answer(200, "{\"revision\":13}")).outcome()).isEqualTo(Outcome.written(13));
        assertThat(OutcomeMapping.map(DELETE, answer(200, "{\"deleted\":1,\"revision\":14}")).outcome())
                .isEqualTo(Outcome.deleted(1, 14));
        assertThat(OutcomeMapping.map(DELETE, answer(200, "{\"deleted\":0,\"revision\":15}")).outcome())
                .isEqualTo(Outcome.deleted(0, 15));
    }

    @Test
    void aTwoHundredWeCannotReadIsUnknownNotOk() {
        assertThat(OutcomeMapping.map(DELETE, answer(200, "{\"revision\":14}")).unknown()).isTrue();
        assertThat(OutcomeMapping.map(PUT, answer(200, "garbage")).outcome()).isEqualTo(Outcome.written(Outcome.UNREPORTED));
    }

    @Test
    void a412IsAnObservationWithTheActualRevision() {
        assertThat(OutcomeMapping.map(CAS, answer(412, "{\"error\":\"precondition_failed\",\"revision\":9}")).outcome())
                .isEqualTo(Outcome.preconditionFailed(9));
        assertThat(OutcomeMapping.map(CAS, error(412, "precondition_failed")).outcome())
                .isEqualTo(Outcome.preconditionFailed());
    }

    @Test
    void answersThatGuaranteeNothingWasAppliedAreFailedRejected() {
        // node_down too: a node that goes down answers it only for writes it never proposed (outcome_unknown else).
        for (String code : new String[] {"not_leader", "no_leader", "overloaded", "node_paused", "node_down",
                "proposal_dropped", "not_member"}) {
            OutcomeMapping.Meaning m = OutcomeMapping.map(PUT, error(503, code));
            assertThat(m.outcome()).as(code).isEqualTo(Outcome.rejected());
            assertThat(m.label()).isEqualTo("503 " + code);
        }
        assertThat(OutcomeMapping.map(PUT, error(400, "bad_request")).outcome()).isEqualTo(Outcome.rejected());
        assertThat(OutcomeMapping.map(PUT, error(413, "payload_too_large")).outcome()).isEqualTo(Outcome.rejected());
    }

    @Test
    void everythingThatMayHaveBeenAppliedIsUnknown() {
        // leader_unreachable may come after the follower forwarded the write; outcome_unknown and timeout say so
        // themselves.
        for (String code : new String[] {"leader_unreachable", "outcome_unknown", "leadership_lost",
                "something_new"}) {
            assertThat(OutcomeMapping.map(PUT, error(503, code)).unknown()).as(code).isTrue();
        }
        assertThat(OutcomeMapping.map(DELETE, error(504, "timeout")).unknown()).isTrue();
        assertThat(OutcomeMapping.map(CAS, error(500, "internal")).unknown()).isTrue();
        assertThat(OutcomeMapping.map(PUT, answer(412, "{}")).unknown()).as("412 to a PUT without precondition").isTrue();
        assertThat(OutcomeMapping.map(PUT, new KvResponse.NoAnswer("TimeoutException")).unknown()).isTrue();
    }

    @Test
    void aRequestThatWasNeverSentIsNotAnOperation() {
        assertThat(OutcomeMapping.map(PUT, new KvResponse.NotSent("ConnectException")).omitted()).isTrue();
        assertThat(OutcomeMapping.map(GET, new KvResponse.NotSent("ConnectException")).omitted()).isTrue();
    }

    @Test
    void readsAreObservationsOnlyWhenTheyAnswered() {
        KvResponse found = new KvResponse.Answered(200, "v".getBytes(StandardCharsets.UTF_8), "21", "2");
        assertThat(OutcomeMapping.map(GET, found).outcome()).isEqualTo(Outcome.found(Value.of("v"), 21));
        assertThat(OutcomeMapping.map(GET, answer(404, "{\"error\":\"not_found\",\"appliedIndex\":30}")).outcome())
                .isEqualTo(Outcome.notFound());
        // A 404 without appliedIndex is not about the key (a missing route): no observation.
        assertThat(OutcomeMapping.map(GET, error(404, "not_found")).omitted()).isTrue();
        for (int status : new int[] {503, 504, 500}) {
            assertThat(OutcomeMapping.map(GET, error(status, "x")).omitted()).isTrue();
        }
        assertThat(OutcomeMapping.map(GET, new KvResponse.NoAnswer("reset")).omitted()).isTrue();
        KvResponse noHeader = new KvResponse.Answered(200, "v".getBytes(StandardCharsets.UTF_8), null, null);
        assertThat(OutcomeMapping.map(GET, noHeader).outcome()).isEqualTo(Outcome.found(Value.of("v"), Outcome.UNREPORTED));
    }

    @Test
    void requestsCarryTheirPreconditionAndConsistencyInTheUri() {
        assertThat(CAS.uri()).isEqualTo("/v1/kv/k?ifRevision=7");
        assertThat(GET.uri()).isEqualTo("/v1/kv/k");
        assertThat(new KvRequest(OpKind.GET, "k", null, -1, "stale", null).uri()).isEqualTo("/v1/kv/k?consistency=stale");
        assertThat(PUT.isWrite()).isTrue();
        assertThat(GET.isWrite()).isFalse();
    }
}
