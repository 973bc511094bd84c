package dev.heartbeats.testing;

import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.generator.GeneratedRecord;
import dev.heartbeats.generator.GeneratorConfig;
import dev.heartbeats.generator.HeartbeatGenerator;
import dev.heartbeats.common.kafka.DeadLetterSerializer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Future;

/**
 * A generated stream with every adversity, sent to a scenario's input topic with the partition and offset of every
 * record kept, so that a test can say exactly which records must end in the dead-letter and late topics and which
 * heartbeats the tables must be computed from.
 */
public final class DifferentialRun {
    /** A record as sent, and where it landed. */
    public static final class Sent {
        public final GeneratedRecord record;
        public final int partition;
        public final long offset;
        /** The record's Kafka timestamp: the broker's append time on a LogAppendTime topic. */
        public final long timestamp;

        Sent(GeneratedRecord record, int partition, long offset, long timestamp) {
            this.record = record;
            this.partition = partition;
            this.offset = offset;
            this.timestamp = timestamp;
        }

        public String position() {
            return partition + "@" + offset;
        }
    }

    public final List<Sent> sent;

    private DifferentialRun(List<Sent> sent) {
        this.sent = sent;
    }

    public static DifferentialRun send(Scenario s, GeneratorConfig config) throws Exception {
        return send(s, config, Duration.ZERO);
    }

    /** Sends the stream spread evenly over about {@code spread} (live input for a running job); returns when all are acknowledged. */
    public static DifferentialRun send(Scenario s, GeneratorConfig config, Duration spread) throws Exception {
        List<GeneratedRecord> records = new ArrayList<>();
        HeartbeatGenerator g = new HeartbeatGenerator(config);
        while (g.hasNext()) records.add(g.next());
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        long started = System.nanoTime();
        try (KafkaProducer<byte[], byte[]> p = s.producer()) {
            for (int i = 0; i < records.size(); i++) {
                GeneratedRecord r = records.get(i);
                acks.add(p.send(new ProducerRecord<>(s.inputTopic, r.key(), r.value())));
                long due = started + spread.toNanos() * (i + 1) / records.size();
                if (i % 100 == 99 && due > System.nanoTime()) Thread.sleep((due - System.nanoTime()) / 1_000_000);
            }
            p.flush();
        }
        List<Sent> sent = new ArrayList<>(records.size());
        for (int i = 0; i < records.size(); i++) {
            RecordMetadata m = acks.get(i).get();
            sent.add(new Sent(records.get(i), m.partition(), m.offset(), m.timestamp()));
        }
        return new DifferentialRun(sent);
    }

    /** How the contract routes what was sent ({@link Routing}): invalid, too late, and the heartbeats that count. */
    public Routing routing(ContractParams p, long outOfOrdernessMs) {
        List<Routing.Input> in = new ArrayList<>(sent.size());
        for (Sent x : sent) in.add(new Routing.Input(x.partition, x.offset, x.record.isValid() ? x.record.heartbeat() : null, x.timestamp));
        return Routing.of(in, p, outOfOrdernessMs);
    }

    /** Source positions ("partition@offset") of the records a job routed to {@code topic}. */
    public static Set<String> routed(Scenario s, String topic, String jobName) {
        Set<String> out = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> r : s.readAll(topic)) {
            if (jobName != null && !jobName.equals(header(r, DeadLetterSerializer.JOB))) continue;
            out.add(header(r, DeadLetterSerializer.SOURCE_PARTITION) + "@" + header(r, DeadLetterSerializer.SOURCE_OFFSET));
        }
        return out;
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        var h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
