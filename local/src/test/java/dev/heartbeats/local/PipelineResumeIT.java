package dev.heartbeats.local;

import dev.heartbeats.common.archive.ArchiveRecord;
import dev.heartbeats.common.config.ConfigException;
import dev.heartbeats.testing.TestBed;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code hb pipeline} against existing Kafka and PostgreSQL: its stop (the same shutdown that Ctrl-C's hook runs;
 * here reached through {@code --duration}) takes a savepoint of each job and records it, the next start with the
 * same settings resumes from it, and a start whose consumer group has committed offsets but no known state refuses
 * before it starts anything. The tables across such a stop and start are checked for {@code hb job} in
 * {@link JobResumeIT}, which shares this code ({@link JobState}).
 */
class PipelineResumeIT {
    @Test
    void aStoppedPipelineResumesEachJobFromItsSavepoint(@TempDir Path dir) throws Exception {
        TestBed bed = TestBed.shared();
        Path state = dir.resolve("state");
        Path record = state.resolve("segments-heartbeat-segments").resolve(JobState.RECORD);

        LocalPipeline.main(args(bed, state));
        Properties first = read(record);
        String savepoint = first.getProperty("stopped-with-savepoint");
        assertThat(savepoint).as("the stop's savepoint, recorded").isNotNull();
        assertThat(JobState.localPath(savepoint).resolve("_metadata")).exists();
        assertThat(first.getProperty("started-from")).as("the first start was fresh").isNull();

        LocalPipeline.main(args(bed, state));
        Properties second = read(record);
        assertThat(second.getProperty("started-from")).as("the second start resumed from the first stop's savepoint").isEqualTo(savepoint);
        assertThat(second.getProperty("job-id")).isNotEqualTo(first.getProperty("job-id"));
        assertThat(second.getProperty("stopped-with-savepoint")).isNotNull().isNotEqualTo(savepoint);

        assertThatThrownBy(() -> LocalPipeline.main(args(bed, dir.resolve("elsewhere")))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("consumer group 'heartbeat-segments' has committed offsets")
                .hasMessageContaining("hb job segments --from-savepoint PATH")
                .hasMessageContaining("a new --group-id");
        assertThat(dir.resolve("elsewhere").resolve("segments-heartbeat-segments").resolve(JobState.RECORD)).doesNotExist();
    }

    /** The archive job runs in the pipeline: the generator's records end up in committed Parquet files, each once. */
    @Test
    void thePipelineArchivesTheInput(@TempDir Path dir) throws Exception {
        TestBed bed = TestBed.shared();
        Path archive = dir.resolve("archive");
        LocalPipeline.main(new String[] {"--bootstrap-servers", bed.stack.kafka.bootstrapServers(), "--jdbc-url", bed.jdbc().url,
            "--jdbc-user", bed.jdbc().user, "--jobs", "archive", "--archive-dir", archive.toString(), "--rate", "300", "--duration", "15s",
            "--checkpoint-interval", "2s", "--status-interval", "5s", "--web-port", Integer.toString(freePort()),
            "--state-dir", dir.resolve("state").toString()});
        List<ArchiveRecord> archived = RestatementIT.archivedRows(dir);
        assertThat(archived).as("records archived while the pipeline ran").hasSizeGreaterThan(1000);
        assertThat(archived.stream().map(a -> a.partition + "@" + a.offset).distinct().count()).as("each once").isEqualTo(archived.size());
        assertThat(archived).allSatisfy(a -> assertThat(a.topic).isEqualTo("heartbeats"));
        try (Stream<Path> hours = Files.list(archive)) {
            assertThat(hours.map(h -> h.getFileName().toString())).allMatch(n -> n.matches("date=\\d{4}-\\d{2}-\\d{2}"));
        }
    }

    private static String[] args(TestBed bed, Path state) throws Exception {
        return new String[] {"--bootstrap-servers", bed.stack.kafka.bootstrapServers(), "--jdbc-url", bed.jdbc().url, "--jdbc-user", bed.jdbc().user,
            "--jobs", "segments", "--rate", "300", "--duration", "20s", "--checkpoint-interval", "2s", "--status-interval", "5s",
            "--web-port", Integer.toString(freePort()), "--state-dir", state.toString()};
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static Properties read(Path f) throws Exception {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(f)) {
            p.load(in);
        }
        return p;
    }
}
