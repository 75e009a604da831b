package io.raftline.transport;

import static io.raftline.verify.nemesis.Waits.await;

import io.vertx.core.Context;
import io.vertx.core.Promise;

/**
 * Runs a test's task on a Vert.x context, as a node's verticle runs its sends, and waits until it has run: the
 * transports' tests send, set faults and read queues from the context a node would use, in one task when the order
 * within a turn of the event loop is what they check.
 */
public final class OnContext {

    private OnContext() {
    }

    /**
     * Runs {@code task} on {@code context} and returns once it has run (within {@code Waits}' bound).
     *
     * @param context where the task runs
     * @param task    what it does there
     * @throws InterruptedException if the wait is interrupted
     */
    public static void run(Context context, Runnable task) throws InterruptedException {
        Promise<Void> done = Promise.promise();
        context.runOnContext(x -> {
            task.run();
            done.complete();
        });
        await(done.future());
    }
}
