package io.raftline.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Known histories, each a textbook anomaly or its harmless look-alike. Times are plain numbers;
 * {@code [a, b]} in a comment is an operation's invocation and completion.
 */
class LinearizabilityCheckerTest {

    private static final Duration BUDGET = Duration.ofSeconds(20);

    private final HistoryBuilder h = new HistoryBuilder();

    private CheckResult check() {
        return LinearizabilityChecker.check(h.ops(), BUDGET);
    }

    private CheckResult assertLinearizable() {
        CheckResult result = check();
        assertThat(result.verdict()).as(result.describe()).isEqualTo(Verdict.LINEARIZABLE);
        return result;
    }

    private CheckResult assertNotLinearizable() {
        CheckResult result = check();
        assertThat(result.verdict()).as(result.describe()).isEqualTo(Verdict.NOT_LINEARIZABLE);
        return result;
    }

    private static Violation.OnKey onlyKeyViolation(CheckResult result) {
        assertThat(result.violations()).as(result.describe()).hasSize(1);
        assertThat(result.violations().get(0)).as(result.describe()).isInstanceOf(Violation.OnKey.class);
        return (Violation.OnKey) result.violations().get(0);
    }

    private static Violation.Revisions onlyRevisionViolation(CheckResult result) {
        assertThat(result.violations()).as(result.describe()).hasSize(1);
        assertThat(result.violations().get(0)).as(result.describe()).isInstanceOf(Violation.Revisions.class);
        return (Violation.Revisions) result.violations().get(0);
    }

    @Nested
    class Sequential {

        @Test
        void anEmptyHistoryIsLinearizable() {
            CheckResult result = assertLinearizable();
            assertThat(result.operations()).isZero();
            assertThat(result.keys()).isZero();
        }

        @Test
        void putGetDeleteGetInSequenceIsLinearizable() {
            h.put(1, "k", "v1", 0, 10, 3);
            h.get(1, "k", 20, 30, "v1", 3);
            h.delete(1, "k", 40, 50, 1, 5);
            h.getMissing(1, "k", 60, 70);
            h.put(1, "k", "v2", 80, 90, 8);
            h.get(2, "k", 100, 110, "v2", 8);
            assertLinearizable();
        }

        @Test
        void readingAValueNeverWrittenIsNot() {
            h.put(1, "k", "v1", 0, 10, 3);
            h.get(1, "k", 20, 30, "v0");
            Violation.OnKey v = onlyKeyViolation(assertNotLinearizable());
            assertThat(v.key()).isEqualTo("k");
            assertThat(v.unplaced().get(0).reason()).contains("read \"v0\"").contains("holds \"v1\"");
        }

        @Test
        void readingBeforeAnyWriteFindsNothing() {
            h.getMissing(1, "k", 0, 10);
            h.put(1, "k", "v1", 20, 30, 3);
            assertLinearizable();
        }
    }

    @Nested
    class Concurrent {

        @Test
        void aReadOverlappingAWriteMaySeeTheOldValue() {
            h.put(1, "k", "v1", 0, 10, 2);
            h.put(1, "k", "v2", 20, 50, 4);
            h.get(2, "k", 30, 40, "v1", 2);
            assertLinearizable();
        }

        @Test
        void aReadOverlappingAWriteMaySeeTheNewValue() {
            h.put(1, "k", "v1", 0, 10, 2);
            h.put(1, "k", "v2", 20, 50, 4);
            h.get(2, "k", 30, 40, "v2", 4);
            assertLinearizable();
        }

        @Test
        void readsAgreeingOnTheOrderOfConcurrentWritesAreLinearizable() {
            h.put(1, "k", "a", 0, 100, Outcome.written(Outcome.UNREPORTED));
            h.put(2, "k", "b", 0, 100, Outcome.written(Outcome.UNREPORTED));
            h.get(3, "k", 10, 20, "a");
            h.get(3, "k", 30, 40, "b");
            h.get(4, "k", 110, 120, "b");
            assertLinearizable();
        }

        @Test
        void readsDisagreeingOnTheOrderOfConcurrentWritesAreNot() {
            h.put(1, "k", "a", 0, 100, Outcome.written(Outcome.UNREPORTED));
            h.put(2, "k", "b", 0, 100, Outcome.written(Outcome.UNREPORTED));
            h.get(3, "k", 10, 20, "a");
            h.get(3, "k", 30, 40, "b");
            h.get(4, "k", 50, 60, "a");
            assertNotLinearizable();
        }

        @Test
        void concurrentWritesMayBeGivenRevisionsInEitherOrder() {
            h.put(1, "k", "a", 0, 100, 6);
            h.put(2, "k", "b", 10, 50, 5);
            h.get(3, "k", 110, 120, "a", 6);
            assertLinearizable();
        }

        @Test
        void intervalsThatOnlyTouchCountAsConcurrent() {
            h.put(1, "k", "v1", 0, 10, 2);
            h.getMissing(2, "k", 10, 20);
            assertLinearizable();
        }

        @Test
        void aReadStartingAfterAWriteCompletedMustSeeIt() {
            h.put(1, "k", "v1", 0, 10, 2);
            h.getMissing(2, "k", 11, 20);
            assertNotLinearizable();
        }
    }

    @Nested
    class Anomalies {

        @Test
        void aStaleReadAfterACompletedWriteIsNot() {
            h.put(1, "k", "v1", 0, 10, 2);
            h.put(1, "k", "v2", 20, 30, 3);
            Operation stale = h.get(2, "k", 40, 50, "v1", 2);
            Violation.OnKey v = onlyKeyViolation(assertNotLinearizable());
            assertThat(v.key()).isEqualTo("k");
            assertThat(v.linearizedPrefix()).extracting(Operation::id).containsExactly(1L, 2L);
            assertThat(v.stateAfterPrefix()).isEqualTo("\"v2\" (revision 3)");
            assertThat(v.unplaced().get(0).operation()).isEqualTo(stale);
            assertThat(v.unplaced().get(0).reason()).isEqualTo("read \"v1\", but the key holds \"v2\" (revision 3)");
        }

        @Test
        void aStaleReadIsCaughtWithoutRevisionsToo() {
            h.put(1, "k", "v1", 0, 10, Outcome.written(Outcome.UNREPORTED));
            h.put(1, "k", "v2", 20, 30, Outcome.written(Outcome.UNREPORTED));
            h.get(2, "k", 40, 50, "v1");
            assertNotLinearizable();
        }

        @Test
        void anAcknowledgedWriteThatVanishesIsALostWrite() {
            h.put(1, "k", "v1", 0, 10, 3);
            h.getMissing(2, "k", 20, 30);
            Violation.OnKey v = onlyKeyViolation(assertNotLinearizable());
            assertThat(v.unplaced().get(0).reason()).isEqualTo("read found nothing, but the key holds \"v1\" (revision 3)");
        }

        @Test
        void aNewLeaderReusingACommittedIndexIsALostWrite() {
            // Both keys look fine alone; index 7 cannot hold two entries.
            h.put(1, "a", "v1", 0, 10, 7);
            h.put(2, "b", "w1", 20, 30, 7);
            Violation.Revisions v = onlyRevisionViolation(assertNotLinearizable());
            assertThat(v.summary()).contains("2 writes were given revision 7");
            assertThat(v.operations()).extracting(Operation::id).containsExactly(1L, 2L);
        }

        @Test
        void onAShardedClusterKeysOfDifferentGroupsMayShareARevisionButNotKeysOfOneGroup() {
            // Revisions are log indexes of the key's group: "a" and "b" are in different groups of 4, so both may be
            // given revision 7 there (the nemesis once reported this as a lost write before the checker knew).
            io.raftline.shard.KeyGroups four = new io.raftline.shard.KeyGroups(4);
            assertThat(four.groupOf("a")).isNotEqualTo(four.groupOf("b"));
            h.put(1, "a", "v1", 0, 10, 7);
            h.put(2, "b", "w1", 20, 30, 7);
            CheckResult sharded = LinearizabilityChecker.check(h.ops(), BUDGET, four);
            assertThat(sharded.verdict()).as(sharded.describe()).isEqualTo(Verdict.LINEARIZABLE);
            // Two keys of one group may not.
            String same = "c0";
            for (int i = 1; four.groupOf(same) != four.groupOf("a"); i++) {
                same = "c" + i;
            }
            h.put(3, same, "x1", 40, 50, 7);
            CheckResult clash = LinearizabilityChecker.check(h.ops(), BUDGET, four);
            assertThat(clash.verdict()).as(clash.describe()).isEqualTo(Verdict.NOT_LINEARIZABLE);
            assertThat(onlyRevisionViolation(clash).operations()).extracting(Operation::id).containsExactly(1L, 3L);
        }

        @Test
        void aClientThatDoesNotReadItsOwnWriteIsNot() {
            h.put(1, "k", "v1", 0, 10, 2);
            h.put(1, "k", "v2", 20, 30, 5);
            h.put(2, "k", "v3", 15, 100, 6);
            h.get(1, "k", 40, 50, "v1", 2);
            assertNotLinearizable();
        }

        @Test
        void aClientMaySeeAConcurrentWriteInsteadOfItsOwn() {
            h.put(1, "k", "v1", 0, 10, 2);
            h.put(1, "k", "v2", 20, 30, 5);
            h.put(2, "k", "v3", 15, 100, 6);
            h.get(1, "k", 40, 50, "v3", 6);
            assertLinearizable();
        }

        @Test
        void aRetriedWriteAppliedTwiceShowsASecondRevision() {
            h.put(1, "k", "v1", 0, 10, 5);
            h.get(2, "k", 20, 30, "v1", 8);
            Violation.OnKey v = onlyKeyViolation(assertNotLinearizable());
            assertThat(v.unplaced().get(0).reason()).isEqualTo("read saw revision 8, but the key holds \"v1\" (revision 5)");
        }

        @Test
        void aValueThatComesBackAfterBeingOverwrittenIsNot() {
            h.put(1, "k", "v1", 0, 10, 5);
            h.put(1, "k", "v2", 20, 30, 6);
            h.get(2, "k", 40, 50, "v2", 6);
            h.get(2, "k", 60, 70, "v1", 9);
            assertNotLinearizable();
        }

        @Test
        void aValueThatComesBackIsCaughtWithoutRevisionsToo() {
            h.put(1, "k", "v1", 0, 10, Outcome.written(Outcome.UNREPORTED));
            h.put(1, "k", "v2", 20, 30, Outcome.written(Outcome.UNREPORTED));
            h.get(2, "k", 40, 50, "v2");
            h.get(2, "k", 60, 70, "v1");
            assertNotLinearizable();
        }

        @Test
        void twoCompareAndSetsSucceedingOnTheSameRevisionIsSplitBrain() {
            h.put(1, "k", "v0", 0, 10, 3);
            h.cas(1, "k", "v1", 3, 20, 40, 5);
            h.cas(2, "k", "v2", 3, 20, 40, 6);
            Violation.OnKey v = onlyKeyViolation(assertNotLinearizable());
            assertThat(v.linearizedPrefix()).hasSize(2);
            assertThat(v.unplaced().get(0).reason()).startsWith("succeeded with ifRevision=3, but the key holds");
        }

        @Test
        void twoCreateOnlyWritesBothSucceedingIsSplitBrain() {
            h.cas(1, "k", "v1", Operation.MUST_NOT_EXIST, 0, 10, 2);
            h.cas(2, "k", "v2", Operation.MUST_NOT_EXIST, 0, 10, 3);
            assertNotLinearizable();
        }

        @Test
        void twoLeadersCommittingAtTheSameIndexOnDifferentKeysIsSplitBrain() {
            h.put(1, "a", "x", 0, 10, 10);
            h.put(2, "b", "y", 0, 10, 10);
            onlyRevisionViolation(assertNotLinearizable());
        }

        @Test
        void revisionsGoingBackwardsAcrossKeysIsNot() {
            h.put(1, "a", "x", 0, 10, 10);
            h.put(2, "b", "y", 20, 30, 8);
            Violation.Revisions v = onlyRevisionViolation(assertNotLinearizable());
            assertThat(v.summary()).isEqualTo("#2 was given revision 8, but #1 had already completed with revision 10"
                    + " before #2 was invoked: revisions went backwards");
        }

        @Test
        void aReadReportingAnotherKeysRevisionIsNot() {
            h.put(1, "b", "x", 0, 10, Outcome.written(Outcome.UNREPORTED));
            h.get(1, "b", 20, 30, "x", 10);
            h.put(2, "a", "y", 0, 5, 10);
            Violation.Revisions v = onlyRevisionViolation(assertNotLinearizable());
            assertThat(v.summary()).isEqualTo("#2 saw revision 10 on key b, but revision 10 is #3's write to key a");
        }

        @Test
        void twoKeysReadAtOneRevisionFromWritesThatReportedNoneAreNot() {
            // Each key alone is fine; one revision is one write to one key (found by review, 2026-12-07: only a
            // write's own revision was compared with what reads saw).
            h.putUnknown(1, "k1", "a", 0);
            h.putUnknown(2, "k2", "b", 0);
            h.get(3, "k1", 10, 11, "a", 5);
            h.get(4, "k2", 10, 11, "b", 5);
            Violation.Revisions v = onlyRevisionViolation(assertNotLinearizable());
            assertThat(v.summary()).isEqualTo("#4 saw revision 5 on key k2, but #3 saw revision 5 on key k1: one"
                    + " revision is one write, to one key");
        }

        @Test
        void revisionsMustIncreaseAlongAKey() {
            h.put(1, "k", "v1", 0, 10, 5);
            h.put(1, "k", "v2", 20, 30, 5);
            CheckResult result = assertNotLinearizable();
            assertThat(result.violations()).anySatisfy(v -> assertThat(v).isInstanceOf(Violation.OnKey.class));
        }
    }

    @Nested
    class UnknownOutcomes {

        @Test
        void anUnknownWriteThatBecomesVisibleLaterIsLinearizable() {
            h.put(1, "k", "v1", 0, 10, 2);
            h.putUnknown(2, "k", "v2", 20);
            h.get(3, "k", 30, 40, "v1", 2);
            h.get(3, "k", 1_000, 1_010, "v2", 9);
            assertLinearizable();
        }

        @Test
        void anUnknownWriteThatNeverBecomesVisibleIsLinearizable() {
            h.put(1, "k", "v1", 0, 10, 2);
            h.putUnknown(2, "k", "v2", 20);
            h.get(3, "k", 30, 40, "v1", 2);
            h.get(3, "k", 1_000, 1_010, "v1", 2);
            assertLinearizable();
        }

        @Test
        void anUnknownWriteVisibleBeforeItWasInvokedIsNot() {
            h.put(1, "k", "v1", 0, 10, 2);
            Operation early = h.get(3, "k", 20, 30, "v2");
            h.putUnknown(2, "k", "v2", 40);
            Violation.OnKey v = onlyKeyViolation(assertNotLinearizable());
            assertThat(v.unplaced().get(0).operation()).isEqualTo(early);
        }

        @Test
        void anUnknownWriteCannotBeUndone() {
            h.put(1, "k", "v1", 0, 10, 2);
            h.putUnknown(2, "k", "v2", 20);
            h.get(3, "k", 30, 40, "v2");
            h.get(3, "k", 50, 60, "v1");
            assertNotLinearizable();
        }

        @Test
        void anUnknownWritesRevisionMustComeAfterTheRevisionsBeforeIt() {
            h.put(1, "k", "v1", 0, 10, 5);
            h.putUnknown(2, "k", "v2", 20);
            h.get(3, "k", 30, 40, "v2", 4);
            assertNotLinearizable();
        }

        @Test
        void anUnknownWritesRevisionIsFixedByItsFirstObservation() {
            h.put(1, "k", "v1", 0, 10, 5);
            h.putUnknown(2, "k", "v2", 20);
            h.get(3, "k", 30, 40, "v2", 7);
            h.get(3, "k", 50, 60, "v2", 7);
            assertLinearizable();
            h.get(3, "k", 70, 80, "v2", 8);
            assertNotLinearizable();
        }

        @Test
        void twoUnknownWritesTakeTwoRevisions() {
            // v3 was written after v2 (seen in that order), so its revision is at least 2 above 5.
            h.put(1, "k", "v1", 0, 10, 5);
            h.putUnknown(2, "k", "v2", 20);
            h.putUnknown(3, "k", "v3", 20);
            h.get(4, "k", 30, 40, "v2");
            h.get(4, "k", 50, 60, "v3", 6);
            assertNotLinearizable();
        }

        @Test
        void anUnknownDeleteMayHaveHappened() {
            h.put(1, "k", "v1", 0, 10, 2);
            h.deleteUnknown(2, "k", 20);
            h.getMissing(3, "k", 30, 40);
            assertLinearizable();
            h.get(3, "k", 50, 60, "v1", 2);
            assertNotLinearizable();
        }

        @Test
        void anUnknownCompareAndSetTakesEffectOnlyIfItsPreconditionHeld() {
            h.put(1, "k", "v1", 0, 10, 2);
            h.casUnknown(2, "k", "v2", 2, 20);
            h.get(3, "k", 30, 40, "v2", 7);
            assertLinearizable();
        }

        @Test
        void anUnknownCompareAndSetWithAStalePreconditionNeverTakesEffect() {
            h.put(1, "k", "v1", 0, 10, 2);
            h.casUnknown(2, "k", "v2", 1, 20);
            h.get(3, "k", 30, 40, "v2", 7);
            assertNotLinearizable();
        }

        @Test
        void manyUnknownWritesThatNobodyReadsStayCheap() {
            h.put(0, "k", "v0", 0, 10, 1);
            for (int i = 1; i <= 60; i++) {
                h.putUnknown(i, "k", "u" + i, 20);
            }
            h.get(0, "k", 30, 40, "v0", 1);
            assertLinearizable();
            h.get(0, "k", 50, 60, "never written");
            assertNotLinearizable();
        }

        @Test
        void unknownReadsAndRejectedRequestsConstrainNothing() {
            h.put(1, "k", "v1", 0, 10, 2);
            h.raw(Operation.get(h.nextId(), 2, "k", 20, Operation.NEVER, Outcome.unknown()));
            h.put(3, "k", "bad", 30, 40, Outcome.rejected());
            h.raw(Operation.delete(h.nextId(), 3, "k", 45, 48, Outcome.rejected()));
            h.get(2, "k", 50, 60, "v1", 2);
            assertLinearizable();
        }
    }

    /** The shortcuts that keep unknown outcomes cheap must not change a verdict. */
    @Nested
    class UnknownOutcomeShortcuts {

        @Test
        void eachUnknownDeleteTakesEffectAtMostOnce() {
            h.put(1, "k", "v1", 0, 10, 2);
            h.deleteUnknown(2, "k", 20);
            h.deleteUnknown(3, "k", 21);
            h.getMissing(4, "k", 30, 40);
            h.put(1, "k", "v2", 50, 60, 9);
            h.getMissing(4, "k", 70, 80);
            assertLinearizable();
            h.put(1, "k", "v3", 90, 100, 12);
            h.getMissing(4, "k", 110, 120);
            assertNotLinearizable();
        }

        @Test
        void identicalUnknownDeletesAreUsedInInvocationOrder() {
            // Listed first but invoked last: it cannot be the one that emptied the key at 20.
            h.deleteUnknown(2, "k", 100);
            h.put(1, "k", "v1", 0, 10, 2);
            h.deleteUnknown(3, "k", 5);
            h.getMissing(4, "k", 20, 30);
            h.put(1, "k", "v2", 110, 120, 5);
            h.getMissing(4, "k", 130, 140);
            assertLinearizable();
        }

        @Test
        void anUnknownDeleteInvokedTooLateCannotHelp() {
            h.put(1, "k", "v1", 0, 10, 2);
            h.deleteUnknown(2, "k", 100);
            h.getMissing(4, "k", 20, 30);
            assertNotLinearizable();
        }

        @Test
        void unknownWritesOfValuesNoReadReturnsStayCheapNextToPreconditionFailures() {
            // The 412 makes unknown writes observable; without merging never-read values and
            // using identical writes in order, a failing search would try 2^60 subsets.
            h.put(0, "k", "v0", 0, 10, 1);
            for (int i = 1; i <= 60; i++) {
                h.putUnknown(i, "k", "u" + i, 20);
            }
            h.casFailed(0, "k", "x", Operation.MUST_NOT_EXIST, 30, 40);
            h.get(0, "k", 50, 60, "never written");
            Violation.OnKey v = onlyKeyViolation(assertNotLinearizable());
            assertThat(v.unplaced().get(0).reason()).startsWith("read \"never written\", but the key holds");
        }

        @Test
        void explanationsNameTheRealValueEvenIfNoReadReturnedIt() {
            h.put(1, "k", "v1", 0, 10, 2);
            h.put(1, "k", "never read", 20, 30, 3);
            h.get(2, "k", 40, 50, "v1", 2);
            assertThat(onlyKeyViolation(assertNotLinearizable()).stateAfterPrefix())
                    .isEqualTo("\"never read\" (revision 3)");
        }

        @Test
        void anUnknownWriteSeenAtARevisionMustPrecedeHigherRevisions() {
            h.putUnknown(1, "k", "v2", 20);
            h.get(2, "k", 25, 100, "v2", 8);
            h.put(3, "k", "v3", 30, 40, 10);
            assertLinearizable();
        }

        @Test
        void anUnknownWriteSeenAtARevisionCannotFollowAHigherOne() {
            h.put(3, "k", "v3", 10, 20, 10);
            h.putUnknown(1, "k", "v2", 30);
            h.get(2, "k", 40, 50, "v2", 8);
            assertNotLinearizable();
        }

        @Test
        void anUnknownCompareAndSetMustPrecedeTheWriteThatInvalidatesIt() {
            h.put(1, "k", "v1", 0, 10, 5);
            h.casUnknown(2, "k", "v2", 5, 20);
            h.get(4, "k", 25, 100, "v2");
            h.put(3, "k", "v3", 30, 40, 7);
            assertLinearizable();
        }

        @Test
        void anUnknownCompareAndSetCannotComeBackAfterItsRevisionIsGone() {
            h.put(1, "k", "v1", 0, 10, 5);
            h.casUnknown(2, "k", "v2", 5, 20);
            h.put(3, "k", "v3", 30, 40, 7);
            h.get(4, "k", 45, 50, "v3", 7);
            h.get(4, "k", 60, 70, "v2");
            assertNotLinearizable();
        }
    }

    @Nested
    class CompareAndSet {

        @Test
        void succeedsOnTheCurrentRevision() {
            h.put(1, "k", "v1", 0, 10, 2);
            h.cas(1, "k", "v2", 2, 20, 30, 3);
            h.get(1, "k", 40, 50, "v2", 3);
            assertLinearizable();
        }

        @Test
        void cannotSucceedOnAnOlderRevision() {
            h.put(1, "k", "v1", 0, 10, 2);
            h.put(1, "k", "v2", 20, 30, 3);
            h.cas(1, "k", "v3", 2, 40, 50, 4);
            assertNotLinearizable();
        }

        @Test
        void cannotSucceedOnAMissingKey() {
            h.cas(1, "k", "v1", 5, 0, 10, 6);
            assertNotLinearizable();
        }

        @Test
        void aPreconditionFailureAfterAnotherWriteIsLinearizable() {
            h.put(1, "k", "v1", 0, 10, 2);
            h.put(1, "k", "v2", 20, 30, 4);
            h.casFailed(2, "k", "v3", 2, 40, 50);
            assertLinearizable();
        }

        @Test
        void aPreconditionFailureConcurrentWithTheWriteThatCausedItIsLinearizable() {
            h.put(1, "k", "v1", 0, 10, 2);
            h.put(1, "k", "v2", 20, 50, 4);
            h.casFailed(2, "k", "v3", 2, 30, 40);
            assertLinearizable();
        }

        @Test
        void aPreconditionFailureWhileTheRevisionMatchedIsNot() {
            h.put(1, "k", "v1", 0, 10, 2);
            h.casFailed(2, "k", "v3", 2, 20, 30);
            Violation.OnKey v = onlyKeyViolation(assertNotLinearizable());
            assertThat(v.unplaced().get(0).reason())
                    .isEqualTo("failed ifRevision=2 (412), but the key holds \"v1\" (revision 2)");
        }

        @Test
        void createOnlyFailsOnlyWhenTheKeyExists() {
            h.casFailed(1, "k", "v1", Operation.MUST_NOT_EXIST, 0, 10);
            assertNotLinearizable();
        }

        @Test
        void createOnlyFailingOnAnExistingKeyIsLinearizable() {
            h.put(1, "k", "v1", 0, 10, 2);
            h.casFailed(1, "k", "v2", Operation.MUST_NOT_EXIST, 20, 30);
            assertLinearizable();
        }

        @Test
        void aReportedActualRevisionMustMatchTheKey() {
            h.put(1, "k", "v1", 0, 10, 2);
            h.casFailed(2, "k", "v2", 1, 20, 30, 2);
            assertLinearizable();
            h.casFailed(2, "k", "v2", 1, 40, 50, 3);
            assertNotLinearizable();
        }

        @Test
        void aReportedMissingKeyMustBeMissing() {
            h.put(1, "k", "v1", 0, 10, 2);
            h.casFailed(2, "k", "v2", 1, 20, 30, 0);
            assertNotLinearizable();
        }

        @Test
        void aPutWithoutPreconditionCannotFailOne() {
            h.put(1, "k", "v1", 0, 10, Outcome.preconditionFailed());
            assertThat(onlyKeyViolation(assertNotLinearizable()).unplaced().get(0).reason())
                    .isEqualTo("failed a precondition (412), but it had none");
        }

        @Test
        void aSuccessfulCompareAndSetFixesAnUnobservedRevision() {
            h.putUnknown(1, "k", "v1", 0);
            h.cas(2, "k", "v2", 7, 10, 20, 9);
            assertLinearizable();
        }

        @Test
        void aSuccessfulCompareAndSetMustAgreeWithAnObservedRevision() {
            h.putUnknown(1, "k", "v1", 0);
            h.get(2, "k", 5, 8, "v1", 7);
            h.cas(2, "k", "v2", 6, 10, 20, 9);
            assertNotLinearizable();
        }
    }

    @Nested
    class Delete {

        @Test
        void deletesRemoveKeysAndSayWhetherTheyExisted() {
            h.put(1, "k", "v1", 0, 10, 2);
            h.delete(1, "k", 20, 30, 1, 3);
            h.getMissing(1, "k", 40, 50);
            h.delete(2, "k", 60, 70, 0, 4);
            h.cas(2, "k", "v2", Operation.MUST_NOT_EXIST, 80, 90, 6);
            h.get(1, "k", 100, 110, "v2", 6);
            assertLinearizable();
        }

        @Test
        void deletingAMissingKeyCannotRemoveOne() {
            h.delete(1, "k", 0, 10, 1, 2);
            assertNotLinearizable();
        }

        @Test
        void deletingAPresentKeyMustRemoveIt() {
            h.put(1, "k", "v1", 0, 10, 2);
            h.delete(1, "k", 20, 30, 0, 3);
            assertNotLinearizable();
        }

        @Test
        void aReadAfterADeleteCannotFindTheValue() {
            h.put(1, "k", "v1", 0, 10, 2);
            h.delete(1, "k", 20, 30, 1, 3);
            h.get(2, "k", 40, 50, "v1", 2);
            assertNotLinearizable();
        }

        @Test
        void aDeletesRevisionMustExceedTheWriteItRemoves() {
            h.put(1, "k", "v1", 0, 10, 5);
            h.delete(1, "k", 20, 30, 1, 4);
            assertNotLinearizable();
        }

        @Test
        void aWriteAfterADeleteMustExceedTheDeletesRevision() {
            h.put(1, "k", "v1", 0, 10, 2);
            h.delete(1, "k", 20, 30, 1, 6);
            h.put(1, "k", "v2", 40, 50, 5);
            assertNotLinearizable();
        }

        @Test
        void aDeleteCannotFailAPrecondition() {
            h.raw(Operation.delete(h.nextId(), 1, "k", 0, 10, Outcome.preconditionFailed()));
            assertNotLinearizable();
        }
    }

    @Nested
    class Checking {

        @Test
        void keysAreCheckedIndependently() {
            h.put(1, "a", "x", 0, 10, 2);
            h.get(1, "a", 20, 30, "x", 2);
            h.put(2, "b", "y", 0, 10, 3);
            h.get(2, "b", 20, 30, "stale");
            h.put(3, "c", "z", 0, 10, 4);
            CheckResult result = assertNotLinearizable();
            assertThat(onlyKeyViolation(result).key()).isEqualTo("b");
            assertThat(result.keys()).isEqualTo(3);
            assertThat(result.operations()).isEqualTo(5);
        }

        @Test
        void runningOutOfTimeIsUnknownRatherThanAnAnswer() {
            // 22 concurrent writes whose revisions were not recorded, then a read of none of them:
            // proving it impossible means trying every subset in every order the cache cannot merge.
            for (int i = 0; i < 22; i++) {
                h.put(i, "k", "w" + i, 0, 1_000, Outcome.written(Outcome.UNREPORTED));
            }
            h.get(99, "k", 2_000, 2_010, "never written");
            CheckResult result = LinearizabilityChecker.check(h.ops(), Duration.ofMillis(200));
            assertThat(result.verdict()).isEqualTo(Verdict.UNKNOWN);
            assertThat(result.undecidedKeys()).containsExactly("k");
            assertThat(result.describe()).contains("time budget ran out on 1 key: k");
        }

        @Test
        void aViolationOnAnotherKeyIsAnAnswerEvenIfSomeKeyTimesOut() {
            for (int i = 0; i < 22; i++) {
                h.put(i, "slow", "w" + i, 0, 1_000, Outcome.written(Outcome.UNREPORTED));
            }
            h.get(99, "slow", 2_000, 2_010, "never written");
            h.put(1, "broken", "v1", 0, 10, 2);
            h.getMissing(1, "broken", 20, 30);
            CheckResult result = LinearizabilityChecker.check(h.ops(), Duration.ofMillis(200));
            assertThat(result.verdict()).isEqualTo(Verdict.NOT_LINEARIZABLE);
            assertThat(onlyKeyViolation(result).key()).isEqualTo("broken");
        }

        @Test
        void aHardKeyDoesNotUseUpTheBudgetOfTheKeysAfterIt() {
            for (int i = 0; i < 22; i++) {
                h.put(i, "a-hard", "w" + i, 0, 1_000, Outcome.written(Outcome.UNREPORTED));
            }
            h.get(99, "a-hard", 2_000, 2_010, "never written");
            h.put(1, "b-fine", "v1", 0, 10, 3);
            h.get(1, "b-fine", 20, 30, "v1", 3);
            h.put(1, "c-broken", "v1", 0, 10, 2);
            h.getMissing(1, "c-broken", 20, 30);
            CheckResult result = LinearizabilityChecker.check(h.ops(), Duration.ofMillis(300));
            assertThat(result.verdict()).isEqualTo(Verdict.NOT_LINEARIZABLE);
            assertThat(onlyKeyViolation(result).key()).isEqualTo("c-broken");
            assertThat(result.undecidedKeys()).containsExactly("a-hard");
        }

        @Test
        void operationIdsMustBeUnique() {
            Operation a = Operation.get(7, 1, "k", 0, 10, Outcome.notFound());
            Operation b = Operation.get(7, 2, "k", 20, 30, Outcome.notFound());
            assertThatThrownBy(() -> LinearizabilityChecker.check(List.of(a, b)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("two operations have id 7");
        }

        @Test
        void theExplanationReadsWell() {
            h.put(1, "k", "v1", 1_000_000, 2_000_000, 2);
            h.put(1, "k", "v2", 3_000_000, 4_000_000, 3);
            h.get(2, "k", 5_000_000, 6_000_000, "v1", 2);
            CheckResult result = assertNotLinearizable();
            assertThat(result.describe()).isEqualTo("""
                    NOT_LINEARIZABLE: 3 operations on 1 key, 3 search steps
                    key k: not linearizable
                      longest linearizable prefix: 2 operations, in linearization order:
                        #1 client 1 put k "v1" -> ok revision 2  [+0.000 ms, +1.000 ms]
                        #2 client 1 put k "v2" -> ok revision 3  [+2.000 ms, +3.000 ms]
                      then the key is "v2" (revision 3)
                      and none of these can come next:
                        #3 client 2 get k -> found "v1" revision 2  [+4.000 ms, +5.000 ms]
                          read "v1", but the key holds "v2" (revision 3)
                    """);
            assertThat(result.violations().get(0).summary())
                    .isEqualTo("key k: after 2 linearized operations, #3 read \"v1\", but the key holds \"v2\" (revision 3)");
        }

        @Test
        void theSameHistoryGivesTheSameExplanation() {
            h.put(1, "k", "v1", 0, 100, 2);
            h.put(2, "k", "v2", 0, 100, 3);
            h.get(3, "k", 10, 20, "v2", 3);
            h.get(4, "k", 30, 40, "v1", 2);
            String first = check().describe();
            assertThat(check().describe()).isEqualTo(first);
        }
    }
}
