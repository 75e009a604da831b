package io.raftline.app;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Which unhandled exceptions are Vert.x 5.0's report of a publish that missed a dying process (a warning), and which
 * are real errors: only the "Promise already completed" that the clustered event bus's outbound connection raises.
 */
class FatalErrorsTest {

    private static IllegalStateException raisedIn(String className, String message) {
        IllegalStateException e = new IllegalStateException(message);
        e.setStackTrace(new StackTraceElement[] {
                new StackTraceElement("io.vertx.core.Promise", "fail", "Promise.java", 104),
                new StackTraceElement(className, "writeMessage", "Source.java", 86)});
        return e;
    }

    @Test
    void thePublishRaceOfTheClusteredBusIsRecognised() {
        assertThat(FatalErrors.isPublishToADyingProcess(raisedIn(
                "io.vertx.core.eventbus.impl.clustered.OutboundConnection", "Promise already completed"))).isTrue();
    }

    /**
     * The same race when the write had been queued: the connection's queue drains into a channel closed meanwhile,
     * Netty fails the write, and the failure completes the shared promise again. The frames are those of the report
     * seen in {@code verify --mode processes} (2026-12-05), from the top down to the queue's drain.
     */
    @Test
    void thePublishRaceIsRecognisedWhenTheWriteFailsAsTheQueueDrains() {
        IllegalStateException e = new IllegalStateException("Promise already completed");
        e.setStackTrace(new StackTraceElement[] {
                new StackTraceElement("io.vertx.core.Promise", "fail", "Promise.java", 104),
                new StackTraceElement("io.vertx.core.Promise", "complete", "Promise.java", 63),
                new StackTraceElement("io.vertx.core.impl.future.FutureBase", "lambda$emitResult$0",
                        "FutureBase.java", 59),
                new StackTraceElement("io.vertx.core.impl.future.FutureImpl", "tryFail", "FutureImpl.java", 176),
                new StackTraceElement("io.vertx.core.net.impl.DelegatingChannelPromise", "tryFailure",
                        "DelegatingChannelPromise.java", 130),
                new StackTraceElement("io.netty.channel.AbstractChannel$AbstractUnsafe", "safeSetFailure",
                        "AbstractChannel.java", 870),
                new StackTraceElement("io.vertx.core.net.impl.VertxConnection", "write", "VertxConnection.java", 377),
                new StackTraceElement("io.vertx.core.internal.concurrent.OutboundMessageQueue", "drain",
                        "OutboundMessageQueue.java", 125)});
        assertThat(FatalErrors.isPublishToADyingProcess(e)).isTrue();
        IllegalStateException other = new IllegalStateException("Promise already completed");
        other.setStackTrace(new StackTraceElement[] {
                new StackTraceElement("io.vertx.core.net.impl.DelegatingChannelPromise", "trySuccess",
                        "DelegatingChannelPromise.java", 120)});
        assertThat(FatalErrors.isPublishToADyingProcess(other)).as("a write that succeeded is not this race").isFalse();
    }

    @Test
    void anyOtherExceptionStaysAnError() {
        assertThat(FatalErrors.isPublishToADyingProcess(raisedIn("io.raftline.node.NodeHost",
                "Promise already completed"))).isFalse();
        assertThat(FatalErrors.isPublishToADyingProcess(raisedIn(
                "io.vertx.core.eventbus.impl.clustered.OutboundConnection", "something else"))).isFalse();
        assertThat(FatalErrors.isPublishToADyingProcess(new IllegalArgumentException("Promise already completed")))
                .isFalse();
    }
}
