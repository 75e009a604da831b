package io.raftline.verify;

import java.io.IOException;

/**
 * A history file that does not follow the NDJSON schema of {@link HistoryNdjson}.
 *
 * <p>A distinct type so that the {@code verify} command can tell a malformed file (the user's
 * problem, reported with its line number) from an unreadable one.
 */
public final class HistoryFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    /** The 1-based line number of the offending line. */
    private final int lineNumber;

    /**
     * Creates the exception.
     *
     * @param lineNumber the 1-based line of the file
     * @param message    what is wrong with it
     * @param cause      the parse error, or {@code null}
     */
    public HistoryFormatException(int lineNumber, String message, Throwable cause) {
        super("line " + lineNumber + ": " + message, cause);
        this.lineNumber = lineNumber;
    }

    /**
     * Returns the 1-based number of the offending line.
     *
     * @return the line number
     */
    public int lineNumber() {
        return lineNumber;
    }
}
