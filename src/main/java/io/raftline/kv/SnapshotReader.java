package io.raftline.kv;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.zip.CRC32C;

/**
 * Reads the snapshot format documented on {@link KvSnapshot}, trusting nothing: a snapshot may
 * come from a disk that rotted or a peer that sent garbage, and installing a bad one would make
 * this replica silently diverge. Every field is range-checked as it is read (so a corrupt length
 * can never cause a huge allocation), then the CRC-32C is compared, then end of stream is
 * required. One reader reads one snapshot.
 */
final class SnapshotReader {

    private final InputStream in;
    private final CRC32C crc = new CRC32C();
    private long offset;
    /** Bytes of every key (UTF-8) and value read so far. */
    private long dataBytes;
    /** The format version read from the header. */
    private int version;

    SnapshotReader(InputStream in) {
        this.in = new BufferedInputStream(in, 1 << 16);
    }

    KvSnapshot read() throws IOException {
        byte[] magic = readBytes("magic", KvSnapshot.MAGIC.length);
        if (!Arrays.equals(magic, KvSnapshot.MAGIC)) {
            throw new KvFormatException("bad magic: not a Raftline KV snapshot", 0);
        }
        long at = offset;
        int version = readUnsignedByte("format version");
        if (version < KvSnapshot.FORMAT_VERSION_1 || version > KvSnapshot.FORMAT_VERSION) {
            throw new KvFormatException("unknown snapshot format version " + version
                    + " (this reader reads versions " + KvSnapshot.FORMAT_VERSION_1 + " to " + KvSnapshot.FORMAT_VERSION
                    + ")", at);
        }
        this.version = version;
        long lastApplied = readLong("last applied index", 0, Long.MAX_VALUE);
        int capacity = (int) readLong(4, "idempotency capacity", 0, Integer.MAX_VALUE);
        List<KvEntry> entries = readEntries(lastApplied);
        IdempotencyTable idempotency = readIdempotency(capacity, lastApplied);
        long computed = crc.getValue();
        at = offset;
        long stored = readLong(4, "checksum", 0, 0xFFFF_FFFFL);
        if (stored != computed) {
            throw new KvFormatException(String.format(
                    "checksum mismatch: stored crc32c %08x, computed %08x", stored, computed), at);
        }
        if (in.read() != -1) {
            throw new KvFormatException("trailing bytes after the checksum", offset);
        }
        return new KvSnapshot(lastApplied, entries, idempotency, dataBytes);
    }

    /** The entries, in key order (checked). */
    private List<KvEntry> readEntries(long lastApplied) throws IOException {
        int count = (int) readLong(4, "entry count", 0, Integer.MAX_VALUE);
        List<KvEntry> values = new ArrayList<>();
        String previous = null;
        for (int i = 0; i < count; i++) {
            long at = offset;
            String key = readText("key", KvCommand.MAX_KEY_BYTES);
            if (previous != null && Utf8.CODE_POINT_ORDER.compare(previous, key) >= 0) {
                throw new KvFormatException("key " + i + " is not after the previous key", at);
            }
            long createRevision = readLong("create revision", 1, lastApplied);
            long modRevision = readLong("mod revision", createRevision, lastApplied);
            long version = readLong("version", 1, modRevision - createRevision + 1);
            int valueLength = (int) readLong(4, "value length", 0, KvCommand.MAX_VALUE_BYTES);
            byte[] value = readBytes("value", valueLength);
            dataBytes += KvStateMachine.sizeOf(key, valueLength);
            values.add(new KvEntry(key, value, createRevision, modRevision, version));
            previous = key;
        }
        return values;
    }

    private IdempotencyTable readIdempotency(int capacity, long lastApplied) throws IOException {
        int count = (int) readLong(4, "idempotency record count", 0, capacity);
        List<String> keys = new ArrayList<>();
        List<IdempotencyTable.Recorded> results = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        long previousRevision = 0;
        for (int i = 0; i < count; i++) {
            long at = offset;
            String key = readText("idempotency key", KvCommand.MAX_IDEMPOTENCY_KEY_BYTES);
            if (!seen.add(key)) {
                throw new KvFormatException("duplicate idempotency key in record " + i, at);
            }
            IdempotencyTable.Recorded result = readResult(previousRevision + 1, lastApplied);
            keys.add(key);
            results.add(result);
            previousRevision = result.result().revision();
        }
        return IdempotencyTable.ofFifo(capacity, keys, results);
    }

    /**
     * Reads a recorded result whose revision must lie in {@code [minRevision, lastApplied]}, with its kind and (from
     * format 3) its fingerprint.
     */
    private IdempotencyTable.Recorded readResult(long minRevision, long lastApplied) throws IOException {
        IdempotencyTable.Recorded recorded = readKindAndResult(minRevision, lastApplied);
        if (version < KvSnapshot.FORMAT_VERSION) {
            return recorded;
        }
        long at = offset;
        long hasFingerprint = readLong(1, "fingerprint flag", 0, 1);
        if (hasFingerprint == 0) {
            return recorded;
        }
        if (recorded.use() == IdempotencyTable.Use.PUT_OR_DELETE) {
            throw new KvFormatException("a failed precondition of either kind of request (from format version "
                    + KvSnapshot.FORMAT_VERSION_1 + ") has no fingerprint", at);
        }
        long fingerprint = readLong("fingerprint", Long.MIN_VALUE, Long.MAX_VALUE);
        return new IdempotencyTable.Recorded(recorded.result(), recorded.use(), OptionalLong.of(fingerprint));
    }

    /** Reads a recorded result whose revision must lie in {@code [minRevision, lastApplied]}, with its kind. */
    private IdempotencyTable.Recorded readKindAndResult(long minRevision, long lastApplied) throws IOException {
        long at = offset;
        int type = readUnsignedByte("result type");
        IdempotencyTable.Use failed;
        switch (type) {
            case KvSnapshot.RESULT_WRITTEN:
                return new IdempotencyTable.Recorded(new KvResult.Written(readLong("revision", minRevision,
                        lastApplied)), IdempotencyTable.Use.PUT, OptionalLong.empty());
            case KvSnapshot.RESULT_DELETED: {
                int deleted = (int) readLong(1, "deleted count", 0, 1);
                return new IdempotencyTable.Recorded(new KvResult.Deleted(deleted, readLong("revision", minRevision,
                        lastApplied)), IdempotencyTable.Use.DELETE, OptionalLong.empty());
            }
            case KvSnapshot.RESULT_PRECONDITION_FAILED:
                failed = IdempotencyTable.Use.PUT_OR_DELETE;
                break;
            case KvSnapshot.RESULT_PUT_PRECONDITION_FAILED:
                failed = IdempotencyTable.Use.PUT;
                break;
            case KvSnapshot.RESULT_DELETE_PRECONDITION_FAILED:
                failed = IdempotencyTable.Use.DELETE;
                break;
            default:
                failed = null;
        }
        if (failed == null || (version == KvSnapshot.FORMAT_VERSION_1 && failed != IdempotencyTable.Use.PUT_OR_DELETE)) {
            throw new KvFormatException("unknown result type " + type + " in format version " + version, at);
        }
        long actual = readLong("actual revision", 0, lastApplied - 1);
        long revision = readLong("revision", Math.max(minRevision, actual + 1), lastApplied);
        return new IdempotencyTable.Recorded(new KvResult.PreconditionFailed(actual, revision), failed,
                OptionalLong.empty());
    }

    private String readText(String what, int maxBytes) throws IOException {
        int length = (int) readLong(4, what + " length", 1, maxBytes);
        long at = offset;
        byte[] bytes = readBytes(what, length);
        try {
            return Utf8.decode(bytes, 0, length);
        } catch (CharacterCodingException e) {
            throw new KvFormatException(what + " is not valid UTF-8", at);
        }
    }

    private long readLong(String what, long min, long max) throws IOException {
        return readLong(8, what, min, max);
    }

    /** Reads a big-endian signed integer of {@code width} bytes (unsigned when width is 4 or 1). */
    private long readLong(int width, String what, long min, long max) throws IOException {
        long at = offset;
        byte[] bytes = readBytes(what, width);
        long value = width == 8 ? bytes[0] : bytes[0] & 0xFF;
        for (int i = 1; i < width; i++) {
            value = (value << 8) | (bytes[i] & 0xFF);
        }
        if (value < min || value > max) {
            throw new KvFormatException(what + " " + value + " is outside " + min + ".." + max, at);
        }
        return value;
    }

    private int readUnsignedByte(String what) throws IOException {
        return readBytes(what, 1)[0] & 0xFF;
    }

    private byte[] readBytes(String what, int length) throws IOException {
        byte[] bytes = in.readNBytes(length);
        if (bytes.length < length) {
            throw new KvFormatException("truncated: snapshot ends inside the " + what,
                    offset + bytes.length);
        }
        crc.update(bytes);
        offset += length;
        return bytes;
    }
}
