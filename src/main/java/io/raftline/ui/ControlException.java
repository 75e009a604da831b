package io.raftline.ui;

/**
 * A control command that was refused: {@link #code()} is the machine-readable reason the reply carries in
 * {@code error}, the message names the problem for a person.
 */
public final class ControlException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String code;

    /**
     * Creates the exception.
     *
     * @param code    e.g. {@code unknown_action}, {@code unknown_node}, {@code invalid_field}
     * @param message what is wrong
     */
    public ControlException(String code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    /**
     * The reason code.
     *
     * @return the code
     */
    public String code() {
        return code;
    }
}
