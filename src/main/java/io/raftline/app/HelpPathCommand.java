package io.raftline.app;

import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help;
import picocli.CommandLine.IHelpCommandInitializable2;
import picocli.CommandLine.Parameters;

/**
 * {@code help [COMMAND [SUBCOMMAND]]}: the help of any command of the tree, a subcommand's too. picocli's own help
 * command takes one name, so {@code help kv put} showed {@code kv}'s help and said nothing of {@code put}; this one
 * follows the names down the tree ({@code help kv put} is {@code kv put --help}) and refuses a name that is not there,
 * naming the commands that are.
 */
@Command(name = "help", helpCommand = true, description = "Display help information about the specified command"
        + " (help kv put: a subcommand's).")
final class HelpPathCommand implements IHelpCommandInitializable2, Runnable {

    @Parameters(paramLabel = "COMMAND", arity = "0..*", description = "The command, then its subcommand if any.")
    private List<String> names = List.of();

    private CommandLine self;
    private Help.ColorScheme colors;
    private PrintWriter out;

    @Override
    public void init(CommandLine helpCommandLine, Help.ColorScheme colorScheme, PrintWriter outWriter,
            PrintWriter errWriter) {
        this.self = helpCommandLine;
        this.colors = colorScheme;
        this.out = outWriter;
    }

    @Override
    public void run() {
        CommandLine target = self.getParent();
        for (String name : names) {
            CommandLine sub = target.getSubcommands().get(name);
            if (sub == null || sub.getCommandSpec().helpCommand()) {
                throw new CommandLine.ParameterException(self, "Unknown subcommand '" + name + "' of '"
                        + target.getCommandSpec().qualifiedName() + "' (its commands: " + String.join(", ",
                        target.getSubcommands().keySet().stream().filter(n -> !n.equals("help")).toList()) + ")");
            }
            target = sub;
        }
        target.usage(out, colors);
    }
}
