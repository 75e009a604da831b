package io.raftline.transport.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.raftline.proto.raft.Ack;
import io.raftline.proto.raft.SnapshotChunk;
import io.raftline.proto.raft.SnapshotHeader;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.client.GrpcClientResponse;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The InstallSnapshot writer against a call whose write queue is always full, so that every chunk after the first
 * waits for a drain: a call that lives gets the whole snapshot, and a call that failed meanwhile gets nothing more,
 * whatever drain comes after its failure. The call is a stand-in that behaves as Vert.x 5's does where it matters: once
 * the call has failed (reset, cancelled), a write throws IllegalStateException ("The stream is failed").
 */
class ChunkWriterTest {

    /** A client call that records what is written to it and what drain handler it holds. */
    private static final class FakeCall {
        final Promise<GrpcClientResponse<SnapshotChunk, Ack>> response = Promise.promise();
        final List<SnapshotChunk> written = new ArrayList<>();
        final List<Handler<Void>> drainHandlers = new ArrayList<>();
        Handler<Void> drain;
        boolean failed;
        boolean ended;
        boolean cancelled;

        @SuppressWarnings("unchecked")
        GrpcClientRequest<SnapshotChunk, Ack> request() {
            Object[] self = new Object[1];
            self[0] = Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {GrpcClientRequest.class},
                    (proxy, method, args) -> switch (method.getName()) {
                        case "response" -> response.future();
                        case "write", "end" -> {
                            if (failed) {
                                throw new IllegalStateException("The stream is failed");
                            }
                            written.add((SnapshotChunk) args[0]);
                            ended |= method.getName().equals("end");
                            yield Future.succeededFuture();
                        }
                        case "writeQueueFull" -> true;
                        case "drainHandler" -> {
                            drain = (Handler<Void>) args[0];
                            if (drain != null) {
                                drainHandlers.add(drain);
                            }
                            yield self[0];
                        }
                        case "cancel" -> {
                            cancelled = true;
                            yield null;
                        }
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == args[0];
                        case "toString" -> "FakeCall";
                        default -> throw new UnsupportedOperationException(method.getName());
                    });
            return (GrpcClientRequest<SnapshotChunk, Ack>) self[0];
        }
    }

    private static byte[] data(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31);
        }
        return b;
    }

    private static GrpcTransport.ChunkWriter writer(FakeCall call, byte[] data, List<String> cuts) {
        return new GrpcTransport.ChunkWriter(call.request(), SnapshotHeader.newBuilder().setFrom(1).setTo(2).build(),
                data, 100, () -> { }, () -> null, cuts::add);
    }

    @Test
    void aCallThatLivesGetsEveryChunkOneDrainAtATime() throws Exception {
        FakeCall call = new FakeCall();
        byte[] data = data(350);
        writer(call, data, new ArrayList<>()).write();
        assertThat(call.written).hasSize(1);
        while (!call.ended) {
            Handler<Void> h = call.drain;
            assertThat(h).as("a drain handler while chunks remain").isNotNull();
            h.handle(null);
        }
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (SnapshotChunk c : call.written) {
            all.write(c.getData().toByteArray());
        }
        assertThat(all.toByteArray()).isEqualTo(data);
        assertThat(call.written).hasSize(4);
        assertThat(call.written.get(0).hasHeader()).isTrue();
        assertThat(call.written.get(3).getLast()).isTrue();
    }

    /**
     * The call fails (the peer reset it) while the writer waits for a drain; a drain comes afterwards (one already on
     * its way, or the connection's window opening). Before, the writer went on and wrote into the dead call, which
     * threw into the event loop.
     */
    @Test
    void aDrainAfterTheCallFailedWritesNothingMore() {
        FakeCall call = new FakeCall();
        GrpcTransport.ChunkWriter writer = writer(call, data(350), new ArrayList<>());
        writer.write();
        assertThat(call.written).hasSize(1);
        call.failed = true;
        call.response.fail(new IllegalStateException("stream reset by the peer"));
        Handler<Void> pending = call.drainHandlers.get(call.drainHandlers.size() - 1);
        assertThatCode(() -> pending.handle(null)).as("a drain after the failure").doesNotThrowAnyException();
        assertThat(call.written).as("chunks written").hasSize(1);
        assertThat(call.drain).as("the drain handler left on the dead call").isNull();
    }

    /**
     * The call failed and the writer is not told yet (its outcome comes later): a write the call refuses stops the
     * writer and resets the call, instead of throwing into the event loop.
     */
    @Test
    void aWriteRefusedByAFailedCallStopsTheWriter() {
        FakeCall call = new FakeCall();
        writer(call, data(350), new ArrayList<>()).write();
        call.failed = true;
        Handler<Void> pending = call.drain;
        assertThatCode(() -> pending.handle(null)).as("a drain into a failed call").doesNotThrowAnyException();
        assertThat(call.cancelled).as("the call reset").isTrue();
        assertThat(call.drain).isNull();
        assertThat(call.written).hasSize(1);
    }

    /** A cut stops the writer: it is told once, and a later drain writes nothing. */
    @Test
    void aCutStopsTheWriter() {
        FakeCall call = new FakeCall();
        List<String> cuts = new ArrayList<>();
        String[] blocked = {null};
        GrpcTransport.ChunkWriter writer = new GrpcTransport.ChunkWriter(call.request(),
                SnapshotHeader.getDefaultInstance(), data(350), 100, () -> { }, () -> blocked[0], cuts::add);
        writer.write();
        blocked[0] = "partition";
        call.drain.handle(null);
        assertThat(cuts).containsExactly("partition");
        assertThat(call.written).hasSize(1);
    }
}
