package dev.heartbeats.local;

import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.generator.GeneratorConfig;
import dev.heartbeats.segments.SegmentsJob;
import dev.heartbeats.common.tables.TableSnapshot;
import dev.heartbeats.testing.ContractReference;
import dev.heartbeats.testing.DifferentialRun;
import dev.heartbeats.testing.Routing;
import dev.heartbeats.testing.Scenario;
import dev.heartbeats.testing.TableAssert;
import dev.heartbeats.testing.TestBed;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 15, item 8: {@code hb job segments} against an existing Kafka and PostgreSQL, stopped with SIGTERM while
 * heartbeats flow and started again with the same command, must leave the tables the reference implementation
 * computes; before, the second run read from the committed offsets with empty state (extra, differing and missing
 * {@code watch_segments} rows). Each run is a real {@code hb} process ({@link Main}, as {@code scripts/hb} starts
 * it) on the test's class path, and the stop is a real SIGTERM.
 */
class JobResumeIT {
    static final ContractParams PARAMS = ContractParams.DEFAULTS;

    @Test
    void stoppedWithSigtermMidStreamAndStartedAgainTheTablesEqualTheReference(@TempDir Path dir) throws Exception {
        TestBed bed = TestBed.shared();
        Scenario s = bed.scenario("job-resume");
        // About 40 min of event time (too-late records need 25+), sent over about 70 s; the first run is stopped in the middle of it and the second starts while it goes on.
        GeneratorConfig stream = GeneratorConfig.allAdversities(15).toBuilder().viewers(30).maxRecords(14_000).build();
        CompletableFuture<DifferentialRun> sending = CompletableFuture.supplyAsync(() -> {
            try {
                return DifferentialRun.send(s, stream, Duration.ofSeconds(70));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        String[] args = jobArgs(s, "--state-dir", dir.resolve("state").toString());

        Hb first = Hb.start(dir, "first", args);
        first.awaitOutput("running as Flink job", Duration.ofSeconds(120));
        awaitCommitted(s, 2_000, Duration.ofSeconds(120));
        assertThat(sending).as("still sending when the first run stops").isNotDone();
        first.sigterm();
        assertThat(first.awaitExit(Duration.ofMinutes(3))).as("exit code after SIGTERM:\n" + first.output()).isEqualTo(143);
        assertThat(first.output()).contains("stopped with savepoint ", dir.resolve("state").resolve("savepoints").toString());

        Hb second = Hb.start(dir, "second", args);
        second.awaitOutput("running as Flink job", Duration.ofSeconds(120));
        assertThat(second.output()).contains("starting (resuming) from the savepoint the last run stopped with");
        assertThat(sending).as("still sending when the second run starts").isNotDone();

        DifferentialRun run = sending.get(5, TimeUnit.MINUTES);
        Routing routing = run.routing(PARAMS, 5_000);
        Set<String> tooLate = routing.tooLate;
        assertThat(tooLate).as("the stream has too-late records").isNotEmpty();
        ContractReference.Expected expected = routing.tables(PARAMS, Map.of());
        TableSnapshot t = s.awaitTables(x -> segmentsDiff(x, expected).isEmpty(), Duration.ofMinutes(3));
        assertThat(segmentsDiff(t, expected)).isEmpty();
        assertThat(t.watchSegments).hasSameSizeAs(expected.watchSegments).hasSizeGreaterThan(100);
        assertThat(DifferentialRun.routed(s, s.lateTopic, "segments")).as("too late, once each across the restart").isEqualTo(tooLate);
        assertThat(DifferentialRun.routed(s, s.dlqTopic, "segments")).isEqualTo(routing.invalid);
        second.sigterm();
        assertThat(second.awaitExit(Duration.ofMinutes(3))).as(second.output()).isEqualTo(143);

        // The same group, now with committed offsets, and a state directory that knows nothing of them: refused.
        Hb lost = Hb.start(dir, "lost", jobArgs(s, "--state-dir", dir.resolve("elsewhere").toString()));
        assertThat(lost.awaitExit(Duration.ofMinutes(2))).as(lost.output()).isEqualTo(2);
        assertThat(lost.output()).contains("consumer group '" + s.groupId + "' has committed offsets", "no savepoint or checkpoint",
                "--from-savepoint PATH", "--state-dir", "a new --group-id with --starting-offsets earliest", "Nothing was started")
                .doesNotContain("running as Flink job");
        assertThat(s.tables().watchSegments).as("the refused start wrote nothing").hasSameSizeAs(expected.watchSegments);
    }

    /** The settings both runs get: the scenario's topics and group, reading from the committed offsets (hb job's default). */
    static String[] jobArgs(Scenario s, String... extra) {
        List<String> a = new ArrayList<>(Arrays.asList(s.args(new SegmentsJob(), "--starting-offsets", "committed-or-earliest", "--checkpoint-interval", "2s")));
        a.addAll(Arrays.asList(extra));
        a.add(0, "segments");
        a.add(0, "job");
        return a.toArray(new String[0]);
    }

    static String segmentsDiff(TableSnapshot t, ContractReference.Expected e) {
        return TableAssert.diff("watch_segments", t.watchSegments, e.watchSegments, TableAssert.WATCH_SEGMENT_KEY)
                + TableAssert.diff("video_progress", t.videoProgress, e.videoProgress, TableAssert.VIDEO_PROGRESS_KEY);
    }

    /** Waits until the job's consumer group has committed at least {@code records} offsets (so a checkpoint holds state). */
    static void awaitCommitted(Scenario s, long records, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, s.bed.stack.kafka.bootstrapServers()))) {
            while (true) {
                Map<?, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(s.groupId).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
                long sum = offsets.values().stream().filter(o -> o != null).mapToLong(OffsetAndMetadata::offset).sum();
                if (sum >= records) return;
                if (System.nanoTime() > deadline) throw new AssertionError("the job committed only " + sum + " offsets in " + timeout);
                Thread.sleep(200);
            }
        }
    }

    /** One {@code hb} process, as {@code scripts/hb} runs it, with its output in a file. */
    static final class Hb {
        final Process process;
        final Path out;

        private Hb(Process process, Path out) {
            this.process = process;
            this.out = out;
        }

        static Hb start(Path dir, String name, String... args) throws IOException {
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.add("-Xmx1g");
            cmd.add("-XX:+UseParallelGC");
            for (String opens : new String[] {"java.base/java.util", "java.base/java.lang", "java.base/java.lang.invoke", "java.base/java.net",
                "java.base/java.io", "java.base/java.nio", "java.base/sun.nio.ch", "java.base/java.time", "java.base/java.util.concurrent",
                "java.base/java.math", "java.base/java.text", "java.sql/java.sql"}) {
                cmd.add("--add-opens=" + opens + "=ALL-UNNAMED");
            }
            Path tmp = Files.createDirectories(dir.resolve("tmp-" + name));
            cmd.add("-Djava.io.tmpdir=" + tmp);
            cmd.add("-Dlog4j2.configurationFile=hb-log4j2.properties");
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add(Main.class.getName());
            cmd.addAll(Arrays.asList(args));
            Path out = dir.resolve(name + ".out");
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
            // The password comes from the environment, never the command line (the embedded server ignores it).
            pb.environment().put("JDBC_PASSWORD", TestBed.shared().stack.postgres.password());
            return new Hb(pb.start(), out);
        }

        String output() {
            try {
                return Files.exists(out) ? Files.readString(out, StandardCharsets.UTF_8) : "";
            } catch (IOException e) {
                return "(unreadable: " + e + ")";
            }
        }

        void awaitOutput(String text, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!output().contains(text)) {
                if (!process.isAlive()) throw new AssertionError("hb exited (" + process.exitValue() + ") before printing '" + text + "':\n" + output());
                if (System.nanoTime() > deadline) throw new AssertionError("hb did not print '" + text + "' within " + timeout + ":\n" + output());
                Thread.sleep(100);
            }
        }

        /** What a service manager, {@code kill} or a terminal's close sends. */
        void sigterm() {
            process.destroy();
        }

        int awaitExit(Duration timeout) throws InterruptedException {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("hb did not exit within " + timeout + ":\n" + output());
            }
            return process.exitValue();
        }
    }
}
