package dev.heartbeats.testing;

import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.generator.GeneratedRecord;
import dev.heartbeats.common.generator.GeneratorConfig;
import dev.heartbeats.common.generator.HeartbeatGenerator;
import dev.heartbeats.common.kafka.DeadLetterSerializer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
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

        Sent(GeneratedRecord record, int partition, long offset) {
            this.record = record;
            this.partition = partition;
            this.offset = offset;
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
            sent.add(new Sent(records.get(i), m.partition(), m.offset()));
        }
        return new DifferentialRun(sent);
    }

    /**
     * The records that are too late under the suite's rule: more than L behind their partition's watermark, which is
     * the largest event time of the valid, not-too-late heartbeats before them in the partition minus the
     * out-of-orderness minus 1 ms.
     */
    public Set<String> tooLate(ContractParams p, long outOfOrdernessMs) {
        Map<Integer, List<Sent>> byPartition = new HashMap<>();
        for (Sent x : sent) byPartition.computeIfAbsent(x.partition, k -> new ArrayList<>()).add(x);
        Set<String> late = new HashSet<>();
        for (List<Sent> records : byPartition.values()) {
            records.sort((a, b) -> Long.compare(a.offset, b.offset));
            long max = Long.MIN_VALUE;
            for (Sent x : records) {
                Heartbeat h = x.record.heartbeat();
                if (h == null) continue;
                if (max != Long.MIN_VALUE && (max - outOfOrdernessMs - 1) - h.eventTime > p.allowedLatenessMs) {
                    late.add(x.position());
                } else {
                    max = Math.max(max, h.eventTime);
                }
            }
        }
        return late;
    }

    public Set<String> invalid() {
        Set<String> out = new HashSet<>();
        for (Sent x : sent) if (!x.record.isValid()) out.add(x.position());
        return out;
    }

    /** The valid heartbeats that count: all valid ones but the given too-late positions. */
    public List<Heartbeat> counted(Set<String> tooLate) {
        List<Heartbeat> out = new ArrayList<>();
        for (Sent x : sent) if (x.record.isValid() && !tooLate.contains(x.position())) out.add(x.record.heartbeat());
        return out;
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
