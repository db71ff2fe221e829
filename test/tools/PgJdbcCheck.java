import java.sql.*;
import java.util.*;

/**
 * A JDBC client (pgjdbc) against Sightline's Postgres port, as a BI tool uses it: connect over TLS
 * with a password, DatabaseMetaData's questions (products, tables, columns), prepared statements
 * with typed parameters run often enough to become named server-side statements with binary
 * transfer, and a plain statement. Prints what it read as JSON for the test to compare.
 * Run: java -cp <pgjdbc jar> PgJdbcCheck.java <jdbc url> <user> <password> <since epoch ms>
 */
public class PgJdbcCheck {
  static String q(String s) { return s == null ? "null" : "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\""; }

  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    props.setProperty("user", args[1]);
    props.setProperty("password", args[2]);
    long since = Long.parseLong(args[3]);
    StringBuilder out = new StringBuilder("{");
    try (Connection c = DriverManager.getConnection(args[0], props)) {
      DatabaseMetaData md = c.getMetaData();
      out.append("\"product\":").append(q(md.getDatabaseProductName() + " " + md.getDatabaseProductVersion())).append(',');
      List<String> tables = new ArrayList<>();
      try (ResultSet rs = md.getTables(null, null, "%", new String[] {"TABLE", "VIEW"})) {
        while (rs.next()) tables.add(q(rs.getString("TABLE_NAME")));
      }
      out.append("\"tables\":").append(tables).append(',');
      List<String> columns = new ArrayList<>();
      try (ResultSet rs = md.getColumns(null, null, "events", "%")) {
        while (rs.next()) columns.add(q(rs.getString("COLUMN_NAME") + ":" + rs.getString("TYPE_NAME")));
      }
      out.append("\"events_columns\":").append(columns).append(',');
      // Six runs: past pgjdbc's prepareThreshold (5), it names the statement on the server and reads binary.
      List<String> counts = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT count(*) AS n, min(event_time) AS first FROM events WHERE user_id = ? AND timestamp >= ? AND event_time >= ?")) {
        for (int i = 0; i < 6; i++) {
          ps.setString(1, "u0");
          ps.setLong(2, since);
          ps.setTimestamp(3, new Timestamp(since));
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            counts.add(q(rs.getLong("n") + "@" + rs.getTimestamp("first").getTime()));
          }
        }
      }
      out.append("\"prepared\":").append(counts).append(',');
      List<String> windows = new ArrayList<>();
      try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT group_key, sum(count)::BIGINT AS c FROM page_views GROUP BY group_key ORDER BY group_key")) {
        while (rs.next()) windows.add(q(rs.getString(1) + "=" + rs.getLong(2)));
      }
      out.append("\"windows\":").append(windows).append(',');
      // A fetch size in a transaction: the rows come in portions (Execute with a row limit).
      c.setAutoCommit(false);
      int fetched = 0;
      try (PreparedStatement ps = c.prepareStatement("SELECT id FROM events ORDER BY log_pos")) {
        ps.setFetchSize(7);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) fetched++;
        }
      }
      c.commit();
      out.append("\"fetched\":").append(fetched).append(',');
      String error;
      try (Statement st = c.createStatement()) {
        st.executeQuery("DELETE FROM events");
        error = "none";
      } catch (SQLException e) {
        error = e.getSQLState();
      }
      c.rollback();
      out.append("\"delete_sqlstate\":").append(q(error));
    }
    System.out.println(out.append('}'));
  }
}
