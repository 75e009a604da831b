package io.raftline.app;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * Loads, on a second thread, the classes a server process is about to need, in the order it needs them.
 *
 * <p>Why: a node spends most of its start (about 2.5 of 4.5 s measured on the 2-core development machine)
 * loading and verifying some 9,000 classes from the jar, one after the other on the main thread, while the
 * other core idles; Hazelcast alone loads 4,000 of them before the node can join. How long a restarted node
 * takes to vote again is part of how long a cluster stays one failure away from unavailability. A class-data
 * sharing archive would remove most of that work, but it needs a JVM option and {@code java -jar} must
 * stay the way to run a node. So the jar carries the list of classes a node loaded when it last started
 * ({@code bin/class-list.sh} records it), and this thread walks it ahead of the main thread: each class it
 * loads first is one the main thread finds ready.
 *
 * <p>Classes are loaded, not initialized ({@code Class.forName(name, false, loader)}), so no static
 * initializer runs earlier or on another thread than it would otherwise. A stale list costs nothing but a
 * little CPU: a class that no longer exists is skipped, one missing from the list loads on demand as before.
 */
final class ClassPreloader {

    /** The recorded list: one binary class name per line, in load order. */
    static final String LIST = "/META-INF/raftline/server-classes.txt";

    /**
     * The system property that turns preloading off ({@code -Draftline.preload=false}): {@code bin/class-list.sh}
     * records what a start loads by itself, which a preloader walking the previous list would make a copy of that list.
     */
    static final String ENABLED_PROPERTY = "raftline.preload";

    private ClassPreloader() {
    }

    /** Starts the preloading thread, if the list is on the class path and preloading is not turned off. */
    static void start() {
        if (!Boolean.parseBoolean(System.getProperty(ENABLED_PROPERTY, "true"))) {
            return;
        }
        InputStream list = ClassPreloader.class.getResourceAsStream(LIST);
        if (list == null) {
            return;
        }
        ClassLoader loader = ClassPreloader.class.getClassLoader();
        Thread t = new Thread(() -> preload(list, loader), "raftline-class-preloader");
        t.setDaemon(true);
        t.start();
    }

    /**
     * Loads every class named in {@code list}; returns how many were loaded.
     *
     * @param list   the list, closed when done
     * @param loader the loader to define them in
     * @return classes found and loaded
     */
    static int preload(InputStream list, ClassLoader loader) {
        int loaded = 0;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(list, StandardCharsets.UTF_8))) {
            String name;
            while ((name = r.readLine()) != null) {
                if (name.isBlank() || name.startsWith("#")) {
                    continue;
                }
                try {
                    Class.forName(name.strip(), false, loader);
                    loaded++;
                } catch (ClassNotFoundException | LinkageError e) {
                    // Gone since the list was recorded, or an optional dependency that is absent: the main thread
                    // would meet the same and handle it; nothing to do here.
                }
            }
        } catch (IOException e) {
            // The list is inside the jar; a read failure only means less is preloaded.
        }
        return loaded;
    }
}
