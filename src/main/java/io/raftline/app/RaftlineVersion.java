package io.raftline.app;

import io.raftline.config.BuildInfo;
import picocli.CommandLine.IVersionProvider;

/**
 * {@code --version}: the project's version and the Vert.x it was built with ({@link BuildInfo}), and the Java that
 * runs it.
 */
final class RaftlineVersion implements IVersionProvider {

    @Override
    public String[] getVersion() {
        return new String[] {
            "raftline " + BuildInfo.property("raftline", "(unknown version)"),
            "Vert.x " + BuildInfo.property("vertx", "(unknown)") + ", Java " + System.getProperty("java.version")
                    + " (" + System.getProperty("java.vm.name") + ")"};
    }
}
