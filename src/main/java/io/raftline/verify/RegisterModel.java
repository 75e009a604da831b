package io.raftline.verify;

import java.util.List;

/**
 * The sequential specification of one Raftline key: what each operation requires of the key's
 * state and what it leaves behind.
 *
 * <p>It follows {@code KvStateMachine}: a put writes unless its {@code ifRevision} precondition
 * fails; a delete removes the key and says whether it existed; every applied write gets a fresh,
 * larger revision; a read returns the value with the modRevision of the write that produced it.
 * {@link #step} is deterministic: for a known outcome only one successor is possible, and an
 * operation with an unknown outcome is only ever linearized as <em>having taken effect</em>
 * (linearizing it as a failed precondition or as a delete of nothing would change nothing the
 * checker can see, which is the same as never linearizing it, and that is always allowed).
 *
 * <p>A 412 is modelled as a read: it must find the key in a state that fails the precondition.
 * It is not counted as a log entry, although the store logs it, so that a front end checking
 * preconditions before proposing would not produce false alarms.
 *
 * <p>One deliberate imprecision: a 412 without a reported revision, against a value whose
 * revision has not been observed, does not remember which revision it ruled out.
 *
 * <p>{@link #step} runs millions of times per check, so it allocates only the successor state;
 * the reasons in {@link #whyNot} are built only when an explanation is asked for.
 */
final class RegisterModel {

    private RegisterModel() {
    }

    /**
     * Applies {@code op} to {@code state}.
     *
     * @param state   the key's state before the operation
     * @param op      the operation; never a rejected one nor an unknown GET (the checker drops
     *                those, as they constrain nothing)
     * @param valueId the interned value the operation writes or reads, or
     *                {@link RegisterState#ABSENT}
     * @return the state after it, or {@code null} if the operation cannot take effect here
     */
    static RegisterState step(RegisterState state, Operation op, int valueId) {
        return apply(state, op, valueId, null);
    }

    /**
     * Says why {@code op} cannot take effect in {@code state}, for explanations.
     *
     * @param state   the key's state
     * @param op      the operation
     * @param valueId its interned value
     * @param values  the interned values, to name them
     * @return the reason, or {@code null} if it can take effect
     */
    static String whyNot(RegisterState state, Operation op, int valueId, List<Value> values) {
        Why why = new Why(values);
        return apply(state, op, valueId, why) == null ? why.text.toString() : null;
    }

    /**
     * Renders a state, such as {@code "v3" (revision 57)},
     * {@code "v3" (revision not observed, at least 12)} or {@code absent (next revision above 60)}.
     *
     * @param state  the state
     * @param values the interned values
     * @return the rendering
     */
    static String describe(RegisterState state, List<Value> values) {
        if (!state.present()) {
            return state.floor() == 0 ? "absent (never written)"
                    : "absent (deleted; the next entry on it needs a revision above " + state.floor() + ")";
        }
        return values.get(state.value()) + " (revision "
                + (state.revisionKnown() ? "" : "not observed, at least ") + state.floor() + ")";
    }

    /** Builds a refusal's reason; {@code null} on the hot path, where no reason is wanted. */
    private static final class Why {
        final StringBuilder text = new StringBuilder();
        final List<Value> values;

        Why(List<Value> values) {
            this.values = values;
        }

        /** Appends the parts, rendering states and interned values readably. */
        Why say(Object... parts) {
            for (Object part : parts) {
                text.append(part instanceof RegisterState s ? describe(s, values) : String.valueOf(part));
            }
            return this;
        }

        Value value(int id) {
            return values.get(id);
        }
    }

    private static RegisterState apply(RegisterState s, Operation op, int valueId, Why why) {
        Outcome outcome = op.outcome();
        switch (op.kind()) {
            case GET:
                return read(s, (Outcome.Ok) outcome, valueId, why);
            case DELETE:
                return delete(s, outcome, why);
            default:
                if (outcome instanceof Outcome.Failed failed) {
                    return preconditionFailed(s, op.expectedRevision(), failed, why);
                }
                RegisterState t = requirePrecondition(s, op.expectedRevision(), why);
                if (t == null) {
                    return null;
                }
                long revision = outcome instanceof Outcome.Ok ok ? ok.revision() : Outcome.UNREPORTED;
                return append(t, valueId, revision, why);
        }
    }

    private static RegisterState read(RegisterState s, Outcome.Ok ok, int valueId, Why why) {
        if (!ok.found()) {
            if (s.present()) {
                if (why != null) {
                    why.say("read found nothing, but the key holds ", s);
                }
                return null;
            }
            return s;
        }
        if (s.value() != valueId) {
            if (why != null) {
                why.say("read ", why.value(valueId), ", but the key ", s.present() ? "holds " : "is ", s);
            }
            return null;
        }
        return observe(s, ok.revision(), why, "read saw revision ");
    }

    /**
     * Fixes or checks the current value's modRevision against an observed {@code revision}.
     *
     * @param who how the refusal starts, followed by the revision
     */
    private static RegisterState observe(RegisterState s, long revision, Why why, String who) {
        if (revision == Outcome.UNREPORTED) {
            return s;
        }
        if (s.revisionKnown()) {
            if (s.floor() == revision) {
                return s;
            }
            if (why != null) {
                why.say(who, revision, ", but the key holds ", s);
            }
            return null;
        }
        if (revision >= s.floor()) {
            return new RegisterState(s.value(), true, revision);
        }
        if (why != null) {
            why.say(who, revision, ", but the write that produced the current value comes after revision ",
                    s.floor() - 1, ": the key holds ", s);
        }
        return null;
    }

    private static RegisterState requirePrecondition(RegisterState s, long expected, Why why) {
        if (expected == Operation.UNCONDITIONAL) {
            return s;
        }
        if (expected == Operation.MUST_NOT_EXIST) {
            if (s.present()) {
                if (why != null) {
                    why.say("succeeded with ifRevision=0, but the key holds ", s);
                }
                return null;
            }
            return s;
        }
        if (!s.present()) {
            if (why != null) {
                why.say("succeeded with ifRevision=", expected, ", but the key is ", s);
            }
            return null;
        }
        return observe(s, expected, why, "succeeded with ifRevision=");
    }

    private static RegisterState preconditionFailed(RegisterState s, long expected, Outcome.Failed failed,
                                                    Why why) {
        RegisterState t = s;
        if (failed.actualRevisionReported()) {
            long actual = failed.actualRevision();
            if (actual == 0 && s.present()) {
                if (why != null) {
                    why.say("412 reported that the key did not exist, but it holds ", s);
                }
                return null;
            }
            if (actual > 0) {
                if (!s.present()) {
                    if (why != null) {
                        why.say("412 reported revision ", actual, ", but the key is ", s);
                    }
                    return null;
                }
                t = observe(s, actual, why, "412 reported revision ");
                if (t == null) {
                    return null;
                }
            }
        }
        boolean mayFail;
        if (expected == Operation.UNCONDITIONAL) {
            mayFail = false;
        } else if (expected == Operation.MUST_NOT_EXIST) {
            mayFail = t.present();
        } else {
            mayFail = !t.present() || !t.revisionKnown() || t.floor() != expected;
        }
        if (mayFail) {
            return t;
        }
        if (why != null) {
            if (expected == Operation.UNCONDITIONAL) {
                why.say("failed a precondition (412), but it had none");
            } else {
                why.say("failed ifRevision=", expected, " (412), but the key holds ", t);
            }
        }
        return null;
    }

    /** Adds a log entry that leaves {@code valueId} as the current value. */
    private static RegisterState append(RegisterState t, int valueId, long revision, Why why) {
        if (revision == Outcome.UNREPORTED) {
            return new RegisterState(valueId, false, t.floor() + 1);
        }
        if (revision > t.floor()) {
            return new RegisterState(valueId, true, revision);
        }
        if (why != null) {
            why.say("was given revision ", revision, ", but revisions on a key increase and the key holds ", t);
        }
        return null;
    }

    private static RegisterState delete(RegisterState s, Outcome outcome, Why why) {
        if (outcome instanceof Outcome.Failed) {
            if (why != null) {
                why.say("failed a precondition (412), but a delete has none");
            }
            return null;
        }
        if (outcome instanceof Outcome.Unknown) {
            // Deleting a missing key changes nothing visible: the same as never taking effect.
            if (!s.present()) {
                if (why != null) {
                    why.say("would delete nothing: the key is ", s);
                }
                return null;
            }
            return RegisterState.absent(s.floor() + 1);
        }
        Outcome.Ok ok = (Outcome.Ok) outcome;
        if ((ok.deleted() == 1) != s.present()) {
            if (why != null) {
                why.say("deleted ", ok.deleted(), ", but the key ", s.present() ? "holds " : "is ", s);
            }
            return null;
        }
        if (!ok.revisionReported()) {
            return RegisterState.absent(s.floor() + 1);
        }
        if (ok.revision() > s.floor()) {
            return RegisterState.absent(ok.revision());
        }
        if (why != null) {
            why.say("was given revision ", ok.revision(), ", but revisions on a key increase and the key ",
                    s.present() ? "holds " : "is ", s);
        }
        return null;
    }
}
