package dev.heartbeats.watchtime;

import org.apache.flink.connector.jdbc.core.database.JdbcFactory;
import org.apache.flink.connector.jdbc.core.database.catalog.JdbcCatalog;
import org.apache.flink.connector.jdbc.core.database.dialect.JdbcDialect;
import org.apache.flink.connector.jdbc.postgres.database.PostgresFactory;
import org.apache.flink.connector.jdbc.postgres.database.dialect.PostgresDialect;

import java.util.Optional;

/**
 * Lets the JDBC connector ({@code 'connector'='jdbc'}) talk to YugabyteDB through its smart driver: URLs
 * {@code jdbc:yugabytedb://...} get the PostgreSQL dialect (YSQL speaks PostgreSQL's SQL and wire protocol). The
 * connector finds dialects with {@link java.util.ServiceLoader} by URL prefix, and its PostgreSQL factory only takes
 * {@code jdbc:postgresql:}. The dialect also names the driver class the connector loads when no {@code 'driver'}
 * option is given: PostgreSQL's dialect names {@code org.postgresql.Driver}, which refuses this URL, so the
 * YugabyteDB dialect names the smart driver instead.
 */
public class YugabyteDbJdbcFactory implements JdbcFactory {
    public static final String URL_PREFIX = "jdbc:yugabytedb:";
    public static final String DRIVER = "com.yugabyte.Driver";

    private final PostgresFactory postgres = new PostgresFactory();

    @Override
    public boolean acceptsURL(String url) {
        return url.startsWith(URL_PREFIX);
    }

    @Override
    public JdbcDialect createDialect() {
        return new YugabyteDbDialect();
    }

    /** PostgreSQL's SQL and types, with the smart driver. */
    public static class YugabyteDbDialect extends PostgresDialect {
        private static final long serialVersionUID = 1L;

        @Override
        public Optional<String> defaultDriverName() {
            return Optional.of(DRIVER);
        }

        @Override
        public String dialectName() {
            return "YugabyteDB";
        }
    }

    @Override
    public JdbcCatalog createCatalog(ClassLoader classLoader, String catalogName, String defaultDatabase, String username, String pwd, String baseUrl) {
        return postgres.createCatalog(classLoader, catalogName, defaultDatabase, username, pwd, baseUrl);
    }
}
