package io.raftline.app;

import io.raftline.api.http.MembersApi;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code raftline.jar members list|add|remove|promote} and {@code cluster status}: the membership API
 * ({@code /v1/members}) and the cluster view ({@code /v1/cluster}) from a shell, through any node.
 */
@Command(name = "members", description = {"List and change the cluster's members through any node.", ""},
        subcommands = {MembersCommand.ListMembers.class, MembersCommand.Add.class, MembersCommand.Remove.class,
                MembersCommand.Promote.class},
        footerHeading = "%nExamples:%n",
        footer = {
            "  java -jar raftline.jar members list",
            "  java -jar raftline.jar members add 4 http://127.0.0.1:8084 --learner",
            "  java -jar raftline.jar members promote 4",
            "  java -jar raftline.jar members remove 3"})
final class MembersCommand implements Callable<Integer> {

    @ParentCommand
    private RaftlineCommand root;

    @Override
    public Integer call() {
        root.err().println("raftline members: say list, add, remove or promote (java -jar raftline.jar members"
                + " --help)");
        return Main.USAGE;
    }

    /** {@code members list}. */
    @Command(name = "list", description = "The members, their roles and replication lag (GET /v1/members).")
    static final class ListMembers implements Callable<Integer> {
        @ParentCommand
        private MembersCommand members;
        @Mixin
        private KvClientCommand.Target target;

        @Override
        public Integer call() {
            return ApiCall.report(members.root, "members list", target, "GET",
                    "/v1/members", null);
        }
    }

    /** {@code members add ID URL}. */
    @Command(name = "add", description = "Add node ID, reachable at URL (its client API); answers once committed.")
    static final class Add implements Callable<Integer> {
        @ParentCommand
        private MembersCommand members;
        @Mixin
        private KvClientCommand.Target target;
        @Parameters(index = "0", paramLabel = "ID")
        private int id;
        @Parameters(index = "1", paramLabel = "URL")
        private String url;
        @Option(names = "--learner", description = "Add it as a learner (promote it once it caught up).")
        private boolean learner;

        @Spec
        private CommandSpec spec;

        @Override
        public Integer call() {
            requireId(spec, id);
            try {
                MembersApi.normalizeUrl(url);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "Invalid value for parameter URL: " + e.getMessage());
            }
            String body = new io.vertx.core.json.JsonObject().put("id", id).put("url", url).put("learner", learner)
                    .encode();
            return ApiCall.report(members.root, "members add", target, "POST",
                    "/v1/members", body.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** {@code members remove ID}. */
    @Command(name = "remove", description = "Remove node ID (the leader too: it hands over first).")
    static final class Remove implements Callable<Integer> {
        @ParentCommand
        private MembersCommand members;
        @Mixin
        private KvClientCommand.Target target;
        @Parameters(index = "0", paramLabel = "ID")
        private int id;

        @Spec
        private CommandSpec spec;

        @Override
        public Integer call() {
            requireId(spec, id);
            return ApiCall.report(members.root, "members remove", target, "DELETE",
                    "/v1/members/" + id, null);
        }
    }

    /** {@code members promote ID}. */
    @Command(name = "promote", description = "Make learner ID a voter (refused while it lags).")
    static final class Promote implements Callable<Integer> {
        @ParentCommand
        private MembersCommand members;
        @Mixin
        private KvClientCommand.Target target;
        @Parameters(index = "0", paramLabel = "ID")
        private int id;

        @Spec
        private CommandSpec spec;

        @Override
        public Integer call() {
            requireId(spec, id);
            return ApiCall.report(members.root, "members promote", target, "POST",
                    "/v1/members/" + id + "/promote", null);
        }
    }

    /**
     * Refuses an id no member can have as bad usage (exit 2), before anything is sent: a node answered it with 400
     * (exit 1), or the command said it could not reach a node, about a request that was wrong whatever the cluster.
     */
    static void requireId(CommandSpec spec, int id) {
        if (id < 1) {
            throw new ParameterException(spec.commandLine(), "Invalid value for parameter ID: a node id is an integer"
                    + " in 1.." + Integer.MAX_VALUE + ", got " + id);
        }
    }
}
