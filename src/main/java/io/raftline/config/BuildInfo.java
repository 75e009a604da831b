package io.raftline.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The versions the build wrote into {@code raftline-version.properties} (the pom is the one place versions are
 * written): what {@code --version}, the Redis protocol's INFO and HELLO report. Read from the classpath rather than
 * the jar's manifest so that it answers the same from {@code target/classes} in tests as from the shaded jar.
 */
public final class BuildInfo {

    /** The classpath resource the build writes. */
    public static final String RESOURCE = "raftline-version.properties";

    private BuildInfo() {
    }

    /**
     * One recorded version.
     *
     * @param name         {@code raftline} or {@code vertx}
     * @param defaultValue what to answer if the build did not record it
     * @return the version
     * @throws UncheckedIOException if the resource exists but cannot be read
     */
    public static String property(String name, String defaultValue) {
        Properties p = new Properties();
        try (InputStream in = BuildInfo.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
        return p.getProperty(name, defaultValue);
    }
}
