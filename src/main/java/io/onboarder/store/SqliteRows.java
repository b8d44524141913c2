package io.onboarder.store;

import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.PropertyKind;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowIterator;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import io.vertx.sqlclient.desc.ColumnDescriptor;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/** Values in and out of {@link SqliteClient}: parameters bound as SQLite stores them, results read in full. */
final class SqliteRows {
  private SqliteRows() {}

  /** Binds {@code params} as SQLite stores them (booleans as 0/1, buffers as blobs). */
  static void bind(java.sql.PreparedStatement ps, Tuple params) throws SQLException {
    for (int i = 0, n = params.size(); i < n; i++) {
      Object v = params.getValue(i);
      int at = i + 1;
      if (v == null) {
        ps.setNull(at, java.sql.Types.NULL);
      } else if (v instanceof String s) {
        ps.setString(at, s);
      } else if (v instanceof Long l) {
        ps.setLong(at, l);
      } else if (v instanceof Integer x) {
        ps.setInt(at, x);
      } else if (v instanceof Boolean b) {
        ps.setInt(at, b ? 1 : 0);
      } else if (v instanceof Double d) {
        ps.setDouble(at, d);
      } else if (v instanceof Number x) {
        ps.setLong(at, x.longValue());
      } else if (v instanceof byte[] bytes) {
        ps.setBytes(at, bytes);
      } else if (v instanceof Buffer buf) {
        ps.setBytes(at, buf.getBytes());
      } else {
        throw new IllegalArgumentException("unsupported SQLite parameter type " + v.getClass().getName());
      }
    }
  }

  /** A result: its rows, read in full, and the count of rows changed (or returned). */
  static final class Rows implements RowSet<Row> {
    private final List<Row> rows;
    private final List<String> names;
    private final int rowCount;

    Rows(List<Row> rows, List<String> names, int rowCount) {
      this.rows = rows;
      this.names = names;
      this.rowCount = rowCount;
    }

    @Override
    public RowIterator<Row> iterator() {
      Iterator<Row> it = rows.iterator();
      return new RowIterator<>() {
        @Override
        public boolean hasNext() {
          return it.hasNext();
        }

        @Override
        public Row next() {
          return it.next();
        }
      };
    }

    @Override
    public int rowCount() {
      return rowCount;
    }

    @Override
    public List<String> columnsNames() {
      return names;
    }

    @Override
    public List<ColumnDescriptor> columnDescriptors() {
      throw new UnsupportedOperationException("columnDescriptors");
    }

    @Override
    public int size() {
      return rows.size();
    }

    @Override
    public <V> V property(PropertyKind<V> kind) {
      return null;
    }

    @Override
    public RowSet<Row> value() {
      return this;
    }

    @Override
    public RowSet<Row> next() {
      return null;
    }
  }

  /** A row as SQLite stores it: Integer or Long, Double, String, byte[] or null per column. */
  static final class SqliteRow implements Row {
    private final String[] names;
    private final Object[] values;

    SqliteRow(String[] names, Object[] values) {
      this.names = names;
      this.values = values;
    }

    @Override
    public String getColumnName(int pos) {
      return pos >= 0 && pos < names.length ? names[pos] : null;
    }

    @Override
    public int getColumnIndex(String column) {
      for (int i = 0; i < names.length; i++) {
        if (names[i].equalsIgnoreCase(column)) {
          return i;
        }
      }
      return -1;
    }

    @Override
    public Object getValue(int pos) {
      return values[pos];
    }

    @Override
    public Tuple addValue(Object value) {
      throw new UnsupportedOperationException("rows are read-only");
    }

    @Override
    public int size() {
      return values.length;
    }

    @Override
    public void clear() {
      throw new UnsupportedOperationException("rows are read-only");
    }

    @Override
    public List<Class<?>> types() {
      List<Class<?>> types = new ArrayList<>(values.length);
      for (Object v : values) {
        types.add(v == null ? Object.class : v.getClass());
      }
      return types;
    }
  }
}
