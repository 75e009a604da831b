package io.raftline.app;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

/** {@code raftline.jar cluster status}: every node's role, term and indexes and the leader ({@code /v1/cluster}). */
@Command(name = "cluster", description = {"The cluster as one node sees it.", ""},
        subcommands = {ClusterCommand.Status.class},
        footerHeading = "%nExamples:%n", footer = {"  java -jar raftline.jar cluster status --url http://127.0.0.1:8082"})
final class ClusterCommand implements Callable<Integer> {

    @ParentCommand
    private RaftlineCommand root;

    @Override
    public Integer call() {
        root.err().println("raftline cluster: say status (java -jar raftline.jar cluster --help)");
        return Main.USAGE;
    }

    /** {@code cluster status}. */
    @Command(name = "status", description = "Every node's role, term, commit and applied index, and the leader.")
    static final class Status implements Callable<Integer> {
        @ParentCommand
        private ClusterCommand cluster;
        @Mixin
        private KvClientCommand.Target target;

        @Override
        public Integer call() {
            return ApiCall.report(cluster.root, "cluster status", target, "GET",
                    "/v1/cluster", null);
        }
    }
}
