package io.raftline.app;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code raftline.jar kv put|get|del|list|txn}: the key-value API from a shell, through any node (followers
 * forward), with the node's errors and exit code 1 when it refuses.
 */
@Command(name = "kv", description = {"Read and write keys through any node's HTTP API.", ""},
        subcommands = {KvClientCommand.Put.class, KvClientCommand.Get.class, KvClientCommand.Del.class, KvClientCommand.List.class,
                KvClientCommand.Txn.class},
        footerHeading = "%nExamples:%n",
        footer = {
            "  java -jar raftline.jar kv put color blue",
            "  java -jar raftline.jar kv get color --consistency lease",
            "  java -jar raftline.jar kv list --prefix co --limit 10",
            "  java -jar raftline.jar kv txn '{\"compare\":[{\"key\":\"lock\",\"exists\":false}],"
                    + "\"success\":[{\"put\":{\"key\":\"lock\",\"value\":\"me\"}}]}'"})
final class KvClientCommand implements Callable<Integer> {

    @ParentCommand
    private RaftlineCommand root;

    @Override
    public Integer call() {
        root.err().println("raftline kv: say put, get, del, list or txn (java -jar raftline.jar kv --help)");
        return Main.USAGE;
    }

    /** {@code --url}, shared by the client commands. */
    static final class Target {
        @Option(names = "--url", paramLabel = "URL", defaultValue = "http://127.0.0.1:8081",
                converter = Converters.HttpUrlConverter.class, description = "Any node's HTTP API. Default: ${DEFAULT-VALUE}.")
        URI url;
    }

    /** {@code kv put KEY VALUE}. */
    @Command(name = "put", description = "Write VALUE under KEY; prints {\"revision\":N}.")
    static final class Put implements Callable<Integer> {
        @ParentCommand
        private KvClientCommand kv;
        @Mixin
        private Target target;
        @Parameters(index = "0", paramLabel = "KEY")
        private String key;
        @Parameters(index = "1", paramLabel = "VALUE")
        private String value;
        @Option(names = "--if-revision", paramLabel = "R", description = "Compare-and-set: only if the key's revision"
                + " is R (0: it must not exist).")
        private Long ifRevision;

        @Override
        public Integer call() {
            return ApiCall.report(kv.root, "kv put", target.url, "PUT", "/v1/kv/"
                    + ApiCall.encode(key, true) + (ifRevision == null ? "" : "?ifRevision=" + ifRevision),
                    value.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** {@code kv get KEY}. */
    @Command(name = "get", description = "Print the value of KEY (exit 1 if it does not exist).")
    static final class Get implements Callable<Integer> {
        @ParentCommand
        private KvClientCommand kv;
        @Mixin
        private Target target;
        @Parameters(index = "0", paramLabel = "KEY")
        private String key;
        @Option(names = "--consistency", paramLabel = "KIND", defaultValue = "linearizable",
                description = "linearizable, lease or stale. Default: ${DEFAULT-VALUE}.")
        private String consistency;

        @Override
        public Integer call() {
            return ApiCall.report(kv.root, "kv get", target.url, "GET", "/v1/kv/"
                    + ApiCall.encode(key, true) + "?consistency=" + ApiCall.encode(consistency, false), null);
        }
    }

    /** {@code kv del KEY}. */
    @Command(name = "del", description = "Delete KEY; prints {\"deleted\":0|1,\"revision\":N}.")
    static final class Del implements Callable<Integer> {
        @ParentCommand
        private KvClientCommand kv;
        @Mixin
        private Target target;
        @Parameters(index = "0", paramLabel = "KEY")
        private String key;
        @Option(names = "--if-revision", paramLabel = "R", description = "Compare-and-delete: only at revision R.")
        private Long ifRevision;

        @Override
        public Integer call() {
            return ApiCall.report(kv.root, "kv del", target.url, "DELETE", "/v1/kv/"
                    + ApiCall.encode(key, true) + (ifRevision == null ? "" : "?ifRevision=" + ifRevision), null);
        }
    }

    /** {@code kv list}. */
    @Command(name = "list", description = "List keys under a prefix, a page at a time (the JSON of GET /v1/kv).")
    static final class List implements Callable<Integer> {
        @ParentCommand
        private KvClientCommand kv;
        @Mixin
        private Target target;
        @Option(names = "--prefix", paramLabel = "P", defaultValue = "", description = "Key prefix (default: all).")
        private String prefix;
        @Option(names = "--limit", paramLabel = "N", defaultValue = "100", description = "Page size. Default:"
                + " ${DEFAULT-VALUE}.")
        private int limit;
        @Option(names = "--start-after", paramLabel = "KEY", defaultValue = "", description = "The \"next\" of the"
                + " previous page.")
        private String startAfter;

        @Override
        public Integer call() {
            return ApiCall.report(kv.root, "kv list", target.url, "GET", "/v1/kv?prefix="
                    + ApiCall.encode(prefix, false) + "&limit=" + limit + "&startAfter="
                    + ApiCall.encode(startAfter, false), null);
        }
    }

    /** {@code kv txn JSON}. */
    @Command(name = "txn", description = "Run a transaction given as the JSON of POST /v1/txn"
            + " (docs/http-api.md#transactions).")
    static final class Txn implements Callable<Integer> {
        @ParentCommand
        private KvClientCommand kv;
        @Mixin
        private Target target;
        @Parameters(index = "0", paramLabel = "JSON")
        private String json;

        @Override
        public Integer call() {
            return ApiCall.report(kv.root, "kv txn", target.url, "POST", "/v1/txn",
                    json.getBytes(StandardCharsets.UTF_8));
        }
    }
}
