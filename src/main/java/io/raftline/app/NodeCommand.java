package io.raftline.app;

import io.raftline.config.ConfigLoader;
import io.raftline.config.RaftlineConfig;
import io.raftline.raft.ConfigException;
import io.raftline.server.Clustering;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code raftline.jar node --conf FILE}: one node of a cluster that runs one node per process, the shape of a real
 * deployment. The file names the node ({@code node_id}) and every member; {@link NodeApplication} then launches
 * it the standard Vert.x way.
 */
@Command(name = "node",
        // Written out because --conf is required but not declared so (see ConfOption).
        customSynopsis = "java -jar raftline.jar node [-hV] --conf=FILE",
        description = {
            "Run one node of a cluster, one node per process.",
            "The configuration (--conf, required) names the node (node_id) and lists every member; with several"
                    + " members the processes form a clustered Vert.x event bus (Hazelcast bound to each member's"
                    + " host and bus_port, joining the others' host:bus_port over TCP, no multicast), or talk gRPC"
                    + " with \"transport\": \"grpc\".",
            "The file is read and checked before anything starts: a bad one binds no port.",
            ""},
        footerHeading = "%nExamples:%n",
        footer = {
            "  java -jar raftline.jar node --conf conf/node-1.json        then node-2, node-3 (or bin/cluster.sh)",
            "  java -jar raftline.jar node --conf conf/single-node.json   a complete cluster of one",
            "  java -jar raftline.jar node --conf conf/grpc-node-1.json   Raft messages over gRPC"})
final class NodeCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @ParentCommand
    private RaftlineCommand root;

    // Required, but checked in call() rather than by picocli, so that the hidden -conf counts too.
    @Mixin
    private ConfOption confOption;

    @Override
    public Integer call() {
        String conf = confOption.file();
        if (conf == null) {
            throw new ParameterException(spec.commandLine(),
                    "Missing required option: '--conf=FILE' (which node to run, e.g. --conf conf/node-1.json)");
        }
        RaftlineConfig config;
        // Read and validate before the launcher starts anything: a bad file must not bind a port.
        try {
            config = ConfigLoader.read(Path.of(conf));
            if (config.nodeId() == 0) {
                throw new ConfigException("node_id", "is required in node mode (which node does this process run?)");
            }
            if (Clustering.clustered(config)) {
                Clustering.interfaceAddress(config, config.node(config.nodeId()).orElseThrow());
            }
        } catch (ConfigException e) {
            root.err().println("raftline: invalid configuration " + conf + ": " + e.getMessage());
            return Main.USAGE;
        }
        return new NodeApplication(config, root.out(), root.err()).launch();
    }
}
