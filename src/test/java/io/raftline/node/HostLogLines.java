package io.raftline.node;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * The host's INFO lines of one test (tests log warnings only), caught in a list and kept off the console: for the
 * tests that read what a node logs ({@code @RegisterExtension final HostLogLines log = new HostLogLines();}).
 */
final class HostLogLines implements BeforeEachCallback, AfterEachCallback {

    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    private final Logger hostLog = (Logger) LoggerFactory.getLogger(NodeHost.class);
    private Level level;

    @Override
    public void beforeEach(ExtensionContext context) {
        logged.start();
        level = hostLog.getLevel();
        hostLog.setLevel(Level.INFO);
        hostLog.setAdditive(false);
        hostLog.addAppender(logged);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        hostLog.detachAppender(logged);
        hostLog.setAdditive(true);
        hostLog.setLevel(level);
    }

    /** The events logged so far. */
    List<ILoggingEvent> events() {
        return logged.list;
    }
}
