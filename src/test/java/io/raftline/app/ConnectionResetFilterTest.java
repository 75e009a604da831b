package io.raftline.app;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.spi.FilterReply;
import org.junit.jupiter.api.Test;

/**
 * The processes' logging ({@link ConsoleLogConfigurator}) drops Vert.x's bare "Connection reset" errors (a peer process that died;
 * see {@link ConnectionResetFilter}) and nothing else.
 */
class ConnectionResetFilterTest {

    private static LoggingEvent event(LoggerContext context, String logger, Level level, String message) {
        Logger l = context.getLogger(logger);
        return new LoggingEvent(Logger.class.getName(), l, level, message, null, null);
    }

    @Test
    void theShippedConsoleAppenderDropsPeerResetsAndKeepsEverythingElse() throws Exception {
        LoggerContext context = new LoggerContext();
        ConsoleLogConfigurator.apply(context, null);
        try {
            Appender<ch.qos.logback.classic.spi.ILoggingEvent> console =
                    context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDOUT");
            assertThat(console).as("the shipped console appender").isNotNull();
            String vertx = ConnectionResetFilter.CONNECTION_LOGGER;
            for (String reset : new String[] {"Connection reset", "recvAddress(..) failed: Connection reset by peer",
                "writevAddresses(..) failed: Broken pipe"}) {
                assertThat(console.getFilterChainDecision(event(context, vertx, Level.ERROR, reset))).as(reset)
                        .isEqualTo(FilterReply.DENY);
            }
            assertThat(console.getFilterChainDecision(event(context, vertx, Level.ERROR,
                    "javax.net.ssl.SSLHandshakeException: PKIX path building failed")))
                    .as("another connection error").isEqualTo(FilterReply.NEUTRAL);
            assertThat(console.getFilterChainDecision(event(context, "io.raftline.node.NodeHost", Level.ERROR,
                    "Connection reset"))).as("the same words from another logger").isEqualTo(FilterReply.NEUTRAL);
        } finally {
            context.stop();
        }
    }
}
