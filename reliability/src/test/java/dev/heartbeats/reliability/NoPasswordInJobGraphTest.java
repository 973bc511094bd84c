package dev.heartbeats.reliability;

import dev.heartbeats.common.config.JobConfig;
import dev.heartbeats.common.config.JobOptions;
import dev.heartbeats.common.pipeline.JobLauncher;
import dev.heartbeats.common.pipeline.JobRuntime;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.InstantiationUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The database password is never serialised into a job (issue 15, item 5): not in the job's settings, not in its
 * sinks, not in the catalog lookup's table options, nowhere in the job graph that the client submits and the HA
 * services keep. Checked for the password from the environment ({@value JobOptions#JDBC_PASSWORD_ENV}, set for a
 * child JVM, since a JVM cannot set its own environment) and from {@code --jdbc-password-file}.
 */
class NoPasswordInJobGraphTest {
    @Test
    void thePasswordFromTheEnvironmentIsInNoJobGraph() throws Exception {
        String secret = "env-secret-" + UUID.randomUUID();
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) if (a.startsWith("--add-opens") || a.startsWith("-Xmx")) command.add(a);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(Child.class.getName());
        command.add(secret);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put(JobOptions.JDBC_PASSWORD_ENV, secret);
        pb.environment().put(JobOptions.KAFKA_SASL_PASSWORD_ENV, secret + "-kafka");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
        List<String> verdicts = out.lines().filter(l -> l.startsWith("CLEAN ") || l.startsWith("FOUND ")).toList();
        assertThat(verdicts).as("child output:\n%s", out).hasSize(JobSet.ALL.size()).allMatch(l -> l.startsWith("CLEAN "));
        assertThat(p.exitValue()).isZero();
    }

    /** The Kafka SASL password and the truststore's: only their files' paths travel, as references the clients resolve. */
    @Test
    void theKafkaPasswordsFromFilesAreInNoJobGraphOnlyThePathsAre(@TempDir Path dir) throws Exception {
        String secret = "kafka-secret-" + UUID.randomUUID();
        Path sasl = Files.writeString(dir.resolve("sasl-password"), secret + "\n");
        Path truststorePassword = Files.writeString(dir.resolve("truststore-password"), secret + "-ts\n");
        Path truststore = Files.writeString(dir.resolve("truststore.p12"), "not read while the graph is built");
        for (JobLauncher.Job job : JobSet.ALL) {
            byte[] graph = serialisedJob(job, "--kafka-security-protocol", "sasl-ssl", "--kafka-sasl-user", "u", "--kafka-sasl-password-file", sasl.toString(),
                    "--kafka-truststore", truststore.toString(), "--kafka-truststore-password-file", truststorePassword.toString());
            assertThat(contains(graph, "${heartbeats:jaas-file:" + sasl + "}")).as("%s: the reference travels", job.name()).isTrue();
            assertThat(contains(graph, secret)).as("%s: no Kafka password in the job graph", job.name()).isFalse();
        }
    }

    @Test
    void thePasswordFromAFileIsInNoJobGraphOnlyThePathIs(@TempDir Path dir) throws Exception {
        String secret = "file-secret-" + UUID.randomUUID();
        Path file = dir.resolve("password");
        Files.writeString(file, secret + "\n");
        for (JobLauncher.Job job : JobSet.ALL) {
            byte[] graph = serialisedJob(job, "--jdbc-password-file", file.toString());
            assertThat(contains(graph, file.toString())).as("%s: the file's path is what travels", job.name()).isTrue();
            assertThat(contains(graph, secret)).as("%s: the password is nowhere in the job graph", job.name()).isFalse();
        }
    }

    /** The job's settings and its whole job graph (every operator, sink and table source as the cluster gets them), serialised. */
    static byte[] serialisedJob(JobLauncher.Job job, String... args) throws Exception {
        JobConfig cfg = job.parse(args);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        JobRuntime.configure(env, cfg);
        job.workflow().build(env, cfg);
        byte[] config = InstantiationUtil.serializeObject(cfg);
        byte[] graph = InstantiationUtil.serializeObject(env.getStreamGraph().getJobGraph());
        byte[] both = new byte[config.length + graph.length];
        System.arraycopy(config, 0, both, 0, config.length);
        System.arraycopy(graph, 0, both, config.length, graph.length);
        return both;
    }

    static boolean contains(byte[] haystack, String needle) {
        byte[] n = needle.getBytes(StandardCharsets.UTF_8);
        outer:
        for (int i = 0; i + n.length <= haystack.length; i++) {
            for (int j = 0; j < n.length; j++) if (haystack[i + j] != n[j]) continue outer;
            return true;
        }
        return false;
    }

    /** Runs with {@value JobOptions#JDBC_PASSWORD_ENV} set: prints CLEAN or FOUND per job. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            String secret = args[0];
            boolean found = false;
            for (JobLauncher.Job job : JobSet.ALL) {
                // The Kafka SASL password from the environment as well (KAFKA_SASL_PASSWORD is set for this JVM).
                byte[] bytes = serialisedJob(job, "--kafka-security-protocol", "sasl-ssl", "--kafka-sasl-user", "u");
                boolean in = contains(bytes, secret);
                found |= in;
                System.out.println((in ? "FOUND " : "CLEAN ") + job.name() + " (" + bytes.length + " bytes serialised)");
            }
            System.exit(found ? 1 : 0);
        }
    }
}
