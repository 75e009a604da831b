package io.raftline.app;

import io.raftline.api.http.MembersApi;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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
            "  java -jar raftline.jar members list --group 3",
            "  java -jar raftline.jar members add 4 http://127.0.0.1:8084 --learner",
            "  java -jar raftline.jar members promote 4",
            "  java -jar raftline.jar members remove 3"})
final class MembersCommand implements Callable<Integer> {

    /** How long a change may take in each group it is made in (tests shorten it). */
    static volatile Duration round = ApiCall.TIMEOUT;

    @ParentCommand
    private RaftlineCommand root;

    @Override
    public Integer call() {
        root.err().println("raftline members: say list, add, remove or promote (java -jar raftline.jar members"
                + " --help)");
        return Main.USAGE;
    }

    /** {@code members list [--group N]}. */
    @Command(name = "list", description = {"The members, their roles and replication lag (GET /v1/members): group 0's"
        + " on a sharded cluster, followed on standard error by one line for each group whose members or roles differ"
        + " from group 0's (a change that stopped part way); --group N shows group N's."})
    static final class ListMembers implements Callable<Integer> {
        @ParentCommand
        private MembersCommand members;
        @Mixin
        private KvClientCommand.Target target;
        @Option(names = "--group", paramLabel = "N",
                description = "Show group N's membership only (a sharded cluster).")
        private Integer group;

        @Spec
        private CommandSpec spec;

        @Override
        public Integer call() {
            requireGroup(spec, group);
            if (group != null) {
                return ApiCall.report(members.root, "members list", target, "GET", "/v1/members?group=" + group, null);
            }
            PrintStream err = members.root.err();
            ApiCall.Answer first;
            try {
                first = ApiCall.send(target, "GET", "/v1/members", null);
            } catch (IOException e) {
                err.println("raftline members list: " + ApiCall.failure(target.base(), e, ApiCall.TIMEOUT, ""));
                return Main.FAILURE;
            }
            String text = new String(first.body(), StandardCharsets.UTF_8);
            if (!first.ok()) {
                err.println("raftline members list: " + ApiCall.describe(first.status(), text));
                return Main.FAILURE;
            }
            members.root.out().println(text);
            JsonObject zero = new JsonObject(text);
            int groups = zero.getInteger("groups", 1);
            Map<Integer, String> zeroRoles = roles(zero);
            for (int g = 1; g < groups; g++) {
                String line = compare(g, zeroRoles);
                if (line != null) {
                    err.println("raftline members list: " + line);
                }
            }
            return 0;
        }

        /** What group {@code g} has that group 0 has not, in one line, or null when their members and roles agree. */
        private String compare(int g, Map<Integer, String> zeroRoles) {
            try {
                ApiCall.Answer a = ApiCall.send(target, "GET", "/v1/members?group=" + g, null);
                String text = new String(a.body(), StandardCharsets.UTF_8);
                if (!a.ok()) {
                    return "group " + g + " could not be read: " + ApiCall.describe(a.status(), text);
                }
                Map<Integer, String> roles = roles(new JsonObject(text));
                return roles.equals(zeroRoles) ? null : "group " + g + " differs from group 0: " + summary(roles)
                        + " (group 0: " + summary(zeroRoles) + "); GET /v1/members?group=" + g + " for its details";
            } catch (IOException e) {
                return "group " + g + " could not be read: " + ApiCall.failure(target.base(), e, ApiCall.TIMEOUT, "");
            }
        }

        private static Map<Integer, String> roles(JsonObject list) {
            Map<Integer, String> out = new TreeMap<>();
            JsonArray all = list.getJsonArray("members", new JsonArray());
            for (int i = 0; i < all.size(); i++) {
                JsonObject m = all.getJsonObject(i);
                out.put(m.getInteger("id"), m.getString("role"));
            }
            return out;
        }

        private static String summary(Map<Integer, String> roles) {
            List<Integer> voters = new ArrayList<>();
            List<Integer> learners = new ArrayList<>();
            roles.forEach((id, role) -> ("voter".equals(role) ? voters : learners).add(id));
            return "voters " + voters + ", learners " + learners;
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
        @Option(names = "--group", paramLabel = "N", description = "Make the change in group N only (a sharded"
                + " cluster; without it every group changes, one after the other).")
        private Integer group;

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
            requireGroup(spec, group);
            String body = new JsonObject().put("id", id).put("url", url).put("learner", learner).encode();
            return change(members, "members add", target, group, "POST", "/v1/members",
                    body.getBytes(StandardCharsets.UTF_8));
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
        @Option(names = "--group", paramLabel = "N", description = "Make the change in group N only (a sharded"
                + " cluster; without it every group changes, one after the other).")
        private Integer group;

        @Spec
        private CommandSpec spec;

        @Override
        public Integer call() {
            requireId(spec, id);
            requireGroup(spec, group);
            return change(members, "members remove", target, group, "DELETE", "/v1/members/" + id, null);
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
        @Option(names = "--group", paramLabel = "N", description = "Make the change in group N only (a sharded"
                + " cluster; without it every group changes, one after the other).")
        private Integer group;

        @Spec
        private CommandSpec spec;

        @Override
        public Integer call() {
            requireId(spec, id);
            requireGroup(spec, group);
            return change(members, "members promote", target, group, "POST", "/v1/members/" + id + "/promote", null);
        }
    }

    /**
     * Sends a change and reports it. It waits one round per group (30 s each): a change without {@code --group} is
     * made in every group of a sharded cluster, one after the other, and a 16-group change outlasted a single 30 s
     * wait, which was then reported as "cannot reach". The number of groups is asked first ({@code GET
     * /v1/members?local=true}, this node's own view); a node that cannot be reached then was sent nothing. A call
     * that failed after the change was sent says that it may have been partly made and that the same command
     * finishes it (a group that already has it counts as done).
     */
    static int change(MembersCommand members, String command, KvClientCommand.Target target, Integer group,
            String method, String path, byte[] body) {
        int groups = 1;
        if (group == null) {
            try {
                ApiCall.Answer a = ApiCall.send(target, "GET", "/v1/members?local=true", null);
                if (a.ok()) {
                    groups = Math.max(1, new JsonObject(new String(a.body(), StandardCharsets.UTF_8))
                            .getInteger("groups", 1));
                }
            } catch (IOException e) {
                members.root.err().println("raftline " + command + ": "
                        + ApiCall.failure(target.base(), e, ApiCall.TIMEOUT, "nothing was changed"));
                return Main.FAILURE;
            } catch (RuntimeException notJson) {
                groups = 1;
            }
        }
        return ApiCall.report(members.root, command, target, method,
                group == null ? path : path + "?group=" + group, body, round.multipliedBy(groups),
                "the change may have been partly made" + (groups > 1 ? " (in some of the " + groups + " groups)" : "")
                        + "; run the same command again to finish it (members list shows where it stands)");
    }

    /** Refuses a group number below 0 as bad usage (exit 2); the node checks it against its number of groups. */
    static void requireGroup(CommandSpec spec, Integer group) {
        if (group != null && group < 0) {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '--group': a group is an"
                    + " integer in 0..groups-1, got " + group);
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
