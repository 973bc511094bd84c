package dev.heartbeats.generator;

import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LiveProducerTest {
    private static final GeneratorConfig CONFIG = GeneratorConfig.allAdversities(8).toBuilder().invalid(0.05).viewers(50).maxRecords(3_000).build();

    /** A clock that only moves when the producer sleeps. */
    private static final class FakeClock implements LiveProducer.TimeSource {
        long now;
        long sleeps;
        Runnable onSleep = () -> {};

        FakeClock(long now) {
            this.now = now;
        }

        @Override
        public long now() {
            return now;
        }

        @Override
        public void sleep(long ms) {
            sleeps++;
            now += ms;
            onSleep.run();
        }
    }

    /** Records the fake time at which each record was sent. */
    private static final class TimedProducer extends MockProducer<byte[], byte[]> {
        final FakeClock clock;
        final List<Long> sentAt = new ArrayList<>();

        TimedProducer(FakeClock clock) {
            super(true, null, new ByteArraySerializer(), new ByteArraySerializer());
            this.clock = clock;
        }

        @Override
        public synchronized Future<RecordMetadata> send(ProducerRecord<byte[], byte[]> record, Callback callback) {
            sentAt.add(clock.now());
            return super.send(record, callback);
        }
    }

    private static List<GeneratedRecord> expected() {
        return HeartbeatGenerator.stream(CONFIG).collect(Collectors.toList());
    }

    @Test
    void sendsEveryRecordInOrderAsFastAsPossible() {
        MockProducer<byte[], byte[]> mock = new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
        LiveProducer producer = new LiveProducer(mock, "hb");
        LiveProducer.Result result = producer.sendAll(new HeartbeatGenerator(CONFIG));

        List<GeneratedRecord> expected = expected();
        List<ProducerRecord<byte[], byte[]>> sent = mock.history();
        assertThat(sent).hasSize(expected.size());
        for (int i = 0; i < sent.size(); i++) {
            assertThat(sent.get(i).topic()).isEqualTo("hb");
            assertThat(sent.get(i).key()).isEqualTo(expected.get(i).key());
            assertThat(sent.get(i).value()).isEqualTo(expected.get(i).value());
        }
        long invalid = expected.stream().filter(r -> !r.isValid()).count();
        assertThat(invalid).isPositive();
        assertThat(result.records()).isEqualTo(expected.size());
        assertThat(result.invalid()).isEqualTo(invalid);
        assertThat(producer.sent()).isEqualTo(expected.size());
        assertThat(producer.invalid()).isEqualTo(invalid);
        assertThat(producer.acked()).isEqualTo(expected.size());
        assertThat(producer.failed()).isZero();
        assertThat(mock.flushed()).isTrue();
        producer.close();
        assertThat(mock.closed()).isTrue();
    }

    @Test
    void liveModeSendsEachRecordWhenTheClockReachesItsDeliveryTime() {
        FakeClock clock = new FakeClock(CONFIG.startTime());
        TimedProducer mock = new TimedProducer(clock);
        LiveProducer producer = new LiveProducer(mock, "hb", clock);
        producer.sendLive(new HeartbeatGenerator(CONFIG));

        List<GeneratedRecord> expected = expected();
        assertThat(mock.sentAt).hasSize(expected.size());
        for (int i = 0; i < expected.size(); i++) {
            // Not before its time, and not much after: the producer sleeps at most 100 ms at a time.
            assertThat(mock.sentAt.get(i)).isBetween(expected.get(i).deliveryTime(), expected.get(i).deliveryTime() + 100);
        }
        assertThat(clock.sleeps).isPositive();
    }

    @Test
    void stopEndsALiveRunPromptly() {
        FakeClock clock = new FakeClock(CONFIG.startTime());
        TimedProducer mock = new TimedProducer(clock);
        LiveProducer producer = new LiveProducer(mock, "hb", clock);
        clock.onSleep = () -> {
            if (mock.history().size() >= 100) producer.stop();
        };
        LiveProducer.Result result = producer.sendLive(new HeartbeatGenerator(CONFIG.toBuilder().maxRecords(GeneratorConfig.UNLIMITED).build()));

        assertThat(producer.isStopped()).isTrue();
        assertThat(result.records()).isEqualTo(mock.history().size()).isBetween(100L, 200L);
        assertThat(mock.flushed()).isTrue();
    }

    @Test
    void sendFailuresAreReported() {
        MockProducer<byte[], byte[]> mock = new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer()) {
            @Override
            public synchronized void flush() {
                while (errorNext(new IllegalStateException("broker gone"))) {
                    // fail everything in flight
                }
            }
        };
        LiveProducer producer = new LiveProducer(mock, "hb");
        assertThatThrownBy(() -> producer.sendAll(new HeartbeatGenerator(CONFIG.toBuilder().maxRecords(10).build())))
                .hasMessageContaining("10 records could not be sent to hb").hasMessageContaining("broker gone");
        assertThat(producer.failed()).isEqualTo(10);
    }

    @Test
    void liveConfigStartsNowWithViewersFromTheRate() {
        GeneratorConfig live = LiveProducer.liveConfig(GeneratorConfig.allAdversities(3), 500, 1_800_000_000_000L);
        assertThat(live.viewers()).isEqualTo(2_500);
        assertThat(live.startTime()).isEqualTo(1_800_000_000_000L);
        assertThat(live.invalid()).isEqualTo(0.01);
        assertThat(LiveProducer.liveConfig(GeneratorConfig.of(1), 0.01, 1_800_000_000_000L).viewers()).isEqualTo(1);
    }

    @Test
    void producerIsDurableAndBatched() {
        Properties p = LiveProducer.producerProperties("broker:9092");
        assertThat(p).containsEntry(ProducerConfig.ACKS_CONFIG, "all").containsEntry(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true")
                .containsEntry(ProducerConfig.LINGER_MS_CONFIG, "5").containsEntry(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4")
                .containsEntry(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "broker:9092");
    }
}
