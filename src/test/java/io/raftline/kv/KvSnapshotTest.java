package io.raftline.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class KvSnapshotTest {

    private final ExecutorService writer = Executors.newSingleThreadExecutor();

    @AfterEach
    void stopWriter() {
        writer.shutdownNow();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A small state that uses every part of the format. */
    private static KvStateMachine sample() {
        KvStateMachine kv = new KvStateMachine(4);
        kv.apply(1, new KvCommand.Put("b", bytes("two"), -1, "w1"));
        kv.apply(2, new KvCommand.Put("a", new byte[0], -1, null));
        kv.apply(3, new KvCommand.Put("b", bytes("2"), 1, "w2"));
        kv.apply(4, new KvCommand.Put("a", bytes("y"), 0, "w3"));         // fails: "a" exists
        kv.apply(5, new KvCommand.Delete("zzz", "d1"));                    // deletes nothing
        kv.applyNoop(6);
        kv.apply(7, new KvCommand.Put("\uD83D\uDE00", bytes("smile"), -1, null));
        kv.apply(8, new KvCommand.Put("a", bytes("x"), -1, null));
        return kv;
    }

    private static byte[] withCrc(byte[] body) {
        CRC32C crc = new CRC32C();
        crc.update(body);
        return ByteBuffer.allocate(body.length + 4).put(body).putInt((int) crc.getValue()).array();
    }

    @Test
    void layoutMatchesTheDocumentedFormat() {
        byte[] snapshot = sample().capture().toByteArray();
        ByteBuffer in = ByteBuffer.wrap(snapshot);

        byte[] magic = new byte[4];
        in.get(magic);
        assertThat(new String(magic, StandardCharsets.US_ASCII)).isEqualTo("RLKV");
        assertThat(in.get()).isEqualTo((byte) 3);
        assertThat(in.getLong()).as("lastApplied").isEqualTo(8);
        assertThat(in.getInt()).as("idempotency capacity").isEqualTo(4);
        assertThat(in.getInt()).as("entry count").isEqualTo(3);
        // First entry, key "a": created at 2, rewritten at 8 (version 2), value "x".
        assertThat(in.getInt()).isEqualTo(1);
        assertThat(in.get()).isEqualTo((byte) 'a');
        assertThat(new long[] {in.getLong(), in.getLong(), in.getLong()}).containsExactly(2, 8, 2);
        assertThat(in.getInt()).isEqualTo(1);
        assertThat(in.get()).isEqualTo((byte) 'x');
        // Then "b" (1, 3, 2, "2") and the 4-byte emoji key; skip to the idempotency table.
        in.position(in.position() + 4 + 1 + 24 + 4 + 1);
        in.position(in.position() + 4 + 4 + 24 + 4 + 5);
        assertThat(in.getInt()).as("idempotency records").isEqualTo(4);
        assertThat(in.getInt()).isEqualTo(2);
        assertThat(in.get()).isEqualTo((byte) 'w');
        assertThat(in.get()).isEqualTo((byte) '1');
        assertThat(in.get()).as("Written").isEqualTo((byte) 1);
        assertThat(in.getLong()).isEqualTo(1);
        assertThat(in.get()).as("has a fingerprint").isEqualTo((byte) 1);
        assertThat(in.getLong()).isEqualTo(KvCodec.fingerprint(new KvCommand.Put("b", bytes("two"), -1, null)));
        in.position(in.position() + 4 + 2 + 1 + 8 + 1 + 8);             // w2: Written(3)
        in.position(in.position() + 4 + 2);                             // w3
        assertThat(in.get()).as("PreconditionFailed of a put").isEqualTo((byte) 4);
        assertThat(new long[] {in.getLong(), in.getLong()}).containsExactly(2, 4);
        assertThat(in.get()).isEqualTo((byte) 1);
        assertThat(in.getLong()).isEqualTo(KvCodec.fingerprint(new KvCommand.Put("a", bytes("y"), 0, null)));
        in.position(in.position() + 4 + 2);                             // d1
        assertThat(in.get()).as("Deleted").isEqualTo((byte) 2);
        assertThat(in.get()).isEqualTo((byte) 0);
        assertThat(in.getLong()).isEqualTo(5);
        assertThat(in.get()).isEqualTo((byte) 1);
        assertThat(in.getLong()).isEqualTo(KvCodec.fingerprint(new KvCommand.Delete("zzz")));
        int bodyLength = in.position();
        assertThat(in.remaining()).as("only the checksum is left").isEqualTo(4);
        assertThat(withCrc(Arrays.copyOf(snapshot, bodyLength))).isEqualTo(snapshot);
    }

    @Test
    void theArrayIsTheStreamedFormatForStatesOfManySizes() throws IOException {
        // toByteArray sizes its array before writing; written through encoded commands, values are ranges of them.
        java.util.Random random = new java.util.Random(7);
        KvStateMachine kv = new KvStateMachine(16);
        for (int i = 1; i <= 3_000; i++) {
            byte[] value = new byte[random.nextInt(i % 100 == 0 ? 5_000 : 40)];
            random.nextBytes(value);
            String key = (i % 7 == 0 ? "\u00e9t\u00e9-" : "k-") + random.nextInt(1_000);
            KvCommand command = i % 11 == 0 ? new KvCommand.Delete(key, "d" + i)
                    : new KvCommand.Put(key, value, -1, i % 5 == 0 ? "p" + i : null);
            kv.apply(i, KvCodec.encode(command));
            if (i % 500 == 0) {
                java.io.ByteArrayOutputStream streamed = new java.io.ByteArrayOutputStream();
                kv.capture().writeTo(streamed);
                assertThat(kv.capture().toByteArray()).as("after %d entries", i).isEqualTo(streamed.toByteArray());
            }
        }
    }

    @Test
    void aRestoredMachineSizesItsSnapshotsFromTheCountItsReaderKept() throws IOException {
        // The reader counts keys and values as it reads, so a restored machine knows its key space's size without a
        // walk, and toByteArray sizes its array from that count: a wrong count fails the size check below.
        KvStateMachine kv = sample();
        KvStateMachine restored = KvStateMachine.restore(kv.capture().toByteArray());
        assertThat(restored.dataBytes()).isEqualTo(kv.dataBytes());
        restored.apply(9, KvCodec.encode(new KvCommand.Put("\u00e9t\u00e9", bytes("summer"), -1, "w9")));
        restored.apply(10, KvCodec.encode(new KvCommand.Delete("b", null)));
        restored.apply(11, KvCodec.encode(new KvCommand.Put("a", bytes("longer than before"), -1, null)));
        java.io.ByteArrayOutputStream streamed = new java.io.ByteArrayOutputStream();
        restored.capture().writeTo(streamed);
        assertThat(restored.capture().toByteArray()).isEqualTo(streamed.toByteArray());
        assertThat(KvStateMachine.restore(streamed.toByteArray()).dataBytes()).isEqualTo(restored.dataBytes());
    }

    @Test
    void roundTripPreservesStateAndHash() throws IOException {
        KvStateMachine kv = sample();
        byte[] snapshot = kv.capture().toByteArray();

        KvStateMachine restored = KvStateMachine.restore(new ByteArrayInputStream(snapshot));

        assertThat(restored.stateHashHex()).isEqualTo(kv.stateHashHex());
        assertThat(restored.lastApplied()).isEqualTo(8);
        assertThat(restored.range("", 10)).isEqualTo(kv.range("", 10));
        assertThat(restored.capture().toByteArray()).isEqualTo(snapshot);
        assertThat(KvSnapshot.readFrom(snapshot).size()).isEqualTo(3);
    }

    @Test
    void emptyMachineRoundTrips() {
        KvStateMachine empty = new KvStateMachine();
        byte[] snapshot = empty.capture().toByteArray();

        assertThat(snapshot).hasSize(4 + 1 + 8 + 4 + 4 + 4 + 4);
        assertThat(KvStateMachine.restore(snapshot).stateHashHex()).isEqualTo(empty.stateHashHex());
    }

    @Test
    void hashIsTheSha256OfTheBodyWithoutChecksum() throws Exception {
        KvSnapshot snapshot = sample().capture();
        byte[] bytes = snapshot.toByteArray();
        byte[] body = Arrays.copyOf(bytes, bytes.length - 4);

        assertThat(snapshot.stateHash())
                .isEqualTo(java.security.MessageDigest.getInstance("SHA-256").digest(body));
    }

    @Test
    void everySingleBitFlipIsDetected() {
        byte[] snapshot = sample().capture().toByteArray();
        for (int bit = 0; bit < snapshot.length * 8; bit++) {
            byte[] corrupt = snapshot.clone();
            corrupt[bit / 8] ^= (byte) (1 << (bit % 8));
            KvFormatException e = catchThrowableOfType(KvFormatException.class, () -> KvSnapshot.readFrom(corrupt));
            assertThat(e).as("flipping bit %d", bit).isNotNull();
            assertThat(e.offset()).isBetween(0L, (long) snapshot.length);
        }
    }

    @Test
    void everyTruncationAndAnyTrailingByteIsDetected() {
        byte[] snapshot = sample().capture().toByteArray();
        for (int length = 0; length < snapshot.length; length++) {
            byte[] truncated = Arrays.copyOf(snapshot, length);
            assertThatThrownBy(() -> KvSnapshot.readFrom(truncated))
                    .as("prefix of length %d", length)
                    .isInstanceOf(KvFormatException.class)
                    .hasMessageStartingWith("truncated: snapshot ends inside the ");
        }
        assertThatThrownBy(() -> KvSnapshot.readFrom(Arrays.copyOf(snapshot, snapshot.length + 1)))
                .hasMessage("trailing bytes after the checksum at offset " + snapshot.length);
    }

    @Test
    void headerProblemsAreNamed() {
        byte[] snapshot = sample().capture().toByteArray();
        byte[] badMagic = snapshot.clone();
        badMagic[0] = 'X';
        byte[] futureVersion = Arrays.copyOf(snapshot, snapshot.length - 4);
        futureVersion[4] = 4;

        assertThatThrownBy(() -> KvSnapshot.readFrom(badMagic))
                .hasMessage("bad magic: not a Raftline KV snapshot at offset 0");
        assertThatThrownBy(() -> KvSnapshot.readFrom(withCrc(futureVersion)))
                .hasMessage("unknown snapshot format version 4 (this reader reads versions 1 to 3) at offset 4");
    }

    /**
     * The sample as the release before format 3 wrote it (commit 9301ea9, format 2: records without fingerprints), and
     * its state hash there.
     */
    private static final String SAMPLE_IN_FORMAT_TWO = "524c4b56020000000000000008000000040000000300000001610000000000"
            + "000002000000000000000800000000000000020000000178000000016200000000000000010000000000000003000000000000"
            + "0002000000013200000004f09f988000000000000000070000000000000007000000000000000100000005736d696c650000"
            + "00040000000277310100000000000000010000000277320100000000000000030000000277330400000000000000020000000"
            + "000000004000000026431020000000000000000051d0211d8";
    private static final String SAMPLE_HASH_IN_FORMAT_TWO =
            "347cc8db74004d1600318ad78a9798ce03c8fb65de90be0c34e83040bfc67924";

    private static byte[] sampleInFormatTwo() {
        return java.util.HexFormat.of().parseHex(SAMPLE_IN_FORMAT_TWO);
    }

    /** The sample's bytes in format 1: format 2's but for the version and the failed precondition's type. */
    private static byte[] sampleInFormatOne() {
        byte[] snapshot = sampleInFormatTwo();
        byte[] body = Arrays.copyOf(snapshot, snapshot.length - 4);
        body[4] = 1;
        // The one failed precondition of the sample (w3, a put): type 4 in format 2, 3 in format 1.
        int at = indexOfType(body, (byte) 4);
        body[at] = 3;
        return withCrc(body);
    }

    /** Where the record of idempotency key w3 has its type byte. */
    private static int indexOfType(byte[] body, byte type) {
        byte[] w3 = {0, 0, 0, 2, 'w', '3'};
        for (int i = 0; i + w3.length < body.length; i++) {
            if (Arrays.equals(body, i, i + w3.length, w3, 0, w3.length)) {
                assertThat(body[i + w3.length]).isEqualTo(type);
                return i + w3.length;
            }
        }
        throw new AssertionError("no record w3");
    }

    @Test
    void aFormatOneSnapshotIsStillReadAndItsFailedPreconditionsAnswerEitherKind() {
        KvStateMachine restored = KvStateMachine.restore(sampleInFormatOne());
        assertThat(restored.lastApplied()).isEqualTo(8);
        assertThat(restored.get("a").orElseThrow().modRevision()).isEqualTo(8);
        // Format 1 did not say which kind of request w3 was: either kind gets its answer, as before.
        assertThat(restored.apply(9, new KvCommand.Delete("a", 5, "w3")))
                .isEqualTo(new KvResult.PreconditionFailed(2, 4));
        assertThat(restored.apply(10, new KvCommand.Put("a", bytes("z"), 5, "w3")))
                .isEqualTo(new KvResult.PreconditionFailed(2, 4));
        // The rest say it: a written result is a put's, a deleted one a delete's.
        assertThat(restored.apply(11, new KvCommand.Delete("b", "w1")))
                .isEqualTo(new KvResult.IdempotencyKeyReused("put", 1, 11));
        assertThat(restored.apply(12, new KvCommand.Put("zzz", bytes("z"), -1, "d1")))
                .isEqualTo(new KvResult.IdempotencyKeyReused("delete", 5, 12));
        // Written again in format 3, the record keeps saying "either".
        KvStateMachine again = KvStateMachine.restore(restored.capture().toByteArray());
        assertThat(again.apply(13, new KvCommand.Delete("a", 5, "w3")))
                .isEqualTo(new KvResult.PreconditionFailed(2, 4));
    }

    @Test
    void aFormatTwoSnapshotIsStillReadAndItsRecordsAnswerAnyRequestOfTheirKindAsBefore() {
        KvSnapshot read = KvSnapshot.readFrom(sampleInFormatTwo());
        assertThat(read.stateHashHex()).as("format 3 hashes differently").isNotEqualTo(SAMPLE_HASH_IN_FORMAT_TWO);
        KvStateMachine restored = KvStateMachine.fromSnapshot(read);
        KvStateMachine sample = sample();
        assertThat(restored.lastApplied()).isEqualTo(8);
        assertThat(restored.range("", 10)).isEqualTo(sample.range("", 10));
        assertThat(restored.idempotencyCapacity()).isEqualTo(4);
        // Format 2 kept no fingerprint: w1 (a put of "b") answers a put of another key, value or condition with its
        // result, as the release that wrote it did; another kind is still refused.
        assertThat(restored.apply(9, new KvCommand.Put("c", bytes("other"), 0, "w1")))
                .isEqualTo(new KvResult.Written(1));
        assertThat(restored.get("c")).isEmpty();
        assertThat(restored.apply(10, new KvCommand.Delete("b", "w1")))
                .isEqualTo(new KvResult.IdempotencyKeyReused("put", 1, 10));
        assertThat(restored.apply(11, new KvCommand.Delete("other", "d1"))).isEqualTo(new KvResult.Deleted(0, 5));
        // A record made now has one.
        assertThat(restored.apply(12, new KvCommand.Put("n", bytes("1"), -1, "w9"))).isEqualTo(new KvResult.Written(12));
        assertThat(restored.apply(13, new KvCommand.Put("m", bytes("1"), -1, "w9")))
                .isEqualTo(new KvResult.IdempotencyKeyReused("put", 12, 13));

        // Written in format 3 and read back, each record keeps what it had: none, or its fingerprint.
        byte[] three = restored.capture().toByteArray();
        assertThat(three[4]).isEqualTo((byte) 3);
        KvStateMachine again = KvStateMachine.restore(three);
        assertThat(again.capture().toByteArray()).isEqualTo(three);
        assertThat(again.stateHashHex()).isEqualTo(restored.stateHashHex());
        // (w9 evicted w1, the oldest, at capacity 4.)
        assertThat(again.apply(14, new KvCommand.Put("c", bytes("other"), 0, "w2")))
                .isEqualTo(new KvResult.Written(3));
        assertThat(again.apply(15, new KvCommand.Put("m", bytes("1"), -1, "w9")))
                .isEqualTo(new KvResult.IdempotencyKeyReused("put", 12, 15));
        assertThat(again.apply(16, new KvCommand.Put("n", bytes("1"), -1, "w9"))).isEqualTo(new KvResult.Written(12));
    }

    @Test
    void formatThreeKeepsEachRecordsFingerprintThroughARoundTrip() {
        KvStateMachine kv = sample();
        byte[] snapshot = kv.capture().toByteArray();
        KvStateMachine restored = KvStateMachine.restore(snapshot);
        assertThat(restored.capture().toByteArray()).isEqualTo(snapshot);
        assertThat(restored.stateHashHex()).isEqualTo(kv.stateHashHex());
        for (KvStateMachine m : java.util.List.of(kv, restored)) {
            assertThat(m.apply(9, new KvCommand.Put("b", bytes("two"), -1, "w1"))).isEqualTo(new KvResult.Written(1));
            assertThat(m.apply(10, new KvCommand.Put("c", bytes("two"), -1, "w1")))
                    .isEqualTo(new KvResult.IdempotencyKeyReused("put", 1, 10));
            assertThat(m.apply(11, new KvCommand.Put("a", bytes("y"), 0, "w3")))
                    .isEqualTo(new KvResult.PreconditionFailed(2, 4));
            assertThat(m.apply(12, new KvCommand.Put("a", bytes("y"), 8, "w3")))
                    .isEqualTo(new KvResult.IdempotencyKeyReused("put", 4, 12));
            assertThat(m.apply(13, new KvCommand.Delete("zzz", "d1"))).isEqualTo(new KvResult.Deleted(0, 5));
            assertThat(m.apply(14, new KvCommand.Delete("a", "d1")))
                    .isEqualTo(new KvResult.IdempotencyKeyReused("delete", 5, 14));
            assertThat(m.get("a").orElseThrow().modRevision()).isEqualTo(8);
        }
        assertThat(restored.stateHashHex()).isEqualTo(kv.stateHashHex());
    }

    @Test
    void aBadFingerprintFlagIsRefused() {
        byte[] body = bodyOf(sample());
        // w3's record: type 4, actual revision, revision, then the flag.
        int flag = indexOfType(body, (byte) 4) + 1 + 8 + 8;
        assertThat(body[flag]).isEqualTo((byte) 1);
        byte[] badFlag = body.clone();
        badFlag[flag] = 2;
        assertThatThrownBy(() -> KvSnapshot.readFrom(withCrc(badFlag)))
                .hasMessage("fingerprint flag 2 is outside 0..1 at offset " + flag);
        // A failed precondition of either kind comes from format 1, which had no fingerprints.
        byte[] eitherKind = body.clone();
        eitherKind[indexOfType(body, (byte) 4)] = 3;
        assertThatThrownBy(() -> KvSnapshot.readFrom(withCrc(eitherKind)))
                .hasMessage("a failed precondition of either kind of request (from format version 1) has no fingerprint"
                        + " at offset " + flag);
    }

    @Test
    void aFormatOneSnapshotCannotHoldTheKindsOfFormatTwo() {
        byte[] snapshot = sampleInFormatTwo();
        byte[] body = Arrays.copyOf(snapshot, snapshot.length - 4);
        body[4] = 1;
        int at = indexOfType(body, (byte) 4);
        assertThatThrownBy(() -> KvSnapshot.readFrom(withCrc(body)))
                .hasMessage("unknown result type 4 in format version 1 at offset " + at);
    }

    @Test
    void checksumMismatchIsReportedWhenTheStructureStillParses() {
        byte[] snapshot = sample().capture().toByteArray();
        int lastValueByte = indexOf(snapshot, bytes("smile")) + 4;
        snapshot[lastValueByte] = 'E';

        assertThatThrownBy(() -> KvSnapshot.readFrom(snapshot))
                .isInstanceOf(KvFormatException.class)
                .hasMessageStartingWith("checksum mismatch: stored crc32c ")
                .hasMessageEndingWith("at offset " + (snapshot.length - 4));
    }

    /** A writer bug (or a forged file) with a valid checksum is still refused. */
    @Test
    void inconsistentContentIsRefusedEvenWithAValidChecksum() {
        byte[] body = bodyOf(sample());
        byte[] lowLastApplied = body.clone();
        ByteBuffer.wrap(lowLastApplied).putLong(5, 3);
        byte[] keysOutOfOrder = bodyOf(sample());
        int a = indexOf(keysOutOfOrder, new byte[] {0, 0, 0, 1, 'a'});
        keysOutOfOrder[a + 4] = 'c';
        byte[] overCapacity = body.clone();
        ByteBuffer.wrap(overCapacity).putInt(13, 3);

        assertThatThrownBy(() -> KvSnapshot.readFrom(withCrc(lowLastApplied)))
                .hasMessage("mod revision 8 is outside 2..3 at offset 34");
        assertThatThrownBy(() -> KvSnapshot.readFrom(withCrc(keysOutOfOrder)))
                .hasMessageStartingWith("key 1 is not after the previous key");
        assertThatThrownBy(() -> KvSnapshot.readFrom(withCrc(overCapacity)))
                .hasMessageStartingWith("idempotency record count 4 is outside 0..3");
    }

    @Test
    void captureIsIsolatedFromLaterApplies() {
        KvStateMachine kv = sample();
        KvSnapshot snapshot = kv.capture();
        byte[] atCapture = snapshot.toByteArray();
        String hashAtCapture = snapshot.stateHashHex();

        kv.apply(9, new KvCommand.Put("a", bytes("changed"), -1, "w9"));
        kv.apply(10, new KvCommand.Delete("b"));
        kv.apply(11, new KvCommand.Put("new", bytes("key")));

        assertThat(snapshot.lastApplied()).isEqualTo(8);
        assertThat(snapshot.size()).isEqualTo(3);
        assertThat(snapshot.toByteArray()).isEqualTo(atCapture);
        assertThat(snapshot.stateHashHex()).isEqualTo(hashAtCapture).isNotEqualTo(kv.stateHashHex());
        assertThat(KvStateMachine.fromSnapshot(snapshot).get("a").orElseThrow().value()).isEqualTo(bytes("x"));
    }

    @Test
    void machinesForkedFromOneSnapshotAreIndependent() {
        KvSnapshot snapshot = sample().capture();
        KvStateMachine left = KvStateMachine.fromSnapshot(snapshot);
        KvStateMachine right = KvStateMachine.fromSnapshot(snapshot);

        left.apply(9, new KvCommand.Delete("a"));

        assertThat(right.get("a")).isPresent();
        assertThat(right.lastApplied()).isEqualTo(8);
    }

    @Test
    void anotherThreadWritesTheCaptureWhileTheOwnerKeepsApplying() throws Exception {
        KvStateMachine kv = new KvStateMachine();
        long index = 1;
        for (int i = 0; i < 5_000; i++) {
            kv.apply(index++, new KvCommand.Put("key-" + i, bytes("value-" + i), -1, "req-" + i));
        }
        KvSnapshot snapshot = kv.capture();
        String hashAtCapture = kv.stateHashHex();
        CountDownLatch ownerIsApplying = new CountDownLatch(1);

        Future<byte[]> written = writer.submit(() -> {
            ownerIsApplying.await();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            snapshot.writeTo(out);
            return out.toByteArray();
        });
        ownerIsApplying.countDown();
        for (int i = 0; i < 5_000; i++) {
            kv.apply(index++, i % 2 == 0
                    ? new KvCommand.Delete("key-" + i, "del-" + i)
                    : new KvCommand.Put("key-" + i, bytes("rewritten"), -1, null));
        }

        KvStateMachine restored = KvStateMachine.restore(written.get());
        assertThat(restored.stateHashHex()).isEqualTo(hashAtCapture);
        assertThat(restored.lastApplied()).isEqualTo(5_000);
        assertThat(restored.size()).isEqualTo(5_000);
        assertThat(kv.size()).isEqualTo(2_500);
    }

    private static byte[] bodyOf(KvStateMachine kv) {
        byte[] snapshot = kv.capture().toByteArray();
        return Arrays.copyOf(snapshot, snapshot.length - 4);
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }

    @Test
    void readsOfACapturedStateSeeThatStateWhateverTheMachineAppliesLater() {
        KvStateMachine kv = new KvStateMachine();
        kv.apply(1, new KvCommand.Put("a/1", bytes("one")));
        kv.apply(2, new KvCommand.Put("a/2", bytes("two")));
        KvSnapshot view = kv.capture();
        kv.apply(3, new KvCommand.Put("a/1", bytes("changed")));
        kv.apply(4, new KvCommand.Delete("a/2"));
        kv.apply(5, new KvCommand.Put("a/3", bytes("three")));

        assertThat(new String(view.get("a/1").orElseThrow().value(), StandardCharsets.UTF_8)).isEqualTo("one");
        assertThat(view.get("a/2")).isPresent();
        assertThat(view.get("a/3")).isEmpty();
        assertThat(view.range("a/", 10)).extracting(KvEntry::key).containsExactly("a/1", "a/2");
        assertThat(view.range("a/", 1)).extracting(KvEntry::key).containsExactly("a/1");
        assertThat(kv.range("a/", 10)).extracting(KvEntry::key).containsExactly("a/1", "a/3");
        assertThat(new String(kv.get("a/1").orElseThrow().value(), StandardCharsets.UTF_8)).isEqualTo("changed");
    }
}
