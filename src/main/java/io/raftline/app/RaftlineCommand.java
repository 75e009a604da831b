package io.raftline.app;

import java.io.InputStream;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ScopeType;

/**
 * {@code java -jar raftline.jar}: the top of the command tree. With no command it runs the local cluster, the
 * first thing a new user should see; the attributes declared here ({@code --help}, {@code --version}, the help
 * layout) are inherited by every subcommand, so they all look and answer alike.
 */
@Command(name = "java -jar raftline.jar",
        scope = ScopeType.INHERIT,
        mixinStandardHelpOptions = true,
        versionProvider = RaftlineVersion.class,
        sortOptions = false,
        usageHelpWidth = 110,
        description = {
            "Raftline: a Raft-replicated key-value store on Vert.x that shows consensus at work.",
            "With no command, runs a local 3-node cluster in this JVM (" + Main.DEFAULT_LOCAL_CONF + "): the live"
                    + " view and admin API on http://localhost:8080, the nodes' HTTP APIs on 8081..8083, data under"
                    + " ./data/node-<id>. It prints these URLs once a leader is elected; Ctrl-C stops it.",
            ""},
        commandListHeading = "%nCommands:%n",
        subcommands = {LocalCommand.class, NodeCommand.class, BenchCommand.class, VerifyCommand.class,
                KvClientCommand.class, MembersCommand.class, ClusterCommand.class, SnapshotCommand.class,
                HelpPathCommand.class},
        footerHeading = "%nExamples:%n",
        footer = {
            "  java -jar raftline.jar                                 "
                    + "local 3-node cluster, UI on http://localhost:8080",
            "  java -jar raftline.jar local --conf conf/local-5.json  five nodes in one JVM",
            "  java -jar raftline.jar node --conf conf/node-1.json    one node per process (then node-2, node-3)",
            "  java -jar raftline.jar bench --url http://localhost:8081 --clients 16 --duration 10s",
            "  java -jar raftline.jar verify --duration 10m --mode processes",
            "  java -jar raftline.jar kv put color blue               put, get, del, list, txn through any node",
            "  java -jar raftline.jar members list                    members, roles, lag (add, remove, promote)",
            "  java -jar raftline.jar snapshot save --url http://localhost:8081 backup.snap",
            "  java -jar raftline.jar help verify                     every option of a command (or: verify --help)",
            "",
            "Options take their value as --opt value or --opt=value. Durations: 500ms, 10s, 2m (a bare number is"
                    + " seconds).",
            "Configuration overrides (docs/configuration.md): -Draftline.<path>=V before -jar, or RAFTLINE_<PATH>=V:",
            "  java -Draftline.raft.heartbeat_ms=50 -jar raftline.jar",
            "  RAFTLINE_ADMIN_TOKEN=$(openssl rand -hex 16) RAFTLINE_NODES_1_HTTP_PORT=9081 java -jar raftline.jar",
            "Exit codes: 0 ok, 1 runtime failure (e.g. a port in use), 2 bad usage or configuration."})
final class RaftlineCommand implements Callable<Integer> {

    private final InputStream in;
    private final PrintStream out;
    private final PrintStream err;

    RaftlineCommand(InputStream in, PrintStream out, PrintStream err) {
        this.in = in;
        this.out = out;
        this.err = err;
    }

    /** Standard input, for the subcommands that read it ({@code kv put KEY -}). */
    InputStream in() {
        return in;
    }

    /** Standard output, for the subcommands: what they print for the user (banners, reports). */
    PrintStream out() {
        return out;
    }

    /** Standard error, for the subcommands: their failures. */
    PrintStream err() {
        return err;
    }

    @Override
    public Integer call() {
        return LocalCommand.start(Main.DEFAULT_LOCAL_CONF, out, err);
    }
}
