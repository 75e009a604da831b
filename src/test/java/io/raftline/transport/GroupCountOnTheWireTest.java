package io.raftline.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.raftline.raft.message.Heartbeat;
import io.raftline.raft.message.Message;
import io.raftline.raft.message.VoteRequest;
import io.raftline.security.FrameAuthenticator;
import io.raftline.security.PeerFrameKeys;
import io.raftline.security.PeerGuard;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Every event-bus frame between processes states its process's number of Raft groups, and a codec of a process with
 * another number refuses it once it is authenticated (docs/sharding.md): nodes that map keys to groups differently
 * must never work together, whenever each of them started.
 */
class GroupCountOnTheWireTest {

    private static final String SECRET = "the cluster's secret, 32 chars..";

    private static <T> Buffer wire(MessageCodec<T, T> codec, T value) {
        Buffer b = Buffer.buffer();
        codec.encodeToWire(b, value);
        return b;
    }

    private static final Heartbeat HEARTBEAT = new Heartbeat(1, 2, 3, 4, 5);
    private static final List<Message> BATCH = List.of(HEARTBEAT, new VoteRequest(1, 2, 4, 9, 3, true, false));

    @Test
    void aFrameOfAProcessWithAnotherNumberOfGroupsIsRefusedByEveryCodecWithTheFrameItCarried() {
        for (FrameAuthenticator auth : new FrameAuthenticator[] {null, new FrameAuthenticator(SECRET)}) {
            String mode = auth == null ? "plain" : "cluster secret";
            RaftMessageCodec twoM = new RaftMessageCodec(auth, null, 2);
            RaftMessageCodec threeM = new RaftMessageCodec(auth, null, 3);
            assertThat(twoM.decodeFromWire(0, wire(twoM, HEARTBEAT))).as(mode).isEqualTo(HEARTBEAT);
            assertThatThrownBy(() -> threeM.decodeFromWire(0, wire(twoM, HEARTBEAT))).as(mode)
                    .isInstanceOfSatisfying(GroupCountMismatchException.class, e -> {
                        assertThat(e.theirs()).isEqualTo(2);
                        assertThat(e.frame()).isEqualTo(HEARTBEAT);
                    });

            RaftBatchCodec twoB = new RaftBatchCodec(auth, null, 2);
            RaftBatchCodec threeB = new RaftBatchCodec(auth, null, 3);
            assertThat(twoB.decodeFromWire(0, wire(twoB, new RaftBatch(BATCH))).messages()).isEqualTo(BATCH);
            assertThatThrownBy(() -> threeB.decodeFromWire(0, wire(twoB, new RaftBatch(BATCH)))).as(mode)
                    .isInstanceOf(GroupCountMismatchException.class);

            GroupBatches groups = new GroupBatches(List.of(new GroupBatches.Part(0, BATCH),
                    new GroupBatches.Part(1, List.of(HEARTBEAT))));
            GroupBatchesCodec twoG = new GroupBatchesCodec(auth, null, 2);
            GroupBatchesCodec threeG = new GroupBatchesCodec(auth, null, 3);
            assertThat(twoG.decodeFromWire(0, wire(twoG, groups))).isEqualTo(groups);
            assertThatThrownBy(() -> threeG.decodeFromWire(0, wire(twoG, groups))).as(mode)
                    .isInstanceOfSatisfying(GroupCountMismatchException.class,
                            e -> assertThat(e.frame()).isEqualTo(groups));

            FrameChunk chunk = new FrameChunk(1, 2, 7, 0, 1, 3, new byte[] {1, 2, 3});
            FrameChunkCodec twoC = new FrameChunkCodec(auth, null, 2);
            FrameChunkCodec threeC = new FrameChunkCodec(auth, null, 3);
            assertThat(twoC.decodeFromWire(0, wire(twoC, chunk)).bytes()).containsExactly(1, 2, 3);
            assertThatThrownBy(() -> threeC.decodeFromWire(0, wire(twoC, chunk))).as(mode)
                    .isInstanceOf(GroupCountMismatchException.class);
        }
    }

    @Test
    void aFrameThatDoesNotVerifyIsRefusedForThatBeforeItsCountIsLookedAt() {
        RaftMessageCodec mine = new RaftMessageCodec(new FrameAuthenticator(SECRET), null, 3);
        RaftMessageCodec stranger = new RaftMessageCodec(new FrameAuthenticator("another secret of 32 characters"),
                null, 2);
        // A stranger's count is no configuration error of a member: it is refused as a frame that does not verify.
        assertThatThrownBy(() -> mine.decodeFromWire(0, wire(stranger, HEARTBEAT)))
                .isInstanceOf(FrameAuthenticationException.class);
    }

    @Test
    void aCountAlteredOnTheWireIsRefusedAsAnAlteredFrameWithEitherKindOfTag() throws Exception {
        java.security.KeyPairGenerator generator = java.security.KeyPairGenerator.getInstance("EC");
        generator.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
        java.security.KeyPair one = generator.generateKeyPair();
        java.security.KeyPair two = generator.generateKeyPair();
        PeerFrameKeys oneKeys = new PeerFrameKeys(1, SECRET, one.getPrivate());
        oneKeys.accept(2, two.getPublic());
        PeerFrameKeys twoKeys = new PeerFrameKeys(2, SECRET, two.getPrivate());
        twoKeys.accept(1, one.getPublic());
        // Per kind of tag: a sender with 2 groups, a receiver with 2 and one with 3.
        List<RaftMessageCodec[]> codecs = List.of(
                new RaftMessageCodec[] {new RaftMessageCodec(new FrameAuthenticator(SECRET), null, 2),
                        new RaftMessageCodec(new FrameAuthenticator(SECRET), null, 2),
                        new RaftMessageCodec(new FrameAuthenticator(SECRET), null, 3)},
                new RaftMessageCodec[] {new RaftMessageCodec(null, oneKeys, 2), new RaftMessageCodec(null, twoKeys, 2),
                        new RaftMessageCodec(null, twoKeys, 3)});
        for (RaftMessageCodec[] c : codecs) {
            Buffer wire = wire(c[0], HEARTBEAT);
            assertThat(c[1].decodeFromWire(0, wire)).isEqualTo(HEARTBEAT);
            assertThatThrownBy(() -> c[2].decodeFromWire(0, wire)).isInstanceOf(GroupCountMismatchException.class);
            // Rewritten to the receiver's count, the frame of a node that maps keys to groups otherwise would pass
            // the check; rewritten to another, a healthy member would be cut off as misconfigured. Either way the
            // tag no longer verifies: the count is part of what it covers.
            for (RaftMessageCodec receiver : new RaftMessageCodec[] {c[1], c[2]}) {
                for (int forged : new int[] {3, 5}) {
                    Buffer altered = wire.copy();
                    altered.setUnsignedShort(4, forged);
                    assertThatThrownBy(() -> receiver.decodeFromWire(0, altered)).as("count rewritten to " + forged)
                            .isInstanceOfSatisfying(FrameAuthenticationException.class,
                                    e -> assertThat(e.reason()).isEqualTo(PeerGuard.Reason.BAD_MAC));
                }
            }
        }
    }

    @Test
    void theRefusalNamesThePeerAndBothCountsAndIsLoggedOncePerPeerAndCount() {
        Logger logger = (Logger) LoggerFactory.getLogger(GroupCountCheck.class);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        logger.addAppender(logged);
        try {
            GroupCountCheck check = new GroupCountCheck(2);
            assertThat(check.accepts(2)).isTrue();
            assertThat(check.accepts(3)).isFalse();
            String reason = check.refuse(3, 3, "the clustered event bus");
            assertThat(reason).startsWith("receiver").contains("\"groups\": 2").contains("node 3 has 3");
            for (int i = 0; i < 100; i++) {
                assertThat(check.refuse(3, 3, "the clustered event bus")).isSameAs(reason);
            }
            check.refuse(4, 5, "gRPC from 127.0.0.1");
            // Node 3 restarted with yet another file: logged again.
            assertThat(check.refuse(3, 4, "the clustered event bus")).contains("node 3 has 4");
            List<String> errors = logged.list.stream().filter(e -> e.getLevel() == Level.ERROR)
                    .map(ILoggingEvent::getFormattedMessage).toList();
            assertThat(errors).hasSize(3);
            assertThat(errors.get(0)).contains("node 3").contains("\"groups\": 3 and this process with 2");
            assertThat(errors.get(1)).contains("node 4").contains("gRPC from 127.0.0.1");
            assertThat(errors.get(2)).contains("\"groups\": 4");
        } finally {
            logger.detachAppender(logged);
        }
    }
}
