package io.raftline.config;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamReadException;

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

    /**
     * A reader that refuses a field written twice in one object (the JSON reader Vert.x configures keeps the last) and
     * comments: a configuration file's and a request body's strict check.
     */
    static final JsonFactory STRICT = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    /**
     * The first field that an object of {@code json} names twice, or null if none does (or the text is not JSON:
     * that is for the reader proper to say). The JSON reader keeps the last of two silently, so a request body like
     * {@code {"id":10,"url":...,"id":11}} or a transaction with two {@code "success"} lists did what its last copy
     * said while the client meant both; a body that says a thing twice is refused instead, as an unknown field is.
     *
     * @param json the text, as bytes (UTF-8)
     * @return what to tell the sender, naming the field first and where its second copy is, like {@code id: given
     *         more than once (line 1, column 40); a field may appear once in an object}; null if no field is
     */
    public static String fieldGivenTwice(byte[] json) {
        try (JsonParser parser = STRICT.createParser(json)) {
            while (parser.nextToken() != null) {
                // every field name is checked against the others of its object as it is read
            }
            return null;
        } catch (StreamReadException e) {
            String m = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
            if (!m.startsWith("Duplicate field")) {
                return null;
            }
            // Jackson says "Duplicate field 'id'"
            String field = m.substring("Duplicate field".length()).trim().replaceAll("^'(.*)'$", "$1");
            JsonLocation at = e.getLocation();
            return field + ": given more than once" + (at == null ? ""
                    : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")")
                    + "; a field may appear once in an object";
        } catch (java.io.IOException e) {
            return null;
        }
    }
}
