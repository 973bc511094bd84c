package dev.heartbeats.testing;

import dev.heartbeats.common.config.ConfigException;
import dev.heartbeats.common.config.JdbcConfig;
import dev.heartbeats.common.config.JobOptions;
import dev.heartbeats.common.config.Settings;
import dev.heartbeats.embedded.EmbeddedPostgresServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue 16, item 2: {@code --jdbc-ssl-mode verify-full} with a CA file ({@code --jdbc-ssl-root-cert}, e.g. a Secret's
 * ca.crt), for the PostgreSQL driver and the YugabyteDB smart driver alike, against an embedded PostgreSQL server that
 * speaks TLS with a certificate made now and refuses the role on a plain connection.
 */
class DatabaseTlsIT {
    static Path dir;
    static TestCertificates certs;
    static EmbeddedPostgresServer pg;
    static final String ROLE = "hb_tls_only";
    static Path password;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("database-tls-it");
        certs = TestCertificates.create(dir.resolve("certs"));
        TestCertificates.Issued server = certs.server("db");
        pg = EmbeddedPostgresServer.startWithTls(new EmbeddedPostgresServer.Tls(server.certificate(), server.key()));
        String secret = "pw-" + UUID.randomUUID();
        password = Files.writeString(dir.resolve("password"), secret);
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password()); Statement st = c.createStatement()) {
            st.execute("CREATE ROLE " + ROLE + " LOGIN PASSWORD '" + secret + "'");
        }
        pg.requirePassword(ROLE, true);
    }

    @AfterAll
    static void stop() {
        if (pg != null) pg.close();
    }

    static JdbcConfig settings(String url, String... more) {
        List<String> args = new ArrayList<>(List.of("--jdbc-url", url, "--jdbc-user", ROLE, "--jdbc-password-file", password.toString()));
        args.addAll(List.of(more));
        return JdbcConfig.fromSettings(Settings.parse(args.toArray(new String[0]), JobOptions.JDBC_CONNECTION), 1, 1, 1);
    }

    static boolean overTls(JdbcConfig jdbc) throws SQLException {
        try (Connection c = jdbc.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    @Test
    void verifyFullWithTheCaConnectsOverTlsWithBothDrivers() throws Exception {
        String ca = certs.caCertificate().toString();
        assertThat(overTls(settings(pg.jdbcUrl(), "--jdbc-ssl-mode", "verify-full", "--jdbc-ssl-root-cert", ca))).isTrue();
        // The root certificate alone means verify-full.
        JdbcConfig implicit = settings(pg.jdbcUrl(), "--jdbc-ssl-root-cert", ca);
        assertThat(implicit.sslMode).isEqualTo("verify-full");
        assertThat(overTls(implicit)).isTrue();
        String yugabyteUrl = pg.jdbcUrl().replace("jdbc:postgresql:", "jdbc:yugabytedb:");
        assertThat(overTls(settings(yugabyteUrl, "--jdbc-ssl-mode", "verify-full", "--jdbc-ssl-root-cert", ca))).isTrue();
        // The Flink JDBC connector's URL (the watch-time job's catalog lookup) carries the same.
        assertThat(settings(pg.jdbcUrl(), "--jdbc-ssl-root-cert", ca).urlWithUserAndPasswordPlugin())
                .contains("sslmode=verify-full").contains("sslrootcert=");
    }

    @Test
    void anotherCaOrNoTlsIsRefused() throws Exception {
        Path otherCa = TestCertificates.create(dir.resolve("other")).caCertificate();
        assertThatThrownBy(() -> overTls(settings(pg.jdbcUrl(), "--jdbc-ssl-mode", "verify-full", "--jdbc-ssl-root-cert", otherCa.toString())))
                .isInstanceOf(SQLException.class).hasMessageContaining("SSL");
        assertThatThrownBy(() -> overTls(settings(pg.jdbcUrl(), "--jdbc-ssl-mode", "disable")))
                .isInstanceOf(SQLException.class).satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("28000"));
    }

    @Test
    void tlsSettingsFailFastNamingTheSetting() {
        assertThatThrownBy(() -> settings(pg.jdbcUrl(), "--jdbc-ssl-root-cert", "/no/such/ca.crt")).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("--jdbc-ssl-root-cert:");
        assertThatThrownBy(() -> settings(pg.jdbcUrl(), "--jdbc-ssl-mode", "require", "--jdbc-ssl-root-cert", certs.caCertificate().toString()))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("--jdbc-ssl-root-cert:");
        assertThatThrownBy(() -> settings(pg.jdbcUrl(), "--jdbc-ssl-mode", "prefer")).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("--jdbc-ssl-mode:");
    }
}
