package dev.heartbeats.common.kafka;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.MemoryRecordsBuilder;
import org.apache.kafka.common.record.RecordBatch;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** How a dead letter is cut to its bound, and that the bound's arithmetic holds for a real record batch. */
class DeadLetterSerializerTest {
    static final int BOUND = 64 * 1024;

    @Test
    void aLetterWithinTheBoundIsWrittenAsItCame() {
        byte[] key = bytes('k', 100);
        byte[] value = bytes('v', BOUND - 100);
        ProducerRecord<byte[], byte[]> r = serialize(key, value, "bad");
        assertThat(r.key()).isEqualTo(key);
        assertThat(r.value()).isEqualTo(value);
        assertThat(r.headers().lastHeader(DeadLetterSerializer.TRUNCATED)).isNull();
        assertThat(r.headers().lastHeader(DeadLetterSerializer.ORIGINAL_SIZE)).isNull();
    }

    @Test
    void aLargeValueIsCutToTheBoundWithItsSizeAndHash() throws Exception {
        byte[] key = bytes('k', 100);
        byte[] value = bytes('v', 3 * BOUND);
        ProducerRecord<byte[], byte[]> r = serialize(key, value, "bad");
        assertThat(r.key()).isEqualTo(key);
        assertThat(r.value()).isEqualTo(Arrays.copyOf(value, BOUND - 100));
        assertThat(header(r, DeadLetterSerializer.TRUNCATED)).isEqualTo("value");
        assertThat(header(r, DeadLetterSerializer.ORIGINAL_SIZE)).isEqualTo(Integer.toString(3 * BOUND));
        assertThat(header(r, DeadLetterSerializer.VALUE_SHA256)).isEqualTo(sha256(value));
        assertThat(header(r, DeadLetterSerializer.KEY_SHA256)).isNull();
        assertThat(header(r, DeadLetterSerializer.SOURCE_OFFSET)).isEqualTo("42");
    }

    @Test
    void aLargeKeyKeepsAQuarterOfTheBoundAndATombstoneKeyAllOfIt() throws Exception {
        byte[] key = bytes('k', 2 * BOUND);
        byte[] value = bytes('v', 2 * BOUND);
        ProducerRecord<byte[], byte[]> both = serialize(key, value, "bad");
        assertThat(both.key()).hasSize(BOUND / 4);
        assertThat(both.value()).hasSize(BOUND - BOUND / 4);
        assertThat(header(both, DeadLetterSerializer.TRUNCATED)).isEqualTo("key,value");
        assertThat(header(both, DeadLetterSerializer.ORIGINAL_KEY_SIZE)).isEqualTo(Integer.toString(2 * BOUND));
        assertThat(header(both, DeadLetterSerializer.KEY_SHA256)).isEqualTo(sha256(key));

        ProducerRecord<byte[], byte[]> tombstone = serialize(key, null, "tombstone");
        assertThat(tombstone.key()).isEqualTo(Arrays.copyOf(key, BOUND));
        assertThat(tombstone.value()).isNull();
        assertThat(header(tombstone, DeadLetterSerializer.TRUNCATED)).isEqualTo("key");
        assertThat(header(tombstone, DeadLetterSerializer.VALUE_SHA256)).isNull();
    }

    @Test
    void aCutTextStaysValidUtf8() {
        // 'é' is two bytes: a cut at an odd length would split one; the cut moves back to the character's start.
        byte[] value = "é".repeat(BOUND).getBytes(StandardCharsets.UTF_8);
        ProducerRecord<byte[], byte[]> r = serialize(null, value, "bad");
        assertThat(r.value().length).isBetween(BOUND - 3, BOUND);
        assertThat(new String(r.value(), StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_8)).isEqualTo(r.value());
        assertThat(DeadLetterSerializer.utf8Boundary(value, 5)).isEqualTo(4);
        assertThat(DeadLetterSerializer.utf8Boundary(value, 4)).isEqualTo(4);
        byte[] binary = new byte[16];
        Arrays.fill(binary, (byte) 0x80);
        assertThat(DeadLetterSerializer.utf8Boundary(binary, 9)).as("not UTF-8: cut where the bound says").isEqualTo(9);
    }

    @Test
    void theLargestLetterFitsTheTopicSizeItNeedsAsARealCompressedBatch() {
        // Random bytes do not compress: lz4 makes them larger. With the longest reason and key the headers can hold.
        byte[] key = new byte[BOUND / 4];
        byte[] value = new byte[3 * BOUND];
        new Random(1).nextBytes(key);
        new Random(2).nextBytes(value);
        DeadLetter d = letter(key, value, "é".repeat(5000));
        d.sourceTopic = "t".repeat(249);
        ProducerRecord<byte[], byte[]> r = new DeadLetterSerializer("dlq-" + "t".repeat(245), "ad-impressions", BOUND).serialize(d, null, null);
        assertThat(header(r, DeadLetterSerializer.REASON)).hasSize(DeadLetterSerializer.MAX_REASON_CHARS + 1);
        MemoryRecordsBuilder b = MemoryRecords.builder(ByteBuffer.allocate(4 * BOUND), RecordBatch.CURRENT_MAGIC_VALUE,
                Compression.lz4().build(), TimestampType.CREATE_TIME, 0L);
        b.append(System.currentTimeMillis(), r.key(), r.value(), r.headers().toArray());
        int size = b.build().sizeInBytes();
        assertThat(size).isGreaterThan(BOUND).isLessThanOrEqualTo(DeadLetterSerializer.messageBytesNeeded(BOUND));
    }

    @Test
    void largestFittingIsTheInverseOfMessageBytesNeeded() {
        for (int limit : new int[] {TopicLimits.INPUT_MAX_MESSAGE_BYTES, TopicLimits.DEAD_LETTER_MAX_MESSAGE_BYTES, 20_000, 100_000_000}) {
            int b = DeadLetterSerializer.largestFitting(limit);
            assertThat(DeadLetterSerializer.messageBytesNeeded(b)).isLessThanOrEqualTo(limit);
            assertThat(DeadLetterSerializer.messageBytesNeeded(b + 1)).isGreaterThan(limit);
        }
        assertThat(DeadLetterSerializer.messageBytesNeeded(TopicLimits.DEAD_LETTER_MAX_MESSAGE_BYTES / 2))
                .as("the default bound fits the production topics").isLessThanOrEqualTo(TopicLimits.DEAD_LETTER_MAX_MESSAGE_BYTES);
        assertThat(DeadLetterSerializer.largestFitting(1000)).isZero();
    }

    private static ProducerRecord<byte[], byte[]> serialize(byte[] key, byte[] value, String reason) {
        return new DeadLetterSerializer("dlq", "segments", BOUND).serialize(letter(key, value, reason), null, null);
    }

    private static DeadLetter letter(byte[] key, byte[] value, String reason) {
        DeadLetter d = new DeadLetter();
        d.key = key;
        d.value = value;
        d.reason = reason;
        d.sourceTopic = "heartbeats";
        d.sourcePartition = 3;
        d.sourceOffset = 42;
        d.sourceTimestamp = 1_700_000_000_000L;
        return d;
    }

    private static String header(ProducerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static byte[] bytes(char c, int n) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) c);
        return b;
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
