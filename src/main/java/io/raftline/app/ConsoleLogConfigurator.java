package io.raftline.app;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import java.util.Map;

/**
 * The logging of every {@code raftline.jar} process, set up in code: one console appender, short lines, and the
 * libraries' routine noise held back. Logback finds it through {@code META-INF/services} before it looks for a
 * configuration file.
 *
 * <p>Why not a {@code logback.xml}: reading one takes logback's XML configurator, the JDK's XML parser and some 500
 * classes, about a quarter of a second of the main thread before a process can do anything else (measured: 490 ms to
 * the first log line with the file, 260 ms with this class, on the 2-core development machine). Every command pays it,
 * and a restarted node's start is part of how long a cluster stays one failure away from unavailability
 * (docs/performance.md). The settings are those the file had.
 *
 * <p>A configuration the user gives still wins: with {@code -Dlogback.configurationFile=...}, or a
 * {@code logback-test.xml} or {@code logback.xml} on the class path (the tests', an embedding application's), this
 * class steps aside and logback reads that file as usual. {@code -Draftline.log.level=DEBUG} sets Raftline's own
 * loggers' level.
 */
public final class ConsoleLogConfigurator extends ContextAwareBase implements Configurator {

    /** The line layout: time, level, the logger's short name, the message. */
    static final String PATTERN = "%d{HH:mm:ss.SSS} %-5level %logger{0} %msg%n";

    /** The system property that sets the level of Raftline's own loggers ({@code INFO} by default). */
    static final String LEVEL_PROPERTY = "raftline.log.level";

    /**
     * The libraries' loggers and the levels they are held to:
     * <ul>
     * <li>Netty, Vert.x: warnings and errors only; Hazelcast: errors only (it logs its banner and every member change
     * at INFO; {@code NodeClusterManager} says which node joined or left).
     * <li>The clustered event bus warns, with a stack trace, for every message to a process that is down; Raft
     * expects lost messages and retries on its own ({@code /v1/cluster} shows which nodes are down).
     * <li>vertx-micrometer registers the pool gauges of every HTTP client under the client's name (the same default
     * name for all); Micrometer keeps the first and warns about the others (the HTTP clients' own meters are
     * {@code HttpClientMeters}, one set per registry).
     * <li>The Vert.x launcher logs start failures with a stack trace; {@link NodeApplication} prints one clear line.
     * </ul>
     */
    static final Map<String, Level> LIBRARY_LEVELS = Map.of(
            "io.netty", Level.WARN,
            "io.vertx", Level.WARN,
            "com.hazelcast", Level.ERROR,
            "io.vertx.core.eventbus.impl.clustered", Level.ERROR,
            "io.micrometer.core.instrument.MeterRegistry", Level.ERROR,
            "io.vertx.launcher.application", Level.OFF);

    /** Logback creates it through the service loader. */
    public ConsoleLogConfigurator() {
    }

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (userConfigured(System.getProperty("logback.configurationFile"), getClass().getClassLoader())) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        apply(context, System.getProperty(LEVEL_PROPERTY));
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /**
     * Sets {@code context} up as a process's logging is set up.
     *
     * @param context      a logger context not configured yet
     * @param raftlineLevel the level of Raftline's own loggers, {@code INFO} if null or not a level's name
     */
    static void apply(LoggerContext context, String raftlineLevel) {
        ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
        console.setContext(context);
        console.setName("STDOUT");
        // A peer process that died resets the clustered event bus's connections to it, which Vert.x logs as a bare
        // "ERROR ConnectionBase Connection reset" on every survivor: not an error of this node (see the class).
        ConnectionResetFilter resets = new ConnectionResetFilter();
        resets.setContext(context);
        resets.start();
        console.addFilter(resets);
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(PATTERN);
        encoder.start();
        console.setEncoder(encoder);
        console.start();
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(console);
        LIBRARY_LEVELS.forEach((name, level) -> context.getLogger(name).setLevel(level));
        context.getLogger("io.raftline").setLevel(Level.toLevel(raftlineLevel, Level.INFO));
    }

    /**
     * Whether the user gave logback a configuration of their own, which it then reads instead of this one.
     *
     * @param configurationFile the {@code logback.configurationFile} property, or null
     * @param loader            where logback looks for its files
     */
    static boolean userConfigured(String configurationFile, ClassLoader loader) {
        return configurationFile != null || loader.getResource("logback-test.xml") != null
                || loader.getResource("logback.xml") != null;
    }
}
