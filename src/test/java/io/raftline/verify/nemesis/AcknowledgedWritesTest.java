package io.raftline.verify.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.verify.Operation;
import io.raftline.verify.Outcome;
import io.raftline.verify.Value;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The accounting of acknowledged writes against the final reads. */
class AcknowledgedWritesTest {

    private static final int FINAL = 9;

    @Test
    void writesOverwrittenLaterOrReadAtTheEndAreAccountedFor() {
        List<Operation> h = List.of(
                Operation.put(1, 0, "a", Value.of("v1"), 0, 10, Outcome.written(5)),
                Operation.put(2, 1, "a", Value.of("v2"), 20, 30, Outcome.written(8)),
                Operation.delete(3, 0, "b", 0, 10, Outcome.deleted(0, 6)),
                Operation.get(4, FINAL, "a", 100, 110, Outcome.found(Value.of("v2"), 8)),
                Operation.get(5, FINAL, "b", 100, 110, Outcome.notFound()));
        AcknowledgedWrites.Accounting a = AcknowledgedWrites.check(h, FINAL);
        assertThat(a.acknowledged()).isEqualTo(3);
        assertThat(a.accounted()).isEqualTo(3);
        assertThat(a.keysRead()).isEqualTo(2);
        assertThat(a.complete()).isTrue();
    }

    @Test
    void aFinalStateOlderThanAnAcknowledgedWriteIsALostWrite() {
        List<Operation> h = List.of(
                Operation.put(1, 0, "a", Value.of("v1"), 0, 10, Outcome.written(5)),
                Operation.put(2, 1, "a", Value.of("v2"), 20, 30, Outcome.written(8)),
                Operation.get(3, FINAL, "a", 100, 110, Outcome.found(Value.of("v1"), 5)));
        AcknowledgedWrites.Accounting a = AcknowledgedWrites.check(h, FINAL);
        assertThat(a.accounted()).isEqualTo(1);
        assertThat(a.missing()).singleElement().asString().contains("#2").contains("written at revision 8");
    }

    @Test
    void anAbsentKeyNeedsADeleteToExplainIt() {
        List<Operation> lost = List.of(
                Operation.put(1, 0, "a", Value.of("v1"), 0, 10, Outcome.written(5)),
                Operation.get(2, FINAL, "a", 100, 110, Outcome.notFound()));
        assertThat(AcknowledgedWrites.check(lost, FINAL).complete()).isFalse();
        List<Operation> unknownDelete = List.of(
                Operation.put(1, 0, "a", Value.of("v1"), 0, 10, Outcome.written(5)),
                Operation.delete(2, 1, "a", 5, Operation.NEVER, Outcome.unknown()),
                Operation.get(3, FINAL, "a", 100, 110, Outcome.notFound()));
        assertThat(AcknowledgedWrites.check(unknownDelete, FINAL).complete()).isTrue();
    }

    /**
     * Writes whose answers report no revision (the Redis protocol's) are accounted for by what the final read shows: a
     * key absent with no delete, or holding a value no later write explains, loses a write. They used to count as
     * accounted for without a look.
     */
    @Test
    void writesWithoutARevisionAreAccountedForByTheValueTheFinalReadShows() {
        long none = Outcome.UNREPORTED;
        List<Operation> lost = List.of(
                Operation.put(1, 0, "a", Value.of("v1"), 0, 10, Outcome.written(none)),
                Operation.put(2, 1, "a", Value.of("v2"), 20, 30, Outcome.written(none)),
                Operation.get(3, FINAL, "a", 100, 110, Outcome.found(Value.of("v1"), none)),
                Operation.put(4, 0, "b", Value.of("w1"), 0, 10, Outcome.written(none)),
                // A delete that found no key does not explain the write's absence, even if it overlapped it.
                Operation.delete(5, 1, "b", 5, 20, Outcome.deleted(0, none)),
                Operation.get(6, FINAL, "b", 100, 110, Outcome.notFound()));
        AcknowledgedWrites.Accounting a = AcknowledgedWrites.check(lost, FINAL);
        assertThat(a.accounted()).as("%s", a.missing()).isEqualTo(2);
        assertThat(a.missing()).hasSize(2).anySatisfy(m -> assertThat(m).startsWith("#2 ").contains("found \"v1\""))
                .anySatisfy(m -> assertThat(m).startsWith("#4 ").contains("found no key"));

        List<Operation> explained = List.of(
                // Overlapping writes: either may be the last.
                Operation.put(1, 0, "a", Value.of("v1"), 0, 30, Outcome.written(none)),
                Operation.put(2, 1, "a", Value.of("v2"), 20, 40, Outcome.written(none)),
                Operation.get(3, FINAL, "a", 100, 110, Outcome.found(Value.of("v1"), none)),
                // A delete whose outcome is unknown may have come after the write.
                Operation.put(4, 0, "b", Value.of("w1"), 0, 10, Outcome.written(none)),
                Operation.delete(5, 1, "b", 20, Operation.NEVER, Outcome.unknown()),
                Operation.get(6, FINAL, "b", 100, 110, Outcome.notFound()),
                // A delete shown by an absent key.
                Operation.delete(7, 0, "c", 0, 10, Outcome.deleted(1, none)),
                Operation.get(8, FINAL, "c", 100, 110, Outcome.notFound()));
        AcknowledgedWrites.Accounting b = AcknowledgedWrites.check(explained, FINAL);
        assertThat(b.acknowledged()).isEqualTo(4);
        assertThat(b.complete()).as("%s", b.missing()).isTrue();
    }

    @Test
    void aKeyNotReadAtTheEndAccountsForNothing() {
        List<Operation> h = List.of(Operation.put(1, 0, "a", Value.of("v1"), 0, 10, Outcome.written(5)));
        AcknowledgedWrites.Accounting a = AcknowledgedWrites.check(h, FINAL);
        assertThat(a.keysRead()).isZero();
        assertThat(a.missing()).singleElement().asString().contains("could not be read at the end");
    }
}
