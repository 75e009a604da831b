package io.raftline.verify.nemesis;

import java.util.Objects;

/**
 * What came back for one HTTP attempt. The three cases are what {@link OutcomeMapping} needs to tell a request
 * that cannot have reached the cluster from one that may have.
 */
public sealed interface KvResponse permits KvResponse.Answered, KvResponse.NotSent, KvResponse.NoAnswer {

    /**
     * The server answered.
     *
     * @param status       the HTTP status
     * @param body         the body's bytes
     * @param raftRevision the {@code Raft-Revision} header, or {@code null}
     * @param servedBy     the {@code Raft-Served-By} header, or {@code null}
     */
    record Answered(int status, byte[] body, String raftRevision, String servedBy) implements KvResponse {
        /**
         * Checks the fields.
         *
         * @param status       status
         * @param body         body
         * @param raftRevision header
         * @param servedBy     header
         */
        public Answered {
            Objects.requireNonNull(body, "body");
        }
    }

    /**
     * No connection could be made: nothing was sent, so the request cannot have taken effect.
     *
     * @param reason why, for the statistics
     */
    record NotSent(String reason) implements KvResponse {
    }

    /**
     * The request was (or may have been) sent, but no answer came: timeout, connection reset, process killed.
     *
     * @param reason why, for the statistics
     */
    record NoAnswer(String reason) implements KvResponse {
    }
}
