package dev.heartbeats.common.config;

import java.io.Serializable;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/** Where and how the sinks write. Works with the PostgreSQL driver and the YugabyteDB smart driver alike. */
public final class JdbcConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    public final String url;
    public final String user;
    /** From the environment, never from the command line. */
    public final String password;
    public final int batchSize;
    public final long flushIntervalMs;
    public final long maxRetryTimeMs;

    public JdbcConfig(String url, String user, String password, int batchSize, long flushIntervalMs, long maxRetryTimeMs) {
        if (!url.startsWith("jdbc:postgresql:") && !url.startsWith("jdbc:yugabytedb:")) {
            throw new ConfigException("--jdbc-url: '" + url + "' must start with jdbc:postgresql: or jdbc:yugabytedb:");
        }
        this.url = url;
        this.user = user;
        this.password = password;
        this.batchSize = batchSize;
        this.flushIntervalMs = flushIntervalMs;
        this.maxRetryTimeMs = maxRetryTimeMs;
    }

    public JdbcConfig withUrl(String newUrl) {
        return new JdbcConfig(newUrl, user, password, batchSize, flushIntervalMs, maxRetryTimeMs);
    }

    public boolean isYugabyteDriver() {
        return url.startsWith("jdbc:yugabytedb:");
    }

    public Connection connect() throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("password", password);
        // Lets the driver rewrite a batch of INSERTs into multi-row INSERTs: one round trip per batch.
        props.setProperty("reWriteBatchedInserts", "true");
        props.setProperty("connectTimeout", "10");
        props.setProperty("socketTimeout", "120");
        props.setProperty("ApplicationName", "heartbeat-sessions");
        return DriverManager.getConnection(url, props);
    }

    @Override
    public String toString() {
        return url + " as " + user;
    }
}
