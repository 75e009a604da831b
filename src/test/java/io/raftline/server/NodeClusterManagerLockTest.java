package io.raftline.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.config.Config;
import com.hazelcast.core.LifecycleEvent;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * Hazelcast's "shutting down" reaches the cluster manager while Vert.x's graceful leave holds the manager's monitor:
 * the leave holds it while it waits for Hazelcast's lifecycle lock, which the bounded leave's termination holds while
 * Hazelcast tells the manager the member is shutting down. The manager took its monitor for every lifecycle event, so
 * the two threads waited for each other and the process never exited (a CI run: a node asked to stop 5 s after a
 * peer's SIGSTOP was still up 30 s after SIGTERM, its thread dump showing exactly these two threads).
 */
class NodeClusterManagerLockTest {

    @Test
    void aShutdownEventDoesNotWaitForTheMonitorAGracefulLeaveHolds() throws Exception {
        NodeClusterManager manager = new NodeClusterManager(new Config(), 1);
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread leave = new Thread(() -> {
            synchronized (manager) { // as Vert.x's leave does, around Hazelcast's shutdown
                held.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }, "graceful-leave");
        leave.start();
        held.await();
        try {
            CompletableFuture<Void> told = CompletableFuture.runAsync(() -> {
                manager.stateChanged(new LifecycleEvent(LifecycleEvent.LifecycleState.SHUTTING_DOWN));
                manager.stateChanged(new LifecycleEvent(LifecycleEvent.LifecycleState.SHUTDOWN));
            });
            // Without the change it waits for as long as the leave holds the monitor: for ever, in the deadlock.
            assertThat(told).as("the events handled while the leave holds the monitor")
                    .succeedsWithin(Duration.ofSeconds(30));
        } finally {
            release.countDown();
            leave.join();
        }
    }
}
