package dev.heartbeats.testing;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** Query results as text, for tests that compare what a read returns: one string per row, columns joined by "|". */
public final class Sql {
    private Sql() {}

    public static List<String> rows(ResultSet rs) throws SQLException {
        List<String> rows = new ArrayList<>();
        int n = rs.getMetaData().getColumnCount();
        while (rs.next()) {
            StringBuilder row = new StringBuilder();
            for (int i = 1; i <= n; i++) row.append(i == 1 ? "" : "|").append(rs.getString(i));
            rows.add(row.toString());
        }
        return rows;
    }

    public static List<String> query(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rows(rs);
        }
    }

    /** Dates and hours of {@code timestamptz} columns as the contract states them, in UTC. */
    public static void utc(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("SET TIME ZONE 'UTC'");
        }
    }
}
