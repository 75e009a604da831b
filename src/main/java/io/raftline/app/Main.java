package io.raftline.app;

import io.vertx.core.Vertx;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The entry point of {@code raftline.jar}. The commands are picocli commands ({@link RaftlineCommand} and its
 * subcommands), so every one of them parses {@code --opt value} and {@code --opt=value} alike, has its own
 * {@code --help}, and answers bad usage the same way; this class wires them to the process's streams and exit
 * codes: 0 running or done, 1 failed at run time (e.g. a port in use), 2 bad usage or configuration.
 */
public final class Main {

    /** Exit code for bad usage or configuration. */
    public static final int USAGE = 2;
    /** Exit code for a failure at run time. */
    public static final int FAILURE = 1;
    /** The configuration used when none is given. */
    public static final String DEFAULT_LOCAL_CONF = "conf/local-3.json";

    private Main() {
    }

    /**
     * Entry point. Exits only on failure: a running cluster keeps the JVM alive until Ctrl-C.
     *
     * @param args command line
     */
    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("node")) {
            ClassPreloader.start();
        }
        int code = run(args, System.out, System.err);
        if (code != 0) {
            System.exit(code);
        }
    }

    /**
     * Runs a command.
     *
     * @param args command line
     * @param out  standard output
     * @param err  standard error
     * @return the exit code (0 while a server keeps running in the background)
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return run(args, System.in, out, err);
    }

    /**
     * Runs a command that may read standard input ({@code kv put KEY -}).
     *
     * @param args command line
     * @param in   standard input
     * @param out  standard output
     * @param err  standard error
     * @return the exit code
     */
    static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
        return commandLine(in, out, err).execute(args);
    }

    /** The command tree, reading the process's standard input and writing to {@code out} and {@code err}. */
    static CommandLine commandLine(PrintStream out, PrintStream err) {
        return commandLine(System.in, out, err);
    }

    /** The command tree, reading {@code in} and writing to {@code out} and {@code err}. */
    static CommandLine commandLine(InputStream in, PrintStream out, PrintStream err) {
        CommandLine cl = new CommandLine(new RaftlineCommand(in, out, err));
        // After the subcommands are registered, so that they write to the same streams.
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        // A repeated option takes its last value, as it always did: scripts append overrides.
        cl.setOverwrittenOptionsAllowed(true);
        cl.setParameterExceptionHandler(Main::usageError);
        cl.setExecutionExceptionHandler(Main::failure);
        ownExamples(cl);
        return cl;
    }

    /**
     * The examples of a subcommand that has none of its own ({@code kv get}, {@code members add}) are its parent's
     * ({@code kv}'s, {@code members}'), not the top-level ones it inherits with the root's other settings (a local
     * cluster, {@code local-5.json}, a heartbeat override), which said nothing about it.
     */
    private static void ownExamples(CommandLine parent) {
        String[] rootFooter = parent.getCommandSpec().root().usageMessage().footer();
        for (CommandLine sub : parent.getSubcommands().values()) {
            if (parent.getCommandSpec().parent() != null
                    && java.util.Arrays.equals(sub.getCommandSpec().usageMessage().footer(), rootFooter)) {
                sub.getCommandSpec().usageMessage().footer(parent.getCommandSpec().usageMessage().footer());
            }
            ownExamples(sub);
        }
    }

    /**
     * Bad usage: the message (naming the option and the rule), picocli's suggestions for a misspelt option or
     * command, the command's synopsis and where its full help is; exit code 2. The whole help would push the
     * message off the screen.
     */
    private static int usageError(ParameterException e, String[] args) {
        CommandLine cl = e.getCommandLine();
        PrintWriter err = cl.getErr();
        err.println(prefix(cl) + message(e));
        UnmatchedArgumentException.printSuggestions(e, err);
        err.print(cl.getHelp().fullSynopsis());
        err.println("Try '" + cl.getCommandSpec().qualifiedName() + " --help' for more information.");
        return USAGE;
    }

    private static String message(ParameterException e) {
        // The top-level command has no positional parameters: a word it does not know is meant as a command.
        if (e instanceof UnmatchedArgumentException u && e.getCommandLine().getParent() == null
                && !u.getUnmatched().isEmpty() && !u.getUnmatched().get(0).startsWith("-")) {
            return "unknown command '" + u.getUnmatched().get(0) + "' (commands: "
                    + String.join(", ", e.getCommandLine().getSubcommands().keySet()) + ")";
        }
        return e.getMessage();
    }

    /** A command threw instead of reporting its failure: say what happened, without a stack trace; exit code 1. */
    private static int failure(Exception e, CommandLine cl, ParseResult parsed) {
        cl.getErr().println(prefix(cl) + (e.getMessage() == null ? e.toString() : e.getMessage()));
        return FAILURE;
    }

    /**
     * A value the command's rules refuse, worded as picocli words the values its converters refuse, so that every
     * usage error names the option and the rule alike.
     */
    static ParameterException invalidValue(CommandSpec spec, String option, String rule) {
        return new ParameterException(spec.commandLine(), "Invalid value for option '" + option + "': " + rule);
    }

    /**
     * {@code raftline: }, {@code raftline verify: } or {@code raftline kv put: }, as every message of the command line
     * starts: the whole path of the command below the top level, as the user typed it (a subcommand's name alone,
     * {@code raftline put: }, says neither which command nor where to look).
     */
    static String prefix(CommandLine cl) {
        StringBuilder path = new StringBuilder();
        for (CommandSpec spec = cl.getCommandSpec(); spec.parent() != null; spec = spec.parent()) {
            path.insert(0, " " + spec.name());
        }
        return "raftline" + path + ": ";
    }

    /** Closes Vert.x, waiting at most 10 s; the process is on its way out anyway. */
    static void closeQuietly(Vertx vertx) {
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // shutting down anyway
        }
    }
}
