"""Bulk writes that Django's ORM makes slow, written per database vendor.

This is the one module that speaks a vendor's own dialect:

- `rows_insert` streams rows through PostgreSQL's COPY (psycopg's
  `Cursor.copy`, reached through the DB-API cursor that Django's cursor
  wraps) and, on SQLite, through one prepared INSERT run with executemany.
  bulk_create prepares each value in Python: 7 s per 100k answers on
  SQLite, 10 s on PostgreSQL. The database's constraints still check every
  row, and both paths write inside the caller's transaction.
- `rows_delete` deletes a queryset's rows with one DELETE, whatever their
  number. QuerySet.delete() first SELECTs rows that other tables point at,
  then deletes them in batches, so its query count grows with the rows.
  The caller must have deleted the rows that point at these first.
- `ids_reserve` takes a block of new primary keys for rows a caller writes
  with `rows_insert`, ids included, so that it needs no ids back from the
  database: from the table's sequence on PostgreSQL, above the highest id on
  SQLite, whose one writer the caller's transaction already is.
- `statistics_refresh` runs ANALYZE after a bulk load, in each dialect.

Any other vendor falls back to the portable path (executemany).
"""

from itertools import islice

from django.db import connections
from django.db.models import Model, QuerySet

# Rows handed to executemany at once: bounds memory whatever the number of rows.
CHUNK_SIZE = 20_000


def rows_insert(model: type[Model], fields: tuple[str, ...], rows, *, using: str = "default") -> None:
    """Inserts tuples of values for these fields of the model."""
    connection = connections[using]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(model._meta.get_field(name).column) for name in fields)
    rows = iter(rows)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        placeholders = ", ".join(["%s"] * len(fields))
        # bandit: reviewed; the names come from model meta, quoted, and every value is bound.
        sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # nosec B608
        while chunk := list(islice(rows, CHUNK_SIZE)):
            cursor.executemany(sql, chunk)


def rows_delete(queryset: QuerySet) -> None:
    """Deletes the queryset's rows in one statement, without loading them."""
    connection = connections[queryset.db]
    model = queryset.model
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column)
    subquery, params = queryset.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        # bandit: reviewed; the names come from model meta, quoted, and the subquery binds its values.
        cursor.execute(f"DELETE FROM {table} WHERE {pk} IN ({subquery})", params)  # nosec B608


def statistics_refresh(models: tuple[type[Model], ...], *, using: str = "default") -> None:
    """Tells the query planner how big these tables now are, after a bulk load.

    Until then the planner believes them nearly empty. On PostgreSQL it
    picked nested loops that made the first export of a 900k-rating study
    ten times slower until autovacuum caught up; on SQLite, without
    statistics, the rating counts of one round among answers written in a
    shuffled order took twice as long (docs/performance.md). ANALYZE may run
    inside the loading transaction on both.
    """
    connection = connections[using]
    if connection.vendor not in ("postgresql", "sqlite"):
        return
    tables = [connection.ops.quote_name(m._meta.db_table) for m in models]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE " + ", ".join(tables))
        else:
            for table in tables:
                cursor.execute(f"ANALYZE {table}")


def ids_reserve(model: type[Model], count: int, *, using: str = "default") -> list[int]:
    """`count` primary keys no row of the model has, nor will be given by the database, in increasing order."""
    if count <= 0:
        return []
    connection = connections[using]
    table = model._meta.db_table
    pk = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, pk, count]
            )
            return sorted(row[0] for row in cursor.fetchall())
        quoted = connection.ops.quote_name(table)
        # bandit: reviewed; the name comes from model meta, quoted.
        cursor.execute(f"SELECT max({connection.ops.quote_name(pk)}) FROM {quoted}")  # nosec B608
        highest = cursor.fetchone()[0] or 0
        if connection.vendor == "sqlite":
            # AUTOINCREMENT never gives an id again, even one whose row is gone.
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            highest = max(highest, row[0] if row else 0)
        return list(range(highest + 1, highest + 1 + count))
