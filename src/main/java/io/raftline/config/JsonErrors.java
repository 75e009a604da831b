package io.raftline.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;

/**
 * Says why a text is not JSON in words a person can act on. Jackson's own message is set to hide its source, and says
 * so in a bracket ({@code [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1,
 * column: 13]}), once or twice: that bracket reached the operator of a broken configuration and the client of a broken
 * request body alike, so both now get the reason and where it stopped, nothing else.
 */
public final class JsonErrors {

    private JsonErrors() {
    }

    /**
     * The reason a text could not be read as JSON.
     *
     * @param e what the JSON reader threw (its cause, when it wraps one, is looked at)
     * @return Jackson's message without the source it cannot show, and the line and column where it stopped
     */
    public static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root instanceof JsonProcessingException json && json.getLocation() != null) {
            JsonLocation at = json.getLocation();
            // Jackson names the source it was told not to show, e.g. "(start marker at [Source: REDACTED ...])".
            String message = json.getOriginalMessage().replaceAll("\\s*\\(start marker at \\[Source: [^]]*\\]\\)", "");
            return message + " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
        }
        return root.getMessage();
    }
}
