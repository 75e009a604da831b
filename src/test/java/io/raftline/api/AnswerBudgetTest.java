package io.raftline.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The port's budget of read answers not yet written out ({@link AnswerBudget}): what it takes and refuses, what it
 * gives back, and the answers it drops at their deadline, each once.
 */
class AnswerBudgetTest {

    private static final long MS = 1_000_000;

    @Test
    void takesUpToItsLimitAndAnAnswerLargerThanItOnlyAlone() {
        AnswerBudget budget = new AnswerBudget(100, 30_000);
        AnswerBudget.Unsent a = budget.take(60, () -> { });
        AnswerBudget.Unsent b = budget.take(40, () -> { });
        assertThat(a).isNotNull();
        assertThat(b).isNotNull();
        assertThat(budget.take(1, () -> { })).as("one byte past the limit").isNull();
        assertThat(budget.unsent()).isEqualTo(100);

        a.written();
        a.written();
        assertThat(budget.unsent()).as("given back once").isEqualTo(40);
        assertThat(budget.take(500, () -> { })).as("larger than the budget while another waits").isNull();
        b.written();
        AnswerBudget.Unsent large = budget.take(500, () -> { });
        assertThat(large).as("larger than the budget, alone").isNotNull();
        assertThat(budget.take(1, () -> { })).isNull();
        large.written();
        assertThat(budget.unsent()).isZero();
    }

    /**
     * A transaction's answer (a write that also read up to 128 values) is counted whatever the budget, never refused
     * (the write was applied), and the reads after it are refused while it fills the budget; it is dropped at its
     * deadline as any answer.
     */
    @Test
    void aTransactionsAnswerIsCountedButNeverRefused() {
        AnswerBudget budget = new AnswerBudget(100, 100);
        AnswerBudget.Unsent read = budget.take(80, () -> { });
        AtomicInteger dropped = new AtomicInteger();
        AnswerBudget.Unsent txn = budget.takeAlways(300, dropped::incrementAndGet);
        assertThat(txn).isNotNull();
        assertThat(budget.unsent()).isEqualTo(380);
        assertThat(budget.take(1, () -> { })).as("a read while the transaction's answer waits").isNull();
        read.written();
        assertThat(budget.take(1, () -> { })).as("still past the budget").isNull();
        assertThat(budget.dropOverdue(System.nanoTime() + 200 * MS)).isEqualTo(1);
        assertThat(dropped.get()).isEqualTo(1);
        assertThat(budget.unsent()).isZero();
        assertThat(budget.take(1, () -> { })).isNotNull();
    }

    @Test
    void dropsOnlyTheAnswersPastTheirDeadlineEachOnceAndGivesTheirBytesBack() {
        AnswerBudget budget = new AnswerBudget(1000, 100);
        AtomicInteger dropsOfOld = new AtomicInteger();
        AtomicInteger dropsOfNew = new AtomicInteger();
        long start = System.nanoTime();
        budget.take(300, dropsOfOld::incrementAndGet);
        AnswerBudget.Unsent written = budget.take(200, () -> {
            throw new AssertionError("a written answer is not dropped");
        });
        written.written();

        assertThat(budget.dropOverdue(start + 50 * MS)).as("before the deadline").isZero();
        // Taken later than the first: not overdue when the first is.
        long later = System.nanoTime();
        budget.take(400, dropsOfNew::incrementAndGet);
        long firstDue = later + 100 * MS + 1;
        int dropped = budget.dropOverdue(firstDue);
        assertThat(dropped).isBetween(1, 2);
        assertThat(dropsOfOld).hasValue(1);
        if (dropped == 1) {
            assertThat(budget.unsent()).isEqualTo(400);
            assertThat(budget.dropOverdue(firstDue + 1000 * MS)).isEqualTo(1);
        }
        assertThat(dropsOfNew).hasValue(1);
        assertThat(budget.dropOverdue(firstDue + 2000 * MS)).as("each dropped once").isZero();
        assertThat(dropsOfOld).hasValue(1);
        assertThat(budget.unsent()).isZero();
    }

    @Test
    void aDeadlineOfZeroDropsNothing() {
        AnswerBudget budget = new AnswerBudget(1000, 0);
        budget.take(10, () -> {
            throw new AssertionError("no deadline");
        });
        assertThat(budget.dropOverdue(System.nanoTime() + 3_600_000 * MS)).isZero();
        assertThat(budget.unsent()).isEqualTo(10);
    }
}
