package dev.heartbeats.common.config;

import java.io.Serializable;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Map;
import java.util.Properties;

/**
 * Where and how the sinks write. Works with the PostgreSQL driver and the YugabyteDB smart driver alike.
 *
 * <p>It holds no password, so none is serialised into a job graph (which the HA services also keep): the driver asks
 * {@link DbPassword} for it whenever it opens a connection, and that reads it then from the password file or the
 * environment, so a rotated password is picked up by the next connection.
 */
public final class JdbcConfig implements Serializable {
    private static final long serialVersionUID = 3L;

    public final String url;
    public final String user;
    /** A file holding the password, read again at every connect; {@code null}: the environment variable {@value JobOptions#JDBC_PASSWORD_ENV}. */
    public final String passwordFile;
    public final int batchSize;
    public final long flushIntervalMs;
    public final long maxRetryTimeMs;
    /** How long a sink retries an authentication failure (a password being rotated) before the job fails. */
    public final long authRetryTimeMs;
    /** Whose writes the sinks fence against stale attempts (the job's consumer group); {@code null}: the Flink job's name. */
    public final String writerGroup;
    /** The drivers' sslmode ({@code verify-full}, ...); {@code null}: the driver's default. */
    public final String sslMode;
    /** PEM file of the CA that signed the server's certificate; {@code null}: the JVM's CAs (with verify-ca/verify-full). */
    public final String sslRootCert;

    public JdbcConfig(String url, String user, int batchSize, long flushIntervalMs, long maxRetryTimeMs) {
        this(url, user, null, batchSize, flushIntervalMs, maxRetryTimeMs, 300_000, null, null, null);
    }

    private JdbcConfig(String url, String user, String passwordFile, int batchSize, long flushIntervalMs, long maxRetryTimeMs,
                       long authRetryTimeMs, String writerGroup, String sslMode, String sslRootCert) {
        if (!url.startsWith("jdbc:postgresql:") && !url.startsWith("jdbc:yugabytedb:")) {
            throw new ConfigException("--jdbc-url: '" + url + "' must start with jdbc:postgresql: or jdbc:yugabytedb:");
        }
        this.url = url;
        this.user = user;
        this.passwordFile = passwordFile;
        this.batchSize = batchSize;
        this.flushIntervalMs = flushIntervalMs;
        this.maxRetryTimeMs = maxRetryTimeMs;
        this.authRetryTimeMs = authRetryTimeMs;
        this.writerGroup = writerGroup;
        this.sslMode = sslMode;
        this.sslRootCert = sslRootCert;
    }

    /**
     * From a command's settings: {@code --jdbc-url}, {@code --jdbc-user}, and, where the command has them,
     * {@code --jdbc-password-file} (which must be readable now: a typo fails at start, not at the first connect) and
     * {@code --jdbc-auth-retry-time}.
     */
    public static JdbcConfig fromSettings(Settings s, int batchSize, long flushIntervalMs, long maxRetryTimeMs) {
        JdbcConfig jdbc = new JdbcConfig(s.get(JobOptions.JDBC_URL), s.get(JobOptions.JDBC_USER), batchSize, flushIntervalMs, maxRetryTimeMs);
        if (s.has(JobOptions.JDBC_PASSWORD_FILE) && s.get(JobOptions.JDBC_PASSWORD_FILE) != null) {
            String file = s.get(JobOptions.JDBC_PASSWORD_FILE);
            if (!java.nio.file.Files.isRegularFile(java.nio.file.Path.of(file)) || !java.nio.file.Files.isReadable(java.nio.file.Path.of(file))) {
                throw new ConfigException("--" + JobOptions.JDBC_PASSWORD_FILE.name + ": '" + file + "' is not a readable file");
            }
            jdbc = jdbc.withPasswordFile(file);
        }
        if (s.has(JobOptions.JDBC_AUTH_RETRY_TIME)) jdbc = jdbc.withAuthRetryTime(s.get(JobOptions.JDBC_AUTH_RETRY_TIME).toMillis());
        if (s.has(JobOptions.JDBC_SSL_MODE)) {
            String root = s.get(JobOptions.JDBC_SSL_ROOT_CERT);
            if (root != null && (!java.nio.file.Files.isRegularFile(java.nio.file.Path.of(root)) || !java.nio.file.Files.isReadable(java.nio.file.Path.of(root)))) {
                throw new ConfigException("--" + JobOptions.JDBC_SSL_ROOT_CERT.name + ": '" + root + "' is not a readable file");
            }
            JobOptions.JdbcSslMode mode = s.get(JobOptions.JDBC_SSL_MODE);
            if (mode == null && root != null) mode = JobOptions.JdbcSslMode.VERIFY_FULL;
            if (root != null && (mode == JobOptions.JdbcSslMode.DISABLE || mode == JobOptions.JdbcSslMode.REQUIRE)) {
                throw new ConfigException("--" + JobOptions.JDBC_SSL_ROOT_CERT.name + ": with --" + JobOptions.JDBC_SSL_MODE.name + " "
                        + mode.name().toLowerCase(java.util.Locale.ROOT) + " the certificate is not checked; use verify-full");
            }
            if (mode != null) jdbc = jdbc.withSsl(mode.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'), root);
        }
        return jdbc;
    }

    /** TLS as the drivers' {@code sslmode} says ({@code null}: the driver's default), checked against {@code rootCert} (a PEM file). */
    public JdbcConfig withSsl(String mode, String rootCert) {
        return new JdbcConfig(url, user, passwordFile, batchSize, flushIntervalMs, maxRetryTimeMs, authRetryTimeMs, writerGroup, mode, rootCert);
    }

    /** The TLS connection properties of both drivers (the same names; each has its own JVM-truststore factory). */
    private Map<String, String> sslProperties() {
        Map<String, String> p = new java.util.LinkedHashMap<>();
        if (sslMode == null) return p;
        p.put("sslmode", sslMode);
        if (sslRootCert != null) {
            p.put("sslrootcert", sslRootCert);
        } else if (sslMode.startsWith("verify")) {
            p.put("sslfactory", isYugabyteDriver() ? "com.yugabyte.ssl.DefaultJavaSSLFactory" : "org.postgresql.ssl.DefaultJavaSSLFactory");
        }
        return p;
    }

    public JdbcConfig withUrl(String newUrl) {
        return new JdbcConfig(newUrl, user, passwordFile, batchSize, flushIntervalMs, maxRetryTimeMs, authRetryTimeMs, writerGroup, sslMode, sslRootCert);
    }

    public JdbcConfig withUser(String newUser) {
        return new JdbcConfig(url, newUser, passwordFile, batchSize, flushIntervalMs, maxRetryTimeMs, authRetryTimeMs, writerGroup, sslMode, sslRootCert);
    }

    /** The password is read from this file at every connect ({@code null}: from the environment). */
    public JdbcConfig withPasswordFile(String file) {
        return new JdbcConfig(url, user, file, batchSize, flushIntervalMs, maxRetryTimeMs, authRetryTimeMs, writerGroup, sslMode, sslRootCert);
    }

    public JdbcConfig withAuthRetryTime(long ms) {
        return new JdbcConfig(url, user, passwordFile, batchSize, flushIntervalMs, maxRetryTimeMs, ms, writerGroup, sslMode, sslRootCert);
    }

    public JdbcConfig withWriterGroup(String group) {
        return new JdbcConfig(url, user, passwordFile, batchSize, flushIntervalMs, maxRetryTimeMs, authRetryTimeMs, group, sslMode, sslRootCert);
    }

    public boolean isYugabyteDriver() {
        return url.startsWith("jdbc:yugabytedb:");
    }

    /** What every connection is opened with: no password, but the plugin that reads it when the server asks. */
    public Properties driverProperties() {
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty(DbPassword.PLUGIN_PROPERTY, DbPassword.class.getName());
        if (passwordFile != null) props.setProperty(DbPassword.FILE_PROPERTY, passwordFile);
        sslProperties().forEach(props::setProperty);
        return props;
    }

    /**
     * The URL with the user and the password plugin as parameters, for clients configured with a URL alone (Flink's
     * JDBC connector, which takes a user only together with a password): the password is then read at each connect,
     * like the sinks', instead of being an option of the table.
     */
    public String urlWithUserAndPasswordPlugin() {
        StringBuilder sb = new StringBuilder(url).append(url.contains("?") ? '&' : '?');
        sb.append("user=").append(URLEncoder.encode(user, StandardCharsets.UTF_8));
        sb.append('&').append(DbPassword.PLUGIN_PROPERTY).append('=').append(DbPassword.class.getName());
        if (passwordFile != null) sb.append('&').append(DbPassword.FILE_PROPERTY).append('=').append(URLEncoder.encode(passwordFile, StandardCharsets.UTF_8));
        sslProperties().forEach((k, v) -> sb.append('&').append(k).append('=').append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
        return sb.toString();
    }

    public Connection connect() throws SQLException {
        Properties props = driverProperties();
        // Lets the driver rewrite a batch of INSERTs into multi-row INSERTs: one round trip per batch.
        props.setProperty("reWriteBatchedInserts", "true");
        props.setProperty("connectTimeout", "10");
        props.setProperty("socketTimeout", "120");
        props.setProperty("ApplicationName", "heartbeat-sessions");
        return DriverManager.getConnection(url, props);
    }

    @Override
    public String toString() {
        return url + " as " + user + (sslMode != null ? " (sslmode " + sslMode + ")" : "");
    }
}
