package dev.heartbeats.bench.jmh;

import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.generator.GeneratedRecord;
import dev.heartbeats.generator.GeneratorConfig;
import dev.heartbeats.generator.HeartbeatGenerator;
import dev.heartbeats.common.parse.HeartbeatParser;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * JSON parse + validation of one Kafka record value ({@link HeartbeatParser}), over realistic generated records
 * (every adversity, so ~1% invalid ones of every kind), cycled so that the branch predictor cannot learn one record.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
public class ParseBenchmark {
    @Param({"all"})
    public String adversity;

    private byte[][] values;
    private int next;
    private final HeartbeatParser parser = new HeartbeatParser();
    private final Heartbeat out = new Heartbeat();

    @Setup
    public void setup() {
        GeneratorConfig c = (adversity.equals("none") ? GeneratorConfig.of(7) : GeneratorConfig.allAdversities(7))
                .toBuilder().viewers(5_000).maxRecords(16_384).build();
        List<byte[]> v = new ArrayList<>();
        HeartbeatGenerator g = new HeartbeatGenerator(c);
        while (g.hasNext()) {
            GeneratedRecord r = g.next();
            v.add(r.value() == null ? new byte[0] : r.value());
        }
        values = v.toArray(new byte[0][]);
    }

    @Benchmark
    public String parse() {
        byte[] v = values[next];
        next = (next + 1) & (values.length - 1);
        return parser.parse(v, out);
    }
}
