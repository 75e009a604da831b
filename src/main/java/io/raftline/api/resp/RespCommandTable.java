package io.raftline.api.resp;

import io.raftline.config.BuildInfo;
import io.raftline.node.NodeStatus;
import io.raftline.node.RaftNode;
import io.raftline.raft.Role;
import io.raftline.security.ClientAccess;
import io.vertx.core.Future;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.IntSupplier;

/**
 * Every command the listener knows, with its arity and key positions as Redis's COMMAND reports them, and the
 * connection-level commands (PING, HELLO, SELECT, CLIENT, INFO, CONFIG GET, COMMAND, QUIT) that need no
 * consensus, and MULTI, EXEC and DISCARD, which queue commands and run them as one transaction. The table is what
 * decides "unknown command" and "wrong number of arguments" with Redis's exact replies, before any handler runs.
 */
final class RespCommandTable {

    /** Runs one command. */
    @FunctionalInterface
    interface Handler {
        /**
         * Runs the command.
         *
         * @param session the client's connection state
         * @param args    the command name and its arguments
         * @return the reply; a {@link RespError} thrown or failed is an error reply
         */
        Future<RespReply> run(RespSession session, List<byte[]> args);
    }

    /**
     * One command.
     *
     * @param name     lower-case name
     * @param arity    Redis's convention: n = exactly n words (the name included), -n = at least n
     * @param write    whether it changes the store (it then waits for the commands before it on its connection)
     * @param flags    COMMAND's flags
     * @param firstKey position of the first key (0: none)
     * @param lastKey  position of the last key (-1: the last argument)
     * @param step     distance between keys
     * @param handler  what runs it
     */
    record Spec(String name, int arity, boolean write, List<String> flags, int firstKey, int lastKey, int step,
            Handler handler) {

        boolean arityOk(int words) {
            return arity >= 0 ? words == arity : words >= -arity;
        }

        RespReply info() {
            List<RespReply> flagReplies = flags.stream().<RespReply>map(RespReply.Simple::new).toList();
            return new RespReply.Array(List.of(RespReply.Bulk.of(name), new RespReply.Int(arity),
                    new RespReply.Array(flagReplies), new RespReply.Int(firstKey), new RespReply.Int(lastKey),
                    new RespReply.Int(step), new RespReply.Array(List.of()), new RespReply.Array(List.of()),
                    new RespReply.Array(List.of()), new RespReply.Array(List.of())));
        }
    }

    private static final List<String> READ = List.of("readonly", "fast");
    private static final List<String> WRITE = List.of("write", "denyoom");
    private static final List<String> CONN = List.of("fast", "stale", "loading");
    /** Configuration parameters CONFIG GET answers (redis-benchmark asks for two of them). */
    private static final Map<String, String> CONFIG = Map.of("save", "", "appendonly", "yes", "databases", "1",
            "appendfsync", "always");

    private final Map<String, Spec> specs = new LinkedHashMap<>();
    private final RespCommands kv;
    private final RaftNode node;
    private final IntSupplier port;
    private final IntSupplier connectedClients;
    private final int maxClients;
    private final ClientAccess access;
    private final ReplyBudget replies;
    private final RequestBudget queued;
    private final RespStats stats;
    private final long startedNanos = System.nanoTime();
    private final String version = BuildInfo.property("raftline", "unknown");

    RespCommandTable(RespCommands kv, RaftNode node, IntSupplier port, IntSupplier connectedClients, int maxClients,
            ClientAccess access, ReplyBudget replies, RequestBudget queued, RespStats stats) {
        this.kv = kv;
        this.replies = replies;
        this.queued = queued;
        this.stats = stats;
        this.access = access;
        this.node = node;
        this.port = port;
        this.connectedClients = connectedClients;
        this.maxClients = maxClients;
        add("get", 2, false, READ, 1, 1, 1, kv::get);
        add("mget", -2, false, READ, 1, -1, 1, kv::mget);
        add("exists", -2, false, READ, 1, -1, 1, kv::exists);
        add("dbsize", 1, false, READ, 0, 0, 0, kv::dbsize);
        add("keys", 2, false, List.of("readonly"), 0, 0, 0, kv::keys);
        add("scan", -2, false, List.of("readonly"), 0, 0, 0, kv::scan);
        add("set", -3, true, WRITE, 1, 1, 1, kv::set);
        add("mset", -3, true, WRITE, 1, -1, 2, kv::mset);
        add("del", -2, true, List.of("write"), 1, -1, 1, kv::del);
        // UNLINK frees memory in the background in Redis; here it is DEL (a key's removal is one log entry either way).
        add("unlink", -2, true, List.of("write"), 1, -1, 1, kv::del);
        add("type", 2, false, READ, 1, 1, 1, kv::type);
        add("strlen", 2, false, READ, 1, 1, 1, kv::strlen);
        add("getrange", 4, false, READ, 1, 1, 1, kv::getrange);
        add("getex", -2, false, READ, 1, 1, 1, kv::getex);
        add("ttl", 2, false, READ, 1, 1, 1, kv::ttl);
        // MEMORY USAGE key: redis-cli --memkeys asks it of every key.
        add("memory", -2, false, List.of("readonly"), 2, 2, 1, kv::memory);
        add("pttl", 2, false, READ, 1, 1, 1, kv::ttl);
        // PERSIST writes nothing here (no key has a time to live): a read, ordered and flagged as one.
        add("persist", 2, false, READ, 1, 1, 1, kv::persist);
        for (String expiry : List.of("expire", "pexpire", "expireat", "pexpireat")) {
            add(expiry, -3, true, WRITE, 1, 1, 1, kv::expire);
        }
        // SET with an expiry in one command: refused for the same reason, not as a command this server does not know.
        for (String setWithExpiry : List.of("setex", "psetex")) {
            add(setWithExpiry, 4, true, WRITE, 1, 1, 1, kv::expire);
        }
        add("setnx", 3, true, WRITE, 1, 1, 1, kv::setnx);
        add("msetnx", -3, true, WRITE, 1, -1, 2, kv::msetnx);
        add("append", 3, true, WRITE, 1, 1, 1, kv::append);
        add("setrange", 4, true, WRITE, 1, 1, 1, kv::setrange);
        add("incrbyfloat", 3, true, WRITE, 1, 1, 1, kv::incrbyfloat);
        add("rename", 3, true, WRITE, 1, 2, 1, kv::rename);
        add("renamenx", 3, true, WRITE, 1, 2, 1, kv::rename);
        add("getset", 3, true, WRITE, 1, 1, 1, kv::getAndWrite);
        add("getdel", 2, true, WRITE, 1, 1, 1, kv::getAndWrite);
        add("incr", 2, true, WRITE, 1, 1, 1, kv::incr);
        add("decr", 2, true, WRITE, 1, 1, 1, kv::decr);
        add("incrby", 3, true, WRITE, 1, 1, 1, kv::incrby);
        add("decrby", 3, true, WRITE, 1, 1, 1, kv::decrby);
        add("ping", -1, false, CONN, 0, 0, 0, this::ping);
        add("echo", 2, false, CONN, 0, 0, 0, (s, a) -> Future.succeededFuture(new RespReply.Bulk(a.get(1))));
        add("hello", -1, false, CONN, 0, 0, 0, this::hello);
        add("select", 2, false, CONN, 0, 0, 0, this::select);
        add("client", -2, false, CONN, 0, 0, 0, this::client);
        add("info", -1, false, List.of("stale"), 0, 0, 0, this::info);
        add("config", -2, false, List.of("admin", "stale"), 0, 0, 0, this::config);
        add("command", -1, false, List.of("stale"), 0, 0, 0, this::command);
        add("quit", -1, false, CONN, 0, 0, 0, this::quit);
        add("multi", 1, false, CONN, 0, 0, 0, this::multi);
        // EXEC writes: it waits for the commands before it, and the commands after it wait for it.
        add("exec", 1, true, List.of("noscript", "loading", "stale", "skip_slowlog"), 0, 0, 0, this::exec);
        add("discard", 1, false, CONN, 0, 0, 0, this::discard);
        // WATCH reads (its keys' revisions), in order with the connection's other reads.
        add("watch", -2, false, List.of("readonly", "noscript", "loading", "stale", "fast"), 1, -1, 1, this::watch);
        add("unwatch", 1, false, List.of("noscript", "loading", "stale", "fast"), 0, 0, 0, this::unwatch);
        add("auth", -2, false, List.of("noscript", "loading", "stale", "fast", "no_auth"), 0, 0, 0, this::auth);
    }

    private void add(String name, int arity, boolean write, List<String> flags, int firstKey, int lastKey, int step,
            Handler handler) {
        specs.put(name, new Spec(name, arity, write, flags, firstKey, lastKey, step, handler));
    }

    /**
     * The command a request names.
     *
     * @param args the request
     * @return its spec, or null if unknown
     */
    Spec find(List<byte[]> args) {
        return specs.get(RespCommands.text(args.get(0)).toLowerCase(Locale.ROOT));
    }

    /**
     * Runs a request: Redis's errors for an unknown command or a wrong arity, else the handler's reply. Never a
     * failed future: failures become error replies.
     *
     * @param session the connection's state
     * @param args    the request
     * @return the reply
     */
    Future<RespReply> run(RespSession session, List<byte[]> args) {
        return run(session, args, find(args));
    }

    /**
     * Runs a request whose command the caller has looked up already ({@link #find}).
     *
     * @param session the connection's state
     * @param args    the request
     * @param spec    {@code find(args)}
     * @return the reply
     */
    Future<RespReply> run(RespSession session, List<byte[]> args, Spec spec) {
        if (spec == null) {
            StringBuilder b = new StringBuilder("ERR unknown command '").append(clip(args.get(0)))
                    .append("', with args beginning with: ");
            for (int i = 1; i < Math.min(args.size(), 4); i++) {
                b.append('\'').append(clip(args.get(i))).append("' ");
            }
            return Future.succeededFuture(new RespReply.Error(b.toString()));
        }
        if (!spec.arityOk(args.size())) {
            if (session.transaction() != null) {
                // As Redis's rejectCommand flags the transaction: a wrong-arity EXEC or DISCARD (which run, not
                // queued, between MULTI and EXEC) must not leave the next EXEC to apply what was queued.
                session.transaction().refuse();
            }
            return Future.succeededFuture(RespCommands.error(RespCommands.arity(spec.name()), true));
        }
        try {
            return spec.handler().run(session, args).recover(t -> Future.succeededFuture(
                    RespCommands.error(t, !spec.write())));
        } catch (RuntimeException e) {
            return Future.succeededFuture(RespCommands.error(e, !spec.write()));
        }
    }

    /**
     * The reply to a request of more words than one may hold, which the parser read to its end and dropped
     * ({@link RespParser#skipOversized}): what Redis would answer for it if it can be told from its count (an unknown
     * command, a wrong arity, a multi-key write of more keys than a transaction holds), else the limit. The connection
     * stays open; inside MULTI the transaction is refused, as a command refused there makes it.
     *
     * @param session  the connection's state
     * @param request  the request's first words and its count
     * @param maxWords most words of one request
     * @return the error reply
     */
    RespReply oversized(RespSession session, RespParser.Oversized request, int maxWords) {
        if (session.transaction() != null) {
            session.transaction().refuse();
        }
        Spec spec = find(request);
        if (spec == null) {
            return run(session, request, null).result();
        }
        int words = (int) Math.min(Integer.MAX_VALUE, request.words());
        if (!spec.arityOk(words)) {
            return RespCommands.error(RespCommands.arity(spec.name()), true);
        }
        String name = spec.name().toUpperCase(Locale.ROOT);
        RespError refusal = switch (spec.name()) {
            case "del", "unlink" -> RespCommands.tooManyKeys(name, words - 1L);
            case "mset", "msetnx" -> (words - 1) % 2 != 0 ? RespCommands.arity(spec.name())
                    : RespCommands.tooManyKeys(name, (words - 1L) / 2);
            default -> new RespError("ERR " + name + " of " + words + " words: a request holds at most " + maxWords
                    + " (the command and " + (maxWords - 1) + " keys or arguments); nothing of it ran");
        };
        return RespCommands.error(refusal, true);
    }

    private static String clip(byte[] arg) {
        String s = RespCommands.text(arg);
        return s.length() > 128 ? s.substring(0, 128) : s;
    }

    // ---------------------------------------------------------------- connection commands

    private Future<RespReply> ping(RespSession s, List<byte[]> args) {
        if (args.size() > 2) {
            throw RespCommands.arity("ping");
        }
        return Future.succeededFuture(args.size() == 2 ? new RespReply.Bulk(args.get(1)) : new RespReply.Simple("PONG"));
    }

    /** HELLO [protover [AUTH user pass] [SETNAME name]]: switches to RESP3 on request and describes the server. */
    private Future<RespReply> hello(RespSession s, List<byte[]> args) {
        int protocol = s.protocol();
        if (args.size() > 1) {
            long asked = RespCommands.parseLong(args.get(1), "ERR Protocol version is not an integer or out of range");
            if (asked != 2 && asked != 3) {
                throw new RespError("NOPROTO unsupported protocol version");
            }
            protocol = (int) asked;
        }
        String name = null;
        for (int i = 2; i < args.size(); i++) {
            String option = RespCommands.upper(args.get(i));
            if ("AUTH".equals(option) && i + 2 < args.size()) {
                authenticate(s, args.get(i + 1), args.get(i + 2));
                i += 2;
            } else if ("SETNAME".equals(option) && i + 1 < args.size()) {
                name = clientName(args.get(++i));
            } else {
                throw new RespError("ERR syntax error in HELLO option '" + RespCommands.text(args.get(i)) + "'");
            }
        }
        if (!s.authenticated()) {
            throw new RespError("NOAUTH HELLO must be called with the client already authenticated, otherwise the"
                    + " HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the"
                    + " RESP protocol version at the same time");
        }
        s.protocol(protocol);
        if (name != null) {
            s.name(name);
        }
        return node.status().map(st -> new RespReply.KeyValues(List.of(
                RespReply.Bulk.of("server"), RespReply.Bulk.of("raftline"),
                RespReply.Bulk.of("version"), RespReply.Bulk.of(version),
                RespReply.Bulk.of("proto"), new RespReply.Int(s.protocol()),
                RespReply.Bulk.of("id"), new RespReply.Int(s.id()),
                RespReply.Bulk.of("mode"), RespReply.Bulk.of("standalone"),
                RespReply.Bulk.of("role"), RespReply.Bulk.of(st.role() == Role.LEADER ? "master" : "replica"),
                RespReply.Bulk.of("modules"), new RespReply.Array(List.of()))));
    }

    /** AUTH [username] password: the password is {@code security.client_token} (or the admin token). */
    private Future<RespReply> auth(RespSession s, List<byte[]> args) {
        if (args.size() > 3) {
            throw new RespError("ERR syntax error");
        }
        if (!access.required()) {
            throw new RespError("ERR AUTH <password> called without any password configured for the default user."
                    + " Are you sure your configuration is correct?");
        }
        authenticate(s, args.size() == 3 ? args.get(1) : null, args.get(args.size() - 1));
        return Future.succeededFuture(RespReply.OK);
    }

    /**
     * Authenticates a connection, Redis's way: the only user is {@code default}; a wrong pair is {@code WRONGPASS}
     * and leaves the connection as it was.
     */
    private void authenticate(RespSession s, byte[] user, byte[] password) {
        if (!access.required()) {
            // Redis accepts HELLO AUTH default <anything> when the default user has no password.
            return;
        }
        if ((user == null || "default".equals(RespCommands.text(user))) && access.accepts(RespCommands.text(password))) {
            s.authenticate();
            return;
        }
        io.raftline.security.AuthRefusals.process().refused("Redis protocol", s.address(), "wrong AUTH password");
        throw new RespError("WRONGPASS invalid username-password pair or user is disabled.");
    }

    private Future<RespReply> select(RespSession s, List<byte[]> args) {
        long db = RespCommands.parseLong(args.get(1), "ERR value is not an integer or out of range");
        if (db != 0) {
            throw new RespError("ERR DB index is out of range");
        }
        return Future.succeededFuture(RespReply.OK);
    }

    private Future<RespReply> client(RespSession s, List<byte[]> args) {
        String sub = RespCommands.upper(args.get(1));
        RespReply reply = switch (sub) {
            case "SETNAME" -> {
                requireWords(args, 3, "client|setname");
                s.name(clientName(args.get(2)));
                yield RespReply.OK;
            }
            case "GETNAME" -> {
                requireWords(args, 2, "client|getname");
                yield s.name().isEmpty() ? RespReply.NIL : RespReply.Bulk.of(s.name());
            }
            case "ID" -> {
                requireWords(args, 2, "client|id");
                yield new RespReply.Int(s.id());
            }
            case "INFO" -> {
                requireWords(args, 2, "client|info");
                yield RespReply.Bulk.of("id=" + s.id() + " addr=" + s.address() + " name=" + s.name() + " db=0 resp="
                        + s.protocol() + " lib-name=" + s.library() + "\n");
            }
            case "SETINFO" -> {
                requireWords(args, 4, "client|setinfo");
                String attr = RespCommands.upper(args.get(2));
                if (!"LIB-NAME".equals(attr) && !"LIB-VER".equals(attr)) {
                    throw new RespError("ERR Unrecognized option '" + RespCommands.text(args.get(2)) + "'");
                }
                if ("LIB-NAME".equals(attr)) {
                    s.library(clientName(args.get(3)));
                }
                yield RespReply.OK;
            }
            default -> throw new RespError("ERR unknown subcommand '" + RespCommands.text(args.get(1))
                    + "'. Try CLIENT SETNAME, GETNAME, ID, INFO or SETINFO.");
        };
        return Future.succeededFuture(reply);
    }

    private static void requireWords(List<byte[]> args, int words, String command) {
        if (args.size() != words) {
            throw RespCommands.arity(command);
        }
    }

    /** A client name as Redis allows it: printable ASCII without spaces. */
    private static String clientName(byte[] bytes) {
        for (byte b : bytes) {
            if (b <= ' ' || b > '~') {
                throw new RespError("ERR Client names cannot contain spaces, newlines or special characters.");
            }
        }
        return RespCommands.text(bytes);
    }

    /** CONFIG GET pattern...: the few parameters clients and redis-benchmark ask about. */
    private Future<RespReply> config(RespSession s, List<byte[]> args) {
        if (!"GET".equals(RespCommands.upper(args.get(1)))) {
            throw new RespError("ERR CONFIG " + RespCommands.text(args.get(1))
                    + " is not supported: Raftline is configured by its JSON configuration file (CONFIG GET works)");
        }
        if (args.size() < 3) {
            throw RespCommands.arity("config|get");
        }
        List<RespReply> pairs = new ArrayList<>();
        for (Map.Entry<String, String> e : new java.util.TreeMap<>(CONFIG).entrySet()) {
            for (int i = 2; i < args.size(); i++) {
                if (Glob.of(RespCommands.text(args.get(i)).toLowerCase(Locale.ROOT)).matches(e.getKey())) {
                    pairs.add(RespReply.Bulk.of(e.getKey()));
                    pairs.add(RespReply.Bulk.of(e.getValue()));
                    break;
                }
            }
        }
        return Future.succeededFuture(new RespReply.KeyValues(pairs));
    }

    /** COMMAND, COMMAND COUNT, COMMAND INFO name..., COMMAND DOCS (empty: clients then use their own help). */
    private Future<RespReply> command(RespSession s, List<byte[]> args) {
        if (args.size() == 1) {
            return Future.succeededFuture(new RespReply.Array(specs.values().stream().map(Spec::info).toList()));
        }
        RespReply reply = switch (RespCommands.upper(args.get(1))) {
            case "COUNT" -> new RespReply.Int(specs.size());
            case "INFO" -> {
                List<RespReply> infos = new ArrayList<>();
                for (int i = 2; i < args.size(); i++) {
                    Spec spec = specs.get(RespCommands.text(args.get(i)).toLowerCase(Locale.ROOT));
                    infos.add(spec == null ? RespReply.NIL : spec.info());
                }
                yield new RespReply.Array(infos);
            }
            case "DOCS" -> new RespReply.KeyValues(List.of());
            case "LIST" -> new RespReply.Array(specs.keySet().stream().<RespReply>map(RespReply.Bulk::of).toList());
            default -> throw new RespError("ERR unknown subcommand '" + RespCommands.text(args.get(1))
                    + "'. Try COMMAND COUNT, INFO, DOCS or LIST.");
        };
        return Future.succeededFuture(reply);
    }

    /**
     * MULTI: the commands until EXEC are queued ({@code +QUEUED}) and run by EXEC as one transaction, one log entry.
     * Before, MULTI was an unknown command, and the commands a client pipelined after it (redis-py's default pipeline
     * sends MULTI, its commands and EXEC without waiting) ran one by one: the writes of a transaction the client saw
     * fail were applied, not atomically.
     */
    private Future<RespReply> multi(RespSession s, List<byte[]> args) {
        if (s.transaction() != null) {
            throw new RespError("ERR MULTI calls can not be nested");
        }
        s.transaction(kv.transaction());
        return Future.succeededFuture(RespReply.OK);
    }

    /** EXEC: the queued commands as one transaction, or EXECABORT if one of them was refused as it was queued. */
    private Future<RespReply> exec(RespSession s, List<byte[]> args) {
        RespTransaction tx = s.transaction();
        if (tx == null) {
            throw new RespError("ERR EXEC without MULTI");
        }
        s.transaction(null);
        Map<String, Long> watched = new LinkedHashMap<>(s.watched());
        s.watched().clear();
        if (tx.refused()) {
            throw new RespError("EXECABORT Transaction discarded because of previous errors.");
        }
        return kv.exec(tx, watched);
    }

    private Future<RespReply> discard(RespSession s, List<byte[]> args) {
        if (s.transaction() == null) {
            throw new RespError("ERR DISCARD without MULTI");
        }
        s.transaction(null);
        s.watched().clear();
        return Future.succeededFuture(RespReply.OK);
    }

    private Future<RespReply> watch(RespSession s, List<byte[]> args) {
        if (s.transaction() != null) {
            throw new RespError("ERR WATCH inside MULTI is not allowed");
        }
        return kv.watch(s, args);
    }

    private Future<RespReply> unwatch(RespSession s, List<byte[]> args) {
        s.watched().clear();
        return Future.succeededFuture(RespReply.OK);
    }

    /**
     * A command sent between MULTI and EXEC: queued ({@code +QUEUED}), or refused with Redis's errors for an unknown
     * command or a wrong arity, or because a transaction cannot hold it; a refusal makes EXEC discard the transaction.
     *
     * @param session the connection's state, inside MULTI
     * @param args    the request
     * @param spec    {@code find(args)}
     * @return the reply
     */
    RespReply queue(RespSession session, List<byte[]> args, Spec spec) {
        RespTransaction tx = session.transaction();
        if (spec == null || !spec.arityOk(args.size())) {
            tx.refuse();
            return run(session, args, spec).result();
        }
        try {
            tx.add(kv.inTransaction(spec.name(), args));
            return new RespReply.Simple("QUEUED");
        } catch (RuntimeException e) {
            tx.refuse();
            return RespCommands.error(e, true);
        }
    }

    private Future<RespReply> quit(RespSession s, List<byte[]> args) {
        s.quit();
        return Future.succeededFuture(RespReply.OK);
    }

    /** INFO [section...]: server, clients, replication (the Raft role and leader) and keyspace sections. */
    private Future<RespReply> info(RespSession s, List<byte[]> args) {
        Set<String> sections = new java.util.HashSet<>();
        for (int i = 1; i < args.size(); i++) {
            sections.add(RespCommands.text(args.get(i)).toLowerCase(Locale.ROOT));
        }
        boolean all = sections.isEmpty() || sections.contains("all") || sections.contains("everything")
                || sections.contains("default");
        Future<Long> keys = all || sections.contains("keyspace") ? kv.localKeyCount() : Future.succeededFuture(0L);
        return node.status().compose(st -> keys.map(n -> RespReply.Bulk.of(infoText(st, n, all, sections))));
    }

    /** Bytes as Redis writes them for people: {@code 1.50M}, as its {@code used_memory_human}. */
    private static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + "B";
        }
        String[] units = {"K", "M", "G", "T"};
        double d = bytes;
        int u = -1;
        while (d >= 1024 && u < units.length - 1) {
            d /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.2f%s", d, units[u]);
    }

    private String infoText(NodeStatus st, long keys, boolean all, Set<String> sections) {
        StringBuilder b = new StringBuilder();
        if (all || sections.contains("server")) {
            b.append("# Server\r\n")
                    .append("redis_version:7.0.0\r\n")
                    .append("raftline_version:").append(version).append("\r\n")
                    .append("redis_mode:standalone\r\n")
                    .append("os:").append(System.getProperty("os.name")).append(' ')
                    .append(System.getProperty("os.arch")).append("\r\n")
                    .append("process_id:").append(ManagementFactory.getRuntimeMXBean().getPid()).append("\r\n")
                    .append("tcp_port:").append(port.getAsInt()).append("\r\n")
                    .append("uptime_in_seconds:").append((System.nanoTime() - startedNanos) / 1_000_000_000L)
                    .append("\r\n")
                    .append("raft_node_id:").append(st.id()).append("\r\n\r\n");
        }
        if (all || sections.contains("clients")) {
            b.append("# Clients\r\n")
                    .append("connected_clients:").append(connectedClients.getAsInt()).append("\r\n")
                    .append("maxclients:").append(maxClients).append("\r\n")
                    .append("raftline_unsent_reply_bytes:").append(replies.unsent()).append("\r\n")
                    .append("raftline_reply_budget_bytes:").append(replies.limit()).append("\r\n")
                    .append("raftline_clients_waiting_for_reply_budget:").append(replies.waiting()).append("\r\n")
                    .append("raftline_queued_request_bytes:").append(queued.held()).append("\r\n")
                    .append("raftline_request_budget_bytes:").append(queued.limit()).append("\r\n")
                    .append("raftline_clients_not_reading:").append(stats.pausedConnections.get()).append("\r\n")
                    // No command blocks here (no BLPOP, no WAIT): redis-cli --stat reads the field.
                    .append("blocked_clients:0\r\n\r\n");
        }
        if (all || sections.contains("memory")) {
            // The node's JVM heap in use (the store, the log's cache, buffers): what the process holds, as Redis's
            // used_memory is what its allocator holds; its key space alone is in INFO keyspace's terms, and MEMORY
            // USAGE estimates a key's share.
            java.lang.management.MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
            b.append("# Memory\r\n")
                    .append("used_memory:").append(heap.getUsed()).append("\r\n")
                    .append("used_memory_human:").append(human(heap.getUsed())).append("\r\n")
                    .append("maxmemory:").append(Math.max(0, heap.getMax())).append("\r\n")
                    .append("maxmemory_human:").append(human(Math.max(0, heap.getMax()))).append("\r\n\r\n");
        }
        if (all || sections.contains("persistence")) {
            // Every write is in the Raft log before it is answered; there is no background save or rewrite.
            b.append("# Persistence\r\n")
                    .append("loading:0\r\n")
                    .append("rdb_bgsave_in_progress:0\r\n")
                    .append("aof_enabled:1\r\n")
                    .append("aof_rewrite_in_progress:0\r\n\r\n");
        }
        if (all || sections.contains("stats")) {
            b.append("# Stats\r\n")
                    .append("total_connections_received:").append(stats.connectionsReceived.sum()).append("\r\n")
                    .append("total_commands_processed:").append(stats.commandsProcessed.sum()).append("\r\n")
                    .append("rejected_connections:").append(stats.rejectedConnections.sum()).append("\r\n\r\n");
        }
        if (all || sections.contains("replication")) {
            boolean leads = st.role() == Role.LEADER;
            b.append("# Replication\r\n")
                    .append("role:").append(leads ? "master" : "slave").append("\r\n")
                    .append("raft_role:").append(st.role().displayName()).append("\r\n")
                    .append("raft_term:").append(st.term()).append("\r\n")
                    .append("raft_leader_id:").append(st.leader()).append("\r\n")
                    .append("raft_commit_index:").append(st.commit()).append("\r\n")
                    .append("raft_applied_index:").append(st.applied()).append("\r\n")
                    .append("raft_voters:").append(st.membership().voters()).append("\r\n")
                    .append("raft_learners:").append(st.membership().learners()).append("\r\n");
            if (leads) {
                // Redis counts the replicas: the leader's progress map holds its own entry too, which is not one.
                long replicas = st.matchIndex().keySet().stream().filter(id -> id != st.id()).count();
                b.append("connected_slaves:").append(replicas).append("\r\n");
            } else {
                b.append("master_link_status:").append(st.leader() != 0 ? "up" : "down").append("\r\n");
            }
            b.append("\r\n");
        }
        if (all || sections.contains("keyspace")) {
            b.append("# Keyspace\r\n");
            if (keys > 0) {
                b.append("db0:keys=").append(keys).append(",expires=0,avg_ttl=0\r\n");
            }
            b.append("\r\n");
        }
        return b.toString();
    }
}
