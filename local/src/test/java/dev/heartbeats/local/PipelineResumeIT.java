package dev.heartbeats.local;

import dev.heartbeats.common.config.ConfigException;
import dev.heartbeats.testing.TestBed;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

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
