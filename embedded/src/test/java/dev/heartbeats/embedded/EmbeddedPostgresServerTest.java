package dev.heartbeats.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedPostgresServerTest {

    @Test
    void keepsDataAcrossStopAndStartAgainOnTheSamePort() throws Exception {
        try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start()) {
            assertThat(pg.jdbcUrl()).isEqualTo("jdbc:postgresql://localhost:" + pg.port() + "/heartbeats");
            execute(pg, "CREATE TABLE segments (id int PRIMARY KEY, title text)");
            execute(pg, "INSERT INTO segments VALUES (1, 'one'), (2, 'two')");
            assertThat(titles(pg)).containsExactly("one", "two");

            int port = pg.port();
            pg.stop();
            assertThat(pg.isRunning()).isFalse();
            assertThatThrownBy(() -> connect(pg).close()).isInstanceOf(SQLException.class);

            pg.startAgain();
            assertThat(pg.port()).isEqualTo(port);
            assertThat(titles(pg)).containsExactly("one", "two");
        }
    }

    @Test
    void persistentDataDirSurvivesANewServerAndTempDataIsDeleted(@TempDir Path tmp) throws Exception {
        Path dataDir = tmp.resolve("pgdata");
        Path tempData;
        try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(0, dataDir)) {
            execute(pg, "CREATE TABLE t (v text)");
            execute(pg, "INSERT INTO t VALUES ('kept')");
        }
        assertThat(dataDir.resolve("PG_VERSION")).exists();
        try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(0, dataDir)) {
            try (Connection c = connect(pg); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT v FROM t")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("kept");
            }
        }

        try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start()) {
            tempData = pg.dataDir();
            assertThat(Files.isDirectory(tempData)).isTrue();
        }
        assertThat(tempData).doesNotExist();
    }

    private static Connection connect(EmbeddedPostgresServer pg) throws SQLException {
        return DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password());
    }

    private static void execute(EmbeddedPostgresServer pg, String sql) throws SQLException {
        try (Connection c = connect(pg); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static List<String> titles(EmbeddedPostgresServer pg) throws SQLException {
        List<String> titles = new ArrayList<>();
        try (Connection c = connect(pg); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT title FROM segments ORDER BY id")) {
            while (rs.next()) {
                titles.add(rs.getString(1));
            }
        }
        return titles;
    }
}
