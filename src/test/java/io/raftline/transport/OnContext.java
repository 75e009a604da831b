package io.raftline.transport;

import static io.raftline.verify.nemesis.Waits.await;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.function.Supplier;

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

    /**
     * Starts {@code task} on {@code context} (everything it calls is called from there, in one task of the context)
     * and gives its outcome.
     *
     * @param context where the task runs
     * @param task    what it starts there
     * @param <T>     what it gives
     * @return completes as the task's future does
     */
    public static <T> Future<T> call(Context context, Supplier<Future<T>> task) {
        Promise<T> done = Promise.promise();
        context.runOnContext(x -> task.get().onComplete(done));
        return done.future();
    }
}
