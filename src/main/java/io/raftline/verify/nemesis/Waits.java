package io.raftline.verify.nemesis;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Bounded waiting, the one way the nemesis and the tests wait: for a future's result, or until a condition holds.
 * Every wait has a deadline, and a wait that runs out says what it waited for and the last error it saw, so that
 * a failure explains itself. A condition is asked again and again (a short pause between asks is the only sleep);
 * nothing waits for a fixed time hoping that something happened meanwhile.
 *
 * <p>The blocking forms park the calling thread: a test's thread or the nemesis's own, never an event loop
 * (Vert.x's {@link Future#await(long, TimeUnit)}, which they use, refuses to run on one). Code that runs on an
 * event loop uses {@link #eventually(Vertx, String, Duration, Supplier)}, which answers a future instead.
 */
public final class Waits {

    /** How long a wait lasts when the caller names no bound: the tests' default. */
    public static final Duration TIMEOUT = Duration.ofSeconds(10);

    /** Between two asks of a condition on the caller's thread. */
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    /**
     * Between two asks of a condition polled without blocking: every ask there is a round of HTTP calls to a
     * cluster that may be busy recovering (a relaunched process, a healing cluster), so it is asked less often.
     */
    private static final long ASYNC_POLL_MS = 100;

    private Waits() {
    }

    /**
     * A condition that may fail to evaluate while what it asks about is not ready (a node not listening yet, a
     * request refused): an exception counts as "not yet", and the last one is reported if the wait runs out.
     */
    @FunctionalInterface
    public interface Condition {

        /**
         * Whether the condition holds now.
         *
         * @return true once it holds
         * @throws Exception if it cannot be evaluated now
         */
        boolean holds() throws Exception;
    }

    /** A wait that ran out of time; its message names what was waited for and the last error seen. */
    public static final class TimedOutException extends RuntimeException {

        private static final long serialVersionUID = 1L;

        TimedOutException(String message, Throwable last) {
            super(message, last);
        }
    }

    /**
     * Waits at most {@link #TIMEOUT} for a future's result.
     *
     * @param future the future
     * @param <T>    its result type
     * @return its result
     * @throws InterruptedException if the thread is interrupted meanwhile
     * @see #await(Future, Duration)
     */
    public static <T> T await(Future<T> future) throws InterruptedException {
        return await(future, TIMEOUT);
    }

    /**
     * Waits for a future's result, parking the calling thread (never an event loop). A failed future's cause is
     * thrown as it is, checked or not, as {@link Future#await(long, TimeUnit)} does.
     *
     * @param future  the future
     * @param timeout how long at most
     * @param <T>     its result type
     * @return its result
     * @throws TimedOutException    if it did not complete in time
     * @throws InterruptedException if the thread is interrupted meanwhile
     */
    public static <T> T await(Future<T> future, Duration timeout) throws InterruptedException {
        try {
            return future.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new TimedOutException("no result within " + describe(timeout), null);
        }
    }

    /**
     * Waits at most {@link #TIMEOUT} until a condition holds.
     *
     * @param what      what is waited for, for the failure's message
     * @param condition asked until it holds
     * @throws TimedOutException    if it did not hold in time
     * @throws InterruptedException if the thread is interrupted meanwhile
     */
    public static void eventually(String what, Condition condition) throws InterruptedException {
        eventually(what, TIMEOUT, condition);
    }

    /**
     * Waits until a condition holds, asking it every 20 ms on the calling thread (never an event loop). It is asked
     * at least once, and again as long as time remains; an exception it throws counts as "not yet".
     *
     * @param what      what is waited for, for the failure's message
     * @param timeout   how long at most
     * @param condition asked until it holds
     * @throws TimedOutException    if it did not hold in time
     * @throws InterruptedException if the thread is interrupted meanwhile
     */
    public static void eventually(String what, Duration timeout, Condition condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        while (true) {
            try {
                if (condition.holds()) {
                    return;
                }
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                last = e;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw timedOut(what, timeout, last);
            }
            TimeUnit.NANOSECONDS.sleep(Math.min(left, POLL_NANOS));
        }
    }

    /**
     * Waits at most {@link #TIMEOUT} until an asynchronous condition holds.
     *
     * @param what      what is waited for, for the failure's message
     * @param condition asked until its future answers true
     * @throws TimedOutException    if it did not hold in time
     * @throws InterruptedException if the thread is interrupted meanwhile
     */
    public static void eventually(String what, Supplier<Future<Boolean>> condition) throws InterruptedException {
        eventually(what, TIMEOUT, condition);
    }

    /**
     * Waits until an asynchronous condition holds, parking the calling thread (never an event loop) while each
     * answer comes; a failed answer counts as "not yet".
     *
     * @param what      what is waited for, for the failure's message
     * @param timeout   how long at most
     * @param condition asked until its future answers true
     * @throws TimedOutException    if it did not hold in time
     * @throws InterruptedException if the thread is interrupted meanwhile
     */
    public static void eventually(String what, Duration timeout, Supplier<Future<Boolean>> condition)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        eventually(what, timeout, () -> Boolean.TRUE.equals(await(condition.get(),
                Duration.ofNanos(Math.max(1, deadline - System.nanoTime())))));
    }

    /**
     * Waits until an asynchronous condition holds, without blocking anything: the condition is asked again 100 ms
     * after each answer other than true (a failed answer counts as "not yet").
     *
     * @param vertx     whose timers pace the asks
     * @param what      what is waited for, for the failure's message
     * @param timeout   how long at most
     * @param condition asked until its future answers true
     * @return completes once it holds; fails with a {@link TimedOutException} after the timeout
     */
    public static Future<Void> eventually(Vertx vertx, String what, Duration timeout,
                                          Supplier<Future<Boolean>> condition) {
        Promise<Void> promise = Promise.promise();
        ask(vertx, what, System.nanoTime() + timeout.toNanos(), timeout, condition, promise, null);
        return promise.future();
    }

    private static void ask(Vertx vertx, String what, long deadline, Duration timeout,
                            Supplier<Future<Boolean>> condition, Promise<Void> promise, Throwable last) {
        Future<Boolean> answer;
        try {
            answer = condition.get();
        } catch (RuntimeException e) {
            answer = Future.failedFuture(e);
        }
        answer.onComplete(ar -> {
            Throwable seen = ar.failed() ? ar.cause() : last;
            if (ar.succeeded() && Boolean.TRUE.equals(ar.result())) {
                promise.complete();
            } else if (System.nanoTime() - deadline >= 0) {
                promise.fail(timedOut(what, timeout, seen));
            } else {
                vertx.setTimer(ASYNC_POLL_MS, t -> ask(vertx, what, deadline, timeout, condition, promise, seen));
            }
        });
    }

    private static TimedOutException timedOut(String what, Duration timeout, Throwable last) {
        return new TimedOutException("timed out after " + describe(timeout) + " waiting for " + what
                + (last == null ? "" : " (last error: " + last + ")"), last);
    }

    private static String describe(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
    }
}
