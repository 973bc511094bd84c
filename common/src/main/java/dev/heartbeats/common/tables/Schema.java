package dev.heartbeats.common.tables;

import dev.heartbeats.common.config.JdbcConfig;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** Creates the contract's tables if they do not exist, in the flavour of the database at hand. */
public final class Schema {
    public enum Flavor { AUTO, POSTGRES, YUGABYTE }

    private Schema() {}

    /** @return the flavour applied */
    public static Flavor apply(JdbcConfig jdbc, Flavor flavor) throws SQLException {
        try (Connection c = jdbc.connect(); Statement st = c.createStatement()) {
            Flavor f = flavor == Flavor.AUTO ? detect(jdbc, st) : flavor;
            for (String sql : statements(f)) st.execute(sql);
            return f;
        }
    }

    private static Flavor detect(JdbcConfig jdbc, Statement st) throws SQLException {
        if (jdbc.isYugabyteDriver()) return Flavor.YUGABYTE;
        try (ResultSet rs = st.executeQuery("SELECT version()")) {
            rs.next();
            return rs.getString(1).contains("-YB-") ? Flavor.YUGABYTE : Flavor.POSTGRES;
        }
    }

    public static List<String> statements(Flavor f) {
        String file = f == Flavor.YUGABYTE ? "/schema/yugabyte.sql" : "/schema/postgres.sql";
        String text;
        try (InputStream in = Schema.class.getResourceAsStream(file)) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("schema resource " + file + " missing", e);
        }
        List<String> out = new ArrayList<>();
        StringBuilder sb = new StringBuilder();
        for (String line : text.split("\n")) {
            if (line.trim().startsWith("--")) continue;
            sb.append(line).append('\n');
        }
        for (String s : sb.toString().split(";")) if (!s.isBlank()) out.add(s.trim());
        return out;
    }
}
