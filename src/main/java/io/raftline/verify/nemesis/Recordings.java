package io.raftline.verify.nemesis;

import io.raftline.events.EventHeader;
import io.raftline.events.EventJson;
import io.raftline.events.RaftEvent;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Makes sure an event recording ends with its run's verdict, even when the recorder stopped at its size bound
 * before the verdict was published.
 */
final class Recordings {

    /** The most bytes a run's event recording may hold (the recorder then writes {@code RecordingTruncated}). */
    static final long MAX_BYTES = 256L << 20;

    private Recordings() {
    }

    /**
     * The {@code CheckVerdict} event line for a recording.
     *
     * @param seq     its sequence number
     * @param verdict the verdict's fields
     * @return the JSON object
     */
    static JsonObject verdictEvent(long seq, JsonObject verdict) {
        return EventJson.toJson(new RaftEvent.CheckVerdict(new EventHeader(seq, System.currentTimeMillis(), 0, 0, ""),
                verdict));
    }

    /**
     * Appends a {@code CheckVerdict} line unless the file's last line already is one.
     *
     * @param file    the recording
     * @param verdict the verdict's fields
     * @throws IOException if the file cannot be read or written
     */
    static void ensureVerdict(Path file, JsonObject verdict) throws IOException {
        if (!Files.exists(file)) {
            Files.writeString(file, verdictEvent(1, verdict).encode() + "\n");
            return;
        }
        String last = lastLine(file);
        long seq = 0;
        if (last != null) {
            try {
                JsonObject e = new JsonObject(last);
                if ("CheckVerdict".equals(e.getString("type"))) {
                    return;
                }
                seq = e.getLong("seq", 0L);
            } catch (DecodeException | ClassCastException e) {
                seq = 0;
            }
        }
        Files.writeString(file, verdictEvent(seq + 1, verdict).encode() + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.APPEND);
    }

    private static String lastLine(Path file) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long end = f.length();
            long from = Math.max(0, end - 1_000_000);
            byte[] tail = new byte[(int) (end - from)];
            f.seek(from);
            f.readFully(tail);
            String s = new String(tail, StandardCharsets.UTF_8).stripTrailing();
            int nl = s.lastIndexOf('\n');
            String line = s.substring(nl + 1).trim();
            return line.isEmpty() ? null : line;
        }
    }
}
