package io.raftline.events;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records the published events as NDJSON (one JSON object per line), the format the live view replays.
 * Lines are buffered on the publisher's event loop and written at the end of each flush through Vert.x's
 * asynchronous file API, so the event loop never waits for the disk. The file is bounded: once
 * {@code maxBytes} would be exceeded the recorder writes one last {@code RecordingTruncated} line and
 * records nothing more.
 *
 * <p>Confined to the event loop that feeds it (the publisher's): {@link #flush()} and {@link #close()} may be
 * called from anywhere and hop onto that event loop.
 */
public final class NdjsonRecorder implements EventSink {

    private static final Logger LOG = LoggerFactory.getLogger(NdjsonRecorder.class);

    private final String path;
    private final long maxBytes;
    private final Future<AsyncFile> file;
    private Buffer pending = Buffer.buffer();
    private long bytes;
    private boolean full;
    private Future<Void> lastWrite = Future.succeededFuture();
    private volatile Context context;

    /**
     * Starts a recording, replacing the file if it exists.
     *
     * @param vertx    the Vert.x instance (for its file system)
     * @param path     the NDJSON file
     * @param maxBytes the most bytes the file may hold
     */
    public NdjsonRecorder(Vertx vertx, String path, long maxBytes) {
        if (maxBytes < 1024) {
            throw new IllegalArgumentException("maxBytes must be >= 1024, got " + maxBytes);
        }
        this.path = path;
        this.maxBytes = maxBytes;
        this.file = vertx.fileSystem().open(path, new OpenOptions().setWrite(true).setCreate(true)
                .setTruncateExisting(true));
        file.onFailure(e -> LOG.warn("cannot record events to {}: {}", path, e.toString()));
    }

    @Override
    public void accept(JsonObject event) {
        if (context == null) {
            context = Vertx.currentContext();
        }
        if (full) {
            return;
        }
        Buffer line = Buffer.buffer(event.encode()).appendByte((byte) '\n');
        if (bytes + line.length() > maxBytes - 128) {
            full = true;
            String last = new JsonObject().put("seq", event.getLong("seq")).put("ts", event.getLong("ts"))
                    .put("node", 0).put("type", "RecordingTruncated").put("maxBytes", maxBytes).encode() + "\n";
            pending.appendString(last);
            LOG.warn("recording {} reached {} bytes: later events are not recorded", path, maxBytes);
            return;
        }
        bytes += line.length();
        pending.appendBuffer(line);
    }

    @Override
    public void endOfBatch() {
        if (pending.length() == 0) {
            return;
        }
        Buffer out = pending;
        pending = Buffer.buffer();
        lastWrite = file.compose(f -> f.write(out));
    }

    /**
     * Writes what is buffered and waits until it is on disk.
     *
     * @return completes once flushed
     */
    public Future<Void> flush() {
        return onContext(() -> {
            endOfBatch();
            return lastWrite.compose(v -> file.compose(AsyncFile::flush));
        });
    }

    /**
     * Writes what is buffered and closes the file.
     *
     * @return completes once closed
     */
    public Future<Void> close() {
        return flush().compose(v -> onContext(() -> {
            full = true; // nothing more is recorded
            return file.compose(AsyncFile::close);
        }));
    }

    private Future<Void> onContext(java.util.function.Supplier<Future<Void>> op) {
        Context c = context;
        if (c == null || Vertx.currentContext() == c) {
            return op.get();
        }
        Promise<Void> p = Promise.promise();
        c.runOnContext(v -> op.get().onComplete(p));
        return p.future();
    }

    /**
     * The file being written.
     *
     * @return its path
     */
    public String path() {
        return path;
    }
}
