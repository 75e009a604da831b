package io.raftline.app;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/**
 * {@code --version}: the project's version and the Vert.x it was built with, as the pom wrote them into
 * {@code raftline-version.properties} at build time (the pom is the one place versions are written), and the Java
 * that runs it. Read from the classpath rather than the jar's manifest so that it answers the same from
 * {@code target/classes} in tests as from the shaded jar.
 */
final class RaftlineVersion implements IVersionProvider {

    static final String RESOURCE = "raftline-version.properties";

    @Override
    public String[] getVersion() {
        Properties p = new Properties();
        try (InputStream in = RaftlineVersion.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
        return new String[] {
            "raftline " + p.getProperty("raftline", "(unknown version)"),
            "Vert.x " + p.getProperty("vertx", "(unknown)") + ", Java " + System.getProperty("java.version")
                    + " (" + System.getProperty("java.vm.name") + ")"};
    }
}
