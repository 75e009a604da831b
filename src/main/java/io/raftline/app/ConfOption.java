package io.raftline.app;

import picocli.CommandLine.Option;

/**
 * {@code --conf FILE}, the configuration file of {@code local} and {@code node}, as a picocli mixin so that both
 * read it alike. Whether it is required, and what stands in for it when absent, is each command's to say.
 */
final class ConfOption {

    @Option(names = "--conf", paramLabel = "FILE",
            description = "The configuration file (docs/configuration.md). A path that does not exist on disk is"
                    + " looked up in the jar's conf/.")
    private String file;

    /** {@code -conf FILE}, the Vert.x launcher's spelling: still accepted, no longer advertised. */
    @Option(names = "-conf", hidden = true)
    private void launcherSpelling(String path) {
        file = path;
    }

    /** The file given, or {@code null}. */
    String file() {
        return file;
    }
}
