package dev.heartbeats.cluster;

import dev.heartbeats.common.config.JdbcConfig;
import dev.heartbeats.common.tables.Schema;
import dev.heartbeats.testing.TestBed;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The image's schema tool as the schema Job and the JobManagers' init containers run it: the shaded jar of module
 * schema (heartbeat-schema.jar) with the distribution's lib/ (the image's /opt/flink/lib) on the class path, in its
 * own JVM, against a real PostgreSQL. {@code check} refuses a database without the schema (exit 3), {@code migrate}
 * creates the database, migrates it and sets a role's password, then {@code check} passes as the job's role. The jar
 * carries no Flink class, and the job jar no migration library.
 */
class SchemaToolIT {
    static Path toolJar() throws IOException {
        Path target = Path.of(System.getProperty("repo.root"), "schema", "target");
        try (var files = Files.list(target)) {
            return files.filter(p -> p.getFileName().toString().matches("schema-.*-tool\\.jar")).findFirst()
                    .orElseThrow(() -> new AssertionError("no schema-*-tool.jar in " + target + " (mvn package -pl schema)"));
        }
    }

    static Result run(Path lib, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", toolJar() + ":" + lib + "/*", "dev.heartbeats.schema.SchemaTool"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(3, TimeUnit.MINUTES)).isTrue();
        return new Result(p.exitValue(), out);
    }

    record Result(int code, String out) {}

    @Test
    void migrateAndCheckRunFromTheJarWithTheDistributionsLib(@TempDir Path dir) throws Exception {
        Path lib = Distribution.at(Path.of(System.getProperty("cluster.dist"))).dir.resolve("lib");
        TestBed bed = TestBed.shared();
        String db = "schema_tool_it_" + ProcessHandle.current().pid();
        try (Connection c = bed.jdbc().connect(); Statement st = c.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS " + db);
        }
        JdbcConfig admin = bed.jdbc().withUrl(bed.stack.postgres.jdbcUrl(db));
        String role = Schema.jobRole("segments");

        Result refused = run(lib, "check", "--jdbc-url", admin.url, "--jdbc-user", role);
        assertThat(refused.code()).as(refused.out()).isEqualTo(3);
        assertThat(refused.out()).contains("error: ");

        Path password = Files.writeString(dir.resolve("segments"), "pw-" + UUID.randomUUID());
        Result migrated = run(lib, "migrate", "--create-database", "--jdbc-url", admin.url, "--jdbc-user", admin.user,
                "--role-password-file", "segments=" + password);
        assertThat(migrated.code()).as(migrated.out()).isZero();
        assertThat(migrated.out()).contains("created the database of " + admin.url)
                .contains("-> " + Schema.REQUIRED_VERSION).contains("passwords set for the roles of segments");

        Result checked = run(lib, "check", "--jdbc-url", admin.url, "--jdbc-user", role, "--wait", "10s");
        assertThat(checked.code()).as(checked.out()).isZero();
        assertThat(checked.out()).contains("schema version " + Schema.REQUIRED_VERSION);

        try (JarFile tool = new JarFile(toolJar().toFile())) {
            assertThat(tool.stream().map(e -> e.getName()).filter(n -> n.startsWith("org/apache/flink/"))).isEmpty();
            assertThat(tool.getEntry("org/flywaydb/core/Flyway.class")).isNotNull();
            assertThat(tool.getEntry("db/migration/yugabyte/V3__job_roles.sql")).isNotNull();
        }
        try (JarFile jobs = new JarFile(Distribution.at(Path.of(System.getProperty("cluster.dist"))).jobJar().toFile())) {
            assertThat(jobs.stream().map(e -> e.getName()).filter(n -> n.startsWith("org/flywaydb/") || n.startsWith("db/migration/")))
                    .as("no job's class path carries the migrations").isEmpty();
        }
    }
}
