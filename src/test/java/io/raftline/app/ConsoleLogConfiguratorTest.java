package io.raftline.app;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.core.ConsoleAppender;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every process logs as the shipped configuration says (levels, layout, one console appender), logback finds that
 * configuration through the service loader, and a configuration the user gives replaces it.
 */
class ConsoleLogConfiguratorTest {

    @Test
    void configuresTheConsoleTheLevelsAndRaftlinesOwnLevel() {
        LoggerContext context = new LoggerContext();
        try {
            ConsoleLogConfigurator.apply(context, null);
            Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
            assertThat(root.getLevel()).isEqualTo(Level.INFO);
            assertThat(root.getAppender("STDOUT")).isInstanceOfSatisfying(ConsoleAppender.class, console -> {
                assertThat(console.isStarted()).isTrue();
                assertThat(((PatternLayoutEncoder) console.getEncoder()).getPattern())
                        .isEqualTo(ConsoleLogConfigurator.PATTERN);
            });
            assertThat(context.getLogger("io.raftline.node.NodeHost").getEffectiveLevel()).isEqualTo(Level.INFO);
            assertThat(context.getLogger("io.vertx.core.net.impl.ConnectionBase").getEffectiveLevel())
                    .isEqualTo(Level.WARN);
            assertThat(context.getLogger("io.vertx.core.eventbus.impl.clustered.ClusteredEventBus")
                    .getEffectiveLevel()).isEqualTo(Level.ERROR);
            assertThat(context.getLogger("com.hazelcast.internal.cluster.ClusterService").getEffectiveLevel())
                    .isEqualTo(Level.ERROR);
            assertThat(context.getLogger("io.vertx.launcher.application.VertxApplication").getEffectiveLevel())
                    .isEqualTo(Level.OFF);
        } finally {
            context.stop();
        }
        LoggerContext debug = new LoggerContext();
        try {
            ConsoleLogConfigurator.apply(debug, "DEBUG");
            assertThat(debug.getLogger("io.raftline.node.NodeHost").getEffectiveLevel()).isEqualTo(Level.DEBUG);
            assertThat(debug.getLogger("io.vertx.core.Vertx").getEffectiveLevel()).isEqualTo(Level.WARN);
        } finally {
            debug.stop();
        }
    }

    @Test
    void logbackFindsItAsAService() throws IOException {
        try (InputStream in = getClass().getResourceAsStream(
                "/META-INF/services/" + Configurator.class.getName())) {
            assertThat(in).as("the service file").isNotNull();
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8).strip())
                    .isEqualTo(ConsoleLogConfigurator.class.getName());
        }
    }

    @Test
    void aConfigurationOfTheUsersOwnWins(@TempDir Path dir) throws IOException {
        try (URLClassLoader none = new URLClassLoader(new URL[] {dir.toUri().toURL()}, null)) {
            assertThat(ConsoleLogConfigurator.userConfigured(null, none)).as("nothing given").isFalse();
            assertThat(ConsoleLogConfigurator.userConfigured("/etc/raftline/logback.xml", none))
                    .as("-Dlogback.configurationFile").isTrue();
            Files.writeString(dir.resolve("logback.xml"), "<configuration/>");
            assertThat(ConsoleLogConfigurator.userConfigured(null, none)).as("a logback.xml on the class path")
                    .isTrue();
        }
        LoggerContext context = new LoggerContext();
        try {
            ConsoleLogConfigurator configurator = new ConsoleLogConfigurator();
            configurator.setContext(context);
            // The tests' own logback-test.xml is on this class path: logback goes on to read it.
            assertThat(configurator.configure(context)).isEqualTo(Configurator.ExecutionStatus.INVOKE_NEXT_IF_ANY);
            assertThat(context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDOUT")).isNull();
        } finally {
            context.stop();
        }
    }
}
