package dev.heartbeats.common.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * The database password, read where and when a connection is made: the PostgreSQL driver and the YugabyteDB smart
 * driver call this plugin ({@code authenticationPluginClassName}) each time the server asks for a password. It
 * reads the password file given in the connection's properties ({@code --jdbc-password-file}, e.g. a mounted
 * Kubernetes Secret, which the kubelet updates in place when the Secret is rotated) or else the environment variable
 * {@value JobOptions#JDBC_PASSWORD_ENV}. Nothing is cached, and the password is never logged or serialised.
 */
public final class DbPassword implements org.postgresql.plugin.AuthenticationPlugin, com.yugabyte.plugin.AuthenticationPlugin {
    /** The drivers' property naming the plugin class. */
    public static final String PLUGIN_PROPERTY = "authenticationPluginClassName";
    /** Our connection property (and URL parameter) naming the password file; the drivers ignore it. */
    public static final String FILE_PROPERTY = "heartbeatsPasswordFile";

    private final String file;

    /** The drivers instantiate the plugin with the connection's properties. */
    public DbPassword(Properties connectionProperties) {
        this.file = connectionProperties.getProperty(FILE_PROPERTY);
    }

    /** The password now: the file's content without its trailing line break, or the environment variable; {@code null} if none. */
    public static char[] read(String file) throws IOException {
        if (file != null) {
            String s = Files.readString(Path.of(file));
            int end = s.length();
            while (end > 0 && (s.charAt(end - 1) == '\n' || s.charAt(end - 1) == '\r')) end--;
            return s.substring(0, end).toCharArray();
        }
        String v = System.getenv(JobOptions.JDBC_PASSWORD_ENV);
        return v == null || v.isEmpty() ? null : v.toCharArray();
    }

    @Override
    public char[] getPassword(org.postgresql.plugin.AuthenticationRequestType type) throws org.postgresql.util.PSQLException {
        try {
            return read(file);
        } catch (IOException e) {
            throw new org.postgresql.util.PSQLException("cannot read the database password file " + file + ": " + e,
                    org.postgresql.util.PSQLState.CONNECTION_REJECTED, e);
        }
    }

    @Override
    public char[] getPassword(com.yugabyte.plugin.AuthenticationRequestType type) throws com.yugabyte.util.PSQLException {
        try {
            return read(file);
        } catch (IOException e) {
            throw new com.yugabyte.util.PSQLException("cannot read the database password file " + file + ": " + e,
                    com.yugabyte.util.PSQLState.CONNECTION_REJECTED, e);
        }
    }
}
