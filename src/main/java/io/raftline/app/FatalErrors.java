package io.raftline.app;

import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a Raftline process does when the JVM runs out of memory: it exits at once, with code {@link #EXIT_CODE} and
 * one line on standard error, so that a supervisor restarts it. Left alone, an {@link OutOfMemoryError} lands in
 * every event loop in turn: each logs "Unhandled exception" and carries on, and the process stops answering
 * anything, SIGTERM included (its shutdown needs memory too). Exiting loses nothing: a write is acknowledged only
 * after its fsync, and recovery replays the write-ahead log.
 */
final class FatalErrors {

    /** The exit code of a process that ran out of memory. */
    static final int EXIT_CODE = 3;

    private static final Logger LOG = LoggerFactory.getLogger(FatalErrors.class);
    /** Encoded, and its stream opened, before they are needed: there may be no memory left to do it then. */
    private static final byte[] MESSAGE = ("raftline: out of memory (java.lang.OutOfMemoryError): exiting with code "
            + EXIT_CODE + " so that it can be restarted; give the JVM more heap (-Xmx) or lower service.max_body_bytes"
            + " and service.max_pending_proposals\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
    private static final java.io.FileOutputStream STDERR = new java.io.FileOutputStream(java.io.FileDescriptor.err);

    private FatalErrors() {
    }

    /**
     * Makes an out-of-memory error anywhere (a Vert.x handler, any thread) end the process.
     *
     * @param vertx the process's Vert.x instance
     */
    static void install(Vertx vertx) {
        vertx.exceptionHandler(t -> {
            if (t instanceof OutOfMemoryError) {
                die();
            }
            if (isPublishToADyingProcess(t)) {
                LOG.warn("a write to a connection that was closing failed after its promise had completed: a message"
                        + " published on the clustered event bus did not reach a process that is going away (Vert.x 5.0"
                        + " reports this as \"{}\"); the other processes had it, and nothing else is affected",
                        t.getMessage());
                return;
            }
            LOG.error("Unhandled exception", t);
        });
        Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((thread, t) -> {
            if (t instanceof OutOfMemoryError) {
                die();
            }
            if (previous != null) {
                previous.uncaughtException(thread, t);
            } else {
                System.err.println("Exception in thread \"" + thread.getName() + "\" " + t);
            }
        });
    }

    /**
     * Whether {@code t} is how Vert.x 5.0's clustered event bus reports a publish that reached some processes and
     * failed to reach one whose connection was closing (a process killed or stopping): the publish shares one write
     * promise among the processes, and the failed write fails the promise the others completed. It reaches the
     * context's exception handler, not the publisher, and is expected whenever a process dies, so it is one line at
     * WARN rather than an error with a stack trace. The write fails either at once, inside the bus's
     * {@code OutboundConnection}, or later, when the connection's queue of writes drains into a channel that has
     * closed meanwhile: then nothing of the bus is on the stack, only Netty failing the write
     * ({@code DelegatingChannelPromise.tryFailure}) into a promise completed already (seen in
     * {@code verify --mode processes}, one per SIGKILL of a process now and then).
     */
    static boolean isPublishToADyingProcess(Throwable t) {
        if (!(t instanceof IllegalStateException) || !"Promise already completed".equals(t.getMessage())) {
            return false;
        }
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getClassName().equals("io.vertx.core.eventbus.impl.clustered.OutboundConnection")
                    || e.getClassName().equals("io.vertx.core.net.impl.DelegatingChannelPromise")
                    && e.getMethodName().equals("tryFailure")) {
                return true;
            }
        }
        return false;
    }

    private static void die() {
        try {
            STDERR.write(MESSAGE);
        } catch (java.io.IOException | RuntimeException | Error e) {
            // nothing more can be said
        } finally {
            // halt, not exit: shutdown hooks may need memory, and nothing they do is needed for durability.
            Runtime.getRuntime().halt(EXIT_CODE);
        }
    }
}
