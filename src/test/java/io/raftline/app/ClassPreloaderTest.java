package io.raftline.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClassPreloaderTest {

    /** Records which classes were asked for, and defines none of its own. */
    private static final class RecordingLoader extends ClassLoader {
        final List<String> asked = new ArrayList<>();

        RecordingLoader() {
            super(ClassPreloaderTest.class.getClassLoader());
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            asked.add(name);
            return super.loadClass(name, resolve);
        }
    }

    @Test
    void loadsTheListedClassesInOrderAndSkipsCommentsBlanksAndMissingOnes() {
        String list = """
                # recorded by bin/class-list.sh
                io.raftline.kv.KvEntry

                io.raftline.no.SuchClass
                  java.util.TreeMap \s
                io.raftline.app.ClassPreloaderTest$NeverDefined
                """;
        RecordingLoader loader = new RecordingLoader();
        int loaded = ClassPreloader.preload(new ByteArrayInputStream(list.getBytes(StandardCharsets.UTF_8)), loader);
        assertThat(loaded).isEqualTo(2);
        assertThat(loader.asked).containsSubsequence("io.raftline.kv.KvEntry", "io.raftline.no.SuchClass",
                "java.util.TreeMap", "io.raftline.app.ClassPreloaderTest$NeverDefined");
        assertThat(loader.asked).doesNotContain("# recorded by bin/class-list.sh", "");
    }

    @Test
    void theRecordedListNamesClassesOfThisBuild() {
        // Tests run from target/classes, where the list is a plain resource: it exists and names real classes.
        var list = ClassPreloader.class.getResourceAsStream(ClassPreloader.LIST);
        assertThat(list).as("src/main/resources" + ClassPreloader.LIST + " (bin/class-list.sh writes it)").isNotNull();
        int loaded = ClassPreloader.preload(list, ClassPreloaderTest.class.getClassLoader());
        assertThat(loaded).as("classes of the recorded list that exist").isGreaterThan(3_000);
    }
}
