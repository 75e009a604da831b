package io.raftline.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The process's connection budget: a reserve of descriptors is never handed to client connections. */
class DescriptorBudgetTest {

    @Test
    void connectionsStopAtTheLimitLessWhatWasOpenAndTheReserve() {
        DescriptorBudget budget = new DescriptorBudget(1024, () -> 100);
        // Reserve: max(256, 1024 / 8) = 256; 1024 - 100 - 256 = 668 connections.
        assertThat(budget.allowance()).isEqualTo(668);
        int admitted = 0;
        for (int i = 0; i < 1000; i++) {
            if (budget.tryAcquire("test")) {
                admitted++;
            }
        }
        assertThat(admitted).isEqualTo(668);
        assertThat(budget.refused()).isEqualTo(332);
        budget.release();
        assertThat(budget.tryAcquire("test")).as("a released connection makes room").isTrue();
        assertThat(budget.tryAcquire("test")).isFalse();
    }

    @Test
    void descriptorsTakenElsewhereRefuseConnectionsToo() throws InterruptedException {
        AtomicLong open = new AtomicLong(100);
        DescriptorBudget budget = new DescriptorBudget(1024, open::get);
        assertThat(budget.tryAcquire("test")).isTrue();
        // Connections the server has not seen yet, or files, fill the table beyond limit - reserve (768).
        open.set(800);
        long deadline = System.nanoTime() + 5_000_000_000L;
        boolean refused = false;
        while (!refused && System.nanoTime() < deadline) {
            // The count is read again after at most 10 ms; each admitted connection closes again at once, so only
            // the descriptor count can refuse.
            refused = !budget.tryAcquire("test");
            if (!refused) {
                budget.release();
            }
        }
        assertThat(refused).isTrue();
        open.set(500);
        boolean admitted = false;
        while (!admitted && System.nanoTime() < deadline) {
            admitted = budget.tryAcquire("test");
        }
        assertThat(admitted).isTrue();
    }

    @Test
    void anUnknownLimitBudgetsNothing() {
        DescriptorBudget budget = new DescriptorBudget(-1, () -> 0);
        assertThat(budget.allowance()).isEqualTo(Long.MAX_VALUE);
        for (int i = 0; i < 10_000; i++) {
            assertThat(budget.tryAcquire("test")).isTrue();
        }
    }
}
