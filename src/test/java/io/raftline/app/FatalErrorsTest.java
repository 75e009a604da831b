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
