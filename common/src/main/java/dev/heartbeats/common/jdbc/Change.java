package dev.heartbeats.common.jdbc;

/** An upsert or a delete of one row of a table, keyed by the table's primary key. */
public class Change<T> {
    public boolean delete;
    public T row;

    public Change() {}

    public static <T> Change<T> upsert(T row) {
        Change<T> c = new Change<>();
        c.row = row;
        return c;
    }

    public static <T> Change<T> delete(T keyRow) {
        Change<T> c = upsert(keyRow);
        c.delete = true;
        return c;
    }

    @Override
    public String toString() {
        return (delete ? "DELETE " : "UPSERT ") + row;
    }
}
