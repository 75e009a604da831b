package io.raftline.security;

import io.raftline.config.ConfigLoader;
import io.raftline.config.RaftlineConfig;
import io.raftline.raft.message.VoteRequest;
import io.raftline.server.Clustering;
import io.raftline.transport.EventBusTransport;
import io.raftline.transport.RaftMessageCodec;
import io.raftline.transport.RaftWireFormat;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageCodec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;

/**
 * A member of the cluster that lies about who it is, for {@code PeerAuthEventBusSenderTest}: a process that joins the
 * clustered event bus with node 3's certificate and key (so its connections pass mutual TLS) and knows the cluster
 * secret, and sends to node 1 vote requests at a huge term that claim to come from node 2. Each round it sends the three
 * best forgeries it can make:
 * <ol>
 * <li>a frame whose header claims node 2, tagged with the only key it shares with node 1, {@code K(3 → 1)};</li>
 * <li>a frame whose header says node 3 (its tag is right) but whose message claims node 2;</li>
 * <li>a frame tagged with the cluster-wide key of {@link FrameAuthenticator} (what any member could forge before
 * frames carried pair keys: accepted by a cluster without them).</li>
 * </ol>
 * Any of them reaching node 1 would raise its term to {@link #TERM}. Runs until killed; prints a line per round.
 *
 * <p>Arguments: the configuration (its {@code node_id} is a member entry of its own, its {@code tls} node 3's
 * certificate and key, {@code peer_identity} {@code any_member} so that the configuration allows that), node 1's
 * certificate, and the cluster secret.
 */
public final class EventBusForger {

    /** The term of the forged vote requests. */
    public static final long TERM = 1_000_000;

    /** The cluster's number of Raft groups, which every frame states after its length (FramedCodec). */
    private static final int GROUPS = 1;
    private static final int GROUPS_BYTES = 2;
    /** The count as written, which every tag covers before the frame. */
    private static final byte[] GROUPS_HEADER = {0, GROUPS};

    private EventBusForger() {
    }

    /**
     * Joins and forges.
     *
     * @param args configuration file, node 1's certificate, secret
     * @throws Exception if it cannot start
     */
    public static void main(String[] args) throws Exception {
        RaftlineConfig config = ConfigLoader.read(Path.of(args[0]));
        PublicKey victim = TestCa.certificate(Path.of(args[1])).getPublicKey();
        String secret = args[2];
        PrivateKey mine = privateKey(Path.of(config.tls().keyFile()));
        byte[] threeToOne = PeerFrameKeys.pairKey(mine, victim, secret, 3, 1);
        FrameAuthenticator clusterWide = new FrameAuthenticator(secret);

        Vertx vertx = Clustering.builder(config, new VertxOptions()).buildClustered().await();
        vertx.eventBus().registerCodec(new RawCodec());
        DeliveryOptions raw = new DeliveryOptions().setCodecName(RaftMessageCodec.NAME);
        byte[] claimingTwo = RaftWireFormat.encode(new VoteRequest(2, 1, TERM, TERM, TERM, false, false));
        List<Buffer> forgeries = List.of(
                pairFrame(2, 1, claimingTwo, PeerFrameKeysTest.tagWith(threeToOne, 2, 1, GROUPS_HEADER,
                        claimingTwo)),
                pairFrame(3, 1, claimingTwo, PeerFrameKeysTest.tagWith(threeToOne, 3, 1, GROUPS_HEADER,
                        claimingTwo)),
                Buffer.buffer().appendInt(GROUPS_BYTES + claimingTwo.length + FrameAuthenticator.TAG_BYTES)
                        .appendUnsignedShort(GROUPS).appendBytes(claimingTwo)
                        .appendBytes(clusterWide.tag(GROUPS_HEADER, claimingTwo)));
        long[] round = new long[1];
        vertx.setPeriodic(200, t -> {
            for (Buffer f : forgeries) {
                vertx.eventBus().send(EventBusTransport.address(1), f, raw);
            }
            System.out.println("forger: round " + ++round[0] + " sent to " + EventBusTransport.address(1));
        });
    }

    private static Buffer pairFrame(int from, int to, byte[] frame, byte[] tag) {
        return Buffer.buffer().appendInt(GROUPS_BYTES + PeerFrameKeys.HEADER_BYTES + frame.length + tag.length)
                .appendUnsignedShort(GROUPS).appendInt(from).appendInt(to).appendBytes(frame).appendBytes(tag);
    }

    private static PrivateKey privateKey(Path file) throws Exception {
        String body = Files.readString(file).replaceAll("-----[A-Z ]+-----", "");
        return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(Base64.getMimeDecoder()
                .decode(body)));
    }

    /** Writes prepared bytes under the Raft codec's name: the receiver decodes them with its own codec. */
    private static final class RawCodec implements MessageCodec<Buffer, Buffer> {
        @Override
        public void encodeToWire(Buffer buffer, Buffer bytes) {
            buffer.appendBuffer(bytes);
        }

        @Override
        public Buffer decodeFromWire(int pos, Buffer buffer) {
            throw new UnsupportedOperationException("the forger receives nothing");
        }

        @Override
        public Buffer transform(Buffer b) {
            return b;
        }

        @Override
        public String name() {
            return RaftMessageCodec.NAME;
        }

        @Override
        public byte systemCodecID() {
            return -1;
        }
    }
}
